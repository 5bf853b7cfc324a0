package integration

import (
	"bytes"
	"net/http"
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

// The node with brain.kind primalux on the real graph: the MuJoCo arm, the
// node, and the Prima-Lux stand-in (abctl prima-lux) with its fault knobs.
// The arm must move under the controller contract with no refusal, and the
// node must survive each device fault, holding the arm and resuming.

// primaLuxNodeConfig is the example configuration pointed at one stand-in.
func primaLuxNodeConfig(t *testing.T, url string) string {
	t.Helper()
	root := repoRoot(t)
	raw, err := os.ReadFile(filepath.Join(root, "config", "bridge_primalux.yaml"))
	require.NoError(t, err)
	cfg := strings.Replace(string(raw), "url: http://127.0.0.1:8080", "url: "+url, 1)
	cfg = strings.Replace(cfg, "contract: prima_lux_arm.abdesign.json",
		"contract: "+filepath.Join(root, "config", "prima_lux_arm.abdesign.json"), 1)
	cfg = strings.Replace(cfg, "  dir: policies", "  dir: "+filepath.Join(root, "config", "policies"), 1)
	require.NotEqual(t, string(raw), cfg)
	path := filepath.Join(t.TempDir(), "bridge_primalux.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return path
}

// knob turns one of the stand-in's fault knobs.
func knob(t *testing.T, s deviceStandIn, name, body string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url+"/standin/"+name, bytes.NewBufferString(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+s.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "knob %s", name)
}

// logValue reads key=value from the last line holding msg.
func logValue(t *testing.T, out, msg, key string) int {
	t.Helper()
	i := strings.LastIndex(out, `msg="`+msg+`"`)
	require.GreaterOrEqual(t, i, 0, "no %q line", msg)
	line, _, _ := strings.Cut(out[i:], "\n")
	m := regexp.MustCompile(`\b` + key + `=(-?\d+)`).FindStringSubmatch(line)
	require.NotNil(t, m, "%s in %q", key, line)
	n, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	return n
}

var cycleTarget = regexp.MustCompile(`msg=cycle .*shoulder=([+-]\d+\.\d+)`)

func TestPrimaLuxNodeMovesTheArmAndSurvivesDeviceFaults(t *testing.T) {
	env := rosEnv(t)
	root := repoRoot(t)
	key := "plx_" + randomKey(t)
	sa := exec.Command(goBinary(t, "cmd/abctl"), "prima-lux", "--listen", "127.0.0.1:0", "--faults", "--tick-hz", "20",
		"--brain", filepath.Join(root, "config", "prima_lux_arm.abdesign.json"), "--reward", "REWARD", "--seed", "5")
	sa.Env = append(os.Environ(), "AB_DEVICE_API_KEY="+key)
	dev := startProc(t, "abctl prima-lux", sa)
	dev.waitOutput(t, "prima-lux stand-in listening on ", 30*time.Second)
	s := deviceStandIn{url: standInReady.FindStringSubmatch(dev.out.String())[1], key: key}

	sim := startArmSim(t, env)
	node := exec.Command(goBinary(t, "cmd/ab_bridge_node"), "--log-format", "text", "--config", primaLuxNodeConfig(t, s.url))
	node.Env = append(env, "AB_DEVICE_API_KEY="+key)
	n := startProc(t, "ab_bridge_node", node)
	n.waitOutput(t, `msg="prima-lux brain running"`, 30*time.Second)

	// moves waits for more published cycles (the node's once-a-second
	// progress line comes only for a published trajectory).
	moves := func(what string, more int) {
		t.Helper()
		base := len(cycleTarget.FindAllString(n.out.String(), -1))
		require.Eventually(t, func() bool { return len(cycleTarget.FindAllString(n.out.String(), -1)) >= base+more },
			30*time.Second, 50*time.Millisecond, "the arm moves again after: %s", what)
		require.False(t, n.exited(), "node still running after: %s", what)
	}
	count := func(msg string) int { return strings.Count(n.out.String(), `msg="`+msg+`"`) }
	waitCount := func(msg string, want int) {
		t.Helper()
		require.Eventually(t, func() bool { return count(msg) >= want }, 30*time.Second, 50*time.Millisecond, "%q %d times", msg, want)
	}
	moves("start", 3)
	assertDeviceDiagnostics(t, listenDiagnostics(t, env, 4)(), s.url)

	back := count("prima-lux output stream back")
	knob(t, s, "drop-streams", "")
	waitCount("prima-lux output stream back", back+1)
	moves("a dropped stream", 2)

	back = count("prima-lux output stream back")
	knob(t, s, "fail", `{"status": 503, "count": 3, "path": "/api/brain/stream"}`)
	knob(t, s, "drop-streams", "")
	waitCount("prima-lux output stream back", back+1)
	moves("503 answers to the stream", 2)

	reopened := count("prima-lux output stream ended: opening it again")
	knob(t, s, "fail", `{"status": 400, "count": 1, "path": "/api/brain/stream"}`)
	knob(t, s, "drop-streams", "")
	waitCount("prima-lux output stream ended: opening it again", reopened+1)
	moves("a 400 answer to the stream", 2)

	// 120 refused sensor frames at 20 a second are 6 s without one the
	// device accepted, past the 2 s silence window (20 cycles of 100 ms):
	// the arm is held, /diagnostics says why, and the first accepted frame
	// releases it.
	heard := listenDiagnostics(t, env, 10)
	knob(t, s, "fail", `{"status": 500, "count": 120, "path": "/api/brain/sensor"}`)
	waitCount("prima-lux sensor frame not delivered", 1)
	waitCount("holding the arm: sensor frames not accepted", 1)
	waitCount("prima-lux sensor frames accepted again: the arm follows the brain again", 1)
	moves("500 answers to sensor frames", 2)
	assert.Equal(t, 1, count("holding the arm: sensor frames not accepted"), "one hold, logged once, for one run of refusals")
	assertSenseHoldDiagnosed(t, heard())

	knob(t, s, "restart", "")
	waitCount("prima-lux brain no longer running: starting it again", 1)
	moves("a device restart", 3)

	n.stop(40 * time.Second)
	require.NoError(t, n.err, "node exit status")
	out := n.out.String()
	assert.Contains(t, out, `msg="prima-lux brain stopped"`, "stop confirmed at shutdown")
	traj := logValue(t, out, "bridge stopped", "trajectories")
	holds := logValue(t, out, "bridge stopped", "holds")
	frames := logValue(t, out, "prima-lux device stopped", "output_frames")
	posted := logValue(t, out, "prima-lux device stopped", "sensor_frames")
	assert.Zero(t, logValue(t, out, "prima-lux device stopped", "repeated_frames"), "no frame handed on twice")
	assert.Zero(t, logValue(t, out, "prima-lux device stopped", "skipped_frames"), "no frame lost within an epoch")
	assert.Zero(t, logValue(t, out, "prima-lux device stopped", "gaps"), "resumes lost nothing")
	assert.GreaterOrEqual(t, logValue(t, out, "prima-lux device stopped", "stream_resumes"), 4)
	assert.GreaterOrEqual(t, logValue(t, out, "prima-lux device stopped", "stream_reopened"), 1)
	assert.GreaterOrEqual(t, logValue(t, out, "prima-lux device stopped", "sensor_failures"), 120)
	// At least: a slow restart (409s past the window) would hold it too.
	assert.GreaterOrEqual(t, logValue(t, out, "prima-lux device stopped", "sense_holds"), 1, "held for the refused sensor frames")
	assert.Positive(t, logValue(t, out, "prima-lux device stopped", "frames_while_senses_stale"), "outputs taken, not commanded, while held")
	assert.GreaterOrEqual(t, logValue(t, out, "prima-lux device stopped", "resets"), 1)
	assert.GreaterOrEqual(t, logValue(t, out, "prima-lux device stopped", "brain_restarts"), 1)
	assert.GreaterOrEqual(t, holds, 4, "held at every drop and the reset")
	assert.Positive(t, posted)
	for _, msg := range []string{"bridge stopped", "prima-lux device stopped"} {
		i := strings.LastIndex(out, `msg="`+msg+`"`)
		line, _, _ := strings.Cut(out[i:], "\n")
		t.Log(line)
	}
	t.Logf("node: %d output frames, %d sensor frames, %d trajectories, %d holds", frames, posted, traj, holds)

	cam := regexp.MustCompile(`msg=input id=OVERHEAD_CAM kind=Image received=(\d+) sent=(\d+)`).FindStringSubmatch(out)
	require.NotNil(t, cam, "the camera's stop line")
	t.Log(cam[0])
	camSent, err := strconv.Atoi(cam[2])
	require.NoError(t, err)
	assert.Greater(t, camSent, posted/4, "most sensor frames carry the camera's retina (received %s)", cam[1])
	assert.Zero(t, logValue(t, out, "prima-lux device stopped", "encode_errors"))

	var targets []float64
	for _, m := range cycleTarget.FindAllStringSubmatch(out, -1) {
		v, err := strconv.ParseFloat(m[1], 64)
		require.NoError(t, err)
		targets = append(targets, v)
	}
	lo, hi := targets[0], targets[0]
	for _, v := range targets {
		lo, hi = min(lo, v), max(hi, v)
	}
	assert.Greater(t, hi-lo, 0.01, "the shoulder's commanded position changed over the run")

	requireSimAcceptedAll(t, sim, traj/2) // logs the tally; the first ones may go out before discovery matched
	// The text log quotes the multi-line message: unquote it.
	i := strings.Index(out, `msg="start-up summary`)
	require.GreaterOrEqual(t, i, 0, "the start-up summary is logged")
	quoted, err := strconv.QuotedPrefix(out[i+len("msg="):])
	require.NoError(t, err)
	table, err := strconv.Unquote(quoted)
	require.NoError(t, err)
	for _, re := range []string{
		`(?m)^brain +prima-lux http://127\.0\.0\.1:\d+$`,
		`(?m)^realtime +http://127\.0\.0\.1:\d+/api/brain/stream`,
		`(?m)^contract sha256 +[0-9a-f]{64} \(the bytes of prima_lux_arm\.abdesign\.json\)$`,
		`(?m)^SHOULDER_POS +Proprioception +joint_states`,
		`(?m)^SHOULDER_MOTOR +joint:0 +shoulder +bipolarSplit$`,
	} {
		assert.Regexp(t, regexp.MustCompile(re), table)
	}
	assert.NotContains(t, out, key, "the device key is never logged")
}

// assertDeviceDiagnostics: while the arm moves, /diagnostics carries one
// array a second with the cloud path's five statuses and the device's own;
// the brain link is the output stream, up.
func assertDeviceDiagnostics(t *testing.T, arrays []diagArray, url string) {
	t.Helper()
	require.GreaterOrEqual(t, len(arrays), 2, "arrays on /diagnostics")
	for i := 1; i < len(arrays); i++ {
		assert.InDelta(t, 1.0, arrays[i].Stamp-arrays[i-1].Stamp, 0.25, "stamps of arrays %d and %d", i-1, i)
	}
	last := arrays[len(arrays)-1]
	var names []string
	for _, st := range last.Status {
		names = append(names, st.Name)
	}
	assert.Equal(t, []string{"ab_bridge: brain link", "ab_bridge: cycles", "ab_bridge: inputs", "ab_bridge: commands",
		"ab_bridge: learning", "ab_bridge: prima-lux device"}, names)
	link, ok := last.status("ab_bridge: brain link")
	require.True(t, ok)
	assert.Equal(t, 0, link.Level, "link OK while streaming: %s", link.Message)
	assert.Equal(t, "output stream up", link.Message)
	assert.Equal(t, "streaming", link.Values["state"])
	assert.Equal(t, url, link.HardwareID)
	dev, ok := last.status("ab_bridge: prima-lux device")
	require.True(t, ok)
	assert.NotEqual(t, "0", dev.Values["sensor frames posted"])
	assert.NotEqual(t, "0", dev.Values["output frames"])
	assert.Less(t, dev.Level, 2, "no ERROR while the device takes sensor frames: %s", dev.Message)
	cycles, _ := last.status("ab_bridge: cycles")
	assert.NotEqual(t, "0", cycles.Values["cycles"])
}

// assertSenseHoldDiagnosed: while the device refused sensor frames past the
// silence window, the device status was an ERROR that says the arm is held,
// and it was not one before or after.
func assertSenseHoldDiagnosed(t *testing.T, arrays []diagArray) {
	t.Helper()
	require.NotEmpty(t, arrays, "arrays on /diagnostics")
	var held, clear int
	for _, a := range arrays {
		dev, ok := a.status("ab_bridge: prima-lux device")
		require.True(t, ok)
		if dev.Level == 2 && strings.Contains(dev.Message, "the arm is held") {
			held++
			assert.NotEqual(t, "0", dev.Values["holds for stale senses"])
		} else {
			clear++
		}
	}
	assert.Positive(t, held, "an ERROR while held")
	assert.Positive(t, clear, "no ERROR before or after")
}
