package integration

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/bridge"
)

func (discardCommands) PublishGripper(float64) error    { return nil }
func (discardCommands) PublishTwist(bridge.Twist) error { return nil }

// writeExampleConfig copies one of config/examples against brainURL, its
// policies folder made absolute, and writes a parameters file for the node
// named nodeKey, as writeNodeConfig does for the shipped configuration.
func writeExampleConfig(t *testing.T, nodeKey, example, brainURL string) (paramsFile string) {
	t.Helper()
	root := repoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, "config", "examples", example))
	require.NoError(t, err)
	cfg := string(b)
	for _, r := range [][2]string{
		{"\n  url: local\n", fmt.Sprintf("\n  url: %s\n", brainURL)},
		{"\n  dir: ../policies\n", fmt.Sprintf("\n  dir: %s\n", filepath.Join(root, "config", "policies"))},
	} {
		require.Contains(t, cfg, r[0])
		cfg = strings.Replace(cfg, r[0], r[1], 1)
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, example)
	require.NoError(t, os.WriteFile(cfgPath, []byte(cfg), 0o600))
	paramsFile = filepath.Join(dir, "launch_params")
	require.NoError(t, os.WriteFile(paramsFile, []byte(fmt.Sprintf("%s:\n  ros__parameters:\n    config: %s\n", nodeKey, cfgPath)), 0o600))
	return paramsFile
}

var simGripper = regexp.MustCompile(`gripper=([+-]\d+\.\d+) accepted=`)

// lastSimGripper is the gripper opening on the sim's newest status line.
func lastSimGripper(sim *proc) (float64, bool) {
	m := simGripper.FindAllStringSubmatch(sim.out.String(), -1)
	if len(m) == 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[len(m)-1][1], 64)
	return v, err == nil
}

// TestNodeClosesSimGripper: config/examples/arm_with_gripper.yaml on a real
// graph. The demo brain's elbow motor closes the gripper (its closing
// deltas only, per the example's clamp): the node's gripper commands
// (Float64MultiArray on gripper) drive the MuJoCo gripper from open to the
// commanded closed position, gripper.min; the sim accepts every gripper
// command and every trajectory, which still names the arm's joints only.
func TestNodeClosesSimGripper(t *testing.T) {
	env := rosEnv(t)
	node := goBinary(t, "cmd/ab_bridge_node")
	_, brainURL := startLocalBrain(t, env)
	sim := startSim(t, env)
	open, ok := lastSimGripper(sim)
	if !ok {
		sim.waitOutput(t, "gripper=", 10*time.Second)
		open, _ = lastSimGripper(sim)
	}
	require.InDelta(t, 0.04, open, 1e-3, "the sim's gripper starts open")

	cmd := exec.Command(node, append(nodeArgv(writeExampleConfig(t, "/arm/ab_bridge", "arm_with_gripper.yaml", brainURL)),
		"-r", "gripper:=/gripper")...)
	cmd.Env = env
	n := startProc(t, "ab_bridge_node", cmd)
	n.waitOutput(t, "realtime joined", 30*time.Second)
	assert.NotContains(t, n.out.String(), "decoded but not published", "the gripper channel is published")

	require.Eventually(t, func() bool {
		g, ok := lastSimGripper(sim)
		return ok && g <= 0.0005
	}, 45*time.Second, 100*time.Millisecond, "the sim's gripper closes to gripper.min (0)")

	n.stop(5 * time.Second)
	requireSimAcceptedAll(t, sim, 10)
	out := sim.out.String()
	i := strings.LastIndex(out, "arm sim gripper commands ")
	require.GreaterOrEqual(t, i, 0, "the sim printed its gripper counts")
	line, _, _ := strings.Cut(out[i+len("arm sim gripper commands "):], "\n")
	var counts struct{ Accepted, Refused int }
	require.NoError(t, json.Unmarshal([]byte(line), &counts))
	assert.Zero(t, counts.Refused, "gripper commands the forward controller would refuse")
	assert.Greater(t, counts.Accepted, 0)
}

type twistSample struct {
	T       float64 `json:"t"`
	Stamp   float64 `json:"stamp"`
	Frame   string  `json:"frame"`
	Linear  []any   `json:"linear"`
	Angular []any   `json:"angular"`
}

// finite reads a twist component: a number, or a string ("nan", "inf") the
// peer sent for a value JSON cannot carry.
func finite(t *testing.T, v any) float64 {
	t.Helper()
	f, ok := v.(float64)
	require.True(t, ok, "a non-finite twist component: %v", v)
	return f
}

// TestNodeDrivesCmdVel: config/examples/diff_drive.yaml on a real graph,
// the demo brain's motors standing in for wheels. An rclpy peer subscribed
// as diff_drive_controller subscribes hears TwistStamped on cmd_vel: stamped
// now, frame base_link, every component finite, linear.x and angular.z within
// max_linear/max_angular and the rest zero, the base moving; after ~/pause,
// a zero twist and nothing else.
func TestNodeDrivesCmdVel(t *testing.T) {
	env := rosEnv(t)
	node := goBinary(t, "cmd/ab_bridge_node")
	_, brainURL := startLocalBrain(t, env)
	sim := startSim(t, env)

	cmd := exec.Command(node, append(nodeArgv(writeExampleConfig(t, "/arm/ab_bridge", "diff_drive.yaml", brainURL)),
		"-r", "cmd_vel:=/cmd_vel")...)
	cmd.Env = env
	n := startProc(t, "ab_bridge_node", cmd)
	n.waitOutput(t, "realtime joined", 30*time.Second)
	assert.NotContains(t, n.out.String(), "decoded but not published", "the wheel channels are published")

	listen := exec.Command(venvPython(t), filepath.Join(repoRoot(t), "test", "peers", "twist_listen.py"), "/cmd_vel", "60")
	listen.Env = env
	stopListening, err := listen.StdinPipe()
	require.NoError(t, err)
	peer := startProc(t, "twist-listen", listen)
	// Three seconds of twists from the first one heard: "listening" comes
	// before discovery has matched the two, seconds before on a loaded
	// machine (one CI run heard 16 twists in the 3 s after it).
	peer.waitOutput(t, "first twist", 30*time.Second)
	time.Sleep(3 * time.Second)
	paused := callTriggers(t, env, "/arm/ab_bridge/pause")
	require.Len(t, paused, 1)
	require.True(t, paused[0].Success, paused[0].Message)
	time.Sleep(time.Second) // what the pause published, and that nothing follows
	_, _ = io.WriteString(stopListening, "stop\n")
	var got []twistSample
	peerResult(t, peer, 30*time.Second, &got)

	pausedAt := paused[0].T
	var before, after []twistSample
	moving := 0
	for _, s := range got {
		lin := []float64{finite(t, s.Linear[0]), finite(t, s.Linear[1]), finite(t, s.Linear[2])}
		ang := []float64{finite(t, s.Angular[0]), finite(t, s.Angular[1]), finite(t, s.Angular[2])}
		assert.Equal(t, "base_link", s.Frame)
		assert.InDelta(t, s.T, s.Stamp, 0.5, "stamped now, on the wall clock")
		assert.LessOrEqual(t, math.Abs(lin[0]), 0.02+1e-12, "max_linear")
		assert.LessOrEqual(t, math.Abs(ang[2]), 0.5+1e-12, "max_angular")
		assert.Equal(t, []float64{0, 0}, []float64{lin[1], lin[2]})
		assert.Equal(t, []float64{0, 0}, []float64{ang[0], ang[1]})
		if lin[0] != 0 || ang[2] != 0 {
			moving++
		}
		if s.T < pausedAt {
			before = append(before, s)
		} else {
			after = append(after, s)
		}
	}
	require.GreaterOrEqual(t, len(before), 20, "about one twist per 50 ms cycle before the pause")
	assert.Greater(t, moving, 0, "the wheels turned")
	require.NotEmpty(t, got)
	last := got[len(got)-1]
	assert.Equal(t, []any{0.0, 0.0, 0.0}, last.Linear, "a zero twist after ~/pause")
	assert.Equal(t, []any{0.0, 0.0, 0.0}, last.Angular)
	// The hold may arrive just before the pause's answer does; after the
	// answer nothing moves.
	for _, s := range after {
		assert.Equal(t, 0.0, s.Linear[0], "no motion while paused")
		assert.Equal(t, 0.0, s.Angular[2], "no motion while paused")
	}
	assert.LessOrEqual(t, len(after), 2, "while paused no cycle publishes a twist (the hold's zero at most)")
	requireSimAcceptedAll(t, sim, 10)
}
