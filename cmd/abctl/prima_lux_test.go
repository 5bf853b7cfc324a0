package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/abbridge/ab_bridge/internal/testsupport"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var primaLuxReady = regexp.MustCompile(`prima-lux stand-in listening on (http://127\.0\.0\.1:\d+)\n`)

const primaLuxContract = `{"inputs":[{"id":"SENSE","n":4},{"id":"REWARD","n":4,"kind":"Reward"}],"outputs":[{"id":"MOTOR","n":4}]}`

// startPrimaLux runs the command in-process until the test ends and
// returns its URL and its log.
func startPrimaLux(t *testing.T, args ...string) (string, *testsupport.SyncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout testsupport.SyncBuffer
	stderr := &testsupport.SyncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"prima-lux", "--listen", "127.0.0.1:0"}, args...), &stdout, stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err, "prima-lux ends cleanly on cancel")
		case <-time.After(10 * time.Second):
			t.Error("prima-lux did not end after cancel")
		}
	})
	require.Eventually(t, func() bool { return primaLuxReady.MatchString(stdout.String()) }, 10*time.Second, 10*time.Millisecond, "ready line; stderr:\n%s", stderr)
	return primaLuxReady.FindStringSubmatch(stdout.String())[1], stderr
}

func deviceStatus(t *testing.T, url, key string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url+"/api/status", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

func TestPrimaLuxServesTheBrainWithKeyFromEnv(t *testing.T) {
	const key = "plx_env_key_5f1c"
	t.Setenv(deviceKeyEnv, key)
	t.Setenv(deviceContractEnv, "")
	url, stderr := startPrimaLux(t, "--brain", writeFile(t, "contract.json", primaLuxContract))
	code, _ := deviceStatus(t, url, "plx_not_it")
	assert.Equal(t, http.StatusUnauthorized, code)
	code, st := deviceStatus(t, url, key)
	require.Equal(t, http.StatusOK, code)
	e := st["engine"].(map[string]any)
	assert.Equal(t, "READY", e["state"])
	assert.Equal(t, true, e["has_brain"])
	inputs := st["io"].(map[string]any)["inputs"].([]any)
	assert.Equal(t, true, inputs[1].(map[string]any)["reward"], "a contract input of kind Reward")
	assert.NotContains(t, stderr.String(), key, "the key never reaches the log")
}

func TestPrimaLuxKeyFileAndContractFromEnv(t *testing.T) {
	const key = "plx_file_key_77aa"
	t.Setenv(deviceKeyEnv, "plx_ignored_env_key")
	t.Setenv(deviceContractEnv, writeFile(t, "contract.json", primaLuxContract))
	url, _ := startPrimaLux(t, "--key-file", writeFile(t, "key", key+"\n"))
	code, st := deviceStatus(t, url, key)
	require.Equal(t, http.StatusOK, code, "the key file wins over the environment")
	assert.Equal(t, true, st["engine"].(map[string]any)["has_brain"])
}

func TestPrimaLuxRefusesBadSetups(t *testing.T) {
	contract := writeFile(t, "contract.json", primaLuxContract)
	for _, tc := range []struct {
		name  string
		env   string
		args  []string
		want  string
		usage bool
	}{
		{"no key", "", []string{"--brain", contract}, "no developer key", false},
		{"not a device key", "sk_123", []string{"--brain", contract}, "does not begin plx_", false},
		{"missing key file", "", []string{"--key-file", "/nonexistent/key"}, "key file", false},
		{"unknown reward", "plx_k_123456", []string{"--brain", contract, "--reward", "NOPE"}, `reward population "NOPE"`, false},
		{"bad rate", "plx_k_123456", []string{"--tick-hz", "0"}, "--tick-hz must be positive", true},
		{"argument", "plx_k_123456", []string{"extra"}, "takes no arguments", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(deviceKeyEnv, tc.env)
			t.Setenv(deviceContractEnv, "")
			var out, errOut testsupport.SyncBuffer
			err := run(context.Background(), append([]string{"prima-lux", "--listen", "127.0.0.1:0"}, tc.args...), &out, &errOut)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Equal(t, tc.usage, errors.Is(err, errUsage))
		})
	}
}
