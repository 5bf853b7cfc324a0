package integration

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The RoboActions policy stand-in (abctl roboactions) against the official
// SDK 0.1.2 RemotePolicy client, run by test/peers/roboactions_sdk_client.py
// from the SDK's own venv (.cache/roboactions, made by scripts/setup).

var policyStandInReady = regexp.MustCompile(`roboactions stand-in listening on (http://127\.0\.0\.1:\d+) \(policy (\S+)\)`)

// The stand-in's policy in these tests: a 6-joint arm with one camera.
var (
	raTarget  = []float64{0.5, -0.4, 0.3, 0, 0.2, -0.1}
	raMaxStep = 0.5 / 30 // the default speed cap over one step at 30 actions/s
)

const (
	raChunk   = 10
	raSteps   = 4
	raMaxBody = 65536
)

// roboActionsSDKPython is the SDK 0.1.2 venv's interpreter; without it the
// test fails: the proof is the official client, nothing else.
func roboActionsSDKPython(t *testing.T) string {
	t.Helper()
	p := os.Getenv("AB_ROBOACTIONS_PYTHON")
	if p == "" {
		p = filepath.Join(repoRoot(t), ".cache", "roboactions", "bin", "python")
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("no RoboActions SDK 0.1.2 venv at %s: run scripts/setup (%v)", p, err)
	}
	return p
}

type policyStandIn struct {
	url, key, policy string
}

// startPolicyStandIn runs abctl roboactions with the fault knobs on.
func startPolicyStandIn(t *testing.T, extra ...string) policyStandIn {
	t.Helper()
	roboActionsSDKPython(t) // fail before starting anything when the SDK is missing
	s := policyStandIn{key: "rk_" + randomKey(t), policy: "pol-reach-" + randomKey(t)[5:13]}
	target := make([]string, len(raTarget))
	for i, v := range raTarget {
		target[i] = strconv.FormatFloat(v, 'f', -1, 64)
	}
	args := []string{"roboactions", "--listen", "127.0.0.1:0", "--policy-id", s.policy, "--state-dim", "6",
		"--image", "front=3x32x32", "--chunk", strconv.Itoa(raChunk), "--action-steps", strconv.Itoa(raSteps),
		"--target", strings.Join(target, ","), "--max-body", strconv.Itoa(raMaxBody), "--faults"}
	cmd := exec.Command(goBinary(t, "cmd/abctl"), append(args, extra...)...)
	cmd.Env = append(os.Environ(), "ROBOACTIONS_API_KEY="+s.key)
	p := startProc(t, "abctl roboactions", cmd)
	p.waitOutput(t, "roboactions stand-in listening on ", 30*time.Second)
	m := policyStandInReady.FindStringSubmatch(p.out.String())
	require.NotNil(t, m, p.out.String())
	require.Equal(t, s.policy, m[2])
	s.url = m[1]
	return s
}

// policySDKError is an exception the SDK raised.
type policySDKError struct {
	Type               string         `json:"type"`
	Message            string         `json:"message"`
	IsRoboActionsError bool           `json:"isRoboActionsError"`
	RetryAfter         *float64       `json:"retryAfter"`
	Payload            map[string]any `json:"payload"`
}

// policyArray is an answer as the SDK decoded it.
type policyArray struct {
	Type   string `json:"type"`
	DType  string `json:"dtype"`
	Shape  []int  `json:"shape"`
	Values any    `json:"values"`
}

type policyStats struct {
	Requests     map[string]int `json:"requests"`
	Observations int            `json:"observations"`
	Rejected     int            `json:"rejected"`
	Unauthorized int            `json:"unauthorized"`
	WrongPolicy  int            `json:"wrong_policy"`
	TooLarge     int            `json:"too_large"`
	Injected     int            `json:"injected"`
	Dropped      int            `json:"dropped"`
	Delayed      int            `json:"delayed"`
	Resets       int            `json:"resets"`
	PeakInFlight int            `json:"peak_in_flight"`
	Last         struct {
		State      []float64          `json:"state"`
		Task       string             `json:"task"`
		ImageMeans map[string]float64 `json:"image_means"`
		UserAgent  string             `json:"user_agent"`
	} `json:"last"`
}

// policyResult is what the peer prints.
type policyResult struct {
	Phases []string `json:"phases"`
	Error  *string  `json:"error"`
	Health struct {
		First               string         `json:"first"`
		ResetWhileDeploying map[string]any `json:"resetWhileDeploying"`
		Final               string         `json:"final"`
		Polls               int            `json:"polls"`
		Ping                bool           `json:"ping"`
		IsEnum              bool           `json:"isEnum"`
	} `json:"health"`
	Features struct {
		Inputs  map[string]any `json:"inputs"`
		Shapes  [][]any        `json:"shapes"`
		Outputs map[string]any `json:"outputs"`
	} `json:"features"`
	Chunk policyArray `json:"chunk"`
	Reach struct {
		Distances []float64 `json:"distances"`
		Final     []float64 `json:"final"`
	} `json:"reach"`
	Select struct {
		First        policyArray    `json:"first"`
		Actions      [][][]float64  `json:"actions"`
		Reset        map[string]any `json:"reset"`
		AfterReset   [][]float64    `json:"afterReset"`
		Float64State []int          `json:"float64State"`
	} `json:"select"`
	Seen    policyStats                `json:"seen"`
	Refused map[string]*policySDKError `json:"refused"`
	Errors  struct {
		WrongKey            *policySDKError `json:"wrongKey"`
		WrongKeyInference   *policySDKError `json:"wrongKeyInference"`
		OtherPolicy         *policySDKError `json:"otherPolicy"`
		Injected401         *policySDKError `json:"injected401"`
		Injected403         *policySDKError `json:"injected403"`
		RateLimited         *policySDKError `json:"rateLimited"`
		RateLimitedNoHeader *policySDKError `json:"rateLimitedNoHeader"`
		ServerError         *policySDKError `json:"serverError"`
		Retried429          struct {
			Shape []int `json:"shape"`
		} `json:"retried429"`
		Retried503 struct {
			Shape []int `json:"shape"`
		} `json:"retried503"`
		RetriedRequests int             `json:"retriedRequests"`
		Dropped         *policySDKError `json:"dropped"`
		Slow            *policySDKError `json:"slow"`
		AfterFaults     string          `json:"afterFaults"`
	} `json:"errors"`
	List  []map[string]string `json:"list"`
	Final policyStats         `json:"final"`
}

func runPolicyPeer(t *testing.T, s policyStandIn, scenario string, out any) {
	t.Helper()
	target := make([]string, len(raTarget))
	for i, v := range raTarget {
		target[i] = strconv.FormatFloat(v, 'f', -1, 64)
	}
	cmd := exec.Command(roboActionsSDKPython(t), filepath.Join(repoRoot(t), "test", "peers", "roboactions_sdk_client.py"),
		"--url", s.url, "--policy-id", s.policy, "--scenario", scenario, "--target", strings.Join(target, ","),
		"--action-steps", strconv.Itoa(raSteps), "--max-body", strconv.Itoa(raMaxBody))
	cmd.Env = append(os.Environ(), "ROBOACTIONS_API_KEY="+s.key, "PYTHONUNBUFFERED=1")
	p := startProc(t, "SDK 0.1.2 peer", cmd)
	peerResult(t, p, 2*time.Minute, out)
}

// sdkError checks one exception: its SDK class and its message.
func sdkError(t *testing.T, e *policySDKError, typ, message string) {
	t.Helper()
	require.NotNil(t, e, "the SDK raised %s", typ)
	assert.Equal(t, typ, e.Type)
	assert.Contains(t, e.Message, message)
	assert.True(t, e.IsRoboActionsError, "a RoboActionsError")
}

func TestRoboActionsStandInAgainstSDK(t *testing.T) {
	s := startPolicyStandIn(t)
	var r policyResult
	runPolicyPeer(t, s, "main", &r)
	require.Nil(t, r.Error, "the peer's phases ran: %v", r.Phases)
	assert.Equal(t, []string{"health", "features", "chunk", "select", "seen", "refused", "errors", "list"}, r.Phases)

	t.Run("health", func(t *testing.T) {
		assert.Equal(t, "DEPLOYING", r.Health.First, "status() during a redeploy")
		assert.Equal(t, map[string]any{"reset": false, "error": "policy is DEPLOYING"}, r.Health.ResetWhileDeploying)
		assert.Equal(t, "HEALTHY", r.Health.Final, "wait_until_deployed's PolicyStatus")
		assert.True(t, r.Health.IsEnum)
		assert.Greater(t, r.Health.Polls, 1, "wait_until_deployed polled while DEPLOYING")
		assert.True(t, r.Health.Ping)
	})
	t.Run("features", func(t *testing.T) {
		assert.Equal(t, map[string]any{
			"observation.state":        map[string]any{"type": "STATE", "shape": []any{6.0}},
			"observation.images.front": map[string]any{"type": "VISUAL", "shape": []any{3.0, 32.0, 32.0}},
		}, r.Features.Inputs)
		assert.ElementsMatch(t, [][]any{{"observation.state", []any{6.0}}, {"observation.images.front", []any{3.0, 32.0, 32.0}}},
			r.Features.Shapes, "the SDK's observation_shapes")
		assert.Equal(t, map[string]any{"action": map[string]any{"type": "ACTION", "shape": []any{6.0}}}, r.Features.Outputs)
	})
	t.Run("predict_action_chunk", func(t *testing.T) {
		assert.Equal(t, "ndarray", r.Chunk.Type)
		assert.Equal(t, "float32", r.Chunk.DType)
		assert.Equal(t, []int{1, raChunk, 6}, r.Chunk.Shape, "batch, chunk, action dim")
		rows := chunkRows(t, r.Chunk.Values)
		require.Len(t, rows, raChunk)
		prev := make([]float64, 6) // the observed state: zeros
		for k, row := range rows {
			for i, x := range row {
				assert.LessOrEqual(t, math.Abs(raTarget[i]-x), math.Abs(raTarget[i]-prev[i])+1e-6, "action %d joint %d no farther", k, i)
				assert.LessOrEqual(t, math.Abs(x-prev[i]), raMaxStep+1e-6, "action %d joint %d within the speed cap", k, i)
			}
			prev = row
		}
		assert.InDelta(t, raMaxStep, rows[0][0], 1e-6, "joint 0 sets off at the speed cap")
		require.Len(t, r.Reach.Distances, 12)
		for k := 1; k < len(r.Reach.Distances); k++ {
			assert.LessOrEqual(t, r.Reach.Distances[k], r.Reach.Distances[k-1], "chunk %d closer", k)
		}
		assert.Less(t, r.Reach.Distances[len(r.Reach.Distances)-1], 1e-4, "converged on the target")
		for i, x := range r.Reach.Final {
			assert.InDelta(t, raTarget[i], x, 1e-4)
		}
	})
	t.Run("select_action and reset", func(t *testing.T) {
		assert.Equal(t, "ndarray", r.Select.First.Type)
		assert.Equal(t, "float32", r.Select.First.DType)
		assert.Equal(t, []int{1, 6}, r.Select.First.Shape, "batch, action dim")
		a := r.Select.Actions
		require.Len(t, a, raSteps+1)
		for k := 1; k < raSteps; k++ {
			assert.Greater(t, a[k][0][0], a[k-1][0][0], "the queue's next action from the same observation")
		}
		assert.Equal(t, a[0], a[raSteps], "the queue refilled after action steps")
		assert.Equal(t, map[string]any{"reset": true}, r.Select.Reset)
		assert.Equal(t, a[0], r.Select.AfterReset, "reset emptied the queue")
		assert.Equal(t, []int{1, 6}, r.Select.Float64State, "a float64 state is accepted")
	})
	t.Run("what the stand-in saw", func(t *testing.T) {
		seen := r.Seen
		assert.Equal(t, "roboactions-sdk-python/0.1.2", seen.Last.UserAgent)
		assert.Equal(t, "reach the target", seen.Last.Task)
		assert.Equal(t, map[string]float64{"observation.images.front": 0.5}, seen.Last.ImageMeans)
		assert.Equal(t, 1+12+raSteps+1+2, seen.Observations, "every observation the peer sent")
		assert.Equal(t, 13, seen.Requests["predict_action_chunk"])
		assert.Equal(t, 1, seen.Resets)
		assert.Equal(t, 1, seen.PeakInFlight, "the SDK sends one request at a time")
	})
	t.Run("refused observations", func(t *testing.T) {
		ref := r.Refused
		sdkError(t, ref["badShape"], "ClientError", "observation.state: shape [7] sent, input_features say [6]")
		sdkError(t, ref["missing"], "ClientError", "observation.state: missing: input_features want STATE of shape [6]")
		sdkError(t, ref["scalar"], "ClientError", "observation.state: a msgpack numpy scalar")
		sdkError(t, ref["ints"], "ClientError", "observation.state: dtype <i8 sent")
		sdkError(t, ref["noTask"], "ClientError", "task: missing")
		sdkError(t, ref["tooLarge"], "ClientError", "Observation body larger than 65536 bytes.")
		assert.Equal(t, 5, r.Final.Rejected)
		assert.Equal(t, 1, r.Final.TooLarge)
	})
	t.Run("errors as the SDK maps them", func(t *testing.T) {
		e := r.Errors
		sdkError(t, e.WrongKey, "AuthenticationError", "Invalid API key.")
		sdkError(t, e.WrongKeyInference, "AuthenticationError", "Invalid API key.")
		sdkError(t, e.OtherPolicy, "NotFoundError", `Policy "pol-not-here" not found`)
		sdkError(t, e.Injected401, "AuthenticationError", "Injected fault: HTTP 401")
		sdkError(t, e.Injected403, "AuthorizationError", "Injected fault: HTTP 403")
		sdkError(t, e.RateLimited, "RateLimitError", "Rate limit exceeded")
		require.NotNil(t, e.RateLimited.RetryAfter)
		assert.Equal(t, 7.0, *e.RateLimited.RetryAfter, "Retry-After read by the SDK")
		sdkError(t, e.RateLimitedNoHeader, "RateLimitError", "Rate limit exceeded")
		assert.Nil(t, e.RateLimitedNoHeader.RetryAfter)
		sdkError(t, e.ServerError, "ServerError", "RoboActions server error")
		assert.Equal(t, "Injected fault: HTTP 500 (stand-in fault knob).", e.ServerError.Payload["detail"])
		assert.Equal(t, []int{1, 6}, e.Retried429.Shape, "the SDK's retries got past two 429s")
		assert.Equal(t, []int{1, 6}, e.Retried503.Shape, "and one 503")
		assert.Equal(t, 5, e.RetriedRequests, "3 + 2 attempts")
		sdkError(t, e.Dropped, "TransportError", "Networking error")
		sdkError(t, e.Slow, "TransportError", "Request timed out")
		assert.Equal(t, "HEALTHY", e.AfterFaults)
		f := r.Final
		assert.Equal(t, 2, f.Unauthorized)
		assert.Equal(t, 1, f.WrongPolicy)
		assert.Equal(t, 1+1+1+1+1+2+1, f.Injected, "each injected answer reached the SDK")
		assert.Equal(t, 1, f.Dropped)
		assert.Equal(t, 1, f.Delayed)
	})
	t.Run("list", func(t *testing.T) {
		assert.Equal(t, []map[string]string{{"policy_id": s.policy, "display_name": "Local reach policy"}}, r.List)
	})
}

type policyTensorResult struct {
	Phases   []string `json:"phases"`
	Error    *string  `json:"error"`
	Features struct {
		Inputs map[string]any `json:"inputs"`
		Shapes [][]any        `json:"shapes"`
	} `json:"features"`
	Chunk  policyArray `json:"chunk"`
	Select policyArray `json:"select"`
}

func TestRoboActionsStandInTensorsAgainstSDK(t *testing.T) {
	s := startPolicyStandIn(t, "--tensor", "--wrap-inputs")
	var r policyTensorResult
	runPolicyPeer(t, s, "tensor", &r)
	require.Nil(t, r.Error, "the peer's phases ran: %v", r.Phases)
	assert.Equal(t, []string{"features", "tensorAnswers"}, r.Phases)
	assert.Contains(t, r.Features.Inputs, "input_features", "the wrapped form")
	assert.ElementsMatch(t, [][]any{{"observation.state", []any{6.0}}, {"observation.images.front", []any{3.0, 32.0, 32.0}}},
		r.Features.Shapes, "observation_shapes reads the wrapped form too")
	// Without torch the SDK decodes a __torch_tensor__ map to numpy.
	assert.Equal(t, policyArray{Type: "ndarray", DType: "float32", Shape: []int{1, raChunk, 6}}, policyArray{Type: r.Chunk.Type, DType: r.Chunk.DType, Shape: r.Chunk.Shape})
	assert.Equal(t, []int{1, 6}, r.Select.Shape)
	rows := chunkRows(t, r.Chunk.Values)
	assert.InDelta(t, raMaxStep, rows[0][0], 1e-6, "the same reach")
}

// chunkRows reads a (1, T, D) answer's rows.
func chunkRows(t *testing.T, v any) [][]float64 {
	t.Helper()
	batch, ok := v.([]any)
	require.True(t, ok && len(batch) == 1, "one batch: %v", v)
	var rows [][]float64
	for _, raw := range batch[0].([]any) {
		var row []float64
		for _, x := range raw.([]any) {
			row = append(row, x.(float64))
		}
		rows = append(rows, row)
	}
	return rows
}
