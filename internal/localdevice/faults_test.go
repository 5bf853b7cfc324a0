package localdevice

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFailNextAnswersTheChosenStatus(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		count  int
		path   string
		probe  string // a path the fault covers
		other  string // one it does not ("" none)
	}{
		{"every path", http.StatusServiceUnavailable, 2, "", "/api/status", ""},
		{"one path", http.StatusInternalServerError, 1, "/api/brain/sensor", "/api/brain/sensor", "/api/status"},
		{"client error", http.StatusTooManyRequests, 1, "/api/status", "/api/status", "/api/brain/events"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDevice(t, nil)
			require.NoError(t, d.FailNext(tc.status, tc.count, tc.path))
			if tc.other != "" {
				code, _ := d.call(t, http.MethodGet, tc.other, nil)
				assert.NotEqual(t, tc.status, code, "a path the fault does not cover")
			}
			for range tc.count {
				code, body := d.call(t, http.MethodGet, tc.probe, nil)
				assert.Equal(t, tc.status, code)
				assert.Contains(t, body["detail"], "Injected fault")
			}
			code, _ := d.call(t, http.MethodGet, tc.probe, nil)
			assert.NotEqual(t, tc.status, code, "only count requests fail")
			assert.Equal(t, tc.count, d.Counters().Injected)
		})
	}
}

func TestFailNextRefusesNonErrors(t *testing.T) {
	d := newTestDevice(t, nil)
	for _, tc := range []struct{ status, count int }{{200, 1}, {302, 1}, {600, 1}, {503, 0}} {
		assert.Error(t, d.FailNext(tc.status, tc.count, ""), "%v", tc)
	}
}

func TestRestartForgetsTheRunAndDropsStreams(t *testing.T) {
	d := newTestDevice(t, nil)
	epoch := d.run(t)
	s := d.openStream(t, "replay=1")
	hello(t, s)
	got := frames(t, s, epoch, 0, 2)
	d.Restart()
	for range 1000 {
		ev, ok := s.nextKind(t, wait)
		if !ok {
			break
		}
		require.Equal(t, "frame", ev.Kind, "a restart says nothing on the way down")
	}
	e := d.engine(t)
	assert.Equal(t, StateReady, e["state"], "back with the brain installed, not running")
	assert.NotEqual(t, epoch, e["epoch"])
	assert.Equal(t, 0.0, e["sequence"])
	again := d.openStream(t, "cursor="+got[1].ID)
	assert.Contains(t, closing(t, again, "reset")["message"], "epoch changed", "the reconnect hears the epoch is gone")
	assert.Equal(t, 1, d.Counters().Restarts)
}

func TestStopDelayKeepsTheEngineBusy(t *testing.T) {
	d := newTestDevice(t, nil)
	d.SetStopDelay(300 * time.Millisecond)
	d.run(t)
	start := time.Now()
	code, _ := d.call(t, http.MethodPost, "/api/brain/stop", nil)
	require.Equal(t, http.StatusOK, code)
	require.Eventually(t, func() bool { return d.engine(t)["state"] == StateStopped }, wait, 5*time.Millisecond)
	assert.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)
}

func TestFaultKnobsOverHTTP(t *testing.T) {
	off := newTestDevice(t, nil)
	code, _ := off.call(t, http.MethodPost, "/standin/restart", nil)
	assert.Equal(t, http.StatusNotFound, code, "no knobs unless Config.Faults")

	d := newTestDevice(t, func(c *Config) { c.Faults = true })
	code, _ = d.callKey(t, "Bearer plx_wrong_key", http.MethodPost, "/standin/restart", nil)
	assert.Equal(t, http.StatusUnauthorized, code, "the knobs need the key")

	for _, tc := range []struct {
		name, path string
		body       any
		status     int
	}{
		{"fail", "/standin/fail", map[string]any{"status": 503, "count": 1, "path": "/api/status"}, http.StatusOK},
		{"fail unknown key", "/standin/fail", map[string]any{"status": 503, "count": 1, "when": "now"}, http.StatusBadRequest},
		{"fail a success", "/standin/fail", map[string]any{"status": 200, "count": 1}, http.StatusBadRequest},
		{"stop delay", "/standin/stop-delay", map[string]any{"seconds": 0.05}, http.StatusOK},
		{"stop delay negative", "/standin/stop-delay", map[string]any{"seconds": -1}, http.StatusBadRequest},
		{"drop streams", "/standin/drop-streams", nil, http.StatusOK},
		{"restart", "/standin/restart", nil, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := d.call(t, http.MethodPost, tc.path, tc.body)
			assert.Equal(t, tc.status, code, "%v", body)
		})
	}
	code, body := d.call(t, http.MethodGet, "/api/status", nil)
	assert.Equal(t, http.StatusServiceUnavailable, code, "the fault set over HTTP")
	assert.Contains(t, body["detail"], "Injected fault")
	assert.Equal(t, 1, d.Counters().Restarts)
}
