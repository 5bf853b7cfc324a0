package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/abbridge/ab_bridge/internal/testsupport"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/bridge"
	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/contract"
	"github.com/abbridge/ab_bridge/internal/localbrain"
)

// demoFolder copies the shipped demo policies folder and returns it.
func demoFolder(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "policies")
	require.NoError(t, os.MkdirAll(dst, 0o755))
	src := filepath.Join("..", "..", "config", "policies")
	entries, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600))
	}
	return dst
}

func TestLoadPolicies(t *testing.T) {
	const key = "k-policies"
	srv, err := localbrain.New(localbrain.Config{APIKey: key})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })

	tests := []struct {
		name              string
		setup             func(t *testing.T, cfg *config.Config)
		apiKey            string
		reward, deviation bool
		wantErr, wantLog  []string
		notLog            []string
	}{
		{name: "synced demo folder", setup: func(t *testing.T, cfg *config.Config) { cfg.Policies.Dir = demoFolder(t) },
			reward: true, deviation: true, wantLog: []string{`msg="policies synced for this contract"`, `msg="policies loaded"`},
			notLog: []string{"level=WARN"}},
		{name: "disabled", setup: func(t *testing.T, cfg *config.Config) {
			cfg.Policies.Dir = demoFolder(t)
			cfg.Policies.Enabled = false
		}, wantLog: []string{"policies disabled"}},
		{name: "no folder", setup: func(t *testing.T, cfg *config.Config) { cfg.Policies.Dir = filepath.Join(t.TempDir(), "none") },
			wantLog: []string{`level=INFO msg="no policies folder: sending the neutral signals`}},
		{name: "folder is a file", setup: func(t *testing.T, cfg *config.Config) {
			f := filepath.Join(t.TempDir(), "file")
			require.NoError(t, os.WriteFile(f, nil, 0o600))
			cfg.Policies.Dir = f
		}, wantErr: []string{"is not a folder"}},
		{name: "no deviation file", setup: func(t *testing.T, cfg *config.Config) {
			cfg.Policies.Dir = demoFolder(t)
			require.NoError(t, os.Remove(filepath.Join(cfg.Policies.Dir, "deviation_policy.yaml")))
		}, reward: true, wantLog: []string{`msg="no deviation policy file: sending its neutral signal"`}},
		{name: "synced for another contract", setup: func(t *testing.T, cfg *config.Config) {
			cfg.Policies.Dir = demoFolder(t)
			require.NoError(t, os.WriteFile(filepath.Join(cfg.Policies.Dir, contract.DigestFile), []byte(strings.Repeat("0", 64)+"\n"), 0o600))
		}, reward: true, deviation: true, wantLog: []string{"level=WARN", "synced_sha256=" + strings.Repeat("0", 64)}},
		{name: "digest file garbled", setup: func(t *testing.T, cfg *config.Config) {
			cfg.Policies.Dir = demoFolder(t)
			require.NoError(t, os.WriteFile(filepath.Join(cfg.Policies.Dir, contract.DigestFile), []byte("not a digest"), 0o600))
		}, reward: true, deviation: true, wantLog: []string{`level=WARN msg="policies folder's contract digest not checked"`}},
		{name: "layer the brain lacks", setup: func(t *testing.T, cfg *config.Config) {
			cfg.Policies.Dir = demoFolder(t)
			require.NoError(t, os.WriteFile(filepath.Join(cfg.Policies.Dir, "reward_policy.yaml"),
				[]byte("layers:\n  cortex: {components: [{constant: {value: 1}}]}\n"), 0o600))
		}, wantErr: []string{"policies do not fit the brain's contract", `reward_policy.yaml:2: layer "cortex" is not an STDP3 layer`}},
		{name: "brain refuses the key", setup: func(t *testing.T, cfg *config.Config) { cfg.Policies.Dir = demoFolder(t) },
			apiKey: "wrong", wantErr: []string{"fetching the contract", "401"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.File = filepath.Join(t.TempDir(), "bridge.yaml")
			tc.setup(t, &cfg)
			apiKey := key
			if tc.apiKey != "" {
				apiKey = tc.apiKey
			}
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			client, err := brain.NewClient(brain.Config{BaseURL: srv.URL(), APIKey: apiKey, Logger: log})
			require.NoError(t, err)
			t.Cleanup(func() { _ = client.Close() })

			p, err := loadPolicies(context.Background(), log, &cfg, client)
			for _, w := range tc.wantErr {
				require.Error(t, err)
				assert.Contains(t, err.Error(), w)
			}
			if len(tc.wantErr) > 0 {
				assert.NotContains(t, err.Error(), apiKey, "the key never ends up in an error")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.reward, p.reward != nil, "reward policy loaded")
			assert.Equal(t, tc.deviation, p.deviation != nil, "deviation policy loaded")
			for _, w := range tc.wantLog {
				assert.Contains(t, logs.String(), w)
			}
			for _, w := range tc.notLog {
				assert.NotContains(t, logs.String(), w)
			}
			if p.reward != nil {
				assert.Equal(t, []string{"motor"}, p.reward.Layers(), "checked against the brain's contract")
			}
		})
	}
}

func TestPolicyStatsLoop(t *testing.T) {
	br, err := bridge.New(bridge.Config{Joints: []config.Joint{{Name: "a"}},
		Contract:   &contract.Contract{Constants: contract.Constants{Gamma: 4, OutputWindowN: 4, FeedbackN: 4, FeedbackT: 4}},
		Trajectory: config.Trajectory{CycleDuration: 50 * time.Millisecond, MaxPoints: 4}})
	require.NoError(t, err)
	var logs testsupport.SyncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { policyStatsLoop(ctx, log, br, 10*time.Millisecond); close(done) }()
	require.Eventually(t, func() bool { return strings.Count(logs.String(), `msg=policies rewards=0 `) >= 2 }, 2*time.Second, 5*time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("stats loop did not end with its context")
	}
	assert.Contains(t, logs.String(), "reward_errors=0")
	assert.Contains(t, logs.String(), "deviation_fallbacks=0")

	// 0: no periodic line, the loop returns at once.
	before := logs.String()
	policyStatsLoop(context.Background(), log, br, 0)
	assert.Equal(t, before, logs.String())
}
