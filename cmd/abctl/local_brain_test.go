package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/abbridge/ab_bridge/internal/testsupport"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var readyLine = regexp.MustCompile(`local brain listening on (http://127\.0\.0\.1:\d+)\n`)

// startLocalBrain runs the command in-process until the test ends and
// returns its URL.
func startLocalBrain(t *testing.T, args ...string) (url string, stderr *testsupport.SyncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout testsupport.SyncBuffer
	stderr = &testsupport.SyncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"local-brain", "--listen", "127.0.0.1:0"}, args...), &stdout, stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err, "local-brain ends cleanly on cancel")
		case <-time.After(10 * time.Second):
			t.Error("local-brain did not end after cancel")
		}
	})
	require.Eventually(t, func() bool { return readyLine.MatchString(stdout.String()) }, 10*time.Second, 10*time.Millisecond, "ready line; stderr:\n%s", stderr)
	return readyLine.FindStringSubmatch(stdout.String())[1], stderr
}

func getStatus(t *testing.T, url, key string) int {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	require.NoError(t, err)
	if key != "" {
		req.Header.Set("x-api-key", key)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

func TestLocalBrainServesWithKeyFromEnv(t *testing.T) {
	const key = "env-key-5f1c"
	t.Setenv(apiKeyEnv, key)
	url, stderr := startLocalBrain(t, "--cycle-ms", "20")
	contract := url + "/api/robot/demo/contract"
	assert.Equal(t, http.StatusUnauthorized, getStatus(t, contract, ""))
	assert.Equal(t, http.StatusOK, getStatus(t, contract, key))
	assert.Contains(t, stderr.String(), `msg="local brain listening"`, "slog on stderr")
	assert.NotContains(t, stderr.String(), key, "the key never reaches the log")
}

func TestLocalBrainWithoutKey(t *testing.T) {
	t.Setenv(apiKeyEnv, "")
	url, _ := startLocalBrain(t)
	assert.Equal(t, http.StatusOK, getStatus(t, url+"/api/robot/demo/contract", ""))
	assert.Equal(t, http.StatusNotFound, getStatus(t, url+"/admin/runs/x/disconnect", ""), "no admin route by default")
}

func TestLocalBrainRecordsEvents(t *testing.T) {
	t.Setenv(apiKeyEnv, "")
	path := filepath.Join(t.TempDir(), "events.jsonl")
	url, _ := startLocalBrain(t, "--record", path, "--admin")
	resp, err := http.Post(url+"/api/robot/demo/start", "application/json", strings.NewReader("{}"))
	require.NoError(t, err)
	var started map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&started))
	resp.Body.Close()
	// The admin route answers when --admin is given: here, a run with no socket.
	resp, err = http.Post(url+"/admin/runs/"+started["runId"].(string)+"/disconnect", "application/json", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	_, err = os.Stat(path)
	assert.NoError(t, err, "the record file exists from the start")
}

// The run options' server-wide defaults: the brain serves with them; what
// they do to a run is localbrain's to test.
func TestLocalBrainServesLockStepWithoutLearning(t *testing.T) {
	t.Setenv(apiKeyEnv, "")
	url, _ := startLocalBrain(t, "--lock-step", "--learning=false")
	assert.Equal(t, http.StatusOK, getStatus(t, url+"/api/robot/demo/contract", ""))
}

func TestLocalBrainFlagErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"--api-key", "x"}, "flag provided but not defined"},
		{"argument", []string{"extra"}, "takes no arguments"},
		{"zero cycle", []string{"--cycle-ms", "0"}, "--cycle-ms must be positive"},
		{"negative deadline", []string{"--deadline-ms", "-1"}, "--deadline-ms"},
		{"bad level", []string{"--log-level", "loud"}, "--log-level"},
		{"bad learning", []string{"--learning=sometimes"}, "-learning"},
		{"lock-step value", []string{"--lock-step=2"}, "-lock-step"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), append([]string{"local-brain"}, tc.args...), &out, &errOut)
			require.ErrorIs(t, err, errUsage)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"local-brain", "--listen", "0.0.0.0:0"}, &out, &errOut)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not loopback")
	assert.NotErrorIs(t, err, errUsage)
}

func TestLocalBrainUsageNamesTheKeyVariable(t *testing.T) {
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"local-brain", "-h"}, &out, &errOut))
	assert.Contains(t, errOut.String(), apiKeyEnv)
	assert.Contains(t, errOut.String(), "command lines are visible")
	assert.NotContains(t, errOut.String(), "-api-key")
	assert.Contains(t, errOut.String(), "-lock-step")
	assert.Contains(t, errOut.String(), "-learning")
}
