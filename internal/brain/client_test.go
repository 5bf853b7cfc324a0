package brain

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/contract"
)

func TestNormalizeBaseURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://h", "http://h/api"},
		{"http://h/", "http://h/api"},
		{"http://h/api", "http://h/api"},
		{"http://h/api/", "http://h/api"},
		{"http://h/api///", "http://h/api"},
		{"  http://h:8080  ", "http://h:8080/api"},
		{"http://h/prefix", "http://h/prefix/api"},
		{"http://h/prefix/", "http://h/prefix/api"},
		{"http://h/prefix/api", "http://h/prefix/api"},
		{"http://h/prefix/api/", "http://h/prefix/api"},
		{"http://h/apis", "http://h/apis/api"},
		{"https://app.example/api", "https://app.example/api"},
		{"", ""},
		{"/", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			assert.Equal(t, tc.want, NormalizeBaseURL(tc.in))
		})
	}
}

func TestNewClientRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		conf Config
		want string
	}{
		{"scheme", Config{BaseURL: "ftp://h"}, "scheme"},
		{"no host", Config{BaseURL: "http://"}, "no host"},
		{"query", Config{BaseURL: "http://h/api?x=1"}, "query"},
		{"negative timeout", Config{BaseURL: "http://h", HTTPTimeout: -time.Second}, "negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewClient(tc.conf)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	c, err := NewClient(Config{})
	require.NoError(t, err)
	assert.Equal(t, DefaultBaseURL, c.BaseURL())
}

// apiCall is one request the fake API saw.
type apiCall struct {
	method, path string
	header       http.Header
	body         map[string]any
}

// fakeAPI is a real HTTP server on loopback answering under a path prefix.
type fakeAPI struct {
	srv    *httptest.Server
	mu     sync.Mutex
	calls  []apiCall
	status int
	answer string
}

func startFakeAPI(t *testing.T, status int, answer string) *fakeAPI {
	t.Helper()
	f := &fakeAPI{status: status, answer: answer}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		if len(raw) > 0 {
			_ = json.Unmarshal(raw, &body)
		}
		f.mu.Lock()
		f.calls = append(f.calls, apiCall{r.Method, r.URL.Path, r.Header.Clone(), body})
		status, answer := f.status, f.answer
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) last(t *testing.T) apiCall {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	require.NotEmpty(t, f.calls)
	return f.calls[len(f.calls)-1]
}

func newTestClient(t *testing.T, base, key string) *Client {
	t.Helper()
	c, err := NewClient(Config{BaseURL: base, APIKey: key, Logger: quietLogger()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

const startAnswer = `{"runId":"run-42","constants":{"gamma":"48"},"io":{"inputs":[{"id":"cam","kind":"Image"}],"stdp3":{"layers":["L1"]}}}`

func TestRequestsPathsBodiesAndHeaders(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		call     func(c *Client) error
		method   string
		path     string
		wantBody map[string]any
	}{
		{"start without options", func(c *Client) error { _, err := c.Start(ctx, "p1", nil); return err },
			http.MethodPost, "/robot/p1/start", map[string]any{}},
		{"start with options", func(c *Client) error { _, err := c.Start(ctx, "p1", map[string]any{"mode": "sim"}); return err },
			http.MethodPost, "/robot/p1/start", map[string]any{"mode": "sim"}},
		{"stop", func(c *Client) error { return c.Stop(ctx, "p1", "run-42") },
			http.MethodPost, "/robot/p1/stop", map[string]any{"runId": "run-42"}},
		{"stop without run", func(c *Client) error { return c.Stop(ctx, "p1", "") },
			http.MethodPost, "/robot/p1/stop", map[string]any{}},
		{"contract", func(c *Client) error { _, err := c.Contract(ctx, "p1"); return err },
			http.MethodGet, "/robot/p1/contract", nil},
		{"io state", func(c *Client) error { _, err := c.IOState(ctx, "p1"); return err },
			http.MethodGet, "/robot/p1/io/state", nil},
		{"escaped project id", func(c *Client) error { _, err := c.Contract(ctx, "my project"); return err },
			http.MethodGet, "/robot/my project/contract", nil},
	}
	prefixes := []struct{ configured, served string }{
		{"", "/api"},
		{"/", "/api"},
		{"/api", "/api"},
		{"/api/", "/api"},
		{"/brain", "/brain/api"},
		{"/brain/api/", "/brain/api"},
	}
	for _, key := range []string{"k-123", ""} {
		for _, p := range prefixes {
			for _, tc := range tests {
				t.Run(tc.name+" prefix="+p.configured+" key="+key, func(t *testing.T) {
					api := startFakeAPI(t, http.StatusOK, startAnswer)
					c := newTestClient(t, api.srv.URL+p.configured, key)
					require.NoError(t, tc.call(c))
					got := api.last(t)
					assert.Equal(t, tc.method, got.method)
					assert.Equal(t, p.served+tc.path, got.path)
					assert.Equal(t, tc.wantBody, got.body)
					if key == "" {
						assert.Empty(t, got.header.Values("x-api-key"))
						assert.Empty(t, got.header.Values("Authorization"))
					} else {
						assert.Equal(t, []string{key}, got.header.Values("x-api-key"))
						assert.Equal(t, []string{"Bearer " + key}, got.header.Values("Authorization"))
					}
				})
			}
		}
	}
}

func TestStartParsesContract(t *testing.T) {
	api := startFakeAPI(t, http.StatusOK, startAnswer)
	c := newTestClient(t, api.srv.URL, "")
	ct, err := c.Start(context.Background(), "p1", nil)
	require.NoError(t, err)
	assert.Equal(t, "run-42", ct.RunID)
	assert.Equal(t, 48, ct.Constants.Gamma)
	assert.Equal(t, []string{"cam"}, ct.InputsOfKind(contract.KindImage))
	assert.Equal(t, []string{"L1"}, ct.IO.STDP3)
}

func TestAnswerErrors(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		answer  string
		call    func(c *Client) error
		status2 int    // HTTPError status wanted, 0 for none
		want    string // in the error text
		is      error
	}{
		{"401 with message", http.StatusUnauthorized, `{"message":"bad api key"}`, start, http.StatusUnauthorized, "bad api key", nil},
		{"403 error field", http.StatusForbidden, `{"error":"project not yours"}`, start, http.StatusForbidden, "project not yours", nil},
		{"404 nested error", http.StatusNotFound, `{"error":{"message":"no such project"}}`, start, http.StatusNotFound, "no such project", nil},
		{"500 text", http.StatusInternalServerError, "upstream exploded", start, http.StatusInternalServerError, "upstream exploded", nil},
		{"502 on stop", http.StatusBadGateway, `{"detail":"gateway"}`, stop, http.StatusBadGateway, "gateway", nil},
		{"missing runId", http.StatusOK, `{"constants":{}}`, start, 0, "no runId", contract.ErrNoRunID},
		{"start not JSON", http.StatusOK, `<html>`, start, 0, "start answer", nil},
		{"contract not JSON", http.StatusOK, `nope`, func(c *Client) error { _, err := c.Contract(context.Background(), "p"); return err }, 0, "contract of project", nil},
		{"io state not object", http.StatusOK, `[1,2]`, func(c *Client) error { _, err := c.IOState(context.Background(), "p"); return err }, 0, "not a JSON object", nil},
		{"io state null", http.StatusOK, `null`, func(c *Client) error { _, err := c.IOState(context.Background(), "p"); return err }, 0, "null", nil},
		{"stop refused", http.StatusOK, `{"ok":false,"message":"no such run"}`, stop, 0, "no such run", nil},
		{"stop not JSON", http.StatusOK, `garbage`, stop, 0, "stop answer", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := startFakeAPI(t, tc.status, tc.answer)
			c := newTestClient(t, api.srv.URL, "the-key")
			err := tc.call(c)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "the-key")
			var he *HTTPError
			if tc.status2 == 0 {
				assert.False(t, errors.As(err, &he), "not an HTTP status error: %v", err)
			} else {
				require.ErrorAs(t, err, &he)
				assert.Equal(t, tc.status2, he.Status)
				assert.Contains(t, he.URL, "/api/robot/p")
			}
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
		})
	}
}

func start(c *Client) error { _, err := c.Start(context.Background(), "p", nil); return err }
func stop(c *Client) error  { return c.Stop(context.Background(), "p", "r") }

func TestStopAcceptsEmptyAnswer(t *testing.T) {
	api := startFakeAPI(t, http.StatusNoContent, "")
	c := newTestClient(t, api.srv.URL, "")
	require.NoError(t, c.Stop(context.Background(), "p", "r"))
}

func TestBadProjectIDs(t *testing.T) {
	api := startFakeAPI(t, http.StatusOK, startAnswer)
	c := newTestClient(t, api.srv.URL, "")
	for _, id := range []string{"", "  ", "a/b", "..", ".", "a?b", "a#b"} {
		t.Run(id, func(t *testing.T) {
			_, err := c.Start(context.Background(), id, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "project id")
		})
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	assert.Empty(t, api.calls, "nothing reached the server")
}

func TestContextAndTimeoutAreHonoured(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	c := newTestClient(t, srv.URL, "")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := c.Contract(ctx, "p")
	require.ErrorIs(t, err, context.DeadlineExceeded)

	slow, err := NewClient(Config{BaseURL: srv.URL, HTTPTimeout: 200 * time.Millisecond, Logger: quietLogger()})
	require.NoError(t, err)
	_, err = slow.IOState(context.Background(), "p")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Client.Timeout")
}

func TestKeyDoesNotFollowRedirectToAnotherHost(t *testing.T) {
	var mu sync.Mutex
	var seen http.Header
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = r.Header.Clone()
		mu.Unlock()
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(other.Close)
	// Same IP, another port: another host as far as the key is concerned.
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/elsewhere", http.StatusFound)
	}))
	t.Cleanup(redirect.Close)

	c := newTestClient(t, redirect.URL, "secret")
	_, err := c.IOState(context.Background(), "p")
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	require.NotNil(t, seen)
	assert.Empty(t, seen.Values("x-api-key"))
	assert.Empty(t, seen.Values("Authorization"))
}

func TestRealtimeEndpoint(t *testing.T) {
	tests := []struct {
		name          string
		base, ns      string
		ct            *contract.Contract
		wantURL, want string
	}{
		{"defaults", "http://h:9/api", "", nil, "http://h:9", "/ab"},
		{"prefix kept", "http://h/brain/", "", &contract.Contract{}, "http://h/brain", "/ab"},
		{"configured namespace", "http://h", "robots", &contract.Contract{}, "http://h", "/robots"},
		{"contract wins", "http://h", "/x", &contract.Contract{Realtime: contract.Realtime{URL: "https://rt.example", Namespace: "/ab2"}}, "https://rt.example", "/ab2"},
		{"contract url only", "http://h", "", &contract.Contract{Realtime: contract.Realtime{URL: "http://rt:1"}}, "http://rt:1", "/ab"},
		{"contract namespace only", "http://h/api", "", &contract.Contract{Realtime: contract.Realtime{Namespace: "ns"}}, "http://h", "/ns"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewClient(Config{BaseURL: tc.base, Namespace: tc.ns})
			require.NoError(t, err)
			u, ns := c.RealtimeEndpoint(tc.ct)
			assert.Equal(t, tc.wantURL, u)
			assert.Equal(t, tc.want, ns)
		})
	}
}

func TestRealtimeURL(t *testing.T) {
	tests := []struct{ raw, ns, want, err string }{
		{"http://h:1", "/ab", "http://h:1/ab", ""},
		{"http://h:1/", "/ab", "http://h:1/ab", ""},
		{"https://h/some/path", "/ab", "https://h/ab", ""},
		{"ws://h:1", "/ab", "http://h:1/ab", ""},
		{"wss://h", "/n", "https://h/n", ""},
		{"http://h/?region=eu", "/ab", "http://h/ab?region=eu", ""},
		{"ftp://h", "/ab", "", "scheme"},
		{"h:1", "/ab", "", "scheme"},
		{"http://", "/ab", "", "no host"},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			u, err := realtimeURL(tc.raw, tc.ns)
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, u.String())
		})
	}
}

func TestBodyMessageTruncates(t *testing.T) {
	long := strings.Repeat("é", 400)
	msg := bodyMessage([]byte(long))
	assert.LessOrEqual(t, len(msg), maxMessageLen+len("…"))
	assert.True(t, strings.HasSuffix(msg, "…"))
	assert.True(t, strings.HasPrefix(long, strings.TrimSuffix(msg, "…")), "cut on a rune boundary")
}
