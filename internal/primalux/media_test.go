package primalux

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRetinaGrid(t *testing.T) {
	for _, tc := range []struct {
		n, w, h, planes int
		gw, gh          int
		err             bool
	}{
		{n: 64, w: 640, h: 480, planes: 3, gw: 5, gh: 3},
		{n: 64, w: 640, h: 480, planes: 1, gw: 9, gh: 6},
		{n: 498, w: 320, h: 240, planes: 1, gw: 25, gh: 19},
		{n: 498, w: 4, h: 2, planes: 3, gw: 4, gh: 2},
		{n: 3, w: 640, h: 480, planes: 3, gw: 1, gh: 1},
		{n: 2, w: 640, h: 480, planes: 3, err: true},
		{n: 10, w: 0, h: 480, planes: 1, err: true},
	} {
		gw, gh, err := RetinaGrid(tc.n, tc.w, tc.h, tc.planes)
		if tc.err {
			assert.Error(t, err)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, [2]int{tc.gw, tc.gh}, [2]int{gw, gh}, "%+v", tc)
		assert.LessOrEqual(t, gw*gh*tc.planes, tc.n)
	}
}

func TestRetina(t *testing.T) {
	gray := Image{Width: 4, Height: 2, Channels: 1, Pix: []byte{
		0, 255, 10, 20,
		255, 0, 30, 40,
	}}
	v, err := Retina(gray, 2, 1, false)
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{0.5, 25.0 / 255}, v, 1e-12)

	rgb := Image{Width: 2, Height: 1, Channels: 3, Stride: 8, Pix: []byte{255, 0, 51, 0, 255, 102, 9, 9}}
	v, err = Retina(rgb, 2, 1, true)
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{1, 0, 0, 1, 0.2, 0.4}, v, 1e-12, "planes red, green, blue")
	v, err = Retina(rgb, 1, 1, false)
	require.NoError(t, err)
	luma := (0.299*255 + 0.114*51 + 0.587*255 + 0.114*102) / 2 / 255
	assert.InDelta(t, luma, v[0], 1e-12)

	for _, bad := range []struct {
		im     Image
		gw, gh int
		colour bool
		err    string
	}{
		{Image{Width: 2, Height: 2, Channels: 2, Pix: make([]byte, 8)}, 1, 1, false, "1 or 3 channels"},
		{Image{Width: 2, Height: 2, Channels: 1, Pix: make([]byte, 3)}, 1, 1, false, "too few"},
		{gray, 5, 1, false, "1 cell per pixel"},
		{gray, 1, 1, true, "needs an RGB image"},
	} {
		_, err := Retina(bad.im, bad.gw, bad.gh, bad.colour)
		assert.ErrorContains(t, err, bad.err)
	}
}

func TestEnvelope(t *testing.T) {
	v, err := Envelope([]int16{32767, -32768, 0, 0, 16384, -16384, 100}, 3)
	require.NoError(t, err)
	require.Len(t, v, 3)
	assert.InDelta(t, math.Sqrt((32767.0*32767+32768.0*32768)/2)/32768, v[0], 1e-12)
	assert.Equal(t, 0.0, v[1])
	assert.InDelta(t, math.Sqrt((16384.0*16384*2+100*100)/3)/32768, v[2], 1e-12)
	v, err = Envelope([]int16{1000}, 4)
	require.NoError(t, err)
	assert.Equal(t, []float64{0, 0, 0, 1000.0 / 32768}, v, "fewer samples than windows: the empty ones are silent")
	_, err = Envelope(nil, 0)
	assert.Error(t, err)
	_, err = Envelope(nil, 499)
	assert.Error(t, err)
}
