package integration

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// localBrain is an `abctl local-brain` process of one test.
type localBrain struct {
	proc   *proc
	url    string
	key    string
	record string // JSON lines of every event it received
}

var brainReady = regexp.MustCompile(`local brain listening on (http://127\.0\.0\.1:\d+)`)

func startLocalBrainProc(t *testing.T, extra ...string) *localBrain {
	t.Helper()
	b := &localBrain{key: randomKey(t), record: filepath.Join(t.TempDir(), "events.jsonl")}
	args := append([]string{"local-brain", "--listen", "127.0.0.1:0", "--cycle-ms", "50", "--record", b.record}, extra...)
	cmd := exec.Command(goBinary(t, "cmd/abctl"), args...)
	// The key travels in the environment only, as abctl demands.
	cmd.Env = append(os.Environ(), "AB_API_KEY="+b.key)
	b.proc = startProc(t, "abctl local-brain", cmd)
	b.proc.waitOutput(t, "local brain listening on ", 30*time.Second)
	b.url = brainReady.FindStringSubmatch(b.proc.out.String())[1]
	return b
}

func randomKey(t *testing.T) string {
	t.Helper()
	buf := make([]byte, 12)
	_, err := rand.Read(buf)
	require.NoError(t, err)
	return "test-" + hex.EncodeToString(buf)
}

// sdkSummary is what test/peers/sdk_client.py prints.
type sdkSummary struct {
	OK                   bool               `json:"ok"`
	Status               int                `json:"status"`
	Body                 map[string]any     `json:"body"`
	RunID                string             `json:"runId"`
	Cycles               int                `json:"cycles"`
	FirstCycle           float64            `json:"firstCycle"`
	LastCycle            float64            `json:"lastCycle"`
	RewardsSent          int                `json:"rewardsSent"`
	RowsBad              int                `json:"rowsBad"`
	Connects             int                `json:"connects"`
	Disconnects          int                `json:"disconnects"`
	KickAnswer           map[string]any     `json:"kickAnswer"`
	CyclesAfterReconnect int                `json:"cyclesAfterReconnect"`
	StartError           float64            `json:"startError"`
	FinalError           float64            `json:"finalError"`
	Q                    map[string]float64 `json:"q"`
	Stop                 map[string]any     `json:"stop"`
}

// runSDKClient runs the SDK peer against the brain with the given key and
// returns its summary and exit status.
func runSDKClient(t *testing.T, b *localBrain, key string, args ...string) (sdkSummary, int) {
	t.Helper()
	cmd := exec.Command(venvPython(t), append([]string{filepath.Join(repoRoot(t), "test", "peers", "sdk_client.py"), "--url", b.url}, args...)...)
	cmd.Env = append(os.Environ(), "AB_API_KEY="+key, "PYTHONUNBUFFERED=1")
	p := startProc(t, "sdk client", cmd)
	select {
	case <-p.done:
	case <-time.After(2 * time.Minute):
		t.Fatal("sdk client did not finish within 2 minutes")
	}
	code := 0
	if p.err != nil {
		exitErr, ok := p.err.(*exec.ExitError)
		require.True(t, ok, "sdk client: %v", p.err)
		code = exitErr.ExitCode()
	}
	// The summary is the last JSON line: the SDK may still log a provider's
	// error (an io:need racing its own disconnect) after the peer printed it.
	var s sdkSummary
	lines := strings.Split(strings.TrimSpace(p.out.String()), "\n")
	summary := ""
	for i := len(lines) - 1; i >= 0 && summary == ""; i-- {
		if strings.HasPrefix(lines[i], "{") {
			summary = lines[i]
		}
	}
	require.NoError(t, json.Unmarshal([]byte(summary), &s), "sdk client summary:\n%s", p.out.String())
	return s, code
}

// ioState asks the brain for the project's io/state.
func (b *localBrain) ioState(t *testing.T) map[string]any {
	t.Helper()
	req, err := http.NewRequest("GET", b.url+"/api/robot/demo/io/state", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+b.key)
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return out
}

// recordedEvent is one line of the brain's --record file.
type recordedEvent struct {
	Event   string         `json:"event"`
	Run     string         `json:"run"`
	Payload map[string]any `json:"payload"`
}

func (b *localBrain) events(t *testing.T) []recordedEvent {
	t.Helper()
	f, err := os.Open(b.record)
	require.NoError(t, err)
	defer f.Close()
	var out []recordedEvent
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var e recordedEvent
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e), "record line %s", sc.Text())
		out = append(out, e)
	}
	require.NoError(t, sc.Err())
	return out
}

func countEvents(events []recordedEvent, name, run string) int {
	n := 0
	for _, e := range events {
		if e.Event == name && e.Run == run {
			n++
		}
	}
	return n
}

// The reference SDK, used as a robot program would use it, runs a whole
// session against `abctl local-brain`: start, inputs on every need,
// cycle:updates decoded into arm motion, a reward per cycle, stop.
func TestSDKClientRunsAgainstLocalBrain(t *testing.T) {
	b := startLocalBrainProc(t)
	s, code := runSDKClient(t, b, b.key, "--cycles", "12")
	require.Equal(t, 0, code, "summary %+v", s)
	require.True(t, s.OK)

	assert.GreaterOrEqual(t, s.Cycles, 12)
	assert.Greater(t, s.LastCycle, s.FirstCycle, "cycle numbers count up")
	assert.GreaterOrEqual(t, s.RewardsSent, 12)
	assert.Zero(t, s.RowsBad, "every row has outputWindowN bits")
	assert.Equal(t, map[string]any{"ok": true, "runId": s.RunID, "stopped": true}, s.Stop)
	// The SDK's decoder moves the arm: the brain explores from its first
	// cycle (it learns the target over hundreds of cycles, not twelve).
	assert.NotEqual(t, s.StartError, s.FinalError, "arm %v", s.Q)

	state := b.ioState(t)
	learning := state["learning"].(map[string]any)
	assert.Equal(t, true, learning["enabled"])
	assert.GreaterOrEqual(t, learning["rewardsApplied"], 10.0, "the SDK's rewards reach the weights")
	assert.Positive(t, learning["weightChange"])
	assert.Equal(t, s.RunID, state["runId"])
	assert.Equal(t, "stopped", state["status"])
	received := state["received"].(map[string]any)
	chunks := received["chunks"].(map[string]any)
	assert.GreaterOrEqual(t, chunks["shoulder_pos"], 10.0)
	assert.GreaterOrEqual(t, chunks["elbow_pos"], 10.0)
	assert.GreaterOrEqual(t, chunks["shoulder_fb"], 10.0, "deviation_f32 chunks pass validation")
	assert.GreaterOrEqual(t, chunks["overhead_cam"], 10.0, "jpeg chunks from a provider registered by kind")
	assert.GreaterOrEqual(t, received["rewards"], 12.0)
	assert.GreaterOrEqual(t, received["states"], 5.0, "RobotLoop's robot:state at 20 Hz")
	assert.Equal(t, 0.0, received["malformed"], "everything the SDK sends is well-formed")
	assert.Contains(t, b.proc.out.String(), `msg="run stopped" run=`+s.RunID)
	assert.NotContains(t, b.proc.out.String(), b.key, "the key never reaches the log")

	events := b.events(t)
	assert.GreaterOrEqual(t, countEvents(events, "learn:reward", s.RunID), 12)
	assert.Equal(t, 1, countEvents(events, "run:join", s.RunID), "the SDK joins once")
	for _, e := range events {
		if e.Event != "io:chunk" || e.Payload["inputId"] != "elbow_pos" {
			continue
		}
		data, err := base64.StdEncoding.DecodeString(e.Payload["data"].(string))
		require.NoError(t, err)
		assert.Len(t, data, 12, "rawtick_f32x3")
		assert.Equal(t, "rawtick_f32x3", e.Payload["format"])
		break
	}
}

// The brain drops the SDK's connection; the SDK reconnects without
// re-sending run:join and keeps receiving its run's cycles.
func TestSDKClientKeepsRunAfterReconnect(t *testing.T) {
	b := startLocalBrainProc(t, "--admin")
	s, code := runSDKClient(t, b, b.key, "--cycles", "8", "--kick-after", "4", "--after-kick", "5")
	require.Equal(t, 0, code, "summary %+v", s)
	require.True(t, s.OK)
	assert.Equal(t, map[string]any{"ok": true, "runId": s.RunID, "disconnected": 1.0}, s.KickAnswer)
	assert.GreaterOrEqual(t, s.Disconnects, 1)
	assert.GreaterOrEqual(t, s.Connects, 2)
	assert.GreaterOrEqual(t, s.CyclesAfterReconnect, 5)

	events := b.events(t)
	assert.Equal(t, 1, countEvents(events, "run:join", s.RunID), "no run:join after the reconnect")
	assert.Contains(t, b.proc.out.String(), `msg="sockets kicked" run=`+s.RunID)
	assert.Regexp(t, `msg="socket joined run" socket=\S+ run=`+regexp.QuoteMeta(s.RunID)+` auto=true`, b.proc.out.String())
	state := b.ioState(t)
	assert.Equal(t, 0.0, state["received"].(map[string]any)["malformed"])
}

// The SDK with a wrong key is refused on start with the brain's 401 JSON.
func TestSDKClientRefusedWithWrongKey(t *testing.T) {
	b := startLocalBrainProc(t)
	s, code := runSDKClient(t, b, "wrong-"+b.key)
	assert.Equal(t, 2, code)
	assert.False(t, s.OK)
	assert.Equal(t, http.StatusUnauthorized, s.Status)
	assert.Equal(t, map[string]any{"ok": false, "error": "missing or invalid API key"}, s.Body)
}
