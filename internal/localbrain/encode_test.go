package localbrain

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jpegOf encodes a w×h gray image whose pixel (x, y) is gray(x, y).
func jpegOf(t *testing.T, w, h int, gray func(x, y int) uint8) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetGray(x, y, color.Gray{Y: gray(x, y)})
		}
	}
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}))
	return buf.Bytes()
}

func TestImageDrive64(t *testing.T) {
	const w, h = 64, 48 // not square: cells are 8×6 pixels
	white := func(int, int) uint8 { return 255 }
	black := func(int, int) uint8 { return 0 }
	leftWhite := func(x, _ int) uint8 {
		if x < w/2 {
			return 255
		}
		return 0
	}
	type cells = func(t *testing.T, d []float64)
	all := func(pred func(v float64) bool, what string) cells {
		return func(t *testing.T, d []float64) {
			for i, v := range d {
				assert.True(t, pred(v), "cell %d = %g, want %s", i, v, what)
			}
		}
	}
	tests := []struct {
		name  string
		jpeg  []byte
		check cells
	}{
		{"white", jpegOf(t, w, h, white), all(func(v float64) bool { return math.Abs(v-imageDrive) < 0.05*imageDrive }, "full drive")},
		{"black", jpegOf(t, w, h, black), all(func(v float64) bool { return v >= 0 && v < 0.05*imageDrive }, "no drive")},
		{"left half white", jpegOf(t, w, h, leftWhite), func(t *testing.T, d []float64) {
			for cy := range imageSide {
				for cx := range imageSide / 2 {
					left, right := d[cy*imageSide+cx], d[cy*imageSide+imageSide-1-cx]
					assert.Greater(t, left, right+0.5*imageDrive, "row %d, cells %d and %d", cy, cx, imageSide-1-cx)
				}
			}
		}},
		{"one pixel", jpegOf(t, 1, 1, white), all(func(v float64) bool { return math.Abs(v-imageDrive) < 0.05*imageDrive }, "full drive")},
		{"smaller than the grid", jpegOf(t, 3, 5, white), all(func(v float64) bool { return math.Abs(v-imageDrive) < 0.05*imageDrive }, "full drive")},
		{"VGA", jpegOf(t, 640, 480, white), all(func(v float64) bool { return math.Abs(v-imageDrive) < 0.05*imageDrive }, "full drive")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := imageDrive64(tc.jpeg)
			require.NoError(t, err)
			require.Len(t, d, imageSide*imageSide)
			tc.check(t, d)
		})
	}
}

func TestImageDrive64Refuses(t *testing.T) {
	good := tinyJPEG(t, 128)
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"marker only", []byte{0xFF, 0xD8}},
		{"marker then garbage", append([]byte{0xFF, 0xD8}, bytes.Repeat([]byte{0x42}, 64)...)},
		{"truncated", good[:len(good)/2]},
		{"not a jpeg", []byte("\x89PNG\r\n\x1a\n")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := imageDrive64(tc.data)
			assert.Error(t, err)
			assert.Nil(t, d)
		})
	}
}

// pcm is little-endian int16 audio: channels interleaved, each channel's
// sample at frame f from its own function of time.
func pcm(rate, frames int, chans ...func(t float64) float64) []byte {
	out := make([]byte, 0, 2*frames*len(chans))
	for f := range frames {
		for _, ch := range chans {
			v := math.Round(ch(float64(f)/float64(rate)) * 32767)
			out = binary.LittleEndian.AppendUint16(out, uint16(int16(v)))
		}
	}
	return out
}

func sine(freq, amp float64) func(float64) float64 {
	return func(t float64) float64 { return amp * math.Sin(2*math.Pi*freq*t) }
}

func silence(float64) float64 { return 0 }

func peakBand(d []float64) int {
	best := 0
	for i, v := range d {
		if v > d[best] {
			best = i
		}
	}
	return best
}

func TestAudioDrive8Bands(t *testing.T) {
	const rate = 16000
	tests := []struct {
		name      string
		low, high float64 // Hz
		knownBug  string  // why the case is skipped until encode.go is fixed
	}{
		{"200 Hz vs 1.5 kHz", 200, 1500, ""},
		{"440 Hz vs 2.5 kHz", 440, 2500, ""},
		{"440 Hz vs 3 kHz", 440, 3000, ""},
		{"1 kHz vs 3.5 kHz", 1000, 3500, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			low := audioDrive8(pcm(rate, audioWindow, sine(tc.low, 0.5)), rate, 1)
			high := audioDrive8(pcm(rate, audioWindow, sine(tc.high, 0.5)), rate, 1)
			require.Len(t, low, audioBands)
			require.Len(t, high, audioBands)
			t.Logf("%g Hz: %.3f\n%g Hz: %.3f", tc.low, low, tc.high, high)
			if tc.knownBug != "" {
				t.Skip("known bug: " + tc.knownBug)
			}
			assert.Positive(t, low[peakBand(low)], "an audible tone is not silence")
			assert.Positive(t, high[peakBand(high)], "an audible tone is not silence")
			assert.Less(t, peakBand(low), peakBand(high), "a lower tone peaks in a lower band")
			assert.Greater(t, low[peakBand(low)], low[peakBand(high)])
			assert.Greater(t, high[peakBand(high)], high[peakBand(low)])
			for i := range audioBands {
				assert.GreaterOrEqual(t, low[i], 0.0)
				assert.LessOrEqual(t, low[i], audioDrive)
			}
		})
	}
}

func TestAudioDrive8Window(t *testing.T) {
	const rate = 16000
	low := audioDrive8(pcm(rate, audioWindow, sine(440, 0.5)), rate, 1)
	// Only the newest window is heard: a high tone followed by a full
	// window of the low one sounds like the low one.
	both := append(pcm(rate, audioWindow, sine(2500, 0.5)), pcm(rate, audioWindow, sine(440, 0.5))...)
	assert.Equal(t, low, audioDrive8(both, rate, 1))

	// Louder is more drive in the tone's band.
	quiet := audioDrive8(pcm(rate, audioWindow, sine(440, 0.05)), rate, 1)
	assert.Less(t, quiet[peakBand(low)], low[peakBand(low)])
}

func TestAudioDrive8Silent(t *testing.T) {
	const rate = 16000
	tests := []struct {
		name     string
		pcm      []byte
		channels int
	}{
		{"silence", pcm(rate, audioWindow, silence), 1},
		{"stereo silence", pcm(rate, audioWindow, silence, silence), 2},
		{"empty", nil, 1},
		{"one odd byte", []byte{0x7f}, 1},
		{"shorter than the filters need", pcm(rate, 15, sine(440, 0.5)), 1},
		{"half a stereo frame", pcm(rate, 1, sine(440, 0.5)), 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, make([]float64, audioBands), audioDrive8(tc.pcm, rate, tc.channels))
		})
	}
}

func TestAudioDrive8Stereo(t *testing.T) {
	const rate = 16000
	mono := audioDrive8(pcm(rate, audioWindow, sine(440, 0.5)), rate, 1)
	stereo := pcm(rate, audioWindow, sine(440, 0.5), sine(440, 0.5))
	assert.Equal(t, mono, audioDrive8(stereo, rate, 2), "both channels alike: heard as the mono signal")
	oneSided := audioDrive8(pcm(rate, audioWindow, sine(440, 0.5), silence), rate, 2)
	assert.Equal(t, peakBand(mono), peakBand(oneSided), "a tone on one channel is still that tone")
	assert.Less(t, oneSided[peakBand(mono)], mono[peakBand(mono)], "averaged with a silent channel: quieter")
	// Read as mono, the interleaved frames are another signal.
	assert.NotEqual(t, mono, audioDrive8(pcm(rate, audioWindow, sine(440, 0.5), silence), rate, 1))

	// Through encodeChunk, the meta's rate and channel count are used.
	p, err := demoProject()
	require.NoError(t, err)
	in, ok := p.input(DemoCameraInput) // any port: pcm16 reads none of it
	require.True(t, ok)
	enc, err := encodeChunk(p, in, Chunk{Format: "pcm16", Meta: map[string]any{"sampleRate": float64(rate), "channels": 2.0}, Data: stereo}, nil)
	require.NoError(t, err)
	assert.Equal(t, mono, enc.drive)
}

func TestEncodeDeviationRaster(t *testing.T) {
	p, err := demoProject()
	require.NoError(t, err)
	in, ok := p.input("shoulder_fb")
	require.True(t, ok)
	n := feedbackSize(p, "shoulder_fb")
	require.Equal(t, 128, n)
	tests := []struct {
		name string
		meta map[string]any
		dev  []float32
	}{
		{"a deviation per timestep", nil, ramp(p.Contract.Constants.Gamma)},
		{"T from the meta", map[string]any{"T": 64.0}, append([]float32{0, 1, -1, 0.5, -0.5, 0.3, -0.01, 0.99}, make([]float32, 56)...)},
		{"zero deviation", map[string]any{"T": 64.0}, make([]float32, 64)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			enc, err := encodeChunk(p, in, Chunk{InputID: "shoulder_fb", Format: "deviation_f32", Meta: tc.meta, Data: f32s(tc.dev...)}, nil)
			require.NoError(t, err)
			assert.Nil(t, enc.drive)
			require.Len(t, enc.raster, len(tc.dev)*n, "T rows of N")
			for ti, d := range tc.dev {
				row := enc.raster[ti*n : (ti+1)*n]
				var code float64
				for j, v := range row {
					require.GreaterOrEqual(t, v, float32(0))
					require.LessOrEqual(t, v, float32(1))
					if j < n/2 {
						code += float64(v)
					} else {
						code -= float64(v)
					}
				}
				assert.InDelta(t, float64(d)*float64(n)/2, code, 1e-3, "row %d: first half − second half = d·N/2", ti)
			}
		})
	}
}

func TestEncodeFeedbackOfAnotherLengthIsRefused(t *testing.T) {
	p, err := demoProject()
	require.NoError(t, err)
	in, ok := p.input("shoulder_fb")
	require.True(t, ok)
	for _, format := range []string{"deviation_f32", "raster_f32"} {
		_, err := encodeChunk(p, in, Chunk{InputID: "shoulder_fb", Format: format, Meta: map[string]any{"T": 4.0, "N": 2.0}, Data: make([]byte, 32)}, nil)
		assert.ErrorContains(t, err, "T=4, but the brain steps 64", format)
	}
}

// ramp is n deviations sweeping [−1, 1].
func ramp(n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = -1 + 2*float32(i)/float32(n-1)
	}
	return out
}

func TestEncodeRasterClamped(t *testing.T) {
	p, err := demoProject()
	require.NoError(t, err)
	in, _ := p.input("shoulder_fb")
	enc, err := encodeChunk(p, in, Chunk{InputID: "shoulder_fb", Format: "raster_f32", Data: f32s(-0.5, 0, 0.25, 1, 1.75, -1e30, 1e30)}, nil)
	require.NoError(t, err)
	assert.Equal(t, []float32{0, 0, 0.25, 1, 1, 0, 1}, enc.raster)
}

// A repeated frame (the node resends its newest frame to every need) gives
// the same drive without a decode; another frame, or another input, is
// decoded anew.
func TestImageMemoReusesARepeatedFrame(t *testing.T) {
	bright := jpegOf(t, 64, 48, func(x, y int) uint8 { return 220 })
	dark := jpegOf(t, 64, 48, func(x, y int) uint8 { return 20 })
	var m imageMemo
	first, err := m.drive("cam", bright)
	require.NoError(t, err)
	want, err := imageDrive64(bright)
	require.NoError(t, err)
	assert.Equal(t, want, first)

	again, err := m.drive("cam", bytes.Clone(bright))
	require.NoError(t, err)
	assert.Same(t, &first[0], &again[0], "the same bytes: the remembered drive")

	other, err := m.drive("cam", dark)
	require.NoError(t, err)
	wantDark, err := imageDrive64(dark)
	require.NoError(t, err)
	assert.Equal(t, wantDark, other)

	second, err := m.drive("cam2", bright)
	require.NoError(t, err)
	assert.Equal(t, want, second)
	assert.NotSame(t, &first[0], &second[0], "inputs are remembered apart")

	_, err = m.drive("cam", []byte{0xFF, 0xD8, 1, 2})
	assert.Error(t, err, "a malformed frame is still refused")
	var none *imageMemo
	d, err := none.drive("cam", bright)
	require.NoError(t, err)
	assert.Equal(t, want, d)
}
