package devicebridge

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// halves is a w×h JPEG, its left half c1 and right half c2.
func halves(t *testing.T, w, h int, c1, c2 color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := c1
			if x >= w/2 {
				c = c2
			}
			img.SetRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, img, &jpeg.Options{Quality: 100}))
	return buf.Bytes()
}

func TestRetina(t *testing.T) {
	black, white, red := color.RGBA{A: 255}, color.RGBA{255, 255, 255, 255}, color.RGBA{255, 0, 0, 255}
	tests := []struct {
		name   string
		jpeg   []byte
		n      int
		colour bool
		want   []float64 // per cell, tolerance 0.03
	}{
		{"gray, 2 cells", halves(t, 16, 8, black, white), 2, false, []float64{0, 1}},
		{"gray, 8 cells of a 2:1 picture", halves(t, 16, 8, black, white), 8, false, []float64{0, 0, 1, 1, 0, 0, 1, 1}},
		{"colour planes", halves(t, 16, 8, red, white), 6, true, []float64{1, 1, 0, 1, 0, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := retina(tc.jpeg, tc.n, tc.colour)
			require.NoError(t, err)
			require.Len(t, got, len(tc.want))
			for i := range got {
				assert.InDelta(t, tc.want[i], got[i], 0.03, "cell %d of %v", i, got)
			}
		})
	}
	_, err := retina([]byte("not a jpeg"), 4, false)
	assert.ErrorContains(t, err, "camera frame")
	_, err = retina(halves(t, 4, 4, black, white), 2, true)
	assert.ErrorContains(t, err, "no retina of 3 planes fits 2 neurons")
}

func TestEnvelope(t *testing.T) {
	pcm := func(samples ...int16) []byte {
		out := make([]byte, 2*len(samples))
		for i, s := range samples {
			binary.LittleEndian.PutUint16(out[2*i:], uint16(s))
		}
		return out
	}
	tests := []struct {
		name     string
		pcm      []byte
		channels int
		n        int
		want     []float64
	}{
		{"silence, nothing heard", nil, 1, 3, []float64{0, 0, 0}},
		{"mono windows", pcm(16384, -16384, 0, 0), 1, 2, []float64{0.5, 0}},
		{"stereo mixed", pcm(32767, 32767, -32768, 0), 2, 2, []float64{32767.0 / 32768, 0.5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := envelope(tc.pcm, tc.channels, tc.n)
			require.NoError(t, err)
			assert.InDeltaSlice(t, tc.want, got, 1e-4)
		})
	}
}
