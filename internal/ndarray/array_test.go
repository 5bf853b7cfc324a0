package ndarray

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFloat64sReadsEveryNumericDType(t *testing.T) {
	for _, tc := range []struct {
		dtype string
		data  []byte
		want  []float64
	}{
		{"<f4", f32le(1.5, -3), []float64{1.5, -3}},
		{">f4", []byte{0x3f, 0xc0, 0, 0}, []float64{1.5}},
		{"<f8", []byte{0, 0, 0, 0, 0, 0, 0xf8, 0x3f}, []float64{1.5}},
		{"<f2", []byte{0x00, 0x3e, 0x00, 0xc0, 0x00, 0x7c, 0x01, 0x00}, []float64{1.5, -2, math.Inf(1), math.Pow(2, -24)}},
		{"|u1", []byte{0, 255}, []float64{0, 255}},
		{"|i1", []byte{0x80, 0x7f}, []float64{-128, 127}},
		{"<i2", []byte{0xfe, 0xff}, []float64{-2}},
		{"<i4", []byte{0xff, 0xff, 0xff, 0xff}, []float64{-1}},
		{"<i8", []byte{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, []float64{-2}},
		{"<u4", []byte{0xff, 0xff, 0xff, 0xff}, []float64{4294967295}},
		{"|b1", []byte{0, 1, 2}, []float64{0, 1, 1}},
		{"=f4", f32le(2), []float64{2}},
	} {
		t.Run(tc.dtype, func(t *testing.T) {
			got, err := Array{DType: tc.dtype, Shape: []int{len(tc.want)}, Data: tc.data}.Float64s()
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestFloat64sRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    Array
		want string
	}{
		{"unicode", Array{DType: "<U1", Shape: []int{1}, Data: make([]byte, 4)}, "unsupported dtype"},
		{"odd float", Array{DType: "<f3", Shape: []int{1}, Data: make([]byte, 3)}, "unsupported dtype"},
		{"no order", Array{DType: "f4", Shape: []int{1}, Data: make([]byte, 4)}, "unsupported dtype"},
		{"bad order", Array{DType: "!f4", Shape: []int{1}, Data: make([]byte, 4)}, "byte order"},
		{"size mismatch", Array{DType: "<f4", Shape: []int{2, 2}, Data: make([]byte, 12)}, "needs 16 bytes, 12 sent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.a.Float64s()
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestFromFloat32(t *testing.T) {
	a := FromFloat32([]int{1, 2}, []float32{0.5, 1})
	assert.Equal(t, "<f4", a.DType)
	assert.Equal(t, 2, a.Len())
	got, err := a.Float64s()
	require.NoError(t, err)
	assert.Equal(t, []float64{0.5, 1}, got)
	_, err = Marshal(Array{DType: "<f4", Shape: []int{3}, Data: f32le(1)})
	assert.ErrorContains(t, err, "needs 12 bytes", "an array that does not hold its shape is not sent")
}
