package sensor

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"
)

// BenchmarkEncodeVGA encodes one 640×480 rgb8 camera-like frame at quality
// 80: TurboJPEG into a reused buffer, into a fresh slice each time, and Go's
// image/jpeg (which first needs the frame as an image.RGBA).
func BenchmarkEncodeVGA(b *testing.B) {
	const w, h = 640, 480
	img := Image{Width: w, Height: h, Step: w * 3, Encoding: "rgb8", Data: naturalRGB(w, h)}
	e, err := NewImageEncoder(ImageConf{Quality: 80})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()

	b.Run("turbojpeg", func(b *testing.B) {
		b.ReportAllocs()
		var out JPEG
		for b.Loop() {
			if out, err = e.Encode(out.Data, img); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(out.Data)), "jpeg-bytes")
	})
	b.Run("turbojpeg-fresh-slice", func(b *testing.B) {
		b.ReportAllocs()
		var out JPEG
		for b.Loop() {
			if out, err = e.Encode(nil, img); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(out.Data)), "jpeg-bytes")
	})
	b.Run("image-jpeg", func(b *testing.B) {
		b.ReportAllocs()
		rgba := image.NewRGBA(image.Rect(0, 0, w, h))
		var buf bytes.Buffer
		for b.Loop() {
			rgb8ToRGBA(rgba, img.Data, img.Step)
			buf.Reset()
			if err := jpeg.Encode(&buf, rgba, &jpeg.Options{Quality: 80}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(buf.Len()), "jpeg-bytes")
	})
}

func rgb8ToRGBA(dst *image.RGBA, src []byte, step int) {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	for y := range h {
		in, out := src[y*step:y*step+3*w], dst.Pix[y*dst.Stride:y*dst.Stride+4*w]
		for x := range w {
			out[4*x], out[4*x+1], out[4*x+2], out[4*x+3] = in[3*x], in[3*x+1], in[3*x+2], 255
		}
	}
}

// BenchmarkEncode4KToVGA is a 4K camera sent at 640×360: the area
// downscale in Go, then TurboJPEG.
func BenchmarkEncode4KToVGA(b *testing.B) {
	img := Image{Width: 3840, Height: 2160, Step: 3840 * 3, Encoding: "rgb8", Data: naturalRGB(3840, 2160)}
	e, err := NewImageEncoder(ImageConf{Resize: Resize{MaxSide: 640}})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	b.ReportAllocs()
	var out JPEG
	for b.Loop() {
		if out, err = e.Encode(out.Data, img); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDepthVGA is a 32FC1 depth frame mapped to gray and encoded.
func BenchmarkDepthVGA(b *testing.B) {
	values := make([]float64, 480)
	for i := range values {
		values[i] = float64(i) / 80
	}
	img := depthImage("32FC1", 640, values, false)
	e, err := NewImageEncoder(ImageConf{})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	b.ReportAllocs()
	var out JPEG
	for b.Loop() {
		if out, err = e.Encode(out.Data, img); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResize4KToVGA is the area downscale alone.
func BenchmarkResize4KToVGA(b *testing.B) {
	src := plane{pix: naturalRGB(3840, 2160), w: 3840, h: 2160, pitch: 3840 * 3, format: pfRGB}
	var r resizer
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = r.resize(buf, src, 640, 360).pix
	}
}
