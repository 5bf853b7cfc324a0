package reach

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rising is a learning curve from 0.4 to 1.0 over n cycles.
func rising(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = 0.4 + 0.6*float64(i)/float64(max(1, n-1))
	}
	return v
}

func flat(n int, x float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = x
	}
	return v
}

func decodePlot(t *testing.T, rs []Result, window int) *image.RGBA {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, WritePlot(&buf, rs, window))
	img, err := png.Decode(&buf)
	require.NoError(t, err)
	require.Equal(t, image.Rect(0, 0, PlotWidth, PlotHeight), img.Bounds())
	rgba := image.NewRGBA(img.Bounds())
	for y := range PlotHeight {
		for x := range PlotWidth {
			rgba.Set(x, y, img.At(x, y))
		}
	}
	return rgba
}

// countIn counts c's pixels inside r.
func countIn(img *image.RGBA, r image.Rectangle, c color.RGBA) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.RGBAAt(x, y) == c {
				n++
			}
		}
	}
	return n
}

// falling is a distance from 2.0 rad to 0.1 over n cycles.
func falling(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = 2.0 - 1.9*float64(i)/float64(max(1, n-1))
	}
	return v
}

func TestPlotSize(t *testing.T) {
	rs := []Result{{Seed: 1, Learning: true, Rewards: rising(10), Distances: falling(10)}}
	img := decodePlot(t, rs, 5)
	assert.Equal(t, image.Rect(0, 0, 960, 900), img.Bounds())
	assert.Less(t, rewardArea.Max.Y, distanceArea.Min.Y, "the panels do not overlap")
	assert.Equal(t, rewardArea.Min.X, distanceArea.Min.X, "a shared x axis")
	assert.Equal(t, rewardArea.Max.X, distanceArea.Max.X, "a shared x axis")
}

func TestPlotDrawsEveryTask(t *testing.T) {
	rs := []Result{
		{Seed: 1, Learning: true, Rewards: rising(400), Distances: falling(400)},
		{Seed: 1, Learning: false, Rewards: flat(400, 0.5), Distances: flat(400, 1.5)},
		{Seed: 2, Learning: true, Rewards: flat(400, 0.9), Distances: flat(400, 0.5)}, // not over seed 1's line
		{Seed: 2, Learning: false, Rewards: flat(400, 0.45), Distances: flat(400, 1.2)},
	}
	img := decodePlot(t, rs, 50)
	for name, area := range map[string]image.Rectangle{"reward": rewardArea, "distance": distanceArea} {
		assert.Positive(t, countIn(img, area, plotPalette[0]), "seed 1's curve in the %s panel", name)
		assert.Positive(t, countIn(img, area, plotPalette[1]), "seed 2's curve in the %s panel", name)
		assert.Positive(t, countIn(img, area, plotOff), "the runs without learning in the %s panel", name)
		ticks := image.Rect(marginLeft-40, area.Min.Y, marginLeft-6, area.Max.Y)
		assert.Positive(t, countIn(img, ticks, plotInk), "the %s panel's tick labels", name)
	}
	legend := image.Rect(PlotWidth-marginRight, 0, PlotWidth, PlotHeight)
	assert.Positive(t, countIn(img, legend, plotPalette[0]), "a legend sample in seed 1's colour")
	assert.Positive(t, countIn(img, legend, plotInk), "legend labels")
}

// A reward of 1.0 throughout is a line at 1.0 to the axis's end, and none
// at 0.5; a distance of 0.7 is a line at 0.7 on an axis to 0.8.
func TestPlotPlacesTheValues(t *testing.T) {
	rs := []Result{{Seed: 7, Learning: true, Rewards: flat(100, 1.0), Distances: flat(100, 0.7)}}
	img := decodePlot(t, rs, 10)
	p := rewardPanel(nil, 100, 10)
	x, y := p.toPixel(100, 1.0)
	assert.Equal(t, plotPalette[0], img.RGBAAt(x-1, y), "the line's end at (100, 1.0)")
	_, yLow := p.toPixel(50, 0.5)
	assert.Zero(t, countIn(img, image.Rect(rewardArea.Min.X, yLow-2, rewardArea.Max.X, yLow+2), plotPalette[0]))

	d := distancePanel(nil, 100, rs, 10)
	assert.InDelta(t, 0.8, d.y.max, 1e-9)
	x, y = d.toPixel(100, 0.7)
	assert.Equal(t, plotPalette[0], img.RGBAAt(x-1, y), "the line's end at (100, 0.7 rad)")
	_, yLow = d.toPixel(50, 0.3)
	assert.Zero(t, countIn(img, image.Rect(distanceArea.Min.X, yLow-2, distanceArea.Max.X, yLow+2), plotPalette[0]))
}

func TestPlotDistanceAxis(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name      string
		distances []float64
		top, step float64
	}{
		{"rounded up to a tick", []float64{0.37, 0.1}, 0.4, 0.1},
		{"one radian", []float64{1.0}, 1.0, 0.2},
		{"capped", []float64{10, 0.2}, maxDistance, 0.5},
		{"just under the cap", []float64{2.9}, maxDistance, 0.5},
		{"NaNs left out", []float64{nan, 1.7, nan}, 2.0, 0.5},
		{"all NaN", []float64{nan, nan}, 1, 0.2},
		{"none", nil, 1, 0.2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := distanceAxis([]Result{{Distances: tc.distances}}, 1)
			assert.Zero(t, a.min)
			assert.InDelta(t, tc.top, a.max, 1e-9)
			assert.InDelta(t, tc.step, a.step, 1e-9)
		})
	}
}

func TestPlotHandlesOddSeries(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name    string
		rewards []float64
		window  int
		drawn   bool
	}{
		{"shorter than the window", rising(5), 100, true},
		{"one cycle", []float64{0.8}, 100, true},
		{"NaNs in between", []float64{0.5, nan, 0.6, nan, nan, 0.7, 0.8}, 2, true},
		{"all NaN", []float64{nan, nan, nan}, 2, false},
		{"out of range", []float64{0, 2, 0, 2}, 1, true}, // clipped to the area
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := []Result{{Seed: 3, Learning: true, Rewards: tc.rewards}, {Seed: 3, Learning: false}}
			img := decodePlot(t, rs, tc.window)
			assert.Equal(t, tc.drawn, countIn(img, rewardArea, plotPalette[0]) > 0)
		})
	}
}

func TestPlotHandlesOddDistances(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name      string
		distances []float64
		window    int
		drawn     bool
	}{
		{"NaNs in between", []float64{1.0, nan, 0.8, nan, nan, 0.5, 0.4}, 2, true},
		{"NaN at the start", []float64{nan, nan, 0.8, 0.6, 0.5, 0.4, 0.3}, 1, true},
		{"all NaN", []float64{nan, nan, nan, nan, nan, nan, nan}, 2, false},
		{"none", nil, 2, false},
		{"beyond the cap", []float64{5, 4, 0.1, 5, 4, 0.1, 5}, 1, true}, // clipped to the area
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := []Result{{Seed: 3, Learning: true, Rewards: rising(7), Distances: tc.distances}}
			img := decodePlot(t, rs, tc.window)
			assert.Positive(t, countIn(img, rewardArea, plotPalette[0]), "the reward is drawn regardless")
			assert.Equal(t, tc.drawn, countIn(img, distanceArea, plotPalette[0]) > 0)
		})
	}
}

func TestPlotErrors(t *testing.T) {
	tests := []struct {
		name   string
		rs     []Result
		window int
		want   string
	}{
		{"no results", nil, 10, "no results"},
		{"no rewards", []Result{{Seed: 1, Learning: true}}, 10, "no rewards"},
		{"zero window", []Result{{Seed: 1, Rewards: rising(10)}}, 0, "window"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := WritePlot(&buf, tc.rs, tc.window)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Zero(t, buf.Len(), "nothing written")
		})
	}
}

func TestPlotMovingAverage(t *testing.T) {
	nan := math.NaN()
	got := movingAverage([]float64{1, 0, nan, 1, 1}, 2)
	assert.InDeltaSlice(t, []float64{1, 0.5, 0}, got[:3], 1e-12)
	assert.InDeltaSlice(t, []float64{1, 1}, got[3:], 1e-12)
	assert.True(t, math.IsNaN(movingAverage([]float64{nan}, 3)[0]))
}

func TestPlotTicks(t *testing.T) {
	assert.InDeltaSlice(t, []float64{0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0}, rewardAxis.ticks(), 1e-12)
	got := yAxis{min: 0, max: 2.5, step: 0.5}.ticks()
	assert.InDeltaSlice(t, []float64{0, 0.5, 1, 1.5, 2, 2.5}, got, 1e-12)
	assert.False(t, math.Signbit(got[0]), "0, not -0 (labelled -0.0)")
}

func TestPlotNiceStep(t *testing.T) {
	for span, want := range map[float64]float64{0.4: 0.1, 1: 0.2, 2.5: 0.5, 3: 0.5, 0.07: 0.02, 12: 2} {
		assert.InDelta(t, want, niceStep(span, 6), 1e-12, "span=%g", span)
	}
}

func TestPlotTickStep(t *testing.T) {
	for n, want := range map[int]int{1: 1, 10: 1, 60: 10, 100: 10, 2000: 200, 2001: 200, 2200: 500, 5000: 500} {
		assert.Equal(t, want, tickStep(n), "n=%d", n)
	}
}
