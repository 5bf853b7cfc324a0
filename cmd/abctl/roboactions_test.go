package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/abbridge/ab_bridge/internal/ndarray"
	"github.com/abbridge/ab_bridge/internal/roboactions"
	"github.com/abbridge/ab_bridge/internal/testsupport"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var roboActionsReady = regexp.MustCompile(`roboactions stand-in listening on (http://127\.0\.0\.1:\d+) \(policy (\S+)\)\n`)

// startRoboActions runs the command in-process until the test ends and
// returns its URL and its log.
func startRoboActions(t *testing.T, args ...string) (string, *testsupport.SyncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout testsupport.SyncBuffer
	stderr := &testsupport.SyncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"roboactions", "--listen", "127.0.0.1:0"}, args...), &stdout, stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err, "roboactions ends cleanly on cancel")
		case <-time.After(10 * time.Second):
			t.Error("roboactions did not end after cancel")
		}
	})
	require.Eventually(t, func() bool { return roboActionsReady.MatchString(stdout.String()) }, 10*time.Second, 10*time.Millisecond, "ready line; stderr:\n%s", stderr)
	return roboActionsReady.FindStringSubmatch(stdout.String())[1], stderr
}

// policyGet is a JSON GET as the SDK sends it.
func policyGet(t *testing.T, url, path, key, policy string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("x-policy-id", policy)
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body
}

func TestRoboActionsServesThePolicyWithKeyFromEnv(t *testing.T) {
	const key = "rk_env_key_81d2"
	t.Setenv(roboactions.KeyEnv, key)
	url, stderr := startRoboActions(t, "--policy-id", "pol-arm", "--state-dim", "2", "--image", "front=3x4x4",
		"--chunk", "3", "--target", "1,-1", "--tensor")
	code, _ := policyGet(t, url, "/v1/healthz", "rk_not_it", "pol-arm")
	assert.Equal(t, http.StatusUnauthorized, code)
	code, body := policyGet(t, url, "/v1/healthz", key, "pol-arm")
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "HEALTHY", body["status"])
	_, in := policyGet(t, url, "/v1/policy/input_features", key, "pol-arm")
	assert.Equal(t, map[string]any{
		"observation.state":        map[string]any{"type": "STATE", "shape": []any{2.0}},
		"observation.images.front": map[string]any{"type": "VISUAL", "shape": []any{3.0, 4.0, 4.0}},
	}, in)

	obs, err := ndarray.Marshal(map[string]any{
		"observation.state":        ndarray.FromFloat32([]int{2}, []float32{0, 0}),
		"observation.images.front": ndarray.FromFloat32([]int{3, 4, 4}, make([]float32, 48)),
		"task":                     "reach",
	})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, url+"/v1/policy/predict_action_chunk", bytes.NewReader(obs))
	require.NoError(t, err)
	for k, v := range map[string]string{"Authorization": "Bearer " + key, "x-policy-id": "pol-arm", "Content-Type": "application/msgpack", "Accept": "application/msgpack"} {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	v, err := ndarray.Unmarshal(raw)
	require.NoError(t, err)
	a, ok := v.(ndarray.Array)
	require.True(t, ok)
	assert.True(t, a.Tensor, "--tensor")
	assert.Equal(t, []int{1, 3, 2}, a.Shape)
	vals, err := a.Float64s()
	require.NoError(t, err)
	assert.Greater(t, vals[4], vals[0], "toward +1")
	assert.Less(t, vals[5], vals[1], "toward -1")
	assert.Contains(t, stderr.String(), "from=\"environment variable ROBOACTIONS_API_KEY\"")
	assert.NotContains(t, stderr.String(), key, "the key never logged")
}

func TestRoboActionsKeyFileAndFeaturesFile(t *testing.T) {
	t.Setenv(roboactions.KeyEnv, "rk_env_not_used")
	keyFile := writeFile(t, "key", "rk_file_key_33a0\n")
	features := writeFile(t, "features.json", `{"input_features": {"observation.state": {"type": "STATE", "shape": [3]}},
		"output_features": {"action": {"type": "ACTION", "shape": [3]}}}`)
	url, stderr := startRoboActions(t, "--key-file", keyFile, "--features", features, "--deploy-time", "1h", "--wrap-inputs")
	code, _ := policyGet(t, url, "/v1/healthz", "rk_env_not_used", "local-reach")
	assert.Equal(t, http.StatusUnauthorized, code, "the key file wins")
	_, body := policyGet(t, url, "/v1/healthz", "rk_file_key_33a0", "local-reach")
	assert.Equal(t, "DEPLOYING", body["status"], "--deploy-time")
	_, in := policyGet(t, url, "/v1/policy/input_features", "rk_file_key_33a0", "local-reach")
	assert.Equal(t, map[string]any{"input_features": map[string]any{"observation.state": map[string]any{"type": "STATE", "shape": []any{3.0}}}}, in)
	assert.NotContains(t, stderr.String(), "rk_file_key_33a0")
}

func TestRoboActionsRefusals(t *testing.T) {
	features := writeFile(t, "features.json", `{"input_features": {"observation.state": {"type": "STATE", "shape": [3]}}}`)
	for _, tc := range []struct {
		name  string
		env   string
		args  []string
		usage bool
		want  string
	}{
		{"no key", "", nil, false, "no API key"},
		{"beyond loopback", "k", []string{"--listen", "0.0.0.0:0"}, true, "loopback only"},
		{"bad image", "k", []string{"--image", "front=3x224"}, true, "NAME=CxHxW"},
		{"bad target", "k", []string{"--target", "1,x"}, true, `"x" is not a number`},
		{"target length", "k", []string{"--target", "1,2"}, false, "target: 2 values for an action of 7"},
		{"features and images", "k", []string{"--features", features, "--image", "a=3x2x2"}, true, "give one"},
		{"half a features file", "k", []string{"--features", features}, true, "want both"},
		{"an argument", "k", []string{"now"}, true, "takes no arguments"},
		{"the key as a flag", "k", []string{"--key", "rk_x"}, true, "flag provided but not defined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(roboactions.KeyEnv, tc.env)
			t.Chdir(t.TempDir()) // no .env
			var out, errOut bytes.Buffer
			err := run(context.Background(), append([]string{"roboactions", "--listen", "127.0.0.1:0"}, tc.args...), &out, &errOut)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Equal(t, tc.usage, errors.Is(err, errUsage))
			assert.Empty(t, out.String(), "nothing served")
		})
	}
}
