package localbrain

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"sync"

	"github.com/abbridge/ab_bridge/internal/contract"
	"github.com/abbridge/ab_bridge/internal/sensor"
)

// encoded is a chunk as the network senses it: a drive per sensory neuron
// (Proprioception, Image, Audio), or a feedback raster of T×N values.
type encoded struct {
	drive  []float64
	raster []float32
}

// imageMemo remembers each input's last JPEG and its drive, for one run.
// The node answers every need with its newest encoded frame, so at 20
// cycles/s most chunks repeat the one before; decoding them again was the
// embedded brain's largest allocation for the same drive (image.NewYCbCr,
// 519 MB a minute in BenchmarkNodeSoak; 109 MB with the memo).
type imageMemo struct {
	mu   sync.Mutex
	last map[string]memoImage
}

type memoImage struct {
	data  []byte
	drive []float64 // shared with the run's drives, which never write into it
}

// drive is imageDrive64 of data, reusing the last result of input id when
// data is the same bytes. A nil memo decodes every time.
func (m *imageMemo) drive(id string, data []byte) ([]float64, error) {
	if m == nil {
		return imageDrive64(data)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if last, ok := m.last[id]; ok && bytes.Equal(last.data, data) {
		return last.drive, nil
	}
	d, err := imageDrive64(data)
	if err != nil {
		return nil, err
	}
	if m.last == nil {
		m.last = map[string]memoImage{}
	}
	m.last[id] = memoImage{data: data, drive: d}
	return d, nil
}

// encodeChunk turns a validated chunk into what its population receives.
// Formats the network has no encoder for give nothing (recorded only).
// images may be nil.
func encodeChunk(p *project, in contract.Port, c Chunk, images *imageMemo) (encoded, error) {
	k := p.Contract.Constants
	switch c.Format {
	case "rawtick_f32x3":
		lo, hi := chunkRange(in, c.Meta)
		return encoded{drive: jointDrive(make([]float64, inputNeurons), normalise(f32(c.Data, 0), lo, hi))}, nil
	case "jpeg":
		d, err := images.drive(c.InputID, c.Data)
		return encoded{drive: d}, err
	case "pcm16":
		rate := metaInt(c.Meta, "sampleRate", 16000)
		channels := metaInt(c.Meta, "channels", 1)
		return encoded{drive: audioDrive8(c.Data, rate, channels)}, nil
	case "deviation_f32":
		t := metaInt(c.Meta, "T", k.Gamma)
		if t != k.Gamma {
			return encoded{}, fmt.Errorf("deviation_f32 of T=%d, but the brain steps %d timesteps a cycle", t, k.Gamma)
		}
		dev := make([]float64, t)
		for i := range dev {
			dev[i] = f32(c.Data, i)
		}
		n := feedbackSize(p, c.InputID)
		raw, _, err := sensor.AppendRaster(nil, dev, t, n)
		if err != nil {
			return encoded{}, err
		}
		return encoded{raster: float32s(raw)}, nil
	case "raster_f32":
		if t := metaInt(c.Meta, "T", k.Gamma); t != k.Gamma {
			return encoded{}, fmt.Errorf("raster_f32 of T=%d, but the brain steps %d timesteps a cycle", t, k.Gamma)
		}
		if n, want := metaInt(c.Meta, "N", k.FeedbackN), feedbackSize(p, c.InputID); n != want {
			return encoded{}, fmt.Errorf("raster_f32 of N=%d, but feedback %s has %d neurons", n, c.InputID, want)
		}
		r := float32s(c.Data)
		for i, v := range r {
			r[i] = max(0, min(1, v))
		}
		return encoded{raster: r}, nil
	}
	return encoded{}, nil
}

// feedbackSize is the population size of a feedback input.
func feedbackSize(p *project, id string) int {
	for _, fb := range p.Contract.IO.Feedback {
		if fb.ID == id && fb.N > 0 {
			return fb.N
		}
	}
	return p.Contract.Constants.FeedbackN
}

func float32s(b []byte) []float32 {
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// imageDrive64 decodes a JPEG and returns the mean intensity of each cell of
// an imageSide×imageSide grid, times imageDrive: a tiny retina. Each cell is
// sampled on at most 8×8 pixels, so a VGA frame costs its decode and little
// more.
func imageDrive64(data []byte) ([]float64, error) {
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("jpeg data does not decode: %w", err)
	}
	b := img.Bounds()
	if b.Dx() < 1 || b.Dy() < 1 {
		return nil, fmt.Errorf("jpeg of %dx%d pixels", b.Dx(), b.Dy())
	}
	out := make([]float64, imageSide*imageSide)
	for cy := range imageSide {
		for cx := range imageSide {
			out[cy*imageSide+cx] = imageDrive * cellMean(img, cellRect(b, cx, cy))
		}
	}
	return out, nil
}

func cellRect(b image.Rectangle, cx, cy int) image.Rectangle {
	return image.Rect(
		b.Min.X+cx*b.Dx()/imageSide, b.Min.Y+cy*b.Dy()/imageSide,
		b.Min.X+max((cx+1)*b.Dx()/imageSide, cx*b.Dx()/imageSide+1), b.Min.Y+max((cy+1)*b.Dy()/imageSide, cy*b.Dy()/imageSide+1))
}

// cellMean is the mean luma in [0, 1] of up to 8×8 pixels spread over r.
func cellMean(img image.Image, r image.Rectangle) float64 {
	sx, sy := max(1, r.Dx()/8), max(1, r.Dy()/8)
	var sum float64
	var n int
	for y := r.Min.Y; y < r.Max.Y; y += sy {
		for x := r.Min.X; x < r.Max.X; x += sx {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			sum += (0.299*float64(cr) + 0.587*float64(cg) + 0.114*float64(cb)) / 0xffff
			n++
		}
	}
	return sum / float64(n)
}

// audioWindow is the most recent mono samples an audio chunk is heard over.
const audioWindow = 2048

// audioDrive8 returns the energy of audioBands log-spaced bands (from
// 125 Hz up to under half the sample rate, at most 4 kHz) of the chunk's
// newest audioWindow samples, each log-compressed to [0, 1] over 60 dB and
// times audioDrive. Silence and an empty chunk give zeros.
func audioDrive8(pcm []byte, rate, channels int) []float64 {
	out := make([]float64, audioBands)
	mono := monoTail(pcm, channels)
	if len(mono) < 16 {
		return out
	}
	top := math.Min(4000, float64(rate)/2.2)
	edge := func(i int) float64 { return 125 * math.Pow(top/125, float64(i)/float64(audioBands)) }
	for band := range out {
		amp := bandAmplitude(mono, float64(rate), edge(band), edge(band+1))
		out[band] = audioDrive * math.Max(0, math.Min(1, 1+math.Log10(amp+1e-12)/3))
	}
	return out
}

// monoTail is the newest audioWindow frames of interleaved pcm16, mixed
// down to mono in [-1, 1].
func monoTail(pcm []byte, channels int) []float64 {
	frames := len(pcm) / (2 * channels)
	first := max(0, frames-audioWindow)
	mono := make([]float64, 0, frames-first)
	for f := first; f < frames; f++ {
		var sum float64
		for ch := range channels {
			sum += float64(int16(binary.LittleEndian.Uint16(pcm[2*(f*channels+ch):])))
		}
		mono = append(mono, sum/float64(channels)/32768)
	}
	return mono
}

// maxBandFilters bounds the Goertzel filters summed over one band.
const maxBandFilters = 16

// bandAmplitude is the amplitude of x's content between lo and hi Hz: the
// root of the summed power of Goertzel filters one resolution step
// (rate/len(x)) apart across the band, so that a tone anywhere in it counts
// (a single filter would hear only its own frequency).
func bandAmplitude(x []float64, rate, lo, hi float64) float64 {
	res := rate / float64(len(x))
	n := min(maxBandFilters, max(1, int(math.Ceil((hi-lo)/res))))
	step := (hi - lo) / float64(n)
	var power float64
	for k := range n {
		a := goertzel(x, (lo+(float64(k)+0.5)*step)/rate)
		power += a * a
	}
	return math.Sqrt(power)
}

// goertzel is the amplitude (0..1 for a full-scale sine) of the component
// at frequency f (cycles per sample) of x.
func goertzel(x []float64, f float64) float64 {
	coeff := 2 * math.Cos(2*math.Pi*f)
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = v+coeff*s1-s2, s1
	}
	power := s1*s1 + s2*s2 - coeff*s1*s2
	return 2 * math.Sqrt(math.Max(0, power)) / float64(len(x))
}
