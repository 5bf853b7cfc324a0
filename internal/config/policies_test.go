package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPoliciesDefaults(t *testing.T) {
	cfg, err := Parse("mini.yaml", []byte("joints:\n  - name: a\n"))
	require.NoError(t, err)
	assert.Equal(t, Policies{Enabled: true, Dir: "policies", Reward: "reward_policy.yaml",
		Deviation: "deviation_policy.yaml", LogInterval: time.Minute}, cfg.Policies)
}

// The shipped configuration points at the demo policies beside it, so the
// demo learns whether it runs from the checkout or from a colcon install
// (which copies config/ whole).
func TestShippedConfigPointsAtTheDemoPolicies(t *testing.T) {
	cfg, err := Load("../../config/bridge.yaml")
	require.NoError(t, err)
	assert.True(t, cfg.Policies.Enabled)
	assert.Equal(t, filepath.Join("..", "..", "config", "policies"), cfg.PoliciesDir())
	assert.FileExists(t, cfg.RewardPolicyPath())
	assert.FileExists(t, cfg.DeviationPolicyPath())
}

func TestPoliciesPaths(t *testing.T) {
	base := t.TempDir() // stands for wherever the package is installed
	share := filepath.Join(base, "share", "ab_bridge", "config")
	abs := filepath.Join(base, "pol")
	tests := []struct {
		name, file, dir     string
		wantDir, wantReward string
	}{
		{"relative to the config file", filepath.Join(share, "bridge.yaml"), "policies",
			filepath.Join(share, "policies"), filepath.Join(share, "policies", "r.yaml")},
		{"relative config file", "config/bridge.yaml", "../pol", "pol", "pol/r.yaml"},
		{"absolute", filepath.Join(share, "bridge.yaml"), abs, abs, filepath.Join(abs, "r.yaml")},
		{"no file: the working directory", "", "policies", "policies", "policies/r.yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			c.File, c.Policies.Dir, c.Policies.Reward = tc.file, tc.dir, "r.yaml"
			assert.Equal(t, tc.wantDir, c.PoliciesDir())
			assert.Equal(t, tc.wantReward, c.RewardPolicyPath())
			assert.Equal(t, filepath.Join(tc.wantDir, DefaultDeviationFile), c.DeviationPolicyPath())
		})
	}
}

func TestInvalidPolicies(t *testing.T) {
	tests := []struct {
		name, section string
		want          []string
	}{
		{"empty dir", "  dir: \"\"\n", []string{"bad.yaml:4: policies.dir must not be empty"}},
		{"path as file", "  reward: sub/r.yaml\n",
			[]string{`bad.yaml:4: policies.reward "sub/r.yaml" must be a file name inside policies.dir`}},
		{"parent as file", "  deviation: \"..\"\n", []string{`bad.yaml:4: policies.deviation ".." must be a file name`}},
		{"empty file", "  deviation: \"\"\n", []string{"bad.yaml:4: policies.deviation must name a file"}},
		{"machine-owned name", "  reward: _contract.json\n", []string{`bad.yaml:4: policies.reward "_contract.json" is a machine-owned name`}},
		{"same file twice", "  reward: p.yaml\n  deviation: p.yaml\n",
			[]string{`bad.yaml:5: policies.reward and deviation are the same file "p.yaml"`}},
		{"negative interval", "  log_interval: -1s\n", []string{"bad.yaml:4: policies.log_interval must be 0"}},
		{"unknown key", "  rewards: r.yaml\n", []string{`bad.yaml:4: unknown key "rewards" (in Policies)`}},
		{"wrong type", "  enabled: maybe\n", []string{"bad.yaml:4:", "maybe"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte("joints:\n  - name: a\npolicies:\n"+tc.section))
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Equal(t, 1, strings.Count(err.Error(), "bad.yaml:"), "one problem: %v", err)
		})
	}
}

func TestPoliciesDisabledAndAbsoluteDirLoad(t *testing.T) {
	dir := t.TempDir()
	cfg, err := Parse("ok.yaml", []byte("joints:\n  - name: a\npolicies:\n  enabled: false\n  dir: "+dir+"\n  log_interval: 0s\n"))
	require.NoError(t, err)
	assert.False(t, cfg.Policies.Enabled)
	assert.Equal(t, dir, cfg.PoliciesDir())
	assert.Zero(t, cfg.Policies.LogInterval)
}
