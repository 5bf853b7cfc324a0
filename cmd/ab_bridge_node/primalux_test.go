package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/devicebridge"
	"github.com/abbridge/ab_bridge/internal/primalux"
)

// exampleActuation is the example's commented actuation mapping, switched
// on, with the elbow first: the SDK adds a motor's deltas in the mapping's
// order, so the order must reach the device side as written.
const exampleActuation = `  actuation:
    ELBOW_MOTOR: {motor: joint:1, gain: 0.003}
    SHOULDER_MOTOR: {motor: joint:0, gain: 0.002, limit: [-0.02, 0.02]}
`

// TestDeviceConfigPassesTheActuationMapping: primalux.actuation in the
// node's configuration reaches devicebridge.Config as the SDK's mapping, in
// file order, and the device side takes it; without it the outputs are the
// spikes.
func TestDeviceConfigPassesTheActuationMapping(t *testing.T) {
	example := filepath.Join("..", "..", "config", "bridge_primalux.yaml")
	raw, err := os.ReadFile(example)
	require.NoError(t, err)
	withActuation := strings.Replace(string(raw), "  encoding:\n", exampleActuation+"  encoding:\n", 1)
	require.NotEqual(t, string(raw), withActuation)
	pct, err := primalux.LoadContract(filepath.Join("..", "..", "config", "prima_lux_arm.abdesign.json"))
	require.NoError(t, err)
	key, err := primalux.NewKey("plx_cmd_test_key")
	require.NoError(t, err)
	client, err := primalux.New(primalux.Options{URL: "http://127.0.0.1:1", Key: key})
	require.NoError(t, err)
	res := primalux.Resolved{StopTimeout: 7 * time.Second, Replay: true}

	tests := []struct {
		name string
		yaml string
		want []primalux.ActuationEntry
		from string
	}{
		{"the example: spikes", string(raw), nil, "spikes (the mapping)"},
		{"with primalux.actuation", withActuation, []primalux.ActuationEntry{
			{Channel: "ELBOW_MOTOR", Motor: "joint:1", Gain: 0.003},
			{Channel: "SHOULDER_MOTOR", Motor: "joint:0", Gain: 0.002, Limit: &[2]float64{-0.02, 0.02}},
		}, "actuation channels (2, primalux.actuation)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Parse(example, []byte(tc.yaml))
			require.NoError(t, err)
			dc := deviceConfig(slog.New(slog.DiscardHandler), cfg, client, pct, res)
			assert.Equal(t, tc.want, dc.Actuation)
			assert.Equal(t, tc.from, outputsFrom(cfg))
			assert.Equal(t, cfg.Mapping, dc.Mapping, "the mapping still names the channels")
			assert.Equal(t, cfg.Inputs, dc.Inputs)
			assert.Equal(t, cfg.Silence(), dc.SenseSilence)
			assert.Equal(t, res.StopTimeout, dc.StopTimeout)
			assert.True(t, dc.Replay)
			_, err = devicebridge.New(dc)
			assert.NoError(t, err, "the device side takes it")
		})
	}
}
