package policybridge

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func jpegOf(t *testing.T, w, h int, at func(x, y int) color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, at(x, y))
		}
	}
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, img, &jpeg.Options{Quality: 100}))
	return buf.Bytes()
}

func TestCHW(t *testing.T) {
	// Left half red, right half blue: channels first, in [0, 1].
	data := jpegOf(t, 64, 32, func(x, y int) color.RGBA {
		if x < 32 {
			return color.RGBA{R: 255, A: 255}
		}
		return color.RGBA{B: 255, A: 255}
	})
	v, err := chw(data, 3, 4, 8)
	require.NoError(t, err)
	require.Len(t, v, 3*4*8)
	at := func(c, y, x int) float32 { return v[c*32+y*8+x] }
	assert.InDelta(t, 1, at(0, 1, 0), 0.03, "red on the left")
	assert.InDelta(t, 0, at(2, 1, 0), 0.03)
	assert.InDelta(t, 1, at(2, 2, 7), 0.03, "blue on the right")
	assert.InDelta(t, 0, at(0, 2, 7), 0.03)
	for _, x := range v {
		assert.True(t, x >= 0 && x <= 1)
	}

	g, err := chw(data, 1, 2, 2)
	require.NoError(t, err)
	assert.InDelta(t, 0.299, g[0], 0.03, "luma of red")
	assert.InDelta(t, 0.114, g[1], 0.03, "luma of blue")

	_, err = chw([]byte("not a jpeg"), 3, 2, 2)
	assert.ErrorContains(t, err, "camera frame")
}
