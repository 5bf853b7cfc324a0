package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/contract"
)

// The demo's policies folder ships synced with the local brain's demo
// contract, so that the demo starts without a digest warning. When the
// demo project changes, this fails until the folder is synced again:
//
//	go run ./cmd/abctl sync-policies --config config/bridge.yaml --dir config/policies
func TestShippedPoliciesAreSyncedWithTheLocalBrain(t *testing.T) {
	shipped := filepath.Join("..", "..", "config", "policies")
	fresh := t.TempDir()
	_, _, err := syncRun(t, "--config", "../../config/bridge.yaml", "--dir", fresh)
	require.NoError(t, err)
	for _, name := range []string{contract.DigestFile, contract.ContractFile, contract.IDsFile} {
		want, err := os.ReadFile(filepath.Join(fresh, name))
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(shipped, name))
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got),
			"config/policies/%s is stale: run go run ./cmd/abctl sync-policies --config config/bridge.yaml --dir config/policies", name)
	}
}
