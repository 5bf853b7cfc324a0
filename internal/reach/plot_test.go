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

// dataArea is the plot's data area, where the legend is not.
var dataArea = image.Rect(marginLeft, marginTop, PlotWidth-marginRight, PlotHeight-marginBottom)

func TestPlotDrawsEveryTask(t *testing.T) {
	rs := []Result{
		{Seed: 1, Learning: true, Rewards: rising(400)},
		{Seed: 1, Learning: false, Rewards: flat(400, 0.5)},
		{Seed: 2, Learning: true, Rewards: flat(400, 0.9)}, // not over seed 1's line
		{Seed: 2, Learning: false, Rewards: flat(400, 0.45)},
	}
	img := decodePlot(t, rs, 50)
	assert.Positive(t, countIn(img, dataArea, plotPalette[0]), "seed 1's learning curve")
	assert.Positive(t, countIn(img, dataArea, plotPalette[1]), "seed 2's learning curve")
	assert.Positive(t, countIn(img, dataArea, plotOff), "the runs without learning")
	legend := image.Rect(PlotWidth-marginRight, 0, PlotWidth, PlotHeight)
	assert.Positive(t, countIn(img, legend, plotPalette[0]), "a legend sample in seed 1's colour")
	assert.Positive(t, countIn(img, legend, plotInk), "legend labels")
}

// A reward of 1.0 throughout is a line at 1.0 to the axis's end, and none
// at 0.5.
func TestPlotPlacesTheValues(t *testing.T) {
	rs := []Result{{Seed: 7, Learning: true, Rewards: flat(100, 1.0)}}
	img := decodePlot(t, rs, 10)
	p := newPlot(100)
	x, y := p.toPixel(100, 1.0)
	assert.Equal(t, plotPalette[0], img.RGBAAt(x-1, y), "the line's end at (100, 1.0)")
	_, yLow := p.toPixel(50, 0.5)
	assert.Zero(t, countIn(img, image.Rect(dataArea.Min.X, yLow-2, dataArea.Max.X, yLow+2), plotPalette[0]))
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
			assert.Equal(t, tc.drawn, countIn(img, dataArea, plotPalette[0]) > 0)
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

func TestPlotTickStep(t *testing.T) {
	for n, want := range map[int]int{1: 1, 10: 1, 60: 10, 100: 10, 2000: 200, 2001: 200, 2200: 500, 5000: 500} {
		assert.Equal(t, want, tickStep(n), "n=%d", n)
	}
}
