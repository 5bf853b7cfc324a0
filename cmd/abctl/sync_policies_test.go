package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/contract"
	"github.com/abbridge/ab_bridge/internal/localbrain"
	"github.com/abbridge/ab_bridge/internal/policy"
)

const twoLayerContract = `{"ok": true, "projectId": "p1",
 "constants": {"gamma": "48", "feedbackN": 64},
 "io": {"inputs": [{"id": "cam", "kind": "Image"}], "outputs": [{"id": "V1"}],
        "feedback": [{"id": "fbV1", "n": 64, "fromOutput": "V1", "outputKind": "Motor"}],
        "stdp3": {"layers": ["L1", "L2"]}}}`

func syncRun(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), append([]string{"sync-policies"}, args...), &out, &errOut)
	return out.String(), errOut.String(), err
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

var shaLine = regexp.MustCompile(`(?m)^sha256 ([0-9a-f]{64})$`)

func TestSyncPoliciesOfflineCreatesOnceAndRewritesTheContract(t *testing.T) {
	contractPath := decodeFile(t, "contract.json", twoLayerContract)
	dir := filepath.Join(t.TempDir(), "policies")
	c, err := contract.Parse([]byte(twoLayerContract))
	require.NoError(t, err)

	stdout, _, err := syncRun(t, "--contract-file", contractPath, "--dir", dir)
	require.NoError(t, err)
	assert.Contains(t, stdout, "created "+filepath.Join(dir, policy.RewardFileName))
	assert.Contains(t, stdout, "created "+filepath.Join(dir, policy.DeviationFileName))
	assert.Equal(t, string(policy.RewardTemplate(c)), readFile(t, filepath.Join(dir, policy.RewardFileName)))
	assert.Equal(t, string(policy.DeviationTemplate(c)), readFile(t, filepath.Join(dir, policy.DeviationFileName)))
	m := shaLine.FindStringSubmatch(stdout)
	require.NotNil(t, m, stdout)
	assert.Equal(t, m[1]+"\n", readFile(t, filepath.Join(dir, contract.DigestFile)))
	for _, name := range []string{contract.ContractFile, contract.IDsFile} {
		assert.FileExists(t, filepath.Join(dir, name))
	}

	// The user edits a policy and loses a machine file; a second sync keeps
	// the edit and restores the machine file.
	edited := "global:\n  components:\n    - constant: {value: 0.8}\nlayers:\n  L2: {components: [{constant: {value: 0.1}}]}\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, policy.RewardFileName), []byte(edited), 0o600))
	require.NoError(t, os.Remove(filepath.Join(dir, contract.ContractFile)))
	stdout, _, err = syncRun(t, "--contract-file", contractPath, "--dir", dir)
	require.NoError(t, err)
	assert.Contains(t, stdout, "kept    "+filepath.Join(dir, policy.RewardFileName))
	assert.Contains(t, stdout, "kept    "+filepath.Join(dir, policy.DeviationFileName))
	assert.Equal(t, edited, readFile(t, filepath.Join(dir, policy.RewardFileName)))
	assert.FileExists(t, filepath.Join(dir, contract.ContractFile))
}

func TestSyncPoliciesReportsKeptPoliciesThatNoLongerFit(t *testing.T) {
	contractPath := decodeFile(t, "contract.json", twoLayerContract)
	dir := t.TempDir()
	stale := "feedback:\n  fbV1: {zero: {}}\n  fbOld:\n    zero: {}\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, policy.DeviationFileName), []byte(stale), 0o600))

	stdout, _, err := syncRun(t, "--contract-file", contractPath, "--dir", dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), filepath.Join(dir, policy.DeviationFileName)+`:3: feedback id "fbOld" is not a feedback input of the contract`)
	assert.False(t, errors.Is(err, errUsage))
	assert.Contains(t, stdout, "created "+filepath.Join(dir, policy.RewardFileName), "the rest of the sync happened")
	assert.FileExists(t, filepath.Join(dir, contract.DigestFile))
	assert.Equal(t, stale, readFile(t, filepath.Join(dir, policy.DeviationFileName)))
}

func TestSyncPoliciesUsage(t *testing.T) {
	f := decodeFile(t, "c.json", twoLayerContract)
	tests := []struct {
		name string
		args []string
	}{
		{"no source", []string{"--dir", t.TempDir()}},
		{"two sources", []string{"--contract-file", f, "--config", f}},
		{"stray argument", []string{"--contract-file", f, "extra"}},
		{"empty dir", []string{"--contract-file", f, "--dir", ""}},
		{"unknown flag", []string{"--api-key", "x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := syncRun(t, tc.args...)
			assert.ErrorIs(t, err, errUsage)
		})
	}
}

func TestSyncPoliciesBadContractFile(t *testing.T) {
	for _, body := range []string{"", "[1, 2]", `{"constants": {"gamma": "many"}}`} {
		_, _, err := syncRun(t, "--contract-file", decodeFile(t, "c.json", body), "--dir", t.TempDir())
		assert.Error(t, err, "%q", body)
		assert.False(t, errors.Is(err, errUsage))
	}
}

// nodeConfig writes a minimal node configuration for a brain URL.
func nodeConfig(t *testing.T, url, keyEnv string) string {
	t.Helper()
	return decodeFile(t, "bridge.yaml", "brain:\n  url: "+url+"\n  project: demo\n  api_key_env: "+keyEnv+
		"\n  env_file: \"\"\n  http_timeout: 5s\njoints:\n  - name: shoulder\n")
}

func TestSyncPoliciesFromTheEmbeddedLocalBrain(t *testing.T) {
	dir := t.TempDir()
	stdout, _, err := syncRun(t, "--config", "../../config/bridge.yaml", "--dir", dir)
	require.NoError(t, err)
	assert.Contains(t, stdout, "contract from project demo at http://127.0.0.1:")

	raw, err := os.ReadFile(filepath.Join(dir, contract.ContractFile))
	require.NoError(t, err)
	c, err := contract.Parse(raw)
	require.NoError(t, err)
	assert.Equal(t, []string{"motor"}, c.IO.STDP3)
	assert.Contains(t, readFile(t, filepath.Join(dir, policy.RewardFileName)), `"motor"`)
	assert.Contains(t, readFile(t, filepath.Join(dir, policy.DeviationFileName)), "  shoulder_fb:\n    zero: {}\n")

	// The demo policies shipped in config/policies fit the local brain's contract.
	_, err = policy.LoadReward("../../config/policies/"+policy.RewardFileName, c)
	assert.NoError(t, err)
	_, err = policy.LoadDeviation("../../config/policies/"+policy.DeviationFileName, c)
	assert.NoError(t, err)
}

func TestSyncPoliciesFromABrainWithAKey(t *testing.T) {
	const key = "s3cret-key-for-test"
	srv, err := localbrain.New(localbrain.Config{APIKey: key})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	cfg := nodeConfig(t, srv.URL(), "AB_SYNC_TEST_KEY")

	t.Setenv("AB_SYNC_TEST_KEY", "wrong")
	_, _, err = syncRun(t, "--config", cfg, "--dir", t.TempDir())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "401")
	assert.NotContains(t, err.Error(), "wrong")

	t.Setenv("AB_SYNC_TEST_KEY", key)
	dir := t.TempDir()
	stdout, _, err := syncRun(t, "--config", cfg, "--dir", dir)
	require.NoError(t, err)
	assert.Contains(t, stdout, "contract from project demo at "+srv.URL()+"/api")
	assert.NotContains(t, stdout, key)
	assert.FileExists(t, filepath.Join(dir, policy.RewardFileName))
	assert.True(t, strings.HasSuffix(readFile(t, filepath.Join(dir, contract.DigestFile)), "\n"))
}
