package sensor

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// rgb is a test colour; gray encodings use its R.
type rgb struct{ R, G, B byte }

var bpp = map[string]int{"rgb8": 3, "bgr8": 3, "rgba8": 4, "bgra8": 4, "mono8": 1, "8UC1": 1, "mono16": 2, "16UC1": 2, "32FC1": 4}

// solidImage is a w×h frame of one colour in enc, rows padded to step with
// random garbage (so that reading padding as pixels shows in the colour).
func solidImage(enc string, w, h, step int, c rgb, bigEndian bool) Image {
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, step*h)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	var px []byte
	var order binary.AppendByteOrder = binary.LittleEndian
	if bigEndian {
		order = binary.BigEndian
	}
	switch enc {
	case "rgb8":
		px = []byte{c.R, c.G, c.B}
	case "bgr8":
		px = []byte{c.B, c.G, c.R}
	case "rgba8":
		px = []byte{c.R, c.G, c.B, 0}
	case "bgra8":
		px = []byte{c.B, c.G, c.R, 0}
	case "mono8", "8UC1":
		px = []byte{c.R}
	case "mono16":
		px = order.AppendUint16(nil, uint16(c.R)<<8|0x7f)
	}
	for y := range h {
		for x := range w {
			copy(data[y*step+x*len(px):], px)
		}
	}
	return Image{Width: w, Height: h, Step: step, Encoding: enc, BigEndian: bigEndian, Data: data}
}

// depthImage is a one-row-per-value strip: row i holds values[i] (metres)
// in enc (16UC1 in millimetres, 32FC1 in metres).
func depthImage(enc string, w int, values []float64, bigEndian bool) Image {
	size := bpp[enc]
	var order binary.AppendByteOrder = binary.LittleEndian
	if bigEndian {
		order = binary.BigEndian
	}
	data := make([]byte, 0, w*size*len(values))
	for _, v := range values {
		for range w {
			if enc == "16UC1" {
				data = order.AppendUint16(data, uint16(v*1000))
			} else {
				data = order.AppendUint32(data, math.Float32bits(float32(v)))
			}
		}
	}
	return Image{Width: w, Height: len(values), Step: w * size, Encoding: enc, BigEndian: bigEndian, Data: data}
}

// naturalRGB is a w×h rgb8 frame that compresses like a camera image:
// smooth gradients, a few shapes and sensor noise.
func naturalRGB(w, h int) []byte {
	rng := rand.New(rand.NewPCG(7, 11))
	data := make([]byte, w*h*3)
	for y := range h {
		for x := range w {
			i := (y*w + x) * 3
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			r := 200*fx + 30*math.Sin(fy*9)
			g := 160*fy + 40*math.Cos(fx*7)
			b := 120 + 80*math.Sin((fx+fy)*5)
			if dx, dy := fx-0.6, fy-0.4; dx*dx+dy*dy < 0.02 {
				r, g, b = 230, 210, 40
			}
			n := rng.NormFloat64() * 6
			data[i], data[i+1], data[i+2] = clampByte(r+n), clampByte(g+n), clampByte(b+n)
		}
	}
	return data
}

// noise is w×h×3 random bytes: the worst case for JPEG size.
func noise(w, h int) []byte {
	data := make([]byte, w*h*3)
	_, _ = rand.NewChaCha8([32]byte{3}).Read(data)
	return data
}

func clampByte(v float64) byte { return byte(max(0, min(255, math.Round(v)))) }

// decodeJPEG decodes with Go's own decoder, the independent check.
func decodeJPEG(t *testing.T, data []byte) image.Image {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(data))
	require.NoError(t, err, "output must be a valid JPEG")
	return img
}

// meanColour is the average 8-bit colour of img.
func meanColour(img image.Image) (r, g, b float64) {
	bd := img.Bounds()
	n := float64(bd.Dx() * bd.Dy())
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			r, g, b = r+float64(cr>>8), g+float64(cg>>8), b+float64(cb>>8)
		}
	}
	return r / n, g / n, b / n
}

// grayAt is the 8-bit luminance of img at (x, y).
func grayAt(img image.Image, x, y int) float64 {
	r, _, _, _ := img.At(x, y).RGBA()
	return float64(r >> 8)
}
