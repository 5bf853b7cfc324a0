package policybridge

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
)

// chw decodes a camera's JPEG and resamples it to c × h × w float32 in
// [0, 1], channels first, as LeRobot policies take images (bilinear, pixel
// centres aligned; c 1 is the luma, c 3 red, green, blue).
func chw(data []byte, c, h, w int) ([]float32, error) {
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("camera frame: %w", err)
	}
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	if sw == 0 || sh == 0 {
		return nil, fmt.Errorf("camera frame is empty")
	}
	rgb := toRGB(img)
	out := make([]float32, c*h*w)
	for y := range h {
		fy, y0, y1 := sample(y, h, sh)
		for x := range w {
			fx, x0, x1 := sample(x, w, sw)
			var px [3]float64
			for k := range 3 {
				a := lerp(float64(rgb[(y0*sw+x0)*3+k]), float64(rgb[(y0*sw+x1)*3+k]), fx)
				bb := lerp(float64(rgb[(y1*sw+x0)*3+k]), float64(rgb[(y1*sw+x1)*3+k]), fx)
				px[k] = lerp(a, bb, fy) / 255
			}
			if c == 1 {
				out[y*w+x] = float32(0.299*px[0] + 0.587*px[1] + 0.114*px[2])
				continue
			}
			for k := range 3 {
				out[k*h*w+y*w+x] = float32(px[k])
			}
		}
	}
	return out, nil
}

// sample maps output index i of n onto the source's n0 pixels: the two
// neighbours and the weight of the second.
func sample(i, n, n0 int) (f float64, lo, hi int) {
	s := (float64(i)+0.5)*float64(n0)/float64(n) - 0.5
	if s < 0 {
		s = 0
	}
	lo = int(s)
	if lo >= n0-1 {
		return 0, n0 - 1, n0 - 1
	}
	return s - float64(lo), lo, lo + 1
}

func lerp(a, b, f float64) float64 { return a + (b-a)*f }

// toRGB is the frame as packed 8-bit RGB.
func toRGB(img image.Image) []uint8 {
	b := img.Bounds()
	out := make([]uint8, 0, b.Dx()*b.Dy()*3)
	if g, ok := img.(*image.Gray); ok {
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for _, v := range g.Pix[(y-b.Min.Y)*g.Stride : (y-b.Min.Y)*g.Stride+b.Dx()] {
				out = append(out, v, v, v)
			}
		}
		return out
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			out = append(out, uint8(r>>8), uint8(g>>8), uint8(bl>>8))
		}
	}
	return out
}
