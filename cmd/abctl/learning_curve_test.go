package main

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/reach"
)

const shippedConfig = "../../config/bridge.yaml"

// dataRow is a table row: it starts with the seed.
var dataRow = regexp.MustCompile(`^\d+\s+(true|false)\s`)

func TestLearningCurveWritesTableAndPlot(t *testing.T) {
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{"learning-curve", "--config", shippedConfig, "--seeds", "1", "--cycles", "60",
		"--window", "10", "--out", out}, &stdout, &stderr)
	require.NoError(t, err, "stderr:\n%s", stderr.String())

	table, err := os.ReadFile(filepath.Join(out, curveTableFile))
	require.NoError(t, err)
	var rows []string
	for line := range strings.Lines(string(table)) {
		if dataRow.MatchString(line) {
			rows = append(rows, line)
		}
	}
	assert.Len(t, rows, 2, "seed 1 with learning on and off:\n%s", table)
	assert.Contains(t, string(table), "summary: mean last_20% reward learning on ")

	f, err := os.Open(filepath.Join(out, curvePlotFile))
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	assert.Equal(t, reach.PlotWidth, img.Bounds().Dx())

	assert.Contains(t, stdout.String(), string(table), "the table on stdout")
	assert.Contains(t, stdout.String(), filepath.Join(out, curvePlotFile))
}

func TestLearningCurveFlagErrors(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		want  string
		usage bool
	}{
		{"unknown flag", []string{"--api-key", "x"}, "flag provided but not defined", true},
		{"argument", []string{"extra"}, "takes no arguments", true},
		{"seed not a number", []string{"--seeds", "1,x"}, `"x" is not a seed`, true},
		{"negative seed", []string{"--seeds", "-1"}, `"-1" is not a seed`, true},
		{"empty seed", []string{"--seeds", "1,,2"}, `"" is not a seed`, true},
		{"repeated seed", []string{"--seeds", "2,2"}, "seed 2 is listed twice", true},
		{"few cycles", []string{"--cycles", "9"}, "--cycles must be at least 10", true},
		{"no parallelism", []string{"--parallel", "0"}, "--parallel", true},
		{"zero window", []string{"--window", "0"}, "--window", true},
		{"empty out", []string{"--out", ""}, "--out", true},
		{"missing config", []string{"--config", "no/such/bridge.yaml"}, "no/such/bridge.yaml", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), append([]string{"learning-curve", "--out", t.TempDir()}, tc.args...), &out, &errOut)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Equal(t, tc.usage, errors.Is(err, errUsage), "a usage error: %v", tc.usage)
		})
	}
}

func TestLearningCurveUsageNamesTheKeyVariable(t *testing.T) {
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"learning-curve", "-h"}, &out, &errOut))
	assert.Contains(t, errOut.String(), apiKeyEnv)
	assert.NotContains(t, errOut.String(), "-api-key")
}
