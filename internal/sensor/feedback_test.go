package sensor

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func f32s(data []byte) []float32 {
	out := make([]float32, len(data)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return out
}

func TestAppendDeviation(t *testing.T) {
	tests := []struct {
		name   string
		dev    []float64
		t      int
		want   []float32
		issues FeedbackIssues
	}{
		{"in range", []float64{0, 0.25, -1, 1}, 4, []float32{0, 0.25, -1, 1}, FeedbackIssues{}},
		{"clamped", []float64{1.5, -7, math.Inf(1), math.Inf(-1)}, 4, []float32{1, -1, 1, -1}, FeedbackIssues{Clamped: 4}},
		{"NaN to zero", []float64{math.NaN(), 0.5}, 2, []float32{0, 0.5}, FeedbackIssues{NaN: 1}},
		{"short: padded with zeros", []float64{0.1}, 3, []float32{0.1, 0, 0}, FeedbackIssues{Padded: 2}},
		{"long: cut to T", []float64{0.1, 0.2, 0.3, 0.4}, 2, []float32{0.1, 0.2}, FeedbackIssues{Cut: 2}},
		{"none: all zeros", nil, 2, []float32{0, 0}, FeedbackIssues{Padded: 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, issues, err := AppendDeviation([]byte{9}, tc.dev, tc.t)
			require.NoError(t, err)
			require.Len(t, out, 1+4*tc.t)
			assert.Equal(t, byte(9), out[0], "appended, not overwritten")
			assert.Equal(t, tc.want, f32s(out[1:]))
			assert.Equal(t, tc.issues, issues)
			assert.Equal(t, tc.issues != FeedbackIssues{}, issues.Any())
		})
	}
	_, _, err := AppendDeviation(nil, []float64{1}, 0)
	require.Error(t, err)
}

func TestAppendRaster(t *testing.T) {
	tests := []struct {
		name string
		dev  []float64
		n    int
		want [][]float32 // one row per timestep
	}{
		{"zero is silent", []float64{0}, 4, [][]float32{{0, 0, 0, 0}}},
		{"full positive fills the first half", []float64{1}, 4, [][]float32{{1, 1, 0, 0}}},
		{"full negative fills the second half", []float64{-1}, 4, [][]float32{{0, 0, 1, 1}}},
		{"half positive", []float64{0.5}, 8, [][]float32{{1, 1, 0, 0, 0, 0, 0, 0}}},
		{"fraction on the next neuron", []float64{-0.3}, 10, [][]float32{{0, 0, 0, 0, 0, 1, 0.5, 0, 0, 0}}},
		{"odd n: last neuron silent", []float64{1, -1}, 5, [][]float32{{1, 1, 0, 0, 0}, {0, 0, 1, 1, 0}}},
		{"rows by timestep, clamped and NaN", []float64{0.75, 3, math.NaN()}, 4, [][]float32{{1, 0.5, 0, 0}, {1, 1, 0, 0}, {0, 0, 0, 0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := AppendRaster(nil, tc.dev, len(tc.want), tc.n)
			require.NoError(t, err)
			var want []float32
			for _, row := range tc.want {
				want = append(want, row...)
			}
			assert.Equal(t, want, f32s(out))
		})
	}
}

// TestRasterDecodesBack checks the documented property over many values:
// shape T×N, values in [-1, 1], and the bipolarSplit reading of each row
// (first half minus second half, over n/2) gives the deviation back.
func TestRasterDecodesBack(t *testing.T) {
	const T, N = 64, 128
	dev := make([]float64, T)
	for i := range dev {
		dev[i] = math.Sin(float64(i)*0.37) * 1.2 // some beyond ±1
	}
	out, issues, err := AppendRaster(nil, dev, T, N)
	require.NoError(t, err)
	require.Len(t, out, 4*T*N)
	assert.Positive(t, issues.Clamped)
	vals := f32s(out)
	for ti := range T {
		var pos, neg float64
		for j, v := range vals[ti*N : (ti+1)*N] {
			require.True(t, v >= -1 && v <= 1, "value %g at t=%d n=%d", v, ti, j)
			if j < N/2 {
				pos += float64(v)
			} else {
				neg += float64(v)
			}
		}
		want := max(-1, min(1, dev[ti]))
		assert.InDelta(t, want, (pos-neg)/(N/2), 1e-6, "t=%d", ti)
		assert.True(t, pos == 0 || neg == 0, "one half only")
	}
}

func TestRasterRejectsBadShapes(t *testing.T) {
	for _, shape := range [][2]int{{0, 8}, {4, 1}, {-1, 8}, {4, 0}} {
		out, _, err := AppendRaster([]byte{1}, []float64{0.5}, shape[0], shape[1])
		require.Error(t, err, "%v", shape)
		assert.Equal(t, []byte{1}, out)
	}
}

func TestRawTick(t *testing.T) {
	tests := []struct{ raw, prev, vel float64 }{
		{0, 0, 0},
		{1.5, 1.25, -0.5},
		{-math.Pi, math.Pi, 1e6},
	}
	for _, tc := range tests {
		b := RawTick(tc.raw, tc.prev, tc.vel)
		assert.Equal(t, []float32{float32(tc.raw), float32(tc.prev), float32(tc.vel)}, f32s(b[:]))
		assert.Equal(t, append([]byte{7}, b[:]...), AppendRawTick([]byte{7}, tc.raw, tc.prev, tc.vel))
	}
}
