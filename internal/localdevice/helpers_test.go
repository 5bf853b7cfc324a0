package localdevice

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const testKey = "plx_unit_test_key"

// testBrain has a 4-neuron sensor, a 4-neuron reward and a 4-neuron output.
func testBrain() *Brain {
	return &Brain{
		Name:    "unit",
		Inputs:  []Population{{ID: "SENSE", N: 4}, {ID: "REWARD", N: 4, Reward: true}},
		Outputs: []Population{{ID: "MOTOR", N: 4}},
	}
}

// testDevice is a device behind an httptest server, both closed by the test.
type testDevice struct {
	*Device
	url string
}

func newTestDevice(t *testing.T, edit func(*Config)) *testDevice {
	t.Helper()
	conf := Config{APIKey: testKey, Brain: testBrain(), TickRate: 200, StepsPerFrame: 5, Seed: 1, Heartbeat: time.Hour}
	if edit != nil {
		edit(&conf)
	}
	d, err := New(conf)
	require.NoError(t, err)
	srv := httptest.NewServer(d.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(func() { _ = d.Close() })
	return &testDevice{Device: d, url: srv.URL}
}

// call sends one request with the device's key and decodes the JSON answer.
func (d *testDevice) call(t *testing.T, method, path string, body any) (int, map[string]any) {
	t.Helper()
	return d.callKey(t, "Bearer "+testKey, method, path, body)
}

func (d *testDevice) callKey(t *testing.T, auth, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd *bytes.Reader
	switch b := body.(type) {
	case nil:
		rd = bytes.NewReader(nil)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		raw, err := json.Marshal(b)
		require.NoError(t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, d.url+path, rd)
	require.NoError(t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out), "%s %s answered no JSON", method, path)
	return resp.StatusCode, out
}

// engine is the status's engine object.
func (d *testDevice) engine(t *testing.T) map[string]any {
	t.Helper()
	code, st := d.call(t, http.MethodGet, "/api/status", nil)
	require.Equal(t, http.StatusOK, code)
	return st["engine"].(map[string]any)
}

func (d *testDevice) run(t *testing.T) string {
	t.Helper()
	code, body := d.call(t, http.MethodPost, "/api/brain/run", nil)
	require.Equal(t, http.StatusOK, code, "run: %v", body)
	return d.engine(t)["epoch"].(string)
}

// sseEv is one server-sent event as a client reads it.
type sseEv struct {
	Kind string
	ID   string
	Data map[string]any
}

// sseStream is an open stream request.
type sseStream struct {
	resp   *http.Response
	events chan sseEv
	cancel context.CancelFunc
}

// openStream opens GET /api/brain/stream with query; its reader goroutine
// ends when the stream ends or the test does.
func (d *testDevice) openStream(t *testing.T, query string) *sseStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.url+"/api/brain/stream?"+query, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	s := &sseStream{resp: resp, events: make(chan sseEv, 4096), cancel: cancel}
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	go func() {
		defer close(s.events)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEv
		var data []string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if len(data) > 0 {
					_ = json.Unmarshal([]byte(strings.Join(data, "\n")), &ev.Data)
					s.events <- ev
				}
				ev, data = sseEv{}, nil
			case strings.HasPrefix(line, ":"):
				s.events <- sseEv{Kind: "comment"}
			case strings.HasPrefix(line, "event:"):
				ev.Kind = strings.TrimSpace(line[6:])
			case strings.HasPrefix(line, "id:"):
				ev.ID = strings.TrimSpace(line[3:])
			case strings.HasPrefix(line, "data:"):
				data = append(data, strings.TrimSpace(line[5:]))
			}
		}
	}()
	return s
}

// next is the stream's next event (ok false: the stream ended), failing
// the test after timeout.
func (s *sseStream) next(t *testing.T, timeout time.Duration) (sseEv, bool) {
	t.Helper()
	select {
	case ev, ok := <-s.events:
		return ev, ok
	case <-time.After(timeout):
		t.Fatalf("no stream event within %s", timeout)
		return sseEv{}, false
	}
}

// nextKind skips comments.
func (s *sseStream) nextKind(t *testing.T, timeout time.Duration) (sseEv, bool) {
	t.Helper()
	for range 1000 {
		ev, ok := s.next(t, timeout)
		if !ok || ev.Kind != "comment" {
			return ev, ok
		}
	}
	t.Fatal("only comments on the stream")
	return sseEv{}, false
}
