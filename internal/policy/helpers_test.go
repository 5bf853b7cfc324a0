package policy

import (
	"bytes"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/contract"
)

// t0 is the time of the first cycle in tests.
var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func demoContract(t *testing.T) *contract.Contract {
	t.Helper()
	raw, err := os.ReadFile("testdata/demo_contract.json")
	require.NoError(t, err)
	c, err := contract.Parse(raw)
	require.NoError(t, err)
	return c
}

// twoLayers is a contract with two STDP3 layers and two feedback inputs.
func twoLayers(t *testing.T) *contract.Contract { return twoLayersTB(t) }

type contractT = contract.Contract

func twoLayersTB(t testing.TB) *contract.Contract {
	t.Helper()
	c, err := contract.Parse([]byte(`{"constants":{"gamma":8},"io":{
		"feedback":[{"id":"fbA","fromOutput":"A"},{"id":"fbB","fromOutput":"B"}],
		"stdp3":{"layers":["L1","L2"]}}}`))
	require.NoError(t, err)
	return c
}

// logBuffer is a logger writing text lines into a buffer.
func logBuffer() (*slog.Logger, *bytes.Buffer) {
	var b bytes.Buffer
	return slog.New(slog.NewTextHandler(&b, nil)), &b
}

func reward(t *testing.T, c *contract.Contract, yaml string) *RewardPolicy {
	t.Helper()
	l, _ := logBuffer()
	p, err := ParseReward("reward_policy.yaml", []byte(yaml), c, WithLogger(l))
	require.NoError(t, err)
	return p
}

func deviation(t *testing.T, c *contract.Contract, yaml string) *DeviationPolicy {
	t.Helper()
	l, _ := logBuffer()
	p, err := ParseDeviation("deviation_policy.yaml", []byte(yaml), c, WithLogger(l))
	require.NoError(t, err)
	return p
}

// at is the inputs of cycle k, k*50ms after t0, with the given joint positions.
func at(k int64, pos map[string]float64) Inputs {
	return Inputs{Cycle: k, Time: t0.Add(time.Duration(k) * 50 * time.Millisecond), Positions: pos}
}
