package sensor

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCompressionFormat(t *testing.T) {
	tests := []struct {
		format, want string
	}{
		{"jpeg", "jpeg"},
		{"JPEG", "jpeg"},
		{"jpg", "jpeg"},
		{"png", "png"},
		{" png ", "png"},
		{"rgb8; jpeg compressed bgr8", "jpeg"},
		{"bgr8; jpeg compressed bgr8", "jpeg"},
		{"mono8; jpeg compressed mono8", "jpeg"},
		{"bgr8; png compressed bgr8", "png"},
		{"mono16; png compressed mono16", "png"},
		{"16UC1; compressedDepth png", ""},
		{"32FC1; compressedDepth", ""},
		{"tiff", ""},
		{"rgb8; tiff compressed rgb8", ""},
		{"", ""},
		{"jpegxl", ""},
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			got, err := compression(tc.format)
			if tc.want == "" {
				require.ErrorIs(t, err, ErrUnsupportedEncoding)
				assert.Contains(t, err.Error(), "\""+tc.format+"\"")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func goJPEG(t testing.TB, img image.Image, quality int) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}))
	return buf.Bytes()
}

func goPNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

func filled[T interface {
	image.Image
	Set(x, y int, c color.Color)
}](img T, c color.Color) T {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			img.Set(x, y, c)
		}
	}
	return img
}

func TestJPEGPassthroughIsByteIdentical(t *testing.T) {
	src := goJPEG(t, filled(image.NewRGBA(image.Rect(0, 0, 40, 30)), color.RGBA{200, 40, 90, 255}), 90)
	for _, format := range []string{"jpeg", "rgb8; jpeg compressed bgr8"} {
		e := newEncoder(t, ImageConf{})
		dst := make([]byte, 0, 16)
		out, err := e.EncodeCompressed(dst, CompressedImage{Format: format, Data: src})
		require.NoError(t, err)
		assert.Equal(t, src, out.Data)
		assert.NotSame(t, &src[0], &out.Data[0], "copied, so the sample may be reused")
		assert.Equal(t, JPEG{Data: out.Data, Width: 40, Height: 30, Passthrough: true}, out)
		assert.Equal(t, ImageStats{Passthrough: 1}, e.Stats())
	}
}

func TestJPEGTranscodedWhenItMustChange(t *testing.T) {
	noisy := &image.RGBA{Pix: make([]byte, 512*512*4), Stride: 512 * 4, Rect: image.Rect(0, 0, 512, 512)}
	copy(noisy.Pix, noise(512, 512*4/3+1))
	big := goJPEG(t, noisy, 100)
	solid := goJPEG(t, filled(image.NewRGBA(image.Rect(0, 0, 64, 48)), color.RGBA{30, 120, 220, 255}), 95)
	gray := goJPEG(t, filled(image.NewGray(image.Rect(0, 0, 64, 48)), color.Gray{77}), 95)
	tests := []struct {
		name       string
		conf       ImageConf
		data       []byte
		w, h       int
		halvings   int
		wantColour *rgb
	}{
		{name: "resize configured", conf: ImageConf{Resize: Resize{Width: 32}}, data: solid, w: 32, h: 24, wantColour: &rgb{30, 120, 220}},
		{name: "gray resized", conf: ImageConf{Resize: Resize{MaxSide: 16}}, data: gray, w: 16, h: 12, wantColour: &rgb{77, 77, 77}},
		// Re-encoding at quality 80 shrinks it under the cap at full size.
		{name: "over the cap", conf: ImageConf{MaxBytes: len(big) - 1}, data: big, w: 512, h: 512},
		{name: "far over the cap: halved", conf: ImageConf{Quality: 100, MaxBytes: len(big) / 3}, data: big, w: 256, h: 256, halvings: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEncoder(t, tc.conf)
			out, err := e.EncodeCompressed(nil, CompressedImage{Format: "jpeg", Data: tc.data})
			require.NoError(t, err)
			assert.False(t, out.Passthrough)
			assert.Equal(t, [3]int{tc.w, tc.h, tc.halvings}, [3]int{out.Width, out.Height, out.Halvings})
			assert.LessOrEqual(t, len(out.Data), e.Conf().MaxBytes)
			dec := decodeJPEG(t, out.Data)
			assert.Equal(t, [2]int{tc.w, tc.h}, [2]int{dec.Bounds().Dx(), dec.Bounds().Dy()})
			if tc.wantColour != nil {
				r, g, b := meanColour(dec)
				assert.InDelta(t, float64(tc.wantColour.R), r, jpegTolerance)
				assert.InDelta(t, float64(tc.wantColour.G), g, jpegTolerance)
				assert.InDelta(t, float64(tc.wantColour.B), b, jpegTolerance)
			}
			want := ImageStats{Transcoded: 1}
			if tc.halvings > 0 {
				want.Downscaled = 1
			}
			assert.Equal(t, want, e.Stats())
		})
	}
}

func TestPNGTranscodedToJPEG(t *testing.T) {
	r := image.Rect(0, 0, 24, 16)
	c := color.NRGBA{200, 40, 90, 255}
	pal := image.NewPaletted(r, color.Palette{color.RGBA{0, 0, 0, 255}, color.RGBA{200, 40, 90, 255}})
	tests := []struct {
		name string
		img  image.Image
		want rgb
	}{
		{"rgba", filled(image.NewNRGBA(r), c), rgb{200, 40, 90}},
		{"rgba half transparent: colour kept, alpha dropped", filled(image.NewNRGBA(r), color.NRGBA{200, 40, 90, 128}), rgb{200, 40, 90}},
		{"rgb 16-bit", filled(image.NewRGBA64(r), c), rgb{200, 40, 90}},
		{"rgba 16-bit", filled(image.NewNRGBA64(r), color.NRGBA64{200 << 8, 40 << 8, 90 << 8, 0x8000}), rgb{200, 40, 90}},
		{"gray", filled(image.NewGray(r), color.Gray{123}), rgb{123, 123, 123}},
		{"gray 16-bit", filled(image.NewGray16(r), color.Gray16{123<<8 | 0xff}), rgb{123, 123, 123}},
		{"paletted", filled(pal, color.RGBA{200, 40, 90, 255}), rgb{200, 40, 90}},
	}
	for _, tc := range tests {
		for _, format := range []string{"png", "bgr8; png compressed bgr8"} {
			t.Run(tc.name+"/"+format, func(t *testing.T) {
				e := newEncoder(t, ImageConf{})
				out, err := e.EncodeCompressed(nil, CompressedImage{Format: format, Data: goPNG(t, tc.img)})
				require.NoError(t, err)
				assert.False(t, out.Passthrough)
				assert.Equal(t, [2]int{24, 16}, [2]int{out.Width, out.Height})
				dec := decodeJPEG(t, out.Data)
				assert.Equal(t, [2]int{24, 16}, [2]int{dec.Bounds().Dx(), dec.Bounds().Dy()})
				gr, gg, gb := meanColour(dec)
				assert.InDelta(t, float64(tc.want.R), gr, jpegTolerance, "red")
				assert.InDelta(t, float64(tc.want.G), gg, jpegTolerance, "green")
				assert.InDelta(t, float64(tc.want.B), gb, jpegTolerance, "blue")
				assert.Equal(t, ImageStats{Transcoded: 1}, e.Stats())
			})
		}
	}
}

// hugePNG is a valid PNG header claiming w×h pixels, followed by no data.
func hugePNG(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0) // 8-bit RGB
	chunk := append([]byte("IHDR"), ihdr...)
	out := []byte("\x89PNG\r\n\x1a\n")
	out = binary.BigEndian.AppendUint32(out, uint32(len(ihdr)))
	out = append(out, chunk...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(chunk))
}

func TestCompressedImageRejected(t *testing.T) {
	valid := goJPEG(t, filled(image.NewRGBA(image.Rect(0, 0, 64, 64)), color.RGBA{1, 2, 3, 255}), 90)
	validPNG := goPNG(t, filled(image.NewGray(image.Rect(0, 0, 8, 8)), color.Gray{9}))
	tests := []struct {
		name string
		conf ImageConf
		img  CompressedImage
		want error
		says string
	}{
		{name: "unknown format", img: CompressedImage{Format: "tiff", Data: valid}, want: ErrUnsupportedEncoding, says: `"tiff"`},
		{name: "depth transport", img: CompressedImage{Format: "16UC1; compressedDepth png", Data: validPNG}, want: ErrUnsupportedEncoding, says: "compressedDepth"},
		{name: "garbage as jpeg", img: CompressedImage{Format: "jpeg", Data: []byte("not a picture at all")}, want: ErrBadImage, says: "jpeg frame of 20 bytes"},
		{name: "garbage as png", img: CompressedImage{Format: "png", Data: []byte("not a picture at all")}, want: ErrBadImage, says: "png frame of 20 bytes"},
		{name: "empty", img: CompressedImage{Format: "jpeg"}, want: ErrBadImage, says: "0 bytes"},
		{name: "png labelled jpeg", img: CompressedImage{Format: "jpeg", Data: validPNG}, want: ErrBadImage, says: "jpeg frame"},
		{name: "jpeg labelled png", img: CompressedImage{Format: "png", Data: valid}, want: ErrBadImage, says: "png frame"},
		{name: "png truncated", img: CompressedImage{Format: "png", Data: validPNG[:len(validPNG)-20]}, want: ErrBadImage, says: "png frame"},
		{name: "png of 100000x100000", img: CompressedImage{Format: "png", Data: hugePNG(100000, 100000)}, want: ErrBadImage, says: "100000x100000"},
		{name: "jpeg over the cap that cannot fit", conf: ImageConf{MaxBytes: 100, MaxHalvings: 2}, img: CompressedImage{Format: "jpeg", Data: valid}, want: ErrTooLarge, says: "100-byte cap"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEncoder(t, tc.conf)
			out, err := e.EncodeCompressed(nil, tc.img)
			require.ErrorIs(t, err, tc.want)
			assert.Contains(t, err.Error(), tc.says)
			assert.Empty(t, out.Data)
			assert.Equal(t, ImageStats{Rejected: 1}, e.Stats())
		})
	}
}

func TestTruncatedJPEGStillTranscodes(t *testing.T) {
	// libjpeg-turbo fills what is missing and warns: the frame is sent
	// (the brain gets a grey bottom) rather than dropped.
	noisy := &image.RGBA{Pix: noise(64, 64*4/3+1)[:64*64*4], Stride: 64 * 4, Rect: image.Rect(0, 0, 64, 64)}
	src := goJPEG(t, noisy, 90)
	e := newEncoder(t, ImageConf{Resize: Resize{MaxSide: 32}})
	out, err := e.EncodeCompressed(nil, CompressedImage{Format: "jpeg", Data: src[:len(src)*2/3]})
	require.NoError(t, err)
	assert.Equal(t, [2]int{32, 32}, [2]int{out.Width, out.Height})
	decodeJPEG(t, out.Data)
}

// FuzzEncodeCompressed feeds arbitrary bytes through both codecs, resized
// or not: never a panic, and what comes out is a JPEG of the size it says.
func FuzzEncodeCompressed(f *testing.F) {
	jpg := goJPEG(f, filled(image.NewRGBA(image.Rect(0, 0, 20, 10)), color.RGBA{1, 200, 3, 255}), 75)
	pngData := goPNG(f, filled(image.NewNRGBA(image.Rect(0, 0, 9, 5)), color.NRGBA{4, 5, 6, 7}))
	for _, resize := range []bool{false, true} {
		f.Add("jpeg", jpg, resize)
		f.Add("png", pngData, resize)
		f.Add("jpeg", jpg[:len(jpg)/2], resize)
		f.Add("png", pngData[:len(pngData)-5], resize)
		f.Add("bgr8; png compressed bgr8", []byte("\x89PNG\r\n\x1a\n"), resize)
		f.Add("jpeg", []byte{0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, 0, 1, 0, 1, 1, 1, 0x11, 0}, resize)
	}
	conf := map[bool]ImageConf{false: {MaxBytes: 50_000}, true: {Resize: Resize{MaxSide: 7}, MaxBytes: 50_000}}
	f.Fuzz(func(t *testing.T, format string, data []byte, resize bool) {
		e, err := NewImageEncoder(conf[resize])
		require.NoError(t, err)
		defer e.Close()
		out, err := e.EncodeCompressed(nil, CompressedImage{Format: format, Data: data})
		if err != nil {
			assert.Empty(t, out.Data)
			return
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(out.Data))
		require.NoError(t, err)
		assert.Equal(t, [2]int{out.Width, out.Height}, [2]int{cfg.Width, cfg.Height})
		assert.LessOrEqual(t, len(out.Data), 50_000)
	})
}
