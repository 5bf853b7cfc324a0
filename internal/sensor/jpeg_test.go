package sensor

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jpegTolerance is how far a solid colour may drift through 4:2:0 JPEG at
// quality 80.
const jpegTolerance = 4

func newEncoder(t *testing.T, conf ImageConf) *ImageEncoder {
	t.Helper()
	e, err := NewImageEncoder(conf)
	require.NoError(t, err)
	t.Cleanup(e.Close)
	return e
}

func TestEncodeSolidColourInEveryEncoding(t *testing.T) {
	colour := rgb{200, 40, 90} // R and B far apart: a swap shows
	tests := []struct {
		enc       string
		bigEndian bool
		padding   int
		want      rgb // expected decoded colour
	}{
		{enc: "rgb8", want: colour},
		{enc: "bgr8", want: colour},
		{enc: "rgba8", want: colour},
		{enc: "bgra8", want: colour},
		{enc: "mono8", want: rgb{200, 200, 200}},
		{enc: "8UC1", want: rgb{200, 200, 200}},
		{enc: "mono16", want: rgb{200, 200, 200}},
		{enc: "mono16", bigEndian: true, want: rgb{200, 200, 200}},
		{enc: "rgb8", padding: 7, want: colour},
		{enc: "bgr8", padding: 5, want: colour},
		{enc: "bgra8", padding: 12, want: colour},
		{enc: "mono8", padding: 3, want: rgb{200, 200, 200}},
		{enc: "mono16", padding: 6, want: rgb{200, 200, 200}},
	}
	for _, tc := range tests {
		for _, size := range [][2]int{{64, 48}, {33, 17}} {
			w, h := size[0], size[1]
			img := solidImage(tc.enc, w, h, w*bpp[tc.enc]+tc.padding, colour, tc.bigEndian)
			t.Run(tc.enc, func(t *testing.T) {
				e := newEncoder(t, ImageConf{})
				out, err := e.Encode(nil, img)
				require.NoError(t, err)
				assert.Equal(t, [2]int{w, h}, [2]int{out.Width, out.Height})
				assert.Zero(t, out.Halvings)
				dec := decodeJPEG(t, out.Data)
				assert.Equal(t, [2]int{w, h}, [2]int{dec.Bounds().Dx(), dec.Bounds().Dy()})
				r, g, b := meanColour(dec)
				assert.InDelta(t, float64(tc.want.R), r, jpegTolerance, "red")
				assert.InDelta(t, float64(tc.want.G), g, jpegTolerance, "green")
				assert.InDelta(t, float64(tc.want.B), b, jpegTolerance, "blue")
				assert.Equal(t, ImageStats{Encoded: 1}, e.Stats())
			})
		}
	}
}

func TestDepthToGray(t *testing.T) {
	near, far := 0.5, 4.5
	// value (m) → gray: near and closer white, far and farther black,
	// linear between, every invalid reading black.
	tests := []struct {
		name  string
		metre float64
		want  byte
	}{
		{"near", near, 255},
		{"closer than near", 0.2, 255},
		{"far", far, 0},
		{"beyond far", 9, 0},
		{"middle", 2.5, 128},
		{"quarter", 1.5, 191},
		{"zero", 0, 0},
		{"NaN", math.NaN(), 0},
		{"+Inf", math.Inf(1), 0},
		{"-Inf", math.Inf(-1), 0},
		{"negative", -1, 0},
	}
	values := make([]float64, len(tests))
	for i, tc := range tests {
		values[i] = tc.metre
	}
	for _, enc := range []string{"16UC1", "32FC1"} {
		for _, bigEndian := range []bool{false, true} {
			img := depthImage(enc, 4, values, bigEndian)
			_, err := img.check()
			require.NoError(t, err)
			gray := img.toGray(nil, DepthRange{Near: near, Far: far})
			for i, tc := range tests {
				if enc == "16UC1" && (math.IsNaN(tc.metre) || math.IsInf(tc.metre, 0) || tc.metre < 0) {
					continue // millimetres as uint16 cannot carry these
				}
				assert.Equal(t, tc.want, gray.pix[i*4+3], "%s big-endian=%v %s", enc, bigEndian, tc.name)
			}
		}
	}
}

func TestEncodeDepthThroughJPEG(t *testing.T) {
	// Bands 16 rows tall so the JPEG blocks hold one value each.
	values := []float64{0.5, 4.5, math.NaN(), 2.5}
	want := []float64{255, 0, 0, 128}
	var rows []float64
	for _, v := range values {
		for range 16 {
			rows = append(rows, v)
		}
	}
	for _, enc := range []string{"16UC1", "32FC1"} {
		t.Run(enc, func(t *testing.T) {
			if enc == "16UC1" {
				rows[2*16] = 0 // the invalid reading of a millimetre image
			}
			e := newEncoder(t, ImageConf{Depth: DepthRange{Near: 0.5, Far: 4.5}})
			out, err := e.Encode(nil, depthImage(enc, 16, rows, false))
			require.NoError(t, err)
			dec := decodeJPEG(t, out.Data)
			require.Equal(t, [2]int{16, 64}, [2]int{dec.Bounds().Dx(), dec.Bounds().Dy()})
			for i, w := range want {
				assert.InDelta(t, w, grayAt(dec, 8, i*16+8), jpegTolerance, "band %d", i)
			}
		})
	}
}

func TestEncodeResize(t *testing.T) {
	tests := []struct {
		name   string
		resize Resize
		w, h   int
	}{
		{"exact", Resize{Width: 32, Height: 24}, 32, 24},
		{"width keeps aspect", Resize{Width: 20}, 20, 15},
		{"height keeps aspect", Resize{Height: 12}, 16, 12},
		{"max side", Resize{MaxSide: 40}, 40, 30},
		{"max side larger than frame", Resize{MaxSide: 100}, 64, 48},
		{"grow", Resize{Width: 128, Height: 96}, 128, 96},
		{"aspect changed", Resize{Width: 10, Height: 40}, 10, 40},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEncoder(t, ImageConf{Resize: tc.resize})
			out, err := e.Encode(nil, solidImage("bgr8", 64, 48, 64*3+4, rgb{30, 120, 220}, false))
			require.NoError(t, err)
			assert.Equal(t, [2]int{tc.w, tc.h}, [2]int{out.Width, out.Height})
			dec := decodeJPEG(t, out.Data)
			assert.Equal(t, [2]int{tc.w, tc.h}, [2]int{dec.Bounds().Dx(), dec.Bounds().Dy()})
			r, g, b := meanColour(dec)
			assert.InDelta(t, 30, r, jpegTolerance)
			assert.InDelta(t, 120, g, jpegTolerance)
			assert.InDelta(t, 220, b, jpegTolerance)
		})
	}
}

func TestResizeAveragesAreas(t *testing.T) {
	tests := []struct {
		name       string
		src        plane
		w, h       int
		want       []byte
		wantFormat pixelFormat
	}{
		{
			name: "gray 4x2 to 2x1",
			src:  plane{pix: []byte{0, 10, 20, 30, 40, 50, 60, 70}, w: 4, h: 2, pitch: 4, format: pfGray},
			w:    2, h: 1, want: []byte{25, 45},
		},
		{
			name: "gray 3x1 to 2x1: uneven runs [0,1) and [1,3)",
			src:  plane{pix: []byte{9, 20, 40}, w: 3, h: 1, pitch: 3, format: pfGray},
			w:    2, h: 1, want: []byte{9, 30},
		},
		{
			name: "rgb 2x2 with row padding to 1x1",
			src:  plane{pix: []byte{10, 20, 30, 50, 60, 70, 99, 30, 40, 50, 70, 80, 90, 99}, w: 2, h: 2, pitch: 7, format: pfRGB},
			w:    1, h: 1, want: []byte{40, 50, 60},
		},
		{
			name: "rgba 2x1 to 1x1",
			src:  plane{pix: []byte{10, 20, 30, 255, 20, 40, 60, 255}, w: 2, h: 1, pitch: 8, format: pfRGBA},
			w:    1, h: 1, want: []byte{15, 30, 45, 255},
		},
		{
			name: "gray 2x1 grown to 4x2 repeats",
			src:  plane{pix: []byte{7, 200}, w: 2, h: 1, pitch: 2, format: pfGray},
			w:    4, h: 2, want: []byte{7, 7, 200, 200, 7, 7, 200, 200},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r resizer
			out := r.resize(nil, tc.src, tc.w, tc.h)
			assert.Equal(t, tc.want, out.pix)
			assert.Equal(t, tc.src.format, out.format)
			assert.Equal(t, tc.w*tc.src.format.size, out.pitch)
		})
	}
}

func TestEncodeRejectsBadImages(t *testing.T) {
	good := solidImage("rgb8", 8, 4, 24, rgb{1, 2, 3}, false)
	tests := []struct {
		name     string
		img      Image
		want     error
		contains []string
	}{
		{"unsupported encoding", Image{Width: 8, Height: 4, Step: 16, Encoding: "yuv422", Data: make([]byte, 64)}, ErrUnsupportedEncoding, []string{`"yuv422"`}},
		{"empty encoding", Image{Width: 8, Height: 4, Step: 24, Data: good.Data}, ErrUnsupportedEncoding, []string{`""`}},
		{"step below width", Image{Width: 8, Height: 4, Step: 20, Encoding: "rgb8", Data: make([]byte, 80)}, ErrBadImage, []string{"step 20", "width 8", "3 bytes", "24"}},
		{"data shorter than step × height", Image{Width: 8, Height: 4, Step: 24, Encoding: "rgb8", Data: make([]byte, 95)}, ErrBadImage, []string{"95 bytes", "step 24", "height 4", "96"}},
		{"data longer than step × height", Image{Width: 8, Height: 4, Step: 24, Encoding: "rgb8", Data: make([]byte, 97)}, ErrBadImage, []string{"97 bytes", "96"}},
		{"zero width", Image{Width: 0, Height: 4, Step: 0, Encoding: "rgb8"}, ErrBadImage, []string{"0x4"}},
		{"zero height", Image{Width: 8, Height: 0, Step: 24, Encoding: "mono8"}, ErrBadImage, []string{"8x0"}},
		{"negative size", Image{Width: -1, Height: 4, Step: 24, Encoding: "mono8", Data: make([]byte, 96)}, ErrBadImage, []string{"-1x4"}},
		{"mono16 step below width × 2", Image{Width: 8, Height: 1, Step: 8, Encoding: "mono16", Data: make([]byte, 8)}, ErrBadImage, []string{"step 8", "16"}},
	}
	e := newEncoder(t, ImageConf{})
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := e.Encode(nil, tc.img)
			require.ErrorIs(t, err, tc.want)
			for _, s := range tc.contains {
				assert.Contains(t, err.Error(), s)
			}
			assert.Empty(t, out.Data)
			assert.Equal(t, uint64(i+1), e.Stats().Rejected)
		})
	}
	_, err := e.Encode(nil, good)
	require.NoError(t, err, "a bad frame leaves the encoder usable")
}

func TestImageConfRejected(t *testing.T) {
	tests := []struct {
		name string
		conf ImageConf
		want string
	}{
		{"quality above 100", ImageConf{Quality: 101}, "quality 101"},
		{"negative quality", ImageConf{Quality: -5}, "quality -5"},
		{"negative max bytes", ImageConf{MaxBytes: -1}, "max bytes -1"},
		{"negative halvings", ImageConf{MaxHalvings: -1}, "max halvings -1"},
		{"far not beyond near", ImageConf{Depth: DepthRange{Near: 2, Far: 2}}, "depth range"},
		{"negative near", ImageConf{Depth: DepthRange{Near: -1, Far: 2}}, "depth range"},
		{"NaN far", ImageConf{Depth: DepthRange{Near: 1, Far: math.NaN()}}, "depth range"},
		{"max side with width", ImageConf{Resize: Resize{Width: 10, MaxSide: 20}}, "not both"},
		{"negative width", ImageConf{Resize: Resize{Width: -10}}, "resize"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := NewImageEncoder(tc.conf)
			require.Error(t, err)
			assert.Nil(t, e)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	e := newEncoder(t, ImageConf{})
	assert.Equal(t, ImageConf{Quality: 80, Depth: DepthRange{Near: 0, Far: 5}, MaxBytes: 1_000_000, MaxHalvings: 5}, e.Conf())
}

func TestEncodeHalvesToFitTheCap(t *testing.T) {
	noisy4K := Image{Width: 3840, Height: 2160, Step: 3840 * 3, Encoding: "rgb8", Data: noise(3840, 2160)}
	t.Run("default cap", func(t *testing.T) {
		e := newEncoder(t, ImageConf{Quality: 100})
		out, err := e.Encode(nil, noisy4K)
		require.NoError(t, err)
		assert.LessOrEqual(t, len(out.Data), DefaultMaxBytes)
		require.Positive(t, out.Halvings)
		assert.Equal(t, 3840>>out.Halvings, out.Width)
		assert.Equal(t, 2160>>out.Halvings, out.Height)
		dec := decodeJPEG(t, out.Data)
		assert.Equal(t, [2]int{out.Width, out.Height}, [2]int{dec.Bounds().Dx(), dec.Bounds().Dy()})
		// One halving less would not have fitted: the cap is honoured
		// with the largest size that fits.
		bigger, err := NewImageEncoder(ImageConf{Quality: 100, MaxBytes: 1 << 40})
		require.NoError(t, err)
		defer bigger.Close()
		prev, err := bigger.Encode(nil, Image{Width: out.Width * 2, Height: out.Height * 2, Step: out.Width * 6, Encoding: "rgb8", Data: noise(out.Width*2, out.Height*2)})
		require.NoError(t, err)
		assert.Greater(t, len(prev.Data), DefaultMaxBytes)
		assert.Equal(t, ImageStats{Encoded: 1, Downscaled: 1}, e.Stats())
	})
	t.Run("impossible cap", func(t *testing.T) {
		e := newEncoder(t, ImageConf{Quality: 100, MaxBytes: 200})
		out, err := e.Encode(nil, noisy4K)
		require.ErrorIs(t, err, ErrTooLarge)
		assert.Contains(t, err.Error(), "200-byte cap after 5 halvings")
		assert.Empty(t, out.Data)
		assert.Equal(t, ImageStats{Rejected: 1}, e.Stats())
	})
	t.Run("cap met by a small frame at once", func(t *testing.T) {
		e := newEncoder(t, ImageConf{MaxBytes: 100_000})
		out, err := e.Encode(nil, Image{Width: 64, Height: 64, Step: 192, Encoding: "rgb8", Data: noise(64, 64)})
		require.NoError(t, err)
		assert.Zero(t, out.Halvings)
		assert.Equal(t, ImageStats{Encoded: 1}, e.Stats())
	})
}

func TestEncodeReusesTheCallersBuffer(t *testing.T) {
	e := newEncoder(t, ImageConf{})
	img := Image{Width: 320, Height: 240, Step: 960, Encoding: "rgb8", Data: naturalRGB(320, 240)}
	first, err := e.Encode(nil, img)
	require.NoError(t, err)
	kept := append([]byte(nil), first.Data...)
	second, err := e.Encode(first.Data, img)
	require.NoError(t, err)
	assert.Same(t, &first.Data[:1][0], &second.Data[:1][0], "the buffer handed in is written into")
	assert.Equal(t, kept, second.Data, "same frame, same bytes")
	third, err := e.Encode(nil, img)
	require.NoError(t, err)
	assert.NotSame(t, &second.Data[:1][0], &third.Data[:1][0], "nil asks for a fresh buffer")
}

// TestEncoderKeepsNoWorstCaseBufferOnTheHeap: TurboJPEG's output buffer,
// the frame's own size for VGA, lives outside the Go heap, where only the
// pages a JPEG reaches cost memory; on the heap it counted as live and
// raised the collector's goal by as much again.
func TestEncoderKeepsNoWorstCaseBufferOnTheHeap(t *testing.T) {
	const w, h = 640, 480
	img := Image{Width: w, Height: h, Step: 3 * w, Encoding: "rgb8", Data: naturalRGB(w, h)}
	worst := bufSize(w, h, false)
	live := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := live()
	e := newEncoder(t, ImageConf{})
	out, err := e.Encode(nil, img)
	require.NoError(t, err)
	grown := int(live()) - int(before)
	runtime.KeepAlive(e)
	runtime.KeepAlive(img.Data) // counted in before
	assert.Less(t, grown, worst/4, "the heap grew by %d bytes for a %d-byte JPEG (worst case %d)", grown, len(out.Data), worst)
}

func TestEncodeKeepsEachJPEGApart(t *testing.T) {
	e := newEncoder(t, ImageConf{})
	red := solidImage("rgb8", 64, 48, 192, rgb{220, 10, 10}, false)
	blue := solidImage("rgb8", 64, 48, 192, rgb{10, 10, 220}, false)
	first, err := e.Encode(nil, red)
	require.NoError(t, err)
	kept := append([]byte(nil), first.Data...)
	second, err := e.Encode(nil, blue)
	require.NoError(t, err)
	assert.Equal(t, kept, first.Data, "a JPEG handed out is not the buffer TurboJPEG writes the next one into")
	assert.NotEqual(t, first.Data, second.Data)
}

func TestEncodeAfterCloseFails(t *testing.T) {
	e, err := NewImageEncoder(ImageConf{})
	require.NoError(t, err)
	e.Close()
	e.Close() // twice is harmless
	_, err = e.Encode(nil, solidImage("rgb8", 8, 8, 24, rgb{}, false))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "closed")
	assert.False(t, errors.Is(err, ErrBadImage))
}

// TestResizeMatchesNaiveAverages checks the word-wise sums and fixed-point
// division against the plain definition, on random pixels and sizes: odd
// widths (the byte tail), rows with padding, runs too large for 16-bit
// lanes or for the reciprocal.
func TestResizeMatchesNaiveAverages(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	formats := []pixelFormat{pfGray, pfRGB, pfRGBA}
	cases := [][4]int{{13, 7, 5, 3}, {640, 480, 320, 240}, {301, 300, 1, 1}, {17, 600, 3, 2}, {9, 5, 20, 11}, {1, 1, 1, 1}, {100, 1, 7, 1}}
	for _, c := range cases {
		for _, f := range formats {
			sw, sh, dw, dh := c[0], c[1], c[2], c[3]
			pitch := sw*f.size + rng.IntN(9)
			src := plane{pix: make([]byte, pitch*sh), w: sw, h: sh, pitch: pitch, format: f}
			for i := range src.pix {
				src.pix[i] = byte(rng.Uint32())
			}
			var r resizer
			got := r.resize(nil, src, dw, dh)
			for y := range dh {
				y0, y1 := span(y, sh, dh)
				for x := range dw {
					x0, x1 := span(x, sw, dw)
					n := (y1 - y0) * (x1 - x0)
					for ch := range f.size {
						s := 0
						for sy := y0; sy < y1; sy++ {
							for sx := x0; sx < x1; sx++ {
								s += int(src.pix[sy*pitch+sx*f.size+ch])
							}
						}
						require.Equal(t, byte((s+n/2)/n), got.pix[(y*dw+x)*f.size+ch], "%v %d-channel at %d,%d,%d", c, f.size, x, y, ch)
					}
				}
			}
		}
	}
}
