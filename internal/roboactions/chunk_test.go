package roboactions

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/ndarray"
)

func TestChunk(t *testing.T) {
	f32 := func(shape []int, v ...float32) ndarray.Array { return ndarray.FromFloat32(shape, v) }
	tensor := f32([]int{1, 2, 2}, 1, 2, 3, 4)
	tensor.Tensor = true
	for _, tc := range []struct {
		name   string
		answer any
		want   [][]float64
		err    string
	}{
		{"batch first chunk", f32([]int{1, 2, 2}, 1, 2, 3, 4), [][]float64{{1, 2}, {3, 4}}, ""},
		{"tensor", tensor, [][]float64{{1, 2}, {3, 4}}, ""},
		{"no batch", f32([]int{2, 2}, 1, 2, 3, 4), [][]float64{{1, 2}, {3, 4}}, ""},
		{"one action", f32([]int{2}, 1, 2), [][]float64{{1, 2}}, ""},
		{"in a map", map[string]any{"action": f32([]int{1, 1}, 5)}, [][]float64{{5}}, ""},
		{"lists", []any{[]any{1.0, int64(2)}, []any{uint64(3), ndarray.Scalar{DType: "<f8", Value: 4.0}}}, [][]float64{{1, 2}, {3, 4}}, ""},
		{"batch of one list", []any{[]any{[]any{1.0}, []any{2.0}}}, [][]float64{{1}, {2}}, ""},
		{"flat list", []any{1.0, 2.0}, [][]float64{{1, 2}}, ""},
		{"batch of two", f32([]int{2, 1, 1}, 1, 2), nil, "a batch of 2"},
		{"four dims", f32([]int{1, 1, 1, 1}, 1), nil, "expected"},
		{"empty", f32([]int{1, 0, 2}), nil, "is empty"},
		{"nan", f32([]int{1, 2}, 1, float32(math.NaN())), nil, "dimension 1 is NaN"},
		{"inf in list", []any{math.Inf(1)}, nil, "is +Inf"},
		{"ragged", []any{[]any{1.0, 2.0}, []any{3.0}}, nil, "row 1 has 1 values, row 0 has 2"},
		{"text", []any{"x"}, nil, "not a number"},
		{"map without action", map[string]any{"actions": 1}, nil, `without an "action" entry`},
		{"scalar", 3.0, nil, "not an action array"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Chunk(tc.answer)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}
