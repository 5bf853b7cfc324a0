package localpolicy

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/abbridge/ab_bridge/internal/ndarray"
	"github.com/abbridge/ab_bridge/internal/secret"

	"github.com/stretchr/testify/require"
)

const (
	testKey    = "rk_test_5b1e"
	testPolicy = "pol-reach-1"
)

// testServer is a Server behind httptest, and a client that speaks as the
// SDK does.
type testServer struct {
	*Server
	url string
}

func newTestServer(t *testing.T, mod func(*Config)) *testServer {
	t.Helper()
	conf := Config{PolicyID: testPolicy, APIKey: secret.New(testKey), ChunkLength: 5, Target: []float64{1, -1, 0.5}}
	conf.Inputs, conf.Outputs = DefaultFeatures(3)
	if mod != nil {
		mod(&conf)
	}
	s, err := New(conf)
	require.NoError(t, err)
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return &testServer{Server: s, url: hs.URL}
}

// sdkHeaders are what RemotePolicy sends on every request.
func sdkHeaders() http.Header {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+testKey)
	h.Set("x-policy-id", testPolicy)
	h.Set("User-Agent", "roboactions-sdk-python/0.1.2")
	h.Set("Accept", "application/json")
	h.Set("Content-Type", "application/json")
	return h
}

func msgpackHeaders() http.Header {
	h := sdkHeaders()
	h.Set("Accept", "application/msgpack")
	h.Set("Content-Type", "application/msgpack")
	return h
}

func (s *testServer) do(t *testing.T, method, path string, h http.Header, body []byte) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header = h
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// getJSON is a JSON GET with the SDK's headers (h when given).
func (s *testServer) getJSON(t *testing.T, path string, h http.Header) (int, map[string]any) {
	t.Helper()
	if h == nil {
		h = sdkHeaders()
	}
	resp := s.do(t, http.MethodGet, path, h, nil)
	return resp.StatusCode, decodeJSON(t, resp)
}

func decodeJSON(t *testing.T, resp *http.Response) map[string]any {
	t.Helper()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m), "body %q", raw)
	return m
}

// infer posts an observation as the SDK's _post_msgpack does; the answer
// is decoded when 200, else its JSON error is.
func (s *testServer) infer(t *testing.T, path string, obs map[string]any) (int, any, map[string]any) {
	t.Helper()
	body, err := ndarray.Marshal(obs)
	require.NoError(t, err)
	resp := s.do(t, http.MethodPost, path, msgpackHeaders(), body)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil, decodeJSON(t, resp)
	}
	require.Equal(t, "application/msgpack", resp.Header.Get("Content-Type"))
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	v, err := ndarray.Unmarshal(raw)
	require.NoError(t, err)
	return resp.StatusCode, v, nil
}

// stateObs is an observation of the default features.
func stateObs(state ...float32) map[string]any {
	return map[string]any{StateKey: ndarray.FromFloat32([]int{len(state)}, state), TaskKey: "reach the target"}
}

// answer reads an answer as an array and its values.
func answer(t *testing.T, v any) (ndarray.Array, []float64) {
	t.Helper()
	a, ok := v.(ndarray.Array)
	require.True(t, ok, "the answer is an array, got %T", v)
	vals, err := a.Float64s()
	require.NoError(t, err)
	return a, vals
}
