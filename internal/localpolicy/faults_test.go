package localpolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFailNextAnswersTheChosenStatus(t *testing.T) {
	for _, tc := range []struct {
		name       string
		fault      Fault
		probe      string
		other      string // a path the fault leaves alone ("" none)
		retryAfter string
	}{
		{"429 with Retry-After", Fault{Status: 429, Count: 2, Path: "/v1/policy/select_action", RetryAfter: 3}, "/v1/policy/select_action", "/v1/healthz", "3"},
		{"fractional Retry-After", Fault{Status: 429, Count: 1, RetryAfter: 0.25}, "/v1/healthz", "", "0.25"},
		{"500 everywhere", Fault{Status: 500, Count: 3}, "/v1/healthz", "", ""},
		{"503 on the features", Fault{Status: 503, Count: 1, Path: "/v1/policy/input_features"}, "/v1/policy/input_features", "/v1/policy/output_features", ""},
		{"401 before the key", Fault{Status: 401, Count: 1}, "/v1/policy/reset", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			require.NoError(t, s.FailNext(tc.fault))
			if tc.other != "" {
				code, _ := s.getJSON(t, tc.other, nil)
				assert.Equal(t, http.StatusOK, code, "a path the fault does not cover")
			}
			for range tc.fault.Count {
				var resp *http.Response
				if tc.probe == "/v1/policy/select_action" {
					resp = s.do(t, http.MethodPost, tc.probe, msgpackHeaders(), nil)
				} else {
					resp = s.do(t, http.MethodGet, tc.probe, sdkHeaders(), nil)
				}
				assert.Equal(t, tc.fault.Status, resp.StatusCode)
				assert.Equal(t, tc.retryAfter, resp.Header.Get("Retry-After"))
				assert.Contains(t, decodeJSON(t, resp)["detail"], "Injected fault")
			}
			if tc.probe != "/v1/policy/select_action" {
				code, _ := s.getJSON(t, tc.probe, nil)
				assert.Equal(t, http.StatusOK, code, "only count requests fail")
			}
			assert.Equal(t, tc.fault.Count, s.Stats().Injected)
		})
	}
}

func TestKnobsRefuseNonsense(t *testing.T) {
	s := newTestServer(t, nil)
	for _, f := range []Fault{{Status: 200, Count: 1}, {Status: 302, Count: 1}, {Status: 600, Count: 1}, {Status: 503}, {Status: 429, Count: 1, RetryAfter: -1}} {
		assert.Error(t, s.FailNext(f), "%+v", f)
	}
	assert.Error(t, s.DelayNext(0, 1, ""))
	assert.Error(t, s.DelayNext(time.Second, 0, ""))
	assert.Error(t, s.DropNext(0, ""))
	assert.Error(t, s.SetStatus("SLEEPING", 0))
	assert.Error(t, s.SetStatus(StatusStopped, -time.Second))
}

func TestDelayNextHoldsTheAnswer(t *testing.T) {
	s := newTestServer(t, nil)
	require.NoError(t, s.DelayNext(200*time.Millisecond, 1, "/v1/healthz"))
	start := time.Now()
	code, _ := s.getJSON(t, "/v1/healthz", nil)
	assert.Equal(t, http.StatusOK, code)
	assert.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond)
	assert.Equal(t, 1, s.Stats().Delayed)
}

func TestDropNextClosesWithoutAnAnswer(t *testing.T) {
	s := newTestServer(t, nil)
	require.NoError(t, s.DropNext(1, "/v1/policy/predict_action_chunk"))
	req, err := http.NewRequest(http.MethodPost, s.url+"/v1/policy/predict_action_chunk", bytes.NewReader([]byte{0x80}))
	require.NoError(t, err)
	req.Header = msgpackHeaders()
	_, err = http.DefaultClient.Do(req)
	require.Error(t, err, "the connection closed")
	assert.True(t, errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF), "%v", err)
	code, _, _ := s.infer(t, "/v1/policy/predict_action_chunk", stateObs(0, 0, 0))
	assert.Equal(t, http.StatusOK, code, "the next one is answered")
	assert.Equal(t, 1, s.Stats().Dropped)
}

func TestSetStatusRedeploys(t *testing.T) {
	s := newTestServer(t, nil)
	start := time.Now()
	s.now = func() time.Time { return start }
	require.NoError(t, s.SetStatus(StatusDeploying, 10*time.Second))
	assert.Equal(t, StatusDeploying, s.Status())
	s.now = func() time.Time { return start.Add(11 * time.Second) }
	assert.Equal(t, StatusHealthy, s.Status(), "timed: HEALTHY again")
	require.NoError(t, s.SetStatus(StatusStopped, 0))
	s.now = func() time.Time { return start.Add(time.Hour) }
	assert.Equal(t, StatusStopped, s.Status(), "untimed: until changed")
	code, _, body := s.infer(t, "/v1/policy/select_action", stateObs(0, 0, 0))
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Contains(t, body["detail"], "is STOPPED")
}

func TestFaultKnobsOverHTTP(t *testing.T) {
	off := newTestServer(t, nil)
	resp := off.do(t, http.MethodPost, "/standin/fail", sdkHeaders(), nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "no knobs unless Config.Faults")

	s := newTestServer(t, func(c *Config) { c.Faults = true })
	bad := sdkHeaders()
	bad.Set("Authorization", "Bearer rk_wrong")
	resp = s.do(t, http.MethodPost, "/standin/status", bad, []byte(`{"status":"STOPPED"}`))
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the knobs need the key")
	for _, tc := range []struct {
		name, path, body string
		status           int
	}{
		{"fail", "/standin/fail", `{"status":429,"count":1,"path":"/v1/healthz","retry_after":2}`, http.StatusOK},
		{"fail unknown field", "/standin/fail", `{"status":503,"count":1,"when":"now"}`, http.StatusBadRequest},
		{"fail a success", "/standin/fail", `{"status":200,"count":1}`, http.StatusBadRequest},
		{"delay", "/standin/delay", `{"seconds":0.01,"count":1,"path":"/v1/policy/reset"}`, http.StatusOK},
		{"delay nothing", "/standin/delay", `{"seconds":0,"count":1}`, http.StatusBadRequest},
		{"drop", "/standin/drop", `{"count":1,"path":"/v1/policy/select_action"}`, http.StatusOK},
		{"status", "/standin/status", `{"status":"DEPLOYING","seconds":600}`, http.StatusOK},
		{"status unknown", "/standin/status", `{"status":"ASLEEP"}`, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := s.do(t, http.MethodPost, tc.path, sdkHeaders(), []byte(tc.body))
			assert.Equal(t, tc.status, resp.StatusCode, "%v", decodeJSON(t, resp))
		})
	}
	resp = s.do(t, http.MethodGet, "/v1/healthz", sdkHeaders(), nil)
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "the fault set over HTTP")
	assert.Equal(t, "2", resp.Header.Get("Retry-After"))
	_, body := s.getJSON(t, "/v1/healthz", nil)
	assert.Equal(t, "DEPLOYING", body["status"], "the status set over HTTP")

	resp = s.do(t, http.MethodGet, "/standin/stats", sdkHeaders(), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var st Stats
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	assert.Equal(t, 2, st.Requests["healthz"])
	assert.Equal(t, 1, st.Injected)
	assert.Equal(t, "DEPLOYING", st.Status)
	assert.Equal(t, testPolicy, st.PolicyID)
	assert.Equal(t, []float64{1, -1, 0.5}, st.Target)
	assert.Equal(t, 5, st.ChunkLength)
}
