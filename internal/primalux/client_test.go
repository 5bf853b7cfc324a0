package primalux

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// device is a scripted stand-in: each request is recorded and answered by
// the handler for its method and path.
type device struct {
	mu       sync.Mutex
	requests []recorded
	routes   map[string]http.HandlerFunc
}

type recorded struct {
	Method, Path, Query, Auth, ContentType string
	Body                                   []byte
}

func (d *device) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	d.mu.Lock()
	d.requests = append(d.requests, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), body})
	h := d.routes[r.Method+" "+r.URL.Path]
	d.mu.Unlock()
	if h == nil {
		http.Error(w, `{"detail":"no route"}`, http.StatusNotFound)
		return
	}
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	h(w, r)
}

func (d *device) seen() []recorded {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]recorded(nil), d.requests...)
}

func jsonReply(status int, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// sequence answers each call with the next reply, the last one repeating.
func sequence(replies ...http.HandlerFunc) http.HandlerFunc {
	var mu sync.Mutex
	i := 0
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		h := replies[min(i, len(replies)-1)]
		i++
		mu.Unlock()
		h(w, r)
	}
}

// fakeTime is a clock the client's waits move: sleeping advances it.
type fakeTime struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func (f *fakeTime) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeTime) sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.sleeps = append(f.sleeps, d)
	f.mu.Unlock()
	return ctx.Err()
}

func (f *fakeTime) slept() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}

func newTestClient(t *testing.T, routes map[string]http.HandlerFunc) (*Client, *device, *fakeTime) {
	t.Helper()
	d := &device{routes: routes}
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	k, err := NewKey(testSecret)
	require.NoError(t, err)
	c, err := New(Options{URL: srv.URL, Key: k, Timeout: 5 * time.Second})
	require.NoError(t, err)
	ft := &fakeTime{t: time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)}
	c.now, c.sleep = ft.now, ft.sleep
	return c, d, ft
}

func TestCommands(t *testing.T) {
	for _, tc := range []struct {
		name string
		call func(*Client) (Ack, error)
		path string
	}{
		{"run", func(c *Client) (Ack, error) { return c.Run(context.Background()) }, "/api/brain/run"},
		{"stop request", func(c *Client) (Ack, error) { return c.RequestStop(context.Background()) }, "/api/brain/stop"},
		{"reset", func(c *Client) (Ack, error) { return c.Reset(context.Background()) }, "/api/brain/reset"},
		{"reset dynamics", func(c *Client) (Ack, error) { return c.ResetDynamics(context.Background()) }, "/api/brain/reset-dynamics"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, d, _ := newTestClient(t, map[string]http.HandlerFunc{"POST " + tc.path: jsonReply(200, `{"ok":true,"state":"x"}`)})
			ack, err := tc.call(c)
			require.NoError(t, err)
			assert.True(t, ack.OK)
			assert.Equal(t, "x", ack.Raw["state"])
			reqs := d.seen()
			require.Len(t, reqs, 1)
			assert.Equal(t, "POST", reqs[0].Method)
			assert.Equal(t, tc.path, reqs[0].Path)
			assert.Equal(t, "Bearer "+testSecret, reqs[0].Auth)
		})
	}
}

func TestStatus(t *testing.T) {
	c, _, _ := newTestClient(t, map[string]http.HandlerFunc{"GET /api/status": jsonReply(200, `{
		"device_id":"plx-7","engine":{"state":"running","has_brain":true,"busy":1,"error":null,"available":true,"native_brain_name":" arm "},
		"package":{"pending":false,"active":{"name":"arm.abp","sha256":"ab12","design_sha256":"de34"},"failed_load":{"name":"old.abp"}}}`)})
	s, err := c.Status(context.Background())
	require.NoError(t, err)
	assert.Equal(t, Status{
		DeviceID: "plx-7",
		Engine:   Engine{State: "RUNNING", HasBrain: true, Busy: true, NativeBrainName: "arm"},
		Package: Package{Active: PackageInfo{Name: "arm.abp", SHA256: "ab12", DesignSHA256: "de34"},
			FailedLoad: &FailedLoad{Name: "old.abp", Error: "unknown"}},
	}, s)
}

func TestErrors(t *testing.T) {
	date := time.Date(2026, 12, 2, 8, 0, 42, 0, time.UTC).Format(http.TimeFormat)
	for _, tc := range []struct {
		name       string
		reply      http.HandlerFunc
		kind       Kind
		status     int
		retryAfter time.Duration
		msg        string
	}{
		{"401 is fatal, detail reported", jsonReply(401, `{"detail":"Invalid developer key"}`), Fatal, 401, 0, "HTTP 401: Invalid developer key"},
		{"403 is fatal", jsonReply(403, `{"detail":"forbidden"}`), Fatal, 403, 0, "HTTP 403: forbidden"},
		{"404 is fatal", jsonReply(404, `not here`), Fatal, 404, 0, "HTTP 404: not here"},
		{"409 is rejected", jsonReply(409, `{"detail":{"state":"RUNNING"}}`), Rejected, 409, 0, `HTTP 409: {"state":"RUNNING"}`},
		{"422 message field", jsonReply(422, `{"message":"bad vector"}`), Rejected, 422, 0, "HTTP 422: bad vector"},
		{"408 is retryable", jsonReply(408, ``), Retryable, 408, 0, "HTTP 408 Request Timeout"},
		{"429 with seconds", jsonReply(429, `{"detail":"slow down"}`, "Retry-After", "3"), Retryable, 429, 3 * time.Second, "retry after 3s"},
		{"503 with a date", jsonReply(503, `{"detail":"busy"}`, "Retry-After", date), Retryable, 503, 42 * time.Second, "HTTP 503: busy"},
		{"500 with a silly Retry-After", jsonReply(500, `{}`, "Retry-After", "999999"), Retryable, 500, maxRetryAfter, "HTTP 500"},
		{"not json", jsonReply(200, `<html>`), Protocol, 0, 0, "not a JSON object: <html>"},
		{"a list", jsonReply(200, `[1]`), Protocol, 0, 0, "not a JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, _ := newTestClient(t, map[string]http.HandlerFunc{"GET /api/status": tc.reply})
			_, err := c.Status(context.Background())
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tc.kind, e.Kind)
			assert.Equal(t, tc.status, e.Status)
			assert.Equal(t, tc.retryAfter, e.RetryAfter)
			assert.Contains(t, err.Error(), tc.msg)
			assert.Contains(t, err.Error(), "GET /api/status")
			assert.Equal(t, tc.kind == Retryable, IsRetryable(err))
			assert.Equal(t, tc.kind == Fatal, IsFatal(err))
			assert.NotContains(t, err.Error(), testSecret)
		})
	}
	t.Run("network", func(t *testing.T) {
		k, _ := NewKey(testSecret)
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close() // nothing listens there now
		c, err := New(Options{URL: srv.URL, Key: k, Timeout: time.Second})
		require.NoError(t, err)
		_, err = c.Status(context.Background())
		assert.True(t, IsRetryable(err), "%v", err)
		assert.Equal(t, 7*time.Second, RetryDelay(err, 7*time.Second))
	})
}

func TestNoRedirects(t *testing.T) {
	var leaked bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked = r.Header.Get("Authorization") != ""
	}))
	t.Cleanup(other.Close)
	c, _, _ := newTestClient(t, map[string]http.HandlerFunc{"GET /api/status": func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/api/status", http.StatusFound)
	}})
	_, err := c.Status(context.Background())
	require.Error(t, err)
	assert.False(t, leaked, "the key went to the redirect's host")
}

func TestValidateSensors(t *testing.T) {
	many := map[string][]float64{}
	for i := range 129 {
		many[strings.Repeat("x", i+1)] = []float64{0}
	}
	for _, tc := range []struct {
		name string
		in   map[string][]float64
		err  string
	}{
		{"ok", map[string][]float64{"joints": {0, 0.5, 1}, "cam": make([]float64, 498)}, ""},
		{"none", map[string][]float64{}, "0 populations"},
		{"129 populations", many, "129 populations"},
		{"empty id", map[string][]float64{"": {0}}, "want 1 to 128 characters"},
		{"long id", map[string][]float64{strings.Repeat("é", 129): {0}}, "want 1 to 128 characters"},
		{"128 characters of two bytes", map[string][]float64{strings.Repeat("é", 128): {0}}, ""},
		{"empty vector", map[string][]float64{"a": {}}, "0 values"},
		{"499 values", map[string][]float64{"a": make([]float64, 499)}, "499 values"},
		{"above 1", map[string][]float64{"a": {0, 1.0000001}}, "value 1 is 1.0000001"},
		{"negative", map[string][]float64{"a": {-0.1}}, "within [0, 1]"},
		{"NaN", map[string][]float64{"a": {nan()}}, "NaN"},
		{"Inf", map[string][]float64{"a": {inf(1)}}, "+Inf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateSensors(tc.in)
			if tc.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.err)
		})
	}
}

func TestSendSensors(t *testing.T) {
	t.Run("posts the vectors as JSON", func(t *testing.T) {
		c, d, _ := newTestClient(t, map[string]http.HandlerFunc{"POST /api/brain/sensor": jsonReply(200, `{"ok":true,"queued":true}`)})
		require.NoError(t, c.SendSensors(context.Background(), map[string][]float64{"joints": {0, 0.25, 1}, "reward": {1}}))
		reqs := d.seen()
		require.Len(t, reqs, 1)
		assert.Equal(t, "application/json", reqs[0].ContentType)
		var got map[string][]float64
		require.NoError(t, json.Unmarshal(reqs[0].Body, &got))
		assert.Equal(t, map[string][]float64{"joints": {0, 0.25, 1}, "reward": {1}}, got)
	})
	t.Run("invalid is not sent", func(t *testing.T) {
		c, d, _ := newTestClient(t, nil)
		require.Error(t, c.SendSensors(context.Background(), map[string][]float64{"a": {2}}))
		assert.Empty(t, d.seen())
	})
	for _, reply := range []string{`{"ok":true}`, `{"ok":true,"queued":false}`, `{"ok":"yes","queued":true}`} {
		t.Run("unacknowledged "+reply, func(t *testing.T) {
			c, d, _ := newTestClient(t, map[string]http.HandlerFunc{"POST /api/brain/sensor": jsonReply(200, reply)})
			err := c.SendSensors(context.Background(), map[string][]float64{"a": {0}})
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, Protocol, e.Kind)
			assert.Contains(t, err.Error(), "delivery is unknown")
			assert.Len(t, d.seen(), 1, "never retried")
		})
	}
	t.Run("a 503 is not retried", func(t *testing.T) {
		c, d, _ := newTestClient(t, map[string]http.HandlerFunc{"POST /api/brain/sensor": jsonReply(503, `{"detail":"input queue full"}`)})
		err := c.SendSensors(context.Background(), map[string][]float64{"a": {0}})
		require.ErrorContains(t, err, "input queue full")
		assert.True(t, IsRetryable(err))
		assert.Len(t, d.seen(), 1)
	})
}
