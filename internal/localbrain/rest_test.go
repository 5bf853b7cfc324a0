package localbrain

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/abbridge/ab_bridge/internal/testsupport"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testKey = "k-test-0123456789"

// newTestServer starts a server whose log is shown when the test fails.
func newTestServer(t *testing.T, conf Config) *Server {
	t.Helper()
	if conf.Logger == nil {
		var logs testsupport.SyncBuffer
		conf.Logger = newTextLogger(&logs)
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("server log:\n%s", logs.String())
			}
		})
	}
	s, err := New(conf)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	return s
}

// call makes one REST call with the given key ("" sends none) and decodes
// the JSON answer.
func call(t *testing.T, method, url, key, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if key != "" {
		req.Header.Set("x-api-key", key)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out), "body %s", raw)
	return resp.StatusCode, out
}

func startRun(t *testing.T, s *Server, key string) string {
	t.Helper()
	code, body := call(t, "POST", s.URL()+"/api/robot/demo/start", key, "{}")
	require.Equal(t, http.StatusOK, code, "%v", body)
	id, _ := body["runId"].(string)
	require.NotEmpty(t, id)
	return id
}

func TestRESTLifecycle(t *testing.T) {
	s := newTestServer(t, Config{CycleInterval: 20 * time.Millisecond})
	api := s.URL() + "/api/robot/demo"

	code, body := call(t, "GET", api+"/io/state", "", "")
	assert.Equal(t, http.StatusNotFound, code, "no run yet")
	assert.Equal(t, false, body["ok"])

	code, body = call(t, "POST", api+"/start", "", "")
	require.Equal(t, http.StatusOK, code)
	runID := body["runId"].(string)
	assert.Equal(t, "demo", body["projectId"])
	assert.Equal(t, map[string]any{"url": s.URL(), "namespace": "/ab"}, body["realtime"])
	assert.Equal(t, 64.0, body["constants"].(map[string]any)["feedbackT"])
	assert.Len(t, body["io"].(map[string]any)["inputs"], 4)

	code, body = call(t, "GET", api+"/io/state", "", "")
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, runID, body["runId"])
	assert.Equal(t, "running", body["status"])
	assert.Equal(t, 0.0, body["cycle"], "no socket, no cycles")
	assert.Equal(t, []any{
		map[string]any{"id": "shoulder_pos", "kind": "Proprioception"},
		map[string]any{"id": "elbow_pos", "kind": "Proprioception"},
		map[string]any{"id": "shoulder_fb", "kind": "Feedback"},
		map[string]any{"id": DemoCameraInput, "kind": "Image"},
	}, body["needs"])
	assert.Equal(t, map[string]any{"chunks": map[string]any{}, "states": 0.0, "rewards": 0.0, "malformed": 0.0, "missedNeeds": map[string]any{}}, body["received"])

	code, body = call(t, "POST", api+"/stop", "", `{"runId":"`+runID+`"}`)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, map[string]any{"ok": true, "runId": runID, "stopped": true}, body)

	_, body = call(t, "GET", api+"/io/state", "", "")
	assert.Equal(t, "stopped", body["status"])
	runs := s.Runs()
	require.Len(t, runs, 1)
	assert.False(t, runs[0].Stopped.IsZero())
	assert.Equal(t, runID, runs[0].RunID)
}

func TestRESTErrors(t *testing.T) {
	s := newTestServer(t, Config{})
	other := newTestServer(t, Config{})
	otherRun := startRun(t, other, "")
	api := s.URL() + "/api/robot/"
	tests := []struct {
		name, method, path, body string
		want                     int
		wantErr                  string
	}{
		{"unknown project start", "POST", "mars/start", "{}", 404, `unknown project "mars"`},
		{"unknown project contract", "GET", "mars/contract", "", 404, "unknown project"},
		{"start body not object", "POST", "demo/start", "[1]", 400, "not a JSON object"},
		{"start body not json", "POST", "demo/start", "{", 400, "not a JSON object"},
		{"stop without runId", "POST", "demo/stop", "{}", 400, "needs a runId"},
		{"stop unknown run", "POST", "demo/stop", `{"runId":"` + otherRun + `"}`, 404, "has no run"},
		{"unknown endpoint", "GET", "demo/nothing", "", 404, "no endpoint"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := call(t, tc.method, api+tc.path, "", tc.body)
			assert.Equal(t, tc.want, code)
			assert.Equal(t, false, body["ok"])
			assert.Contains(t, body["error"], tc.wantErr)
		})
	}
}

func TestRESTContract(t *testing.T) {
	s := newTestServer(t, Config{})
	code, body := call(t, "GET", s.URL()+"/api/robot/demo/contract", "", "")
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, true, body["ok"])
	assert.Equal(t, "demo", body["projectId"])
	assert.NotContains(t, body, "runId")
	io := body["io"].(map[string]any)
	assert.Equal(t, map[string]any{"layers": []any{"motor"}}, io["stdp3"])
	assert.Equal(t, []any{map[string]any{"id": "shoulder_fb", "kind": "Feedback", "n": 128.0, "fromOutput": "shoulder_motor", "outputKind": "Motor"}}, io["feedback"])
	first := io["inputs"].([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{"id": "shoulder_pos", "kind": "Proprioception", "lo": -3.14159, "hi": 3.14159}, first)
}

func TestRESTAuth(t *testing.T) {
	s := newTestServer(t, Config{APIKey: testKey})
	url := s.URL() + "/api/robot/demo/contract"
	tests := []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"no key", nil, 401},
		{"wrong x-api-key", map[string]string{"x-api-key": "nope"}, 401},
		{"wrong bearer", map[string]string{"Authorization": "Bearer nope"}, 401},
		{"basic scheme", map[string]string{"Authorization": "Basic " + testKey}, 401},
		{"x-api-key", map[string]string{"x-api-key": testKey}, 200},
		{"bearer", map[string]string{"Authorization": "Bearer " + testKey}, 200},
		{"both, as the SDK sends", map[string]string{"x-api-key": testKey, "Authorization": "Bearer " + testKey}, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest("GET", url, nil)
			require.NoError(t, err)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			code, body := do(t, req)
			assert.Equal(t, tc.want, code)
			if tc.want == 401 {
				assert.Equal(t, map[string]any{"ok": false, "error": "missing or invalid API key"}, body)
			}
		})
	}
	// Every endpoint is guarded, not just contract.
	code, _ := call(t, "POST", s.URL()+"/api/robot/demo/start", "", "{}")
	assert.Equal(t, 401, code)
	assert.Empty(t, s.Runs())
}

// A start stops the project's abandoned run (joined, its socket gone: the
// robot crashed and came back) and no other: a run not joined yet or still
// in use is another robot's.
func TestStartSupersedesAbandonedRunOnly(t *testing.T) {
	s := newTestServer(t, Config{CycleInterval: time.Hour})
	unjoined := startRun(t, s, "")
	inUse := startRun(t, s, "")
	dial(t, s, clientConf{join: inUse})
	crashed := startRun(t, s, "")
	c := dial(t, s, clientConf{join: crashed})
	c.sock.Disconnect()
	require.Eventually(t, func() bool { return !s.hasMembers(s.runByID(crashed)) }, waitFor, 5*time.Millisecond)
	restarted := startRun(t, s, "")

	stopped := map[string]bool{}
	for _, r := range s.Runs() {
		stopped[r.RunID] = !r.Stopped.IsZero()
	}
	assert.Equal(t, map[string]bool{unjoined: false, inUse: false, crashed: true, restarted: false}, stopped)
}

func TestRunStoppedLog(t *testing.T) {
	var buf testsupport.SyncBuffer
	s := newTestServer(t, Config{Logger: newTextLogger(&buf)})
	id := startRun(t, s, "")
	code, _ := call(t, "POST", s.URL()+"/api/robot/demo/stop", "", `{"runId":"`+id+`"}`)
	require.Equal(t, 200, code)
	assert.Contains(t, buf.String(), `msg="run stopped" run=`+id)
}

func TestNewRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "192.0.2.1:0", "nonsense"} {
		_, err := New(Config{Addr: addr})
		assert.Error(t, err, addr)
	}
}
