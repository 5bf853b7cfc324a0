package brain

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// projectPython is the project's venv interpreter (it carries
// python-socketio); AB_PYTHON overrides it.
func projectPython(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("AB_PYTHON"); p != "" {
		return p
	}
	_, file, _, ok := runtime.Caller(0)
	require.True(t, ok)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	p := filepath.Join(root, ".ros", "bin", "python")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("no project Python at %s (set AB_PYTHON or run scripts/setup): %v", p, err)
	}
	return p
}

// startPySIOServer runs testdata/pysio_server.py in its own process group
// and returns its realtime URL. The key travels in the environment.
func startPySIOServer(t *testing.T, key string) string {
	t.Helper()
	cmd := exec.Command(projectPython(t), filepath.Join("testdata", "pysio_server.py"))
	cmd.Env = append(os.Environ(), "AB_TEST_KEY="+key, "PYTHONUNBUFFERED=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stderr := &logSink{}
	cmd.Stderr = stderr
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = stdin.Close()
		select {
		case <-exited:
		case <-time.After(3 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		if t.Failed() {
			t.Logf("python server stderr:\n%s", stderr.String())
		}
	})

	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if p, ok := strings.CutPrefix(sc.Text(), "PORT "); ok {
				port <- p
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case p := <-port:
		return "http://127.0.0.1:" + p
	case <-exited:
		t.Fatalf("python server exited early:\n%s", stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("python server did not start:\n%s", stderr.String())
	}
	return ""
}

// TestAgainstPythonSocketIOServer speaks to the official python-socketio
// server: refusal without data, join, binary chunk, state and reward
// shapes, and a rejoin after the server closed the namespace.
func TestAgainstPythonSocketIOServer(t *testing.T) {
	const key = "py-key"
	url := startPySIOServer(t, key)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	_, err := Dial(ctx, SessionConfig{URL: url, APIKey: "wrong", RunID: "py-run", Handler: newRecorder(), DialTimeout: time.Minute, Logger: quietLogger()})
	var rej *RejectedError
	require.ErrorAs(t, err, &rej)
	assert.Equal(t, "invalid api key", rej.Message, "the server's words, although it sent no data field")

	rec := newRecorder()
	s, err := Dial(ctx, SessionConfig{URL: url, APIKey: key, RunID: "py-run", Handler: rec, Logger: quietLogger()})
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()

	need := waitNeed(t, rec)
	assert.Equal(t, "py-run", need.RunID)
	assert.Equal(t, []NeedItem{{ID: "cam", Kind: "Image", Extra: map[string]any{"width": float64(64)}}}, need.Needs)
	assert.Equal(t, 100, need.DeadlineMs)

	data := make([]byte, 60<<10)
	_, _ = rand.Read(data)
	sum := sha256.Sum256(data)
	require.NoError(t, s.SendChunk(Chunk{InputID: "cam", Kind: "Image", Seq: 1, T: 1, Format: "jpeg",
		Meta: map[string]any{"cycle": need.Cycle, "width": 64, "height": 48}, Data: data}))
	u := waitCycle(t, rec)
	assert.Equal(t, need.Cycle, u.Cycle)
	assert.Equal(t, "bytes", u.Raw["dataType"], "data arrives as a binary attachment")
	assert.Equal(t, float64(len(data)), u.Raw["len"])
	assert.Equal(t, hex.EncodeToString(sum[:]), u.Raw["sha256"])
	assert.Len(t, u.Outputs, 2)

	grip := 0.5
	require.NoError(t, s.SendState(RobotState{Q: []float64{0.5}, Grip: &grip, DT: 0.05}))
	u = waitCycle(t, rec)
	assert.Equal(t, map[string]any{"event": "robot:state", "payload": map[string]any{"runId": "py-run",
		"state": map[string]any{"q": []any{0.5}, "grip": map[string]any{"pos": 0.5}, "dt": 0.05}}}, u.Raw["echo"])
	require.NoError(t, s.SendReward(Reward{Cycle: need.Cycle, Global: 3, ByLayer: map[string]float64{"L1": 0.25}}))
	u = waitCycle(t, rec)
	assert.Equal(t, map[string]any{"event": "learn:reward", "payload": map[string]any{"runId": "py-run",
		"cycle": float64(need.Cycle), "globalReward": float64(1), "byLayer": map[string]any{"L1": 0.25}}}, u.Raw["echo"])

	// The server closes the namespace: the session joins again by itself.
	require.NoError(t, s.SendChunk(Chunk{InputID: "kick", Format: "none", Meta: map[string]any{"cycle": 0}}))
	again := waitNeed(t, rec)
	assert.Greater(t, again.Cycle, need.Cycle, "a fresh io:need after the new run:join")
	st := s.Stats()
	assert.Equal(t, int64(1), st.Reconnects)
	assert.Empty(t, st.Malformed)
}

func waitNeed(t *testing.T, r *recorder) Need {
	t.Helper()
	select {
	case n := <-r.needs:
		return n
	case <-time.After(15 * time.Second):
		t.Fatal("no io:need")
		return Need{}
	}
}

func waitCycle(t *testing.T, r *recorder) CycleUpdate {
	t.Helper()
	select {
	case u := <-r.cycles:
		return u
	case <-time.After(10 * time.Second):
		t.Fatal("no cycle:update")
		return CycleUpdate{}
	}
}
