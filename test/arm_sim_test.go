package integration

import (
	"encoding/json"
	"errors"
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
	// Positions are numbers, or strings such as "nan" that JSON cannot carry.
	Positions  []any     `json:"positions"`
	Velocities []float64 `json:"velocities,omitempty"`
	T          float64   `json:"t"`
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
			// Shoulder only, slow: the elbow must hold while the shoulder starts.
			Name:       "slow shoulder",
			JointNames: []string{"shoulder"},
			Points:     []armPoint{{Positions: []any{2.0}, T: 4.0}},
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
	assert.InDelta(t, -0.3, slow.Final["elbow"], 0.02, "elbow holds when the trajectory leaves it out")

	replacing := res.Steps[2]
	require.NotNil(t, replacing.Reached)
	assert.True(t, *replacing.Reached, "new trajectory did not replace the old one: final %v", replacing.Final)

	require.NotNil(t, res.Rate)
	t.Logf("joint_states seen by the probe: %+v; time to reach [0.5,-0.3] over 1 s: %.3f s", *res.Rate, *reach.ReachS)
	assert.GreaterOrEqual(t, res.Rate.Hz, 25.0, "joint_states publish rate (nominal 100 Hz)")
	assert.LessOrEqual(t, res.Rate.Hz, 200.0, "joint_states publish rate (nominal 100 Hz)")
	assert.False(t, sim.exited())
}

func TestArmSimRejectsBadTrajectories(t *testing.T) {
	both := []string{"shoulder", "elbow"}
	cases := []struct {
		step    armTrajectory
		wantLog string
		// moves is the joint the sim must still move (unknown joints are
		// ignored, the rest followed); empty when the whole trajectory is rejected.
		moves string
	}{
		{
			step:    armTrajectory{JointNames: both, Points: []armPoint{{Positions: []any{0.4}, T: 0.5}}},
			wantLog: "rejected trajectory (#1 so far): point 0 has 1 position(s) for 2 joint(s)",
		},
		{
			step:    armTrajectory{JointNames: both, Points: []armPoint{}},
			wantLog: "rejected trajectory (#2 so far): trajectory has no points",
		},
		{
			step: armTrajectory{JointNames: both, Points: []armPoint{
				{Positions: []any{0.4, 0.4}, T: 1.0}, {Positions: []any{0.5, 0.5}, T: 0.5},
			}},
			wantLog: "rejected trajectory (#3 so far): time_from_start does not increase at point 1 (0.5 s after 1.0 s)",
		},
		{
			step:    armTrajectory{JointNames: both, Points: []armPoint{{Positions: []any{"nan", 0.4}, T: 0.5}}},
			wantLog: "rejected trajectory (#4 so far): point 0 position of 'shoulder' is nan",
		},
		{
			step: armTrajectory{JointNames: both, StampOffset: seconds(-5),
				Points: []armPoint{{Positions: []any{0.4, 0.4}, T: 1.0}}},
			wantLog: "header.stamp is in the past",
		},
		{
			step: armTrajectory{JointNames: []string{"shoulder", "wrist"},
				Points: []armPoint{{Positions: []any{0.4, 1.0}, T: 0.5}},
				Expect: map[string]float64{"shoulder": 0.4}, Tolerance: 0.02, Timeout: 5},
			wantLog: "ignoring unknown joint 'wrist'",
			moves:   "shoulder",
		},
	}

	env := rosEnv(t)
	sim := startArmSim(t, env)
	steps := make([]armTrajectory, len(cases))
	for i, c := range cases {
		steps[i] = c.step
		steps[i].Name = c.wantLog
		if steps[i].Expect == nil {
			steps[i].Observe = 0.6
		}
	}
	res := runArmProbe(t, env, steps, "1")

	for i, c := range cases {
		t.Run(c.wantLog, func(t *testing.T) {
			got := res.Steps[i]
			assert.Contains(t, sim.out.String(), c.wantLog)
			assert.Positive(t, got.Msgs, "joint_states stopped after the trajectory")
			require.NotEmpty(t, got.MaxMove)
			for joint, moved := range got.MaxMove {
				if joint == c.moves {
					assert.True(t, *got.Reached, "%s not followed: final %v", joint, got.Final)
					continue
				}
				// Reaction torque from the other joint may nudge a held joint a little.
				assert.Less(t, moved, 0.02, "%s moved on a rejected or ignored command", joint)
			}
		})
	}
	require.NotNil(t, res.Rate)
	assert.Positive(t, res.Rate.Msgs, "joint_states stopped after the bad trajectories")
	assert.False(t, sim.exited(), "sim exited after bad trajectories")
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
