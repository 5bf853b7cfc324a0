package primalux

import (
	"context"
	"errors"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func engine(state string, busy bool) http.HandlerFunc {
	b := "false"
	if busy {
		b = "true"
	}
	return jsonReply(200, `{"engine":{"state":"`+state+`","busy":`+b+`,"has_brain":true}}`)
}

func TestStop(t *testing.T) {
	ok := jsonReply(200, `{"ok":true,"native_response":{"accepted":"stop"}}`)
	for _, tc := range []struct {
		name    string
		stop    http.HandlerFunc
		status  []http.HandlerFunc
		opts    WaitOptions
		err     string
		polls   int
		last    string
		timeout bool
	}{
		{name: "stopped and idle", stop: ok, status: []http.HandlerFunc{engine("RUNNING", false), engine("STOPPED", true), engine("STOPPED", false)}, polls: 3, last: "STOPPED"},
		{name: "lower-case state", stop: jsonReply(200, `{"ok":true}`), status: []http.HandlerFunc{engine("stopped", false)}, polls: 1, last: "STOPPED"},
		{name: "READY is no proof: deadline", stop: ok, status: []http.HandlerFunc{engine("READY", false)},
			opts: WaitOptions{Timeout: time.Second, Poll: 250 * time.Millisecond}, polls: 5, last: "READY", timeout: true,
			err: "stop not confirmed within 1s after 5 status reads (last state READY, busy false); neural dynamics save is unconfirmed"},
		{name: "busy until the deadline", stop: ok, status: []http.HandlerFunc{engine("STOPPED", true)},
			opts: WaitOptions{Timeout: 2 * time.Second, Poll: time.Second}, polls: 3, last: "STOPPED", timeout: true, err: "busy true"},
		{name: "fault", stop: ok, status: []http.HandlerFunc{engine("RUNNING", false), engine("SAFE_MODE", false)}, polls: 2, last: "SAFE_MODE", err: "device state is SAFE_MODE"},
		{name: "unavailable", stop: ok, status: []http.HandlerFunc{jsonReply(200, `{"engine":{"state":"RUNNING","available":false}}`)}, polls: 1, last: "RUNNING", err: "device state is RUNNING"},
		{name: "engine error", stop: ok, status: []http.HandlerFunc{jsonReply(200, `{"engine":{"state":"STOPPED","error":"save failed: disk"}}`)}, polls: 1, last: "STOPPED", err: "stop failed: save failed: disk"},
		{name: "no engine state", stop: ok, status: []http.HandlerFunc{jsonReply(200, `{"engine":{}}`)}, polls: 1, err: "no engine state"},
		{name: "retryable status errors are polled through", stop: ok,
			status: []http.HandlerFunc{jsonReply(503, `{"detail":"saving"}`, "Retry-After", "2"), engine("STOPPED", false)}, polls: 2, last: "STOPPED"},
		{name: "a fatal status error ends the wait", stop: ok, status: []http.HandlerFunc{jsonReply(401, `{"detail":"key revoked"}`)}, polls: 1, err: "key revoked"},
		{name: "stop refused", stop: jsonReply(200, `{"ok":false}`), err: "did not accept stop"},
		{name: "stop not acknowledged natively", stop: jsonReply(200, `{"ok":true,"native_response":{"accepted":"run"}}`), err: "did not acknowledge stop"},
		{name: "stop HTTP error", stop: jsonReply(409, `{"detail":"not running"}`), err: "HTTP 409: not running"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			routes := map[string]http.HandlerFunc{"POST /api/brain/stop": tc.stop}
			if tc.status != nil {
				routes["GET /api/status"] = sequence(tc.status...)
			}
			c, d, ft := newTestClient(t, routes)
			w, err := c.Stop(context.Background(), tc.opts)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
			} else {
				require.NoError(t, err)
			}
			var we *WaitError
			assert.Equal(t, tc.timeout, errors.As(err, &we))
			assert.Equal(t, tc.polls, w.Polls)
			assert.Equal(t, tc.last, w.LastState)
			statusReads := 0
			for _, r := range d.seen() {
				if r.Path == "/api/status" {
					statusReads++
				}
			}
			assert.Equal(t, tc.polls, statusReads)
			if tc.name == "retryable status errors are polled through" {
				assert.Equal(t, []time.Duration{2 * time.Second}, ft.slept(), "Retry-After honoured")
			}
		})
	}
}

func TestStopHonoursContext(t *testing.T) {
	c, _, _ := newTestClient(t, map[string]http.HandlerFunc{
		"POST /api/brain/stop": jsonReply(200, `{"ok":true}`),
		"GET /api/status":      engine("RUNNING", true),
	})
	ctx, cancel := context.WithCancel(context.Background())
	c.sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled }
	w, err := c.Stop(ctx, WaitOptions{})
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, w.Polls)
}

func TestStart(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status []http.HandlerFunc
		err    string
		runs   int
	}{
		{"ready to running", []http.HandlerFunc{engine("READY", false), engine("READY", false), engine("RUNNING", false)}, "", 1},
		{"stopped to running", []http.HandlerFunc{engine("STOPPED", false), engine("RUNNING", false)}, "", 1},
		{"no brain", []http.HandlerFunc{jsonReply(200, `{"engine":{"state":"READY","has_brain":false}}`)}, "no installed ready brain", 0},
		{"installing", []http.HandlerFunc{jsonReply(200, `{"engine":{"state":"READY","has_brain":true},"package":{"pending":true}}`)}, "no installed ready brain", 0},
		{"already running", []http.HandlerFunc{engine("RUNNING", false)}, "must be READY or STOPPED", 0},
		{"fault after run", []http.HandlerFunc{engine("READY", false), engine("FAULT", false)}, "device state is FAULT", 1},
		{"never running", []http.HandlerFunc{engine("READY", false)}, "start not confirmed within 15s", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, d, _ := newTestClient(t, map[string]http.HandlerFunc{
				"GET /api/status":     sequence(tc.status...),
				"POST /api/brain/run": jsonReply(200, `{"ok":true}`),
			})
			_, err := c.Start(context.Background(), WaitOptions{})
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
			} else {
				require.NoError(t, err)
			}
			runs := 0
			for _, r := range d.seen() {
				if r.Path == "/api/brain/run" {
					runs++
				}
			}
			assert.Equal(t, tc.runs, runs)
		})
	}
}

func TestUploadPackage(t *testing.T) {
	pkg := []byte(packageMagic + strings.Repeat("\x01", 40))
	accepted := jsonReply(200, `{"accepted":true,"package":{"name":"arm.abp","sha256":"cafe"}}`)
	installed := jsonReply(200, `{"engine":{"state":"READY","has_brain":true},"package":{"pending":false,"active":{"name":"arm.abp","sha256":"cafe"}}}`)
	for _, tc := range []struct {
		name   string
		file   string
		data   []byte
		load   http.HandlerFunc
		status []http.HandlerFunc
		err    string
	}{
		{name: "installed", file: "arm.abp", data: pkg, load: accepted,
			status: []http.HandlerFunc{jsonReply(200, `{"engine":{"state":"BUSY"},"package":{"pending":true}}`), installed}},
		{name: "older package still active", file: "arm.abp", data: pkg, load: accepted,
			status: []http.HandlerFunc{jsonReply(200, `{"engine":{"state":"READY","has_brain":true},"package":{"active":{"sha256":"old"}}}`)}, err: "package install not confirmed"},
		{name: "failed load", file: "arm.abp", data: pkg, load: accepted,
			status: []http.HandlerFunc{jsonReply(200, `{"engine":{"state":"READY"},"package":{"failed_load":{"name":"arm.abp","error":"bad signature"}}}`)}, err: "bad signature"},
		{name: "fault", file: "arm.abp", data: pkg, load: accepted,
			status: []http.HandlerFunc{jsonReply(200, `{"engine":{"state":"ERROR","error":"fpga"}}`)}, err: "native manager is ERROR: fpga"},
		{name: "not accepted", file: "arm.abp", data: pkg, load: jsonReply(200, `{"accepted":false,"message":"engine offline"}`), err: "engine offline"},
		{name: "not an .abp", file: "arm.json", data: pkg, err: "want an .abp file"},
		{name: "too small", file: "arm.abp", data: pkg[:31], err: "31 bytes"},
		{name: "graph json", file: "arm.abp", data: []byte(`{"nodes":[]}` + strings.Repeat(" ", 40)), err: "not a signed ABPKG001"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			routes := map[string]http.HandlerFunc{}
			if tc.load != nil {
				routes["POST /api/brain/load"] = tc.load
			}
			if tc.status != nil {
				routes["GET /api/status"] = sequence(tc.status...)
			}
			c, d, _ := newTestClient(t, routes)
			got, err := c.UploadPackage(context.Background(), "/robots/"+tc.file, tc.data, WaitOptions{Timeout: 3 * time.Second})
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, PackageInfo{Name: "arm.abp", SHA256: "cafe"}, got.Package)
			load := d.seen()[0]
			mt, params, err := mime.ParseMediaType(load.ContentType)
			require.NoError(t, err)
			assert.Equal(t, "multipart/form-data", mt)
			part, err := multipart.NewReader(strings.NewReader(string(load.Body)), params["boundary"]).NextPart()
			require.NoError(t, err)
			assert.Equal(t, "file", part.FormName())
			assert.Equal(t, "arm.abp", part.FileName())
		})
	}
}

func TestEvents(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		steps      []int64
		err        string
	}{
		{"items, sorted by step", `{"items":[{"step":5,"outputs":[{"t":0,"neurons":["m:1"]}]},{"step":2,"outputs":[]}]}`, []int64{2, 5}, ""},
		{"events", `{"events":[{"step":7,"actuation":{"channels":{"m":1}}}]}`, []int64{7}, ""},
		{"one item", `{"step":3,"outputs":[]}`, []int64{3}, ""},
		{"none", `{"ok":true}`, []int64{}, ""},
		{"unknown", `{"ok":false}`, nil, "unknown answer shape"},
		{"no integer step", `{"items":[{"step":"x"}]}`, nil, "no integer step"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, _ := newTestClient(t, map[string]http.HandlerFunc{"GET /api/brain/events": jsonReply(200, tc.body)})
			items, err := c.Events(context.Background())
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			steps := []int64{}
			for _, it := range items {
				steps = append(steps, it.Step)
			}
			assert.Equal(t, tc.steps, steps)
		})
	}
}
