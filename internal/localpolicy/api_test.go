package localpolicy

import (
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/abbridge/ab_bridge/internal/ndarray"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEveryPolicyRouteWantsTheKeyAndThePolicy(t *testing.T) {
	s := newTestServer(t, nil)
	for _, tc := range []struct {
		name    string
		set     map[string]string
		status  int
		message string
	}{
		{"the SDK's headers", nil, http.StatusOK, ""},
		{"no key", map[string]string{"Authorization": ""}, http.StatusUnauthorized, "Missing API key"},
		{"wrong key", map[string]string{"Authorization": "Bearer rk_wrong"}, http.StatusUnauthorized, "Invalid API key."},
		{"key not bearer", map[string]string{"Authorization": testKey}, http.StatusUnauthorized, "Invalid API key."},
		{"no policy id", map[string]string{"x-policy-id": ""}, http.StatusBadRequest, "Missing x-policy-id"},
		{"another policy", map[string]string{"x-policy-id": "pol-other"}, http.StatusNotFound, `Policy "pol-other" not found`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/v1/healthz", "/v1/policy/input_features", "/v1/policy/output_features", "/v1/policy/reset"} {
				h := sdkHeaders()
				for k, v := range tc.set {
					h.Set(k, v)
				}
				code, body := s.getJSON(t, path, h)
				assert.Equal(t, tc.status, code, path)
				if tc.message != "" {
					assert.Contains(t, body["detail"], tc.message, path)
				}
			}
		})
	}
	c := s.Stats().Counters
	assert.Equal(t, 12, c.Unauthorized)
	assert.Equal(t, 8, c.WrongPolicy)
	assert.Equal(t, 6, c.Requests["healthz"])
}

func TestHealthIsDeployingForTheDeployTime(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.DeployTime = time.Minute })
	start := time.Now()
	s.now = func() time.Time { return start }
	_, body := s.getJSON(t, "/v1/healthz", nil)
	assert.Equal(t, map[string]any{"status": "DEPLOYING"}, body)
	code, _, errBody := s.infer(t, "/v1/policy/select_action", stateObs(0, 0, 0))
	assert.Equal(t, http.StatusServiceUnavailable, code, "no inference while deploying")
	assert.Contains(t, errBody["detail"], "is DEPLOYING")
	_, reset := s.getJSON(t, "/v1/policy/reset", nil)
	assert.Equal(t, map[string]any{"reset": false, "error": "policy is DEPLOYING"}, reset)

	s.now = func() time.Time { return start.Add(2 * time.Minute) }
	_, body = s.getJSON(t, "/v1/healthz", nil)
	assert.Equal(t, map[string]any{"status": "HEALTHY"}, body)
	code, _, _ = s.infer(t, "/v1/policy/select_action", stateObs(0, 0, 0))
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, 1, s.Stats().NotReady)
}

func TestFeaturesAreTheConfiguredMaps(t *testing.T) {
	image := Feature{Type: TypeVisual, Shape: []int{3, 4, 6}}
	for _, wrap := range []bool{false, true} {
		s := newTestServer(t, func(c *Config) {
			c.Inputs["observation.images.front"] = image
			c.WrapInputs = wrap
		})
		_, in := s.getJSON(t, "/v1/policy/input_features", nil)
		want := map[string]any{
			"observation.state":        map[string]any{"type": "STATE", "shape": []any{3.0}},
			"observation.images.front": map[string]any{"type": "VISUAL", "shape": []any{3.0, 4.0, 6.0}},
		}
		if wrap {
			want = map[string]any{"input_features": want}
		}
		assert.Equal(t, want, in)
		_, out := s.getJSON(t, "/v1/policy/output_features", nil)
		assert.Equal(t, map[string]any{"action": map[string]any{"type": "ACTION", "shape": []any{3.0}}}, out)
	}
}

func TestPredictActionChunkReachesForTheTarget(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.ChunkLength = 40 })
	code, v, _ := s.infer(t, "/v1/policy/predict_action_chunk", stateObs(0, 0, 0))
	require.Equal(t, http.StatusOK, code)
	a, vals := answer(t, v)
	assert.Equal(t, "<f4", a.DType)
	assert.Equal(t, []int{1, 40, 3}, a.Shape, "batch, chunk, action dim")
	assert.False(t, a.Tensor)
	target := []float64{1, -1, 0.5}
	maxStep := DefaultMaxSpeed / DefaultRate
	prev := []float64{0, 0, 0}
	for k := range 40 {
		for i := range 3 {
			x := vals[k*3+i]
			assert.LessOrEqual(t, math.Abs(target[i]-x), math.Abs(target[i]-prev[i])+1e-6, "step %d dim %d closer", k, i)
			assert.LessOrEqual(t, math.Abs(x-prev[i]), maxStep+1e-6, "step %d dim %d within the speed cap", k, i)
			prev[i] = x
		}
	}
	// Played from its own end, the chunk settles on the target.
	state := []float32{float32(prev[0]), float32(prev[1]), float32(prev[2])}
	for range 20 {
		_, v, _ = s.infer(t, "/v1/policy/predict_action_chunk", stateObs(state...))
		_, vals = answer(t, v)
		copy(state, []float32{float32(vals[117]), float32(vals[118]), float32(vals[119])})
	}
	for i := range 3 {
		assert.InDelta(t, target[i], state[i], 1e-4, "dim %d converged", i)
	}
	st := s.Stats()
	assert.Equal(t, 21, st.Observations)
	assert.Equal(t, Episode{Observations: 21, Chunks: 21, Actions: 21 * 40}, st.Episode)
	assert.Equal(t, "reach the target", st.Last.Task)
	assert.Equal(t, 1, st.PeakInFlight)
}

func TestSelectActionPlaysAQueueUntilReset(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.ChunkLength, c.ActionSteps = 6, 3 })
	first := func() []float64 {
		_, v, _ := s.infer(t, "/v1/policy/select_action", stateObs(0, 0, 0))
		a, vals := answer(t, v)
		assert.Equal(t, []int{1, 3}, a.Shape, "batch, action dim")
		return vals
	}
	a1, a2, a3 := first(), first(), first()
	assert.Less(t, a1[0], a2[0], "the queue's next action, from the same observation")
	assert.Less(t, a2[0], a3[0])
	a4 := first()
	assert.Equal(t, a1, a4, "after ActionSteps actions the queue refills from the observation")
	first()
	_, reset := s.getJSON(t, "/v1/policy/reset", nil)
	assert.Equal(t, map[string]any{"reset": true}, reset)
	assert.Equal(t, a1, first(), "reset empties the queue")
	st := s.Stats()
	assert.Equal(t, Episode{Observations: 1, Chunks: 1, Actions: 1}, st.Episode, "reset clears the episode")
	assert.Equal(t, 6, st.Observations, "and keeps the counters")
	assert.Equal(t, 1, st.Resets)
	assert.Equal(t, 6, st.Requests["select_action"])
}

func TestTensorAnswers(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.TensorAnswers, c.TensorDevice = true, "cuda:0" })
	_, v, _ := s.infer(t, "/v1/policy/predict_action_chunk", stateObs(0, 0, 0))
	a, _ := answer(t, v)
	assert.True(t, a.Tensor)
	assert.Equal(t, "cuda:0", a.Device)
	assert.Equal(t, []int{1, 5, 3}, a.Shape)
}

func TestObservationsAreHeldToTheInputFeatures(t *testing.T) {
	image := Feature{Type: TypeVisual, Shape: []int{3, 2, 2}}
	s := newTestServer(t, func(c *Config) { c.Inputs["observation.images.front"] = image })
	good := func() map[string]any {
		o := stateObs(0, 0, 0)
		o["observation.images.front"] = ndarray.FromFloat32([]int{3, 2, 2}, make([]float32, 12))
		return o
	}
	img := func(v float32) ndarray.Array {
		vals := make([]float32, 12)
		vals[5] = v
		return ndarray.FromFloat32([]int{3, 2, 2}, vals)
	}
	for _, tc := range []struct {
		name string
		edit func(map[string]any)
		want []string // in the message
	}{
		{"missing state", func(o map[string]any) { delete(o, StateKey) }, []string{"observation.state: missing: input_features want STATE of shape [3]"}},
		{"wrong state shape", func(o map[string]any) { o[StateKey] = ndarray.FromFloat32([]int{4}, make([]float32, 4)) },
			[]string{"observation.state: shape [4] sent, input_features say [3]"}},
		{"batched image", func(o map[string]any) {
			o["observation.images.front"] = ndarray.FromFloat32([]int{1, 3, 2, 2}, make([]float32, 12))
		}, []string{"observation.images.front: shape [1 3 2 2] sent, input_features say [3 2 2]"}},
		{"an unknown key", func(o map[string]any) { o["observation.images.wrist"] = img(0) },
			[]string{"observation.images.wrist: not an input feature (input_features: observation.images.front, observation.state)"}},
		{"integer image", func(o map[string]any) {
			o["observation.images.front"] = ndarray.Array{DType: "|u1", Shape: []int{3, 2, 2}, Data: make([]byte, 12)}
		}, []string{"observation.images.front: dtype |u1 sent: want floats (<f4)"}},
		{"image above 1", func(o map[string]any) { o["observation.images.front"] = img(255) }, []string{"element 5 is 255: images are floats in [0, 1]"}},
		{"NaN state", func(o map[string]any) {
			o[StateKey] = ndarray.FromFloat32([]int{3}, []float32{0, float32(math.NaN()), 0})
		}, []string{"observation.state: element 1 is NaN"}},
		{"a list for the state", func(o map[string]any) { o[StateKey] = []any{0.0, 0.0, 0.0} }, []string{"observation.state: a msgpack list: input_features want an array of shape [3]"}},
		{"a numpy scalar", func(o map[string]any) { o[StateKey] = ndarray.Scalar{DType: "<f4", Value: 1.0} }, []string{"a msgpack numpy scalar"}},
		{"no task", func(o map[string]any) { delete(o, TaskKey) }, []string{"task: missing"}},
		{"task not text", func(o map[string]any) { o[TaskKey] = 3 }, []string{"task: a msgpack number: the task is a string"}},
		{"two problems", func(o map[string]any) { delete(o, StateKey); delete(o, TaskKey) }, []string{"observation.state: missing", "; task: missing"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := good()
			tc.edit(o)
			for _, path := range []string{"/v1/policy/select_action", "/v1/policy/predict_action_chunk"} {
				code, _, body := s.infer(t, path, o)
				require.Equal(t, http.StatusUnprocessableEntity, code, path)
				for _, w := range tc.want {
					assert.Contains(t, body["message"], w, path)
				}
				detail, ok := body["detail"].([]any)
				require.True(t, ok, "FastAPI's detail list")
				assert.Len(t, detail, len(tc.want))
			}
		})
	}
	code, _, _ := s.infer(t, "/v1/policy/select_action", good())
	assert.Equal(t, http.StatusOK, code, "the good observation passes")
	st := s.Stats()
	assert.Equal(t, 24, st.Rejected)
	assert.Equal(t, 1, st.Observations)
	assert.Equal(t, map[string]float64{"observation.images.front": 0}, st.Last.ImageMeans)
}

func TestInferenceWantsMsgpackBothWays(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.MaxBody = 2048 })
	body, err := ndarray.Marshal(stateObs(0, 0, 0))
	require.NoError(t, err)
	big, err := ndarray.Marshal(stateObs(make([]float32, 1000)...))
	require.NoError(t, err)
	for _, tc := range []struct {
		name        string
		contentType string
		accept      string
		method      string
		body        []byte
		status      int
		detail      string
	}{
		{"the SDK's request", "application/msgpack", "application/msgpack", http.MethodPost, body, http.StatusOK, ""},
		{"JSON content type", "application/json", "application/msgpack", http.MethodPost, body, http.StatusUnsupportedMediaType, `Content-Type "application/json"`},
		{"JSON accepted", "application/msgpack", "application/json", http.MethodPost, body, http.StatusNotAcceptable, `Accept "application/json"`},
		{"among others", "application/msgpack", "application/json, application/msgpack;q=0.9", http.MethodPost, body, http.StatusOK, ""},
		{"too large", "application/msgpack", "application/msgpack", http.MethodPost, big, http.StatusRequestEntityTooLarge, "larger than 2048 bytes"},
		{"not msgpack", "application/msgpack", "application/msgpack", http.MethodPost, []byte{0xc1}, http.StatusBadRequest, "not a msgpack observation"},
		{"not a map", "application/msgpack", "application/msgpack", http.MethodPost, []byte{0x93, 1, 2, 3}, http.StatusBadRequest, "msgpack list"},
		{"a GET", "application/msgpack", "application/msgpack", http.MethodGet, nil, http.StatusMethodNotAllowed, "use POST"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := msgpackHeaders()
			h.Set("Content-Type", tc.contentType)
			h.Set("Accept", tc.accept)
			resp := s.do(t, tc.method, "/v1/policy/select_action", h, tc.body)
			require.Equal(t, tc.status, resp.StatusCode)
			if tc.detail != "" {
				assert.Contains(t, decodeJSON(t, resp)["detail"], tc.detail)
			}
		})
	}
	c := s.Stats().Counters
	assert.Equal(t, 2, c.BadContentType)
	assert.Equal(t, 1, c.TooLarge)
	assert.Equal(t, 2, c.Malformed)
	assert.Equal(t, 2, c.Observations)
	assert.Equal(t, "roboactions-sdk-python/0.1.2", s.Stats().Last.UserAgent)
}

func TestListAndUnknownRoutes(t *testing.T) {
	s := newTestServer(t, nil)
	h := sdkHeaders()
	h.Del("x-policy-id")
	resp := s.do(t, http.MethodGet, "/v1/policy/list", h, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "list needs only the key")
	code, body := s.getJSON(t, "/v1/policy/nothing", nil)
	assert.Equal(t, http.StatusNotFound, code)
	assert.Equal(t, "Not Found", body["detail"])
	resp = s.do(t, http.MethodPost, "/v1/policy/delete", sdkHeaders(), []byte(`{"policy_id":"x"}`))
	assert.Equal(t, http.StatusNotImplemented, resp.StatusCode)
}
