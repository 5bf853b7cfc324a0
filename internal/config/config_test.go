package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The shipped configurations are documentation: they must always load.
func TestShippedConfigsLoad(t *testing.T) {
	files, err := filepath.Glob("../../config/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cfg, err := Load(f)
			require.NoError(t, err)
			assert.NotEmpty(t, cfg.Joints)
		})
	}
}

func TestDefaultBridgeYAML(t *testing.T) {
	cfg, err := Load("../../config/bridge.yaml")
	require.NoError(t, err)
	assert.Equal(t, LocalBrainURL, cfg.Brain.URL)
	assert.Equal(t, "demo", cfg.Brain.Project)
	assert.Equal(t, 50*time.Millisecond, cfg.Brain.Local.CycleInterval)
	assert.Equal(t, []string{"shoulder", "elbow"}, []string{cfg.Joints[0].Name, cfg.Joints[1].Name})
	require.Len(t, cfg.Mapping, 2)
	assert.Equal(t, "shoulder_motor", cfg.Mapping[0].NodeID)
	assert.Equal(t, "joint:0", cfg.Mapping[0].Channel)
	assert.InDelta(t, 0.002, cfg.Mapping[0].PerStepMax, 1e-12)
}

func TestDefaultsApplyToOmittedKeys(t *testing.T) {
	cfg, err := Parse("mini.yaml", []byte("joints:\n  - name: a\n"))
	require.NoError(t, err)
	d := Default()
	assert.Equal(t, d.Brain, cfg.Brain)
	assert.Equal(t, d.Trajectory, cfg.Trajectory)
	assert.Equal(t, d.State, cfg.State)
}

// Every problem is reported, each at its file:line.
func TestInvalidConfigs(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"unknown_key.yaml", []string{`unknown_key.yaml:3: unknown key "projet" (in Brain)`}},
		{"bad_url.yaml", []string{`bad_url.yaml:2: brain.url "ftp://nope"`}},
		{"duplicate_joint.yaml", []string{`duplicate_joint.yaml:3: joint "a" is listed twice`}},
		{"bad_input.yaml", []string{`bad_input.yaml:5: input "cam": kind "Smell" is not supported`,
			`bad_input.yaml:8: input "p": joint "b" is not in joints`}},
		{"bad_mapping.yaml", []string{`bad_mapping.yaml:8: unknown scheme "bipolarsplit"`}},
		{"bad_type.yaml", []string{`bad_type.yaml:4:`, "many"}},
		{"no_joints.yaml", []string{`no_joints.yaml:1: joints: at least one joint is required`}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", "invalid", tc.file)
			_, err := Load(path)
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	require.Error(t, err)
	assert.ErrorIs(t, err, os.ErrNotExist)
}
