package primalux

import (
	"fmt"
	"math"
)

// The device takes only vectors in [0, 1]; pictures and sound become them
// here (the SDK leaves this to the robot's code and sends them as
// vector_f32, padded or cut to the population).

// Image is an 8-bit picture: Channels 1 (gray) or 3 (RGB, interleaved), rows
// Stride bytes apart (0 means Width·Channels).
type Image struct {
	Width, Height, Channels, Stride int
	Pix                             []byte
}

func (im Image) check() error {
	if im.Width <= 0 || im.Height <= 0 || (im.Channels != 1 && im.Channels != 3) {
		return fmt.Errorf("image %dx%d with %d channels: want a positive size and 1 or 3 channels", im.Width, im.Height, im.Channels)
	}
	stride := im.Stride
	if stride == 0 {
		stride = im.Width * im.Channels
	}
	if stride < im.Width*im.Channels || len(im.Pix) < stride*(im.Height-1)+im.Width*im.Channels {
		return fmt.Errorf("image %dx%d: %d bytes at stride %d are too few", im.Width, im.Height, len(im.Pix), stride)
	}
	return nil
}

// RetinaGrid is the largest grid, at the picture's aspect, whose cells
// times planes (1 gray, 3 colour) fit a population of n neurons.
func RetinaGrid(n, width, height, planes int) (gw, gh int, err error) {
	if planes <= 0 || n < planes || width <= 0 || height <= 0 {
		return 0, 0, fmt.Errorf("no retina of %d planes fits %d neurons", planes, n)
	}
	cells := n / planes
	s := math.Sqrt(float64(cells) / float64(width*height))
	gw = max(1, min(width, int(float64(width)*s)))
	gh = max(1, min(height, int(float64(height)*s)))
	for gw*gh > cells {
		if gw >= gh && gw > 1 {
			gw--
		} else {
			gh--
		}
	}
	return gw, gh, nil
}

// Retina averages the picture over a gw×gh grid of cells, each value in
// [0, 1]. Colour gives three planes, all red cells then green then blue
// (each row-major); gray gives one plane, from an RGB picture by the
// Rec. 601 luma weights.
func Retina(im Image, gw, gh int, colour bool) ([]float64, error) {
	if err := im.check(); err != nil {
		return nil, err
	}
	if gw <= 0 || gh <= 0 || gw > im.Width || gh > im.Height {
		return nil, fmt.Errorf("retina %dx%d for a %dx%d image: want 1 cell per pixel at most", gw, gh, im.Width, im.Height)
	}
	if colour && im.Channels != 3 {
		return nil, fmt.Errorf("a colour retina needs an RGB image, not %d channel(s)", im.Channels)
	}
	stride := im.Stride
	if stride == 0 {
		stride = im.Width * im.Channels
	}
	planes := 1
	if colour {
		planes = 3
	}
	out := make([]float64, planes*gw*gh)
	for cy := range gh {
		y0, y1 := cy*im.Height/gh, (cy+1)*im.Height/gh
		for cx := range gw {
			x0, x1 := cx*im.Width/gw, (cx+1)*im.Width/gw
			var sum [3]float64
			for y := y0; y < y1; y++ {
				row := im.Pix[y*stride:]
				for x := x0; x < x1; x++ {
					px := row[x*im.Channels:]
					if im.Channels == 1 {
						sum[0] += float64(px[0])
						continue
					}
					if colour {
						sum[0] += float64(px[0])
						sum[1] += float64(px[1])
						sum[2] += float64(px[2])
					} else {
						sum[0] += 0.299*float64(px[0]) + 0.587*float64(px[1]) + 0.114*float64(px[2])
					}
				}
			}
			area := float64((y1 - y0) * (x1 - x0) * 255)
			for p := range planes {
				out[p*gw*gh+cy*gw+cx] = min(1, sum[p]/area)
			}
		}
	}
	return out, nil
}

// Envelope is a PCM16 buffer as n loudness values: the samples cut into n
// equal windows (in order), each window's RMS over full scale, in [0, 1].
// A window without samples (fewer samples than n) is silent.
func Envelope(samples []int16, n int) ([]float64, error) {
	if n <= 0 || n > MaxPopulation {
		return nil, fmt.Errorf("envelope of %d values: want 1 to %d", n, MaxPopulation)
	}
	out := make([]float64, n)
	for i := range n {
		lo, hi := i*len(samples)/n, (i+1)*len(samples)/n
		if hi == lo {
			continue
		}
		var ss float64
		for _, s := range samples[lo:hi] {
			ss += float64(s) * float64(s)
		}
		out[i] = min(1, math.Sqrt(ss/float64(hi-lo))/32768)
	}
	return out, nil
}
