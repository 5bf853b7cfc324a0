package localpolicy_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/abbridge/ab_bridge/internal/localpolicy"
	"github.com/abbridge/ab_bridge/internal/ndarray"
	"github.com/abbridge/ab_bridge/internal/roboactions"
	"github.com/abbridge/ab_bridge/internal/secret"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The node's client (internal/roboactions) against the stand-in: what one
// sends, the other takes, both ways. The SDK's side is in test/.

const interopKey = "rk_interop_77c1"

func interop(t *testing.T, mod func(*localpolicy.Config)) (*localpolicy.Server, *roboactions.Client) {
	t.Helper()
	conf := localpolicy.Config{PolicyID: "pol-interop", APIKey: secret.New(interopKey), ChunkLength: 5, Target: []float64{1, -1, 0.5}, Faults: true}
	conf.Inputs, conf.Outputs = localpolicy.DefaultFeatures(3)
	conf.Inputs["observation.images.top"] = localpolicy.Feature{Type: localpolicy.TypeVisual, Shape: []int{3, 4, 4}}
	if mod != nil {
		mod(&conf)
	}
	s, err := localpolicy.New(conf)
	require.NoError(t, err)
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	c, err := roboactions.New(roboactions.Options{BaseURL: hs.URL, PolicyID: conf.PolicyID, Key: conf.APIKey, Backoff: time.Millisecond, Timeout: 5 * time.Second})
	require.NoError(t, err)
	return s, c
}

func interopObs(state ...float32) map[string]any {
	return map[string]any{
		"observation.state":      ndarray.FromFloat32([]int{len(state)}, state),
		"observation.images.top": ndarray.FromFloat32([]int{3, 4, 4}, make([]float32, 48)),
		"task":                   "reach",
	}
}

func TestTheNodesClientAgainstTheStandIn(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, c := interop(t, nil)
	require.NoError(t, s.SetStatus(localpolicy.StatusDeploying, 100*time.Millisecond))
	st, err := c.WaitDeployed(ctx, 10*time.Millisecond, nil)
	require.NoError(t, err)
	assert.Equal(t, roboactions.Healthy, st)

	in, err := c.InputFeatures(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"observation.images.top", "observation.state"}, in.Keys())
	assert.Equal(t, []int{3, 4, 4}, in["observation.images.top"].Shape)
	out, err := c.OutputFeatures(ctx)
	require.NoError(t, err)
	assert.Equal(t, roboactions.Feature{Type: "ACTION", Shape: []int{3}}, out["action"])

	ans, err := c.PredictActionChunk(ctx, interopObs(0, 0, 0))
	require.NoError(t, err)
	rows, err := roboactions.Chunk(ans)
	require.NoError(t, err)
	require.Len(t, rows, 5)
	assert.Greater(t, rows[4][0], rows[0][0], "toward +1")
	assert.Less(t, rows[4][1], rows[0][1], "toward -1")
	ans, err = c.SelectAction(ctx, interopObs(0, 0, 0))
	require.NoError(t, err)
	one, err := roboactions.Chunk(ans)
	require.NoError(t, err)
	assert.Equal(t, rows[:1], one, "select_action's first action is the chunk's")
	require.NoError(t, c.Reset(ctx))

	stats := s.Stats()
	assert.Equal(t, 2, stats.Observations)
	assert.Equal(t, 1, stats.Resets)
	assert.Equal(t, "reach", stats.Last.Task)
	assert.Contains(t, stats.Last.UserAgent, "roboactions/0.1.2")
}

func TestTheNodesClientHearsTheStandInsRefusals(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, c := interop(t, nil)
	_, err := c.SelectAction(ctx, interopObs(0, 0, 0, 0))
	var api *roboactions.APIError
	require.ErrorAs(t, err, &api)
	assert.Equal(t, http.StatusUnprocessableEntity, api.Status)
	assert.Contains(t, api.Message, "observation.state: shape [4] sent, input_features say [3]")
	assert.True(t, roboactions.IsFatal(err))

	require.NoError(t, s.FailNext(localpolicy.Fault{Status: 429, Count: 2, Path: "/v1/policy/select_action", RetryAfter: 0.01}))
	_, err = c.SelectAction(ctx, interopObs(0, 0, 0))
	require.NoError(t, err, "retried past two 429s")
	assert.Equal(t, 2, s.Stats().Injected)

	require.NoError(t, s.FailNext(localpolicy.Fault{Status: 401, Count: 1}))
	_, err = c.Status(ctx)
	require.ErrorAs(t, err, &api)
	assert.Equal(t, http.StatusUnauthorized, api.Status)
	assert.True(t, roboactions.IsFatal(err), "401 is not retried")

	require.NoError(t, s.SetStatus(localpolicy.StatusStopped, 0))
	_, err = c.PredictActionChunk(ctx, interopObs(0, 0, 0))
	require.True(t, errors.As(err, &api), "%v", err)
	assert.Equal(t, http.StatusServiceUnavailable, api.Status, "inference while STOPPED, after the retries")
}

func TestTheNodesClientReadsTensorAnswersOneAtATime(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, c := interop(t, func(conf *localpolicy.Config) { conf.TensorAnswers, conf.Latency = true, 5*time.Millisecond })
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ans, err := c.PredictActionChunk(ctx, interopObs(0, 0, 0))
			if err == nil {
				_, err = roboactions.Chunk(ans)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	assert.Equal(t, 1, s.Stats().PeakInFlight, "the client never has two requests in flight")
	assert.Equal(t, 4, s.Stats().Observations)
}
