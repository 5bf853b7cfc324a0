package roboactions

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/ndarray"
	"github.com/abbridge/ab_bridge/internal/secret"
)

const testKey = "rk_test_s3cret"

func newTestClient(t *testing.T, h http.HandlerFunc, tweak ...func(*Options)) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	o := Options{BaseURL: srv.URL, PolicyID: "pol-1", Key: secret.New(testKey), Backoff: time.Millisecond, Timeout: 2 * time.Second}
	for _, f := range tweak {
		f(&o)
	}
	c, err := New(o)
	require.NoError(t, err)
	return c
}

func TestNewChecksOptions(t *testing.T) {
	key := secret.New(testKey)
	for _, tc := range []struct {
		name string
		o    Options
		err  string
	}{
		{"default base", Options{PolicyID: "p", Key: key}, ""},
		{"loopback http", Options{PolicyID: "p", Key: key, BaseURL: "http://127.0.0.1:9"}, ""},
		{"localhost http", Options{PolicyID: "p", Key: key, BaseURL: "http://localhost:9/"}, ""},
		{"remote http", Options{PolicyID: "p", Key: key, BaseURL: "http://192.168.1.4:8000"}, "plain http only to this machine"},
		{"other scheme", Options{PolicyID: "p", Key: key, BaseURL: "ftp://example.org"}, "scheme must be https"},
		{"relative", Options{PolicyID: "p", Key: key, BaseURL: "/v1"}, "not an absolute URL"},
		{"no policy", Options{Key: key}, "policy id is required"},
		{"no key", Options{PolicyID: "p"}, "ROBOACTIONS_API_KEY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.o)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			if tc.o.BaseURL == "" {
				assert.Equal(t, DefaultBaseURL, c.BaseURL())
			}
		})
	}
}

// TestHeadersAreTheSDKs: every request carries the key, the policy id and
// a User-Agent; JSON calls say JSON, inference says msgpack both ways.
func TestHeadersAreTheSDKs(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]http.Header{}
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Method+" "+r.URL.Path] = r.Header.Clone()
		mu.Unlock()
		switch r.URL.Path {
		case "/v1/healthz":
			_, _ = io.WriteString(w, `{"status":"healthy"}`)
		case "/v1/policy/predict_action_chunk":
			b, _ := ndarray.Marshal(map[string]any{"action": ndarray.FromFloat32([]int{1, 2, 1}, []float32{0.5, 1})})
			_, _ = w.Write(b)
		}
	})
	st, err := c.Status(context.Background())
	require.NoError(t, err)
	assert.Equal(t, Healthy, st, "status is read as the SDK reads it: trimmed, upper-cased")
	ans, err := c.PredictActionChunk(context.Background(), map[string]any{"task": "t"})
	require.NoError(t, err)
	rows, err := Chunk(ans)
	require.NoError(t, err)
	assert.Equal(t, [][]float64{{0.5}, {1}}, rows)

	for path, types := range map[string]string{"GET /v1/healthz": "application/json", "POST /v1/policy/predict_action_chunk": "application/msgpack"} {
		h := seen[path]
		require.NotNil(t, h, path)
		assert.Equal(t, "Bearer "+testKey, h.Get("Authorization"), path)
		assert.Equal(t, "pol-1", h.Get("x-policy-id"), path)
		assert.Equal(t, "ab_bridge roboactions/"+ProtocolVersion, h.Get("User-Agent"), path)
		assert.Equal(t, types, h.Get("Content-Type"), path)
		assert.Equal(t, types, h.Get("Accept"), path)
	}
}

// TestRetries: 408, 429 and 5xx are retried a bounded number of times,
// waiting the server's Retry-After when it sends one; 401, 403, 404 and
// other 4xx are not, and are fatal; the key never shows in an error.
func TestRetries(t *testing.T) {
	for _, tc := range []struct {
		name       string
		statuses   []int
		retryAfter string
		calls      int
		err        string
		fatal      bool
		minWait    time.Duration
	}{
		{"503 then ok", []int{503, 200}, "", 2, "", false, 0},
		{"429 honours Retry-After", []int{429, 200}, "0.2", 2, "", false, 200 * time.Millisecond},
		{"408 then ok", []int{408, 200}, "", 2, "", false, 0},
		{"500 four times gives up", []int{500, 500, 500, 500, 200}, "", 4, "500", false, 0},
		{"Retry-After beyond the cap is returned", []int{429, 200}, "3600", 1, "429", false, 0},
		{"401 fatal", []int{401, 200}, "", 1, "401 bad key", true, 0},
		{"403 fatal", []int{403}, "", 1, "403", true, 0},
		{"404 fatal", []int{404}, "", 1, "404", true, 0},
		{"422 not retried", []int{422}, "", 1, "obs.state: wrong shape; task missing", true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				n := int(calls.Add(1)) - 1
				st := tc.statuses[min(n, len(tc.statuses)-1)]
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				w.WriteHeader(st)
				switch st {
				case 200:
					_, _ = io.WriteString(w, `{"status":"HEALTHY"}`)
				case 401:
					_, _ = io.WriteString(w, `{"message":"bad key"}`)
				case 422:
					_, _ = io.WriteString(w, `{"detail":[{"msg":"obs.state: wrong shape"},"task missing"]}`)
				}
			}, func(o *Options) { o.MaxRetryAfter = time.Second })
			start := time.Now()
			_, err := c.Status(context.Background())
			assert.Equal(t, tc.calls, int(calls.Load()), "requests sent")
			assert.GreaterOrEqual(t, time.Since(start), tc.minWait)
			if tc.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.err)
			assert.Equal(t, tc.fatal, IsFatal(err))
			assert.NotContains(t, err.Error(), testKey)
		})
	}
}

func TestNetworkErrorsAreRetriedAndBounded(t *testing.T) {
	var calls atomic.Int32
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		hj, _ := w.(http.Hijacker)
		conn, _, _ := hj.Hijack()
		_ = conn.Close() // no answer at all
	}, func(o *Options) { o.Retries = 2 })
	_, err := c.Status(context.Background())
	require.Error(t, err)
	assert.ErrorIs(t, err, errTransport)
	assert.False(t, IsFatal(err))
	assert.Equal(t, int32(3), calls.Load())
}

func TestAnswersAreCapped(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(make([]byte, 2048))
	}, func(o *Options) { o.MaxAnswer = 1024; o.MaxRequest = 64 })
	_, err := c.Status(context.Background())
	require.ErrorContains(t, err, "exceeds the 1024-byte cap")
	_, err = c.PredictActionChunk(context.Background(), map[string]any{"task": string(make([]byte, 100))})
	require.ErrorContains(t, err, "exceeds the 64-byte cap")
}

// TestOneRequestInFlight: a second call waits for the first.
func TestOneRequestInFlight(t *testing.T) {
	var inside, most atomic.Int32
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		n := inside.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		inside.Add(-1)
		_, _ = io.WriteString(w, `{"status":"HEALTHY"}`)
	})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = c.Status(context.Background()) }()
	}
	wg.Wait()
	assert.Equal(t, int32(1), most.Load())
}

func TestWaitDeployedIsBounded(t *testing.T) {
	var calls atomic.Int32
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 {
			_, _ = io.WriteString(w, `{"status":"DEPLOYING"}`)
			return
		}
		_, _ = io.WriteString(w, `{"status":"HEALTHY"}`)
	})
	var heard int
	st, err := c.WaitDeployed(context.Background(), 5*time.Millisecond, func(time.Duration) { heard++ })
	require.NoError(t, err)
	assert.Equal(t, Healthy, st)
	assert.Equal(t, 2, heard)

	always := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, `{"status":"DEPLOYING"}`) })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	st, err = always.WaitDeployed(ctx, 5*time.Millisecond, nil)
	require.ErrorContains(t, err, "still DEPLOYING")
	assert.Equal(t, Deploying, st)

	// The bound ends during a poll (the server holds the second one): the
	// policy was DEPLOYING all along, and the error says so (it said
	// "/v1/healthz: context deadline exceeded" in one CI run).
	var polls atomic.Int32
	held := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if polls.Add(1) > 1 {
			<-r.Context().Done()
			return
		}
		_, _ = io.WriteString(w, `{"status":"DEPLOYING"}`)
	})
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	st, err = held.WaitDeployed(ctx2, time.Millisecond, nil)
	require.ErrorContains(t, err, "still DEPLOYING")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, Deploying, st)
}

func TestStatusAndReset(t *testing.T) {
	for _, tc := range []struct {
		body string
		want Status
	}{{`{"status":" stopped "}`, Stopped}, {`{"status":"weird"}`, Unknown}, {`{}`, Unknown}, {``, Unknown}, {`{"status":3}`, Unknown}} {
		c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, tc.body) })
		st, err := c.Status(context.Background())
		require.NoError(t, err, tc.body)
		assert.Equal(t, tc.want, st, tc.body)
	}
	for _, tc := range []struct{ body, err string }{
		{`{"reset":true}`, ""}, {`{"reset":false,"error":"busy"}`, "did not reset: busy"}, {`{}`, "no reason given"}, {`[1]`, "not the expected JSON"},
	} {
		c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
			assert.Equal(t, http.MethodGet, r.Method)
			assert.Equal(t, "/v1/policy/reset", r.URL.Path)
			_, _ = io.WriteString(w, tc.body)
		})
		err := c.Reset(context.Background())
		if tc.err == "" {
			assert.NoError(t, err)
		} else {
			assert.ErrorContains(t, err, tc.err)
		}
	}
}

func TestRetryAfterForms(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"2": 2 * time.Second, "0.5": 500 * time.Millisecond, "": 0, "-1": 0, "soon": 0, "NaN": 0,
		now.Add(3 * time.Second).Format(http.TimeFormat): 3 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):      0,
	} {
		h := http.Header{}
		if v != "" {
			h.Set("Retry-After", v)
		}
		assert.Equal(t, want, retryAfter(h, now), fmt.Sprintf("%q", v))
	}
}
