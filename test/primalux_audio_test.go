package integration

import (
	"encoding/json"
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
)

// A microphone on the device path: the example's arm and brain with one
// more input population, MIC, fed by test/peers/sensor_publisher.py's 8 kHz
// mono stream (std_msgs/Int16MultiArray, 20 ms messages).

// micNeurons is the MIC population: its loudness envelope's windows.
const micNeurons = 16

// micDesign is the example's design with MIC into the hub.
func micDesign(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "config", "prima_lux_arm.abdesign.json"))
	require.NoError(t, err)
	var d map[string]any
	require.NoError(t, json.Unmarshal(raw, &d))
	d["nodes"] = append(d["nodes"].([]any), map[string]any{"name": "MIC", "kind": "input", "x": 160.0, "y": 580.0, "neurons": micNeurons})
	d["connections"] = append(d["connections"].([]any), map[string]any{"from": "MIC", "to": "HUB", "type": "exc"})
	out, err := json.Marshal(d)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "arm_mic.abdesign.json")
	require.NoError(t, os.WriteFile(path, out, 0o600))
	return path
}

// micNodeConfig is the example configuration against design, with MIC.
func micNodeConfig(t *testing.T, url, design string) string {
	t.Helper()
	path := primaLuxNodeConfig(t, url)
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	cfg := strings.Replace(string(raw), "contract: "+filepath.Join(repoRoot(t), "config", "prima_lux_arm.abdesign.json"), "contract: "+design, 1)
	cfg = strings.Replace(cfg, "    max_age: 500ms\n",
		"    max_age: 500ms\n  - {id: MIC, kind: Audio, topic: sensors/mic_samples, sample_rate: 8000}\n", 1)
	require.Equal(t, 2, strings.Count(cfg, design)+strings.Count(cfg, "id: MIC"), "both edits made")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return path
}

var micStopLine = regexp.MustCompile(`msg=input id=MIC kind=Audio received=(\d+) sent=(\d+) rejected=(\d+) .*audio_dropped=(\d+)`)

// TestPrimaLuxNodeHearsTheMicrophone: with an Audio input on the device
// path, the microphone's loudness envelope goes out in most sensor frames
// the device accepts, no encoder fails, and /diagnostics counts what the
// device accepted for the joints and the microphone alike.
func TestPrimaLuxNodeHearsTheMicrophone(t *testing.T) {
	env := rosEnv(t)
	peer := startSensorPeer(t, env)
	peer.do(t, "audio on") // before the node: every frame can carry it

	design := micDesign(t)
	key := "plx_" + randomKey(t)
	sa := exec.Command(goBinary(t, "cmd/abctl"), "prima-lux", "--listen", "127.0.0.1:0", "--tick-hz", "20",
		"--brain", design, "--reward", "REWARD", "--seed", "5")
	sa.Env = append(os.Environ(), "AB_DEVICE_API_KEY="+key)
	dev := startProc(t, "abctl prima-lux", sa)
	dev.waitOutput(t, "prima-lux stand-in listening on ", 30*time.Second)
	url := standInReady.FindStringSubmatch(dev.out.String())[1]

	sim := startArmSim(t, env)
	node := exec.Command(goBinary(t, "cmd/ab_bridge_node"), "--log-format", "text", "--config", micNodeConfig(t, url, design))
	node.Env = append(env, "AB_DEVICE_API_KEY="+key)
	n := startProc(t, "ab_bridge_node", node)
	n.waitOutput(t, `msg="prima-lux brain running"`, 30*time.Second)
	require.Eventually(t, func() bool { return len(cycleTarget.FindAllString(n.out.String(), -1)) >= 3 },
		30*time.Second, 50*time.Millisecond, "the arm moves")

	atoi := func(s string) int {
		v, err := strconv.Atoi(s)
		require.NoError(t, err, "%q", s)
		return v
	}
	// Frames go out before discovery matches the microphone's topic: "most"
	// is counted from the first /diagnostics array that has MIC sent.
	var first, last diagStatus
	for _, a := range listenDiagnostics(t, env, 5)() {
		in, ok := a.status("ab_bridge: inputs")
		require.True(t, ok)
		if first.Values == nil && atoi(in.Values["MIC sent"]) > 0 {
			first = in
		}
		last = in
	}
	require.NotNil(t, first.Values, "the microphone's envelope accepted within the window")
	for _, id := range []string{"SHOULDER_POS", "ELBOW_POS", "OVERHEAD_CAM", "MIC"} {
		assert.Positive(t, atoi(last.Values[id+" sent"]), "%s: sensor frames accepted with it (%s)", id, last.Message)
	}
	assert.Equal(t, "0", last.Values["MIC rejected"])
	sent0, posted0 := atoi(first.Values["MIC sent"]), atoi(first.Values["sensor frames posted"])
	more := len(cycleTarget.FindAllString(n.out.String(), -1))
	require.Eventually(t, func() bool { return len(cycleTarget.FindAllString(n.out.String(), -1)) >= more+3 },
		30*time.Second, 50*time.Millisecond, "the arm moves on")

	n.stop(40 * time.Second)
	require.NoError(t, n.err, "node exit status")
	published := peer.do(t, "audio off")
	out := n.out.String()
	posted := logValue(t, out, "prima-lux device stopped", "sensor_frames")
	require.Positive(t, posted)
	assert.Zero(t, logValue(t, out, "prima-lux device stopped", "encode_errors"), "no encoder failed")
	assert.Zero(t, logValue(t, out, "prima-lux device stopped", "sensor_failures"), "the device took every frame")

	m := micStopLine.FindStringSubmatch(out)
	require.NotNil(t, m, "the microphone's stop line")
	t.Log(m[0])
	received, sent := atoi(m[1]), atoi(m[2])
	assert.Positive(t, received, "messages heard (the peer published %v)", published)
	assert.Zero(t, atoi(m[3]), "no message rejected")
	assert.Zero(t, atoi(m[4]), "no audio dropped")
	since, with := posted-posted0, sent-sent0
	require.Positive(t, since, "sensor frames since the microphone was first heard")
	assert.Greater(t, with, since/2, "most sensor frames since the microphone was first heard carry its envelope (%d of %d)", with, since)
	assert.LessOrEqual(t, sent, posted)
	t.Logf("node: %d sensor frames accepted, %d with the microphone's envelope (%d of the %d since it was first heard); %d audio messages received",
		posted, sent, with, since, received)
	// The first trajectories may go out before discovery matched.
	requireSimAcceptedAll(t, sim, logValue(t, out, "bridge stopped", "trajectories")/2)
}
