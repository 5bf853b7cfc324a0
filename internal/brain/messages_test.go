package brain

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestChunkPayload(t *testing.T) {
	p, err := chunkPayload("r", Chunk{InputID: "fb", Kind: "Feedback", Seq: 2, T: 1.5, Format: "deviation_f32", Meta: map[string]any{"T": 64, "cycle": int64(3)}, Data: []byte{1, 2}})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"runId": "r", "inputId": "fb", "kind": "Feedback", "seq": int64(2), "t": 1.5,
		"format": "deviation_f32", "meta": map[string]any{"T": 64, "cycle": int64(3)}, "data": []byte{1, 2}}, p)

	p, err = chunkPayload("r", Chunk{InputID: "a", Format: "f"})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{}, p["meta"], "meta always an object")
	assert.Equal(t, []byte{}, p["data"], "data always bytes, so always an attachment")
}

func TestCheckJSONValue(t *testing.T) {
	tests := []struct {
		name string
		v    any
		err  string
	}{
		{"nested ok", map[string]any{"a": []any{1, "x", true, nil, 2.5, map[string]any{"b": float32(1)}}, "c": []float64{1}}, ""},
		{"nested NaN", map[string]any{"a": []any{1, map[string]any{"b": math.NaN()}}}, "meta.a[1].b"},
		{"float32 inf", map[string]any{"x": float32(math.Inf(-1))}, "meta.x"},
		{"slice NaN", map[string]any{"v": []float64{0, math.NaN()}}, "meta.v[1]"},
		{"bytes", map[string]any{"raw": []byte{1}}, "does not send"},
		{"struct", map[string]any{"s": struct{}{}}, "does not send"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkJSONValue(tc.v, "meta")
			if tc.err == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.err)
		})
	}
}

func TestRewardClamping(t *testing.T) {
	tests := []struct {
		name        string
		in          Reward
		wantGlobal  float64
		wantLayers  map[string]any
		wantClamped int
	}{
		{"in range", Reward{Global: 0.3, ByLayer: map[string]float64{"L": 0.7}}, 0.3, map[string]any{"L": 0.7}, 0},
		{"edges", Reward{Global: 0, ByLayer: map[string]float64{"L": 1}}, 0, map[string]any{"L": 1.0}, 0},
		{"high and low", Reward{Global: 2, ByLayer: map[string]float64{"L": -1}}, 1, map[string]any{"L": 0.0}, 2},
		{"infinities", Reward{Global: math.Inf(-1), ByLayer: map[string]float64{"L": math.Inf(1)}}, 0, map[string]any{"L": 1.0}, 2},
		{"NaN is neutral", Reward{Global: math.NaN()}, NeutralReward, map[string]any{}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, n, err := rewardPayload("r", tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.wantGlobal, p["globalReward"])
			assert.Equal(t, tc.wantLayers, p["byLayer"])
			assert.Equal(t, tc.wantClamped, n)
		})
	}
	_, _, err := rewardPayload("r", Reward{ByLayer: map[string]float64{"": 0.5}})
	assert.ErrorContains(t, err, "layer without id")
}

func TestStatePayloadOmitsNil(t *testing.T) {
	g := 0.5
	tests := []struct {
		name string
		in   RobotState
		want map[string]any
	}{
		{"all", RobotState{Q: []float64{1}, DQ: []float64{2}, Grip: &g, DT: 0.1}, map[string]any{"q": []float64{1}, "dq": []float64{2}, "grip": map[string]any{"pos": 0.5}, "dt": 0.1}},
		{"only dt", RobotState{DT: 0.1}, map[string]any{"dt": 0.1}},
		{"empty q kept", RobotState{Q: []float64{}}, map[string]any{"q": []float64{}, "dt": 0.0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := statePayload("r", tc.in)
			require.NoError(t, err)
			assert.Equal(t, "r", p["runId"])
			assert.Equal(t, tc.want, p["state"])
		})
	}
}
