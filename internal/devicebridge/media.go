package devicebridge

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"

	"github.com/abbridge/ab_bridge/internal/primalux"
)

// The bridge keeps camera frames as the JPEG its encoder made for the 0.1
// path (resized, depth mapped to gray) and audio as int16 PCM; the device
// takes vectors in [0, 1], so a frame becomes a retina (cell means, gray or
// RGB planes) that fills the population, and audio its loudness envelope.

// retina decodes one JPEG and averages it over the largest grid whose
// cells (times three planes in colour) fit n neurons.
func retina(data []byte, n int, colour bool) ([]float64, error) {
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("camera frame: %w", err)
	}
	pic := pixels(img, colour)
	planes := 1
	if colour {
		planes = 3
	}
	gw, gh, err := primalux.RetinaGrid(n, pic.Width, pic.Height, planes)
	if err != nil {
		return nil, err
	}
	return primalux.Retina(pic, gw, gh, colour)
}

// pixels is the picture as the retina reads it: a JPEG's luma plane as it
// is for gray, RGB converted otherwise.
func pixels(img image.Image, colour bool) primalux.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if !colour {
		switch m := img.(type) {
		case *image.YCbCr:
			return primalux.Image{Width: w, Height: h, Channels: 1, Stride: m.YStride, Pix: m.Y[m.YOffset(b.Min.X, b.Min.Y):]}
		case *image.Gray:
			return primalux.Image{Width: w, Height: h, Channels: 1, Stride: m.Stride, Pix: m.Pix[m.PixOffset(b.Min.X, b.Min.Y):]}
		}
	}
	pix := make([]byte, 0, 3*w*h)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			pix = append(pix, c.R, c.G, c.B)
		}
	}
	return primalux.Image{Width: w, Height: h, Channels: 3, Pix: pix}
}

// envelope is little-endian int16 PCM, channels interleaved, mixed to one
// channel and cut into n windows of RMS loudness.
func envelope(pcm []byte, channels, n int) ([]float64, error) {
	channels = max(channels, 1)
	frames := len(pcm) / (2 * channels)
	mono := make([]int16, frames)
	for i := range frames {
		var sum int
		for c := range channels {
			sum += int(int16(binary.LittleEndian.Uint16(pcm[2*(i*channels+c):])))
		}
		mono[i] = int16(sum / channels)
	}
	return primalux.Envelope(mono, n)
}
