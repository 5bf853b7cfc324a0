package integration

import (
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// armTrajectory is one step of test/peers/arm_probe.py: a trajectory to
// publish and what to wait for afterwards.
type armTrajectory struct {
	Name        string             `json:"name"`
	JointNames  []string           `json:"joint_names"`
	Points      []armPoint         `json:"points"`
	StampOffset *float64           `json:"stamp_offset,omitempty"`
	Expect      map[string]float64 `json:"expect,omitempty"`
	Tolerance   float64            `json:"tolerance,omitempty"`
	Timeout     float64            `json:"timeout,omitempty"`
	Observe     float64            `json:"observe,omitempty"`
}

type armPoint struct {
	// Values are numbers, or strings such as "nan" that JSON cannot carry.
	Positions     []any     `json:"positions"`
	Velocities    []any     `json:"velocities,omitempty"`
	Accelerations []any     `json:"accelerations,omitempty"`
	Effort        []float64 `json:"effort,omitempty"`
	T             float64   `json:"t"`
}

type armProbeResult struct {
	Error string          `json:"error"`
	Steps []armStepResult `json:"steps"`
	Rate  *armRate        `json:"rate"`
}

type armStepResult struct {
	Name    string             `json:"name"`
	Start   map[string]float64 `json:"start"`
	Final   map[string]float64 `json:"final"`
	Reached *bool              `json:"reached"`
	ReachS  *float64           `json:"reach_s"`
	MaxMove map[string]float64 `json:"max_move"`
	Msgs    int                `json:"msgs"`
}

type armRate struct {
	WindowS  float64 `json:"window_s"`
	Msgs     int     `json:"msgs"`
	Hz       float64 `json:"hz"`
	StampHz  float64 `json:"stamp_hz"`
	MaxGapMs float64 `json:"max_gap_ms"`
}

const armReady = "arm sim ready"

// trajectoryTally is how many trajectories a stand-in robot accepted and
// refused under the joint_trajectory_controller contract
// (sim/ab_arm_sim/trajectory.py): the sim prints it at exit after
// armTrajectoriesLine, the peers put it in their summary as "contract".
type trajectoryTally struct {
	Accepted      int            `json:"accepted"`
	Refused       int            `json:"refused"`
	RefusedByRule map[string]int `json:"refused_by_rule"`
	// FirstRefusals are the reasons of the first few refusals.
	FirstRefusals []string `json:"first_refusals"`
}

const armTrajectoriesLine = "arm sim trajectories "

// stopArmSim stops the sim and returns the tally it printed at exit.
func stopArmSim(t *testing.T, sim *proc) trajectoryTally {
	t.Helper()
	sim.stop(5 * time.Second)
	require.NoError(t, sim.err, "arm sim exit status")
	out := sim.out.String()
	i := strings.LastIndex(out, armTrajectoriesLine)
	require.GreaterOrEqual(t, i, 0, "arm sim printed no trajectory tally at exit")
	line, _, _ := strings.Cut(out[i+len(armTrajectoriesLine):], "\n")
	var tally trajectoryTally
	require.NoError(t, json.Unmarshal([]byte(line), &tally), "arm sim tally %q", line)
	return tally
}

const armTrackingLine = "arm sim tracking "

// jointTracking is one joint on the sim's armTrackingLine: how far (rad)
// its setpoint and its position got from where it started, and the largest
// gap between the two at any physics step.
type jointTracking struct {
	Commanded float64 `json:"commanded"`
	Reached   float64 `json:"reached"`
	MaxError  float64 `json:"max_error"`
}

// armTracking reads the tracking line a stopped sim printed at exit.
func armTracking(t *testing.T, sim *proc) map[string]jointTracking {
	t.Helper()
	out := sim.out.String()
	i := strings.LastIndex(out, armTrackingLine)
	require.GreaterOrEqual(t, i, 0, "arm sim printed no tracking line at exit")
	line, _, _ := strings.Cut(out[i+len(armTrackingLine):], "\n")
	var tr map[string]jointTracking
	require.NoError(t, json.Unmarshal([]byte(line), &tr), "arm sim tracking %q", line)
	return tr
}

// requireSimAcceptedAll stops the sim and checks that it refused none of the
// trajectories it was sent, and accepted at least minAccepted.
func requireSimAcceptedAll(t *testing.T, sim *proc, minAccepted int) trajectoryTally {
	t.Helper()
	tally := stopArmSim(t, sim)
	t.Logf("arm sim: %d trajectories accepted, %d refused", tally.Accepted, tally.Refused)
	require.Zero(t, tally.Refused, "trajectories the controller contract refuses: %v %v", tally.RefusedByRule, tally.FirstRefusals)
	require.GreaterOrEqual(t, tally.Accepted, minAccepted, "trajectories the arm sim accepted")
	return tally
}

// startArmSim starts the MuJoCo arm node and waits until it publishes.
func startArmSim(t *testing.T, env []string, rosArgs ...string) *proc {
	t.Helper()
	p := startProc(t, "arm sim", armSimCommand(t, env, rosArgs...))
	p.waitOutput(t, armReady, 30*time.Second)
	return p
}

func armSimCommand(t *testing.T, env []string, rosArgs ...string) *exec.Cmd {
	t.Helper()
	args := []string{"-m", "sim.ab_arm_sim"}
	if len(rosArgs) > 0 {
		args = append(append(args, "--ros-args"), rosArgs...)
	}
	cmd := exec.Command(venvPython(t), args...)
	cmd.Dir = repoRoot(t)
	cmd.Env = env
	return cmd
}

// runArmProbe runs the probe peer to completion and decodes its report.
func runArmProbe(t *testing.T, env []string, steps []armTrajectory, rateWindow string) armProbeResult {
	t.Helper()
	stepsJSON, err := json.Marshal(steps)
	require.NoError(t, err)
	cmd := exec.Command(venvPython(t), filepath.Join(repoRoot(t), "test", "peers", "arm_probe.py"),
		"--steps", string(stepsJSON), "--rate-window", rateWindow)
	cmd.Env = env
	p := startProc(t, "arm probe", cmd)
	select {
	case <-p.done:
	case <-time.After(2 * time.Minute):
		t.Fatal("arm probe did not finish within 2 minutes")
	}
	require.NoError(t, p.err, "arm probe failed")

	var res armProbeResult
	lines := strings.Split(strings.TrimSpace(p.out.String()), "\n")
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &res), "arm probe report")
	require.Empty(t, res.Error)
	require.Len(t, res.Steps, len(steps))
	return res
}

func seconds(s float64) *float64 { return &s }

func TestArmSimFollowsTrajectory(t *testing.T) {
	env := rosEnv(t)
	sim := startArmSim(t, env, "-p", "initial_positions:=[0.2,0.1]")

	res := runArmProbe(t, env, []armTrajectory{
		{
			Name:       "reach",
			JointNames: []string{"shoulder", "elbow"},
			Points:     []armPoint{{Positions: []any{0.5, -0.3}, T: 1.0}},
			Expect:     map[string]float64{"shoulder": 0.5, "elbow": -0.3},
			Tolerance:  0.02,
			Timeout:    10,
		},
		{
			// Slow, the elbow told to stay: it must hold while the shoulder starts.
			Name:       "slow shoulder",
			JointNames: []string{"shoulder", "elbow"},
			Points:     []armPoint{{Positions: []any{2.0, -0.3}, T: 4.0}},
			Observe:    0.5,
		},
		{
			// Arrives mid-way through the slow one and must replace it at once:
			// had it been queued behind it, it could not finish within 3 s.
			Name:       "replacing",
			JointNames: []string{"elbow", "shoulder"},
			Points:     []armPoint{{Positions: []any{0.0, -0.5}, T: 0.5}},
			Expect:     map[string]float64{"shoulder": -0.5, "elbow": 0.0},
			Tolerance:  0.02,
			Timeout:    3,
		},
	}, "3")

	reach := res.Steps[0]
	assert.InDelta(t, 0.2, reach.Start["shoulder"], 0.005, "initial_positions parameter")
	assert.InDelta(t, 0.1, reach.Start["elbow"], 0.005, "initial_positions parameter")
	require.NotNil(t, reach.Reached)
	require.True(t, *reach.Reached, "arm did not reach [0.5, -0.3]: final %v", reach.Final)
	assert.InDelta(t, 0.5, reach.Final["shoulder"], 0.02)
	assert.InDelta(t, -0.3, reach.Final["elbow"], 0.02)
	// Interpolated over time_from_start, not jumped to: the setpoint is
	// within tolerance of the target only in the last few percent of 1 s.
	assert.GreaterOrEqual(t, *reach.ReachS, 0.8)

	slow := res.Steps[1]
	assert.Greater(t, slow.Final["shoulder"], 0.55, "shoulder started towards 2.0")
	assert.Less(t, slow.Final["shoulder"], 1.0, "shoulder follows the 4 s ramp, not a jump")
	assert.InDelta(t, -0.3, slow.Final["elbow"], 0.02, "elbow holds where the trajectory keeps it")

	replacing := res.Steps[2]
	require.NotNil(t, replacing.Reached)
	assert.True(t, *replacing.Reached, "new trajectory did not replace the old one: final %v", replacing.Final)

	require.NotNil(t, res.Rate)
	t.Logf("joint_states seen by the probe: %+v; time to reach [0.5,-0.3] over 1 s: %.3f s", *res.Rate, *reach.ReachS)
	assert.GreaterOrEqual(t, res.Rate.Hz, 25.0, "joint_states publish rate (nominal 100 Hz)")
	assert.LessOrEqual(t, res.Rate.Hz, 200.0, "joint_states publish rate (nominal 100 Hz)")
	assert.False(t, sim.exited())
	assert.Equal(t, 3, requireSimAcceptedAll(t, sim, 3).Accepted, "one per step")
}

// Each rule of the controller contract, broken once over ROS: the sim
// counts the refusal under its rule, logs the reason and does not move; a
// good trajectory afterwards is followed.
func TestArmSimRefusesWhatTheControllerRefuses(t *testing.T) {
	both := []string{"shoulder", "elbow"}
	at := func(pos ...any) []armPoint { return []armPoint{{Positions: pos, T: 0.5}} }
	cases := []struct {
		rule string
		step armTrajectory
	}{
		{"no_joint_names", armTrajectory{JointNames: []string{}, Points: []armPoint{{Positions: []any{}, T: 0.5}}}},
		{"partial_joints", armTrajectory{JointNames: []string{"shoulder"}, Points: at(0.4)}},
		{"no_points", armTrajectory{JointNames: both, Points: []armPoint{}}},
		{"unknown_joint", armTrajectory{JointNames: []string{"shoulder", "wrist"}, Points: at(0.4, 1.0)}},
		{"duplicate_joint", armTrajectory{JointNames: []string{"shoulder", "shoulder"}, Points: at(0.4, 0.4)}},
		{"moving_at_end", armTrajectory{JointNames: both,
			Points: []armPoint{{Positions: []any{0.4, 0.4}, Velocities: []any{0.5, 0.0}, T: 0.5}}}},
		{"ends_in_past", armTrajectory{JointNames: both, StampOffset: seconds(-5), Points: at(0.4, 0.4)}},
		{"time_not_increasing", armTrajectory{JointNames: both,
			Points: []armPoint{{Positions: []any{0.4, 0.4}, T: 1.0}, {Positions: []any{0.5, 0.5}, T: 0.5}}}},
		{"positions_size", armTrajectory{JointNames: both, Points: at(0.4)}},
		{"velocities_size", armTrajectory{JointNames: both,
			Points: []armPoint{{Positions: []any{0.4, 0.4}, Velocities: []any{0.0}, T: 0.5}}}},
		{"accelerations_size", armTrajectory{JointNames: both,
			Points: []armPoint{{Positions: []any{0.4, 0.4}, Velocities: []any{0.0, 0.0}, Accelerations: []any{0.0}, T: 0.5}}}},
		{"effort", armTrajectory{JointNames: both,
			Points: []armPoint{{Positions: []any{0.4, 0.4}, Effort: []float64{0, 0}, T: 0.5}}}},
		{"not_finite", armTrajectory{JointNames: both, Points: at("nan", 0.4)}},
		{"accelerations_without_velocities", armTrajectory{JointNames: both,
			Points: []armPoint{{Positions: []any{0.4, 0.4}, Accelerations: []any{0.0, 0.0}, T: 0.5}}}},
	}

	env := rosEnv(t)
	sim := startArmSim(t, env)
	steps := make([]armTrajectory, 0, len(cases)+1)
	for _, c := range cases {
		step := c.step
		step.Name = c.rule
		step.Observe = 0.6
		steps = append(steps, step)
	}
	steps = append(steps, armTrajectory{Name: "good", JointNames: both, Points: at(0.4, -0.2),
		Expect: map[string]float64{"shoulder": 0.4, "elbow": -0.2}, Tolerance: 0.02, Timeout: 5})
	res := runArmProbe(t, env, steps, "1")

	for i, c := range cases {
		t.Run(c.rule, func(t *testing.T) {
			got := res.Steps[i]
			assert.Contains(t, sim.out.String(), fmt.Sprintf("refused trajectory #%d (0 accepted so far): %s: ", i+1, c.rule))
			assert.Positive(t, got.Msgs, "joint_states stopped after the trajectory")
			require.NotEmpty(t, got.MaxMove)
			for joint, moved := range got.MaxMove {
				assert.Less(t, moved, 0.02, "%s moved on a refused trajectory", joint)
			}
		})
	}
	good := res.Steps[len(cases)]
	require.NotNil(t, good.Reached)
	assert.True(t, *good.Reached, "the sim stopped following after refusals: final %v", good.Final)
	require.NotNil(t, res.Rate)
	assert.Positive(t, res.Rate.Msgs, "joint_states stopped after the refused trajectories")
	assert.False(t, sim.exited(), "sim exited after refused trajectories")

	tally := stopArmSim(t, sim)
	assert.Equal(t, len(cases), tally.Refused)
	assert.Equal(t, 1, tally.Accepted)
	for _, c := range cases {
		assert.Equal(t, 1, tally.RefusedByRule[c.rule], "refusals counted under %s", c.rule)
	}
	assert.Len(t, tally.RefusedByRule, len(cases))
}

func TestArmSimExitsCleanlyOnSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			sim := startArmSim(t, rosEnv(t))
			require.NoError(t, syscall.Kill(sim.cmd.Process.Pid, sig))
			select {
			case <-sim.done:
			case <-time.After(2 * time.Second):
				t.Fatalf("arm sim still running 2 s after %v", sig)
			}
			assert.NoError(t, sim.err, "exit status after %v", sig)
		})
	}
}

func TestArmSimRefusesBadParameters(t *testing.T) {
	cases := []struct {
		arg  string
		want string
	}{
		{"rate_hz:=0.0", "rate_hz is 0.0, must be in (0, 500]"},
		{"print_hz:=-1.0", "print_hz is -1.0, must be >= 0"},
		{"initial_positions:=[0.1]", "1 value(s) for 2 joint(s)"},
		{"initial_positions:=[3.5,0.0]", "initial position 3.5 of 'shoulder' is outside [-2.9, 2.9]"},
		{"initial_positions:=[0.5,0]", "bad --ros-args"},
	}
	env := rosEnv(t)
	for _, c := range cases {
		t.Run(c.arg, func(t *testing.T) {
			p := startProc(t, "arm sim", armSimCommand(t, env, "-p", c.arg))
			select {
			case <-p.done:
			case <-time.After(30 * time.Second):
				t.Fatalf("arm sim with %s did not exit", c.arg)
			}
			var exit *exec.ExitError
			require.True(t, errors.As(p.err, &exit), "want an exit status, got %v", p.err)
			assert.Equal(t, 2, exit.ExitCode())
			assert.Contains(t, p.out.String(), c.want)
			assert.NotContains(t, p.out.String(), armReady)
		})
	}
}

// TestArmSimModel runs the sim's own pytest suite (model dynamics and
// trajectory semantics, no ROS graph) so it is part of every go test run.
func TestArmSimModel(t *testing.T) {
	cmd := exec.Command(venvPython(t), "-m", "pytest", "-q", "-p", "no:cacheprovider", "sim")
	cmd.Dir = repoRoot(t)
	p := startProc(t, "pytest sim", cmd)
	select {
	case <-p.done:
	case <-time.After(2 * time.Minute):
		t.Fatal("pytest sim did not finish within 2 minutes")
	}
	require.NoError(t, p.err, "pytest sim:\n%s", p.out.String())
	assert.Regexp(t, `\d+ passed`, p.out.String())
	assert.NotContains(t, p.out.String(), "skipped")
}
