package integration

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// simSummary is sim_clock_robot.py's SUMMARY line.
type simSummary struct {
	Contract struct {
		Accepted, Refused int
		FirstRefusals     []string `json:"first_refusals"`
	}
	Trajs []struct {
		Wall, Sim, Stamp float64
		N                int
		Hold             bool
		Refused          *string
		ClockOn          bool `json:"clock_on"`
	}
	Diags  []struct{ Stamp, Sim, Wall float64 }
	Events map[string]struct{ Wall, Sim float64 }
}

// TestSimTime runs the node with -p use_sim_time:=true against a robot
// whose /clock runs at 0.5× and at 2× real time. Every robot-side time of
// the node follows /clock: diagnostics are stamped with sim time, and a
// joint_states pause of a fixed wall time W is stale only when its sim
// length exceeds max_state_age. Trajectories keep a zero stamp ("start now"
// on the controller's clock, see internal/ros/node.go); the robot's
// checker, reading them against its sim now, refuses none.
func TestSimTime(t *testing.T) {
	const (
		pause       = 400 * time.Millisecond // W, on the wall
		maxStateAge = 500 * time.Millisecond // config/bridge.yaml's
		simStart    = 1000.0                 // sim seconds: far from any Unix wall time
	)
	tests := []struct {
		name      string
		factor    float64
		wantHolds int
	}{
		// 2×: the pause lasts 800 ms of sim time > 500 ms: stale, one hold.
		{name: "2x", factor: 2, wantHolds: 1},
		// 0.5×: 200 ms of sim time < 500 ms: never stale, no hold.
		{name: "0.5x", factor: 0.5, wantHolds: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := rosEnv(t)
			paramsFile := writeNodeConfig(t, "/arm/ab_bridge",
				// Without idle cycles every one-point trajectory at rest is a hold.
				"\n  publish_idle: true\n", "\n  publish_idle: false\n")
			cmd := exec.Command(goBinary(t, "cmd/ab_bridge_node"), append(nodeArgv(paramsFile), "-p", "use_sim_time:=true")...)
			cmd.Env = env
			node := startProc(t, "ab_bridge_node", cmd)
			node.waitOutput(t, "realtime joined", 30*time.Second)

			rcmd := exec.Command(venvPython(t), filepath.Join(repoRoot(t), "test", "peers", "sim_clock_robot.py"),
				"--factor", fmt.Sprint(tt.factor), "--start", fmt.Sprint(simStart), "--pause", fmt.Sprint(pause.Seconds()))
			rcmd.Env = env
			robot := startProc(t, "sim_clock_robot", rcmd)
			select {
			case <-robot.done:
			case <-time.After(90 * time.Second):
				t.Fatal("the robot did not finish")
			}
			out := robot.out.String()
			i := strings.LastIndex(out, "SUMMARY ")
			require.GreaterOrEqual(t, i, 0, "robot printed no summary:\n%s", out)
			var s simSummary
			require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(out[i+len("SUMMARY "):])), &s))
			logs := node.out.String()
			node.stop(5 * time.Second)

			// Before the first /clock: nothing commanded, said once.
			assert.Contains(t, logs, "use_sim_time: following /clock")
			assert.Equal(t, 1, strings.Count(logs, "sim time unknown"), "said once")
			for _, r := range s.Trajs {
				assert.True(t, r.ClockOn, "a trajectory before the first /clock (sim %.3f)", r.Sim)
			}

			// The controller's checker, on sim time, refuses nothing; the
			// stamps are zero, "start now" on its clock.
			assert.Zero(t, s.Contract.Refused, "refusals: %v", s.Contract.FirstRefusals)
			require.NotZero(t, s.Contract.Accepted)
			for _, r := range s.Trajs {
				assert.Zero(t, r.Stamp)
			}

			// Holds: a pause of W on the wall is stale at 2× only.
			paused, resumed := s.Events["paused"], s.Events["resumed"]
			holds, motionsAfter := 0, 0
			for _, r := range s.Trajs {
				if r.Refused != nil || r.Wall < paused.Wall {
					continue
				}
				if r.Hold {
					holds++
				} else if r.Wall > resumed.Wall {
					motionsAfter++
				}
			}
			assert.Equal(t, tt.wantHolds, holds, "holds after a %s wall pause at %g× (sim %.0f ms, max_state_age %s)",
				pause, tt.factor, (resumed.Sim-paused.Sim)*1e3, maxStateAge)
			assert.NotZero(t, motionsAfter, "motion after joint_states resumed")

			// Diagnostics stamps follow /clock: within 100 ms of sim time
			// of the robot's sim now at receipt, nowhere near the wall, and
			// one wall period (1 s) apart is factor sim seconds apart.
			require.GreaterOrEqual(t, len(s.Diags), 3, "diagnostics arrays heard")
			var spans []float64
			for k, d := range s.Diags {
				assert.InDelta(t, d.Sim, d.Stamp, 0.1, "diagnostics #%d stamped %.3f at sim %.3f (wall %.3f)", k, d.Stamp, d.Sim, d.Wall)
				assert.Less(t, d.Stamp, simStart+120, "a sim stamp, not the wall's")
				if k > 0 && d.Wall-s.Diags[k-1].Wall > 0.5 {
					spans = append(spans, (d.Stamp-s.Diags[k-1].Stamp)/(d.Wall-s.Diags[k-1].Wall))
				}
			}
			for _, r := range spans {
				assert.InDelta(t, tt.factor, r, 0.15*tt.factor, "sim seconds per wall second between two arrays")
			}
			t.Logf("%g×: %d trajectories accepted, %d refused, %d holds after a %s wall pause (sim %.0f ms); %d diagnostics arrays, first stamp %.3f at sim %.3f, sim/wall between arrays %v",
				tt.factor, s.Contract.Accepted, s.Contract.Refused, holds, pause, (resumed.Sim-paused.Sim)*1e3,
				len(s.Diags), s.Diags[0].Stamp, s.Diags[0].Sim, spans)
		})
	}
}
