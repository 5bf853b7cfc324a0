package sensor

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Feedback chunk formats (PROTOCOL.md §3): the per-timestep deviation the
// brain turns into a raster itself, and the older client-built raster.
const (
	FormatDeviation = "deviation_f32"
	FormatRaster    = "raster_f32"
)

// FeedbackIssues counts what had to be repaired in one deviation before it
// could be sent; the caller adds them to its statistics.
type FeedbackIssues struct {
	Clamped int // values outside [-1, 1] (±Inf included) clamped to the edge
	NaN     int // NaN values sent as 0
	Padded  int // timesteps missing (deviation shorter than T), sent as 0
	Cut     int // values beyond T, not sent
}

// Any reports whether something was repaired.
func (f FeedbackIssues) Any() bool { return f != FeedbackIssues{} }

// sanitize returns the deviation at timestep i as sent: 0 when missing or
// NaN, clamped to [-1, 1].
func (f *FeedbackIssues) sanitize(dev []float64, i int) float64 {
	if i >= len(dev) {
		f.Padded++
		return 0
	}
	d := dev[i]
	switch {
	case math.IsNaN(d):
		f.NaN++
		return 0
	case d > 1:
		f.Clamped++
		return 1
	case d < -1:
		f.Clamped++
		return -1
	}
	return d
}

// AppendDeviation appends the deviation_f32 data of dev to dst: t float32
// little-endian values, one per timestep, in [-1, 1].
func AppendDeviation(dst []byte, dev []float64, t int) ([]byte, FeedbackIssues, error) {
	var issues FeedbackIssues
	if t < 1 {
		return dst, issues, fmt.Errorf("sensor: deviation of %d timesteps: want at least 1", t)
	}
	for i := range t {
		dst = appendF32(dst, issues.sanitize(dev, i))
	}
	issues.Cut = max(0, len(dev)-t)
	return dst, issues, nil
}

// AppendRaster appends the raster_f32 data of dev to dst: t rows (one per
// timestep) of n float32 little-endian values, row-major.
//
// Each row is a population code of that timestep's deviation d, the
// inverse of the bipolarSplit decoding of output spikes: the first n/2
// neurons stand for positive deviation, the next n/2 for negative (an odd
// last neuron stays silent), and |d|·n/2 neurons of the matching half are
// active, counted from the start of that half: the whole ones at 1, the one
// after them at the fraction left. So sum(first half) − sum(second half) =
// d·n/2 exactly, d = 0 is a silent row, and every value is in [0, 1].
func AppendRaster(dst []byte, dev []float64, t, n int) ([]byte, FeedbackIssues, error) {
	var issues FeedbackIssues
	if t < 1 || n < 2 {
		return dst, issues, fmt.Errorf("sensor: raster of %d timesteps × %d neurons: want at least 1 × 2", t, n)
	}
	half := n / 2
	for i := range t {
		d := issues.sanitize(dev, i)
		level := math.Abs(d) * float64(half)
		first := 0 // first neuron of the active half
		if d < 0 {
			first = half
		}
		for j := range n {
			v := 0.0
			if k := float64(j - first); j >= first && j < first+half && k < level {
				v = min(1, level-k)
			}
			dst = appendF32(dst, v)
		}
	}
	issues.Cut = max(0, len(dev)-t)
	return dst, issues, nil
}

func appendF32(dst []byte, v float64) []byte {
	return binary.LittleEndian.AppendUint32(dst, math.Float32bits(float32(v)))
}
