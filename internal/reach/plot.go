package reach

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"slices"
	"strconv"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// The plot's size in pixels; the margins hold the labels and the legend.
// The reward panel is on top, the distance panel under it; they share the
// x axis, whose labels are under the distance panel.
const (
	PlotWidth  = 960
	PlotHeight = 900

	marginLeft, marginRight, marginTop, marginBottom = 80, 150, 40, 50

	rewardHeight = 510 // the reward panel's height, as when it was alone
	panelGap     = 30
)

// The panels' data areas.
var (
	rewardArea   = image.Rect(marginLeft, marginTop, PlotWidth-marginRight, marginTop+rewardHeight)
	distanceArea = image.Rect(marginLeft, rewardArea.Max.Y+panelGap, PlotWidth-marginRight, PlotHeight-marginBottom)
)

// The reward axis: the task's rewards lie in 0.4..1.0 (otherwise, success),
// so the range leaves a little room below and above.
var rewardAxis = yAxis{min: 0.3, max: 1.05, step: 0.1}

// maxDistance caps the distance axis (radians): beyond it the curves are
// clipped, so that one far-off run does not flatten the others.
const maxDistance = 3.0

var (
	plotBackground = color.RGBA{0xff, 0xff, 0xff, 0xff}
	plotInk        = color.RGBA{0x20, 0x20, 0x20, 0xff}
	plotGrid       = color.RGBA{0xe8, 0xe8, 0xe8, 0xff}
	plotOff        = color.RGBA{0xa8, 0xa8, 0xa8, 0xff}
	// plotPalette colours learning-on runs, one per seed, far from plotOff
	// and from each other so that crossing lines stay apart.
	plotPalette = []color.RGBA{
		{0xe6, 0x19, 0x4b, 0xff}, {0x3c, 0xb4, 0x4b, 0xff}, {0x43, 0x63, 0xd8, 0xff}, {0xf5, 0x82, 0x31, 0xff},
		{0x91, 0x1e, 0xb4, 0xff}, {0x00, 0xa0, 0xa0, 0xff}, {0xf0, 0x32, 0xe6, 0xff}, {0x80, 0x60, 0x00, 0xff},
	}
)

// plotStyle is how one series is drawn.
type plotStyle struct {
	colour color.RGBA
	thick  bool
	dashed bool
}

// yAxis is a panel's value range, with a tick every step from the first
// multiple of step at or above min.
type yAxis struct {
	min, max, step float64
}

// plot is one panel of the image under construction: its data area, its
// y axis and what it shows of each task.
type plot struct {
	img    *image.RGBA
	area   image.Rectangle
	cycles int // the x axis runs from 0 to cycles
	y      yAxis
	title  string                 // the y axis's
	series func(Result) []float64 // the values drawn of a task, one a cycle
	dash   int                    // pixels drawn on the current dashed series
}

// WritePlot writes rs's learning curves as a PNG, one line per task
// against the cycle: on top the reward's trailing moving average over
// window cycles, under it the same average of the distance to the target.
func WritePlot(w io.Writer, rs []Result, window int) error {
	cycles, err := plotCycles(rs, window)
	if err != nil {
		return err
	}
	img := newImage()
	panels := []*plot{rewardPanel(img, cycles, window), distancePanel(img, cycles, rs, window)}
	colours := seedColours(rs)
	for i, p := range panels {
		p.drawAxes(i == len(panels)-1)
		p.drawTasks(rs, window, colours)
	}
	panels[0].drawLegend(legendOrder(rs), colours)
	drawTitles(panels[0], panels[len(panels)-1])
	return png.Encode(w, img)
}

// plotCycles checks WritePlot's arguments and returns the x axis's length.
func plotCycles(rs []Result, window int) (int, error) {
	if len(rs) == 0 {
		return 0, errors.New("reach: plot: no results")
	}
	if window < 1 {
		return 0, fmt.Errorf("reach: plot: window must be at least 1 cycle, got %d", window)
	}
	cycles := 0
	for _, r := range rs {
		cycles = max(cycles, len(r.Rewards))
	}
	if cycles == 0 {
		return 0, errors.New("reach: plot: no rewards in any result")
	}
	return cycles, nil
}

func newImage() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, PlotWidth, PlotHeight))
	draw.Draw(img, img.Bounds(), image.NewUniform(plotBackground), image.Point{}, draw.Src)
	return img
}

func rewardPanel(img *image.RGBA, cycles, window int) *plot {
	return &plot{
		img: img, area: rewardArea, cycles: cycles, y: rewardAxis,
		title:  fmt.Sprintf("mean reward (moving average of %d cycles)", window),
		series: func(r Result) []float64 { return r.Rewards },
	}
}

func distancePanel(img *image.RGBA, cycles int, rs []Result, window int) *plot {
	return &plot{
		img: img, area: distanceArea, cycles: cycles, y: distanceAxis(rs, window),
		title:  "distance to target (rad)",
		series: func(r Result) []float64 { return r.Distances },
	}
}

// distanceAxis runs from 0 to the largest mean distance drawn, rounded up
// to a tick and capped at maxDistance; 0 to 1 if there is none.
func distanceAxis(rs []Result, window int) yAxis {
	top := 0.0
	for _, r := range rs {
		for _, d := range movingAverage(r.Distances, window) {
			if !math.IsNaN(d) && !math.IsInf(d, 0) {
				top = max(top, d)
			}
		}
	}
	top = min(top, maxDistance)
	if top <= 0 {
		top = 1
	}
	step := niceStep(top, 6)
	return yAxis{min: 0, max: min(math.Ceil(top/step-1e-9)*step, maxDistance), step: step}
}

// niceStep is the 1, 2 or 5 times a power of ten that puts at most n
// intervals on an axis of span > 0.
func niceStep(span float64, n int) float64 {
	pow := math.Pow(10, math.Floor(math.Log10(span/float64(n))))
	for _, m := range []float64{1, 2, 5} {
		if span/(m*pow) <= float64(n)+1e-9 {
			return m * pow
		}
	}
	return 10 * pow
}

// drawTasks draws each task's moving average, the learning-off runs first.
func (p *plot) drawTasks(rs []Result, window int, colours map[uint64]color.RGBA) {
	for _, r := range plotOrder(rs) {
		p.drawSeries(movingAverage(p.series(r), window), styleFor(r, colours))
	}
}

// plotOrder draws the learning-off runs first, so that the runs the plot
// is about are never hidden under them.
func plotOrder(rs []Result) []Result {
	sorted := slices.Clone(rs)
	slices.SortStableFunc(sorted, func(a, b Result) int {
		if a.Learning != b.Learning {
			if a.Learning {
				return 1
			}
			return -1
		}
		return cmpSeed(a, b)
	})
	return sorted
}

// legendOrder lists the tasks by seed, learning on before off.
func legendOrder(rs []Result) []Result {
	sorted := slices.Clone(rs)
	slices.SortStableFunc(sorted, func(a, b Result) int {
		if c := cmpSeed(a, b); c != 0 || a.Learning == b.Learning {
			return c
		}
		if a.Learning {
			return -1
		}
		return 1
	})
	return sorted
}

func cmpSeed(a, b Result) int {
	switch {
	case a.Seed < b.Seed:
		return -1
	case a.Seed > b.Seed:
		return 1
	}
	return 0
}

// seedColours gives each seed a palette colour, in seed order, so that a
// seed keeps its colour whichever results are plotted with it.
func seedColours(rs []Result) map[uint64]color.RGBA {
	var seeds []uint64
	for _, r := range rs {
		seeds = append(seeds, r.Seed)
	}
	slices.Sort(seeds)
	seeds = slices.Compact(seeds)
	out := make(map[uint64]color.RGBA, len(seeds))
	for i, s := range seeds {
		out[s] = plotPalette[i%len(plotPalette)]
	}
	return out
}

func styleFor(r Result, colours map[uint64]color.RGBA) plotStyle {
	if r.Learning {
		return plotStyle{colour: colours[r.Seed], thick: true}
	}
	return plotStyle{colour: plotOff, dashed: true}
}

// movingAverage is the trailing mean over window values at each index;
// NaNs are left out of the mean, and an index whose window holds none is
// NaN (a gap in the line). The first window−1 means are over fewer values.
func movingAverage(v []float64, window int) []float64 {
	out := make([]float64, len(v))
	var sum float64
	var count int
	for i, x := range v {
		if !math.IsNaN(x) {
			sum, count = sum+x, count+1
		}
		if j := i - window; j >= 0 && !math.IsNaN(v[j]) {
			sum, count = sum-v[j], count-1
		}
		out[i] = math.NaN()
		if count > 0 {
			out[i] = sum / float64(count)
		}
	}
	return out
}

// toPixel maps a cycle and a value to the image.
func (p *plot) toPixel(cycle, v float64) (x, y int) {
	fx := float64(p.area.Min.X) + cycle/float64(p.cycles)*float64(p.area.Dx()-1)
	fy := float64(p.area.Max.Y-1) - (v-p.y.min)/(p.y.max-p.y.min)*float64(p.area.Dy()-1)
	return int(math.Round(fx)), int(math.Round(fy))
}

// drawSeries draws a line through the finite values; value i is cycle i+1.
func (p *plot) drawSeries(v []float64, s plotStyle) {
	p.dash = 0
	havePrev := false
	var px, py int
	for i, y := range v {
		if math.IsNaN(y) || math.IsInf(y, 0) {
			havePrev = false
			continue
		}
		x1, y1 := p.toPixel(float64(i+1), y)
		if !havePrev {
			px, py = x1, y1
		}
		p.line(px, py, x1, y1, s)
		px, py, havePrev = x1, y1, true
	}
}

// line is Bresenham's, clipped to the data area.
func (p *plot) line(x0, y0, x1, y1 int, s plotStyle) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		p.dot(x0, y0, s)
		if x0 == x1 && y0 == y1 {
			return
		}
		if e2 := 2 * e; e2 >= dy {
			e, x0 = e+dy, x0+sx
		} else {
			e, y0 = e+dx, y0+sy
		}
	}
}

func (p *plot) dot(x, y int, s plotStyle) {
	p.dash++
	if s.dashed && p.dash%9 >= 5 {
		return
	}
	size := 1
	if s.thick {
		size = 2
	}
	for i := range size {
		for j := range size {
			if pt := image.Pt(x+i, y+j); pt.In(p.area) {
				p.img.SetRGBA(pt.X, pt.Y, s.colour)
			}
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}

// drawAxes draws the panel's grid, frame, ticks and y title; the x
// labels only if xLabels (the bottom panel).
func (p *plot) drawAxes(xLabels bool) {
	p.drawYTicks()
	p.drawXTicks(xLabels)
	p.frame()
	p.verticalText(p.title, 12, p.area.Min.Y+(p.area.Dy()+textWidth(p.title))/2)
}

// drawTitles draws the figure's title over top and the x title under bottom.
func drawTitles(top, bottom *plot) {
	title := "Reaching: mean reward and distance to the target with learning on and off"
	top.text(title, (PlotWidth-textWidth(title))/2, top.area.Min.Y-14, plotInk)
	xTitle := "cycle"
	bottom.text(xTitle, bottom.area.Min.X+(bottom.area.Dx()-textWidth(xTitle))/2, PlotHeight-12, plotInk)
}

func (p *plot) drawYTicks() {
	decimals := max(0, int(-math.Floor(math.Log10(p.y.step)+1e-9)))
	for _, v := range p.y.ticks() {
		_, y := p.toPixel(0, v)
		p.hline(p.area.Min.X+1, p.area.Max.X-1, y, plotGrid)
		p.hline(p.area.Min.X-5, p.area.Min.X-1, y, plotInk)
		label := strconv.FormatFloat(v, 'f', decimals, 64)
		p.text(label, p.area.Min.X-8-textWidth(label), y+4, plotInk)
	}
}

// ticks are the axis's tick values, counted in integers: summing the step
// drifts past the last one.
func (a yAxis) ticks() []float64 {
	var out []float64
	for i := math.Ceil(a.min/a.step - 1e-9); i*a.step <= a.max+1e-9; i++ {
		v := i * a.step
		if v == 0 {
			v = 0 // not −0 (the ceiling of a tiny negative), labelled "-0.0"
		}
		out = append(out, v)
	}
	return out
}

func (p *plot) drawXTicks(labels bool) {
	step := tickStep(p.cycles)
	for c := 0; c <= p.cycles; c += step {
		x, _ := p.toPixel(float64(c), p.y.min)
		p.vline(x, p.area.Min.Y+1, p.area.Max.Y-2, plotGrid)
		p.vline(x, p.area.Max.Y, p.area.Max.Y+4, plotInk)
		if labels {
			label := strconv.Itoa(c)
			p.text(label, x-textWidth(label)/2, p.area.Max.Y+18, plotInk)
		}
	}
}

// tickStep is the 1, 2 or 5 times a power of ten that puts at most ten
// ticks on an axis of n cycles.
func tickStep(n int) int {
	for pow := 1; ; pow *= 10 {
		for _, m := range []int{1, 2, 5} {
			if n/(m*pow) <= 10 {
				return m * pow
			}
		}
	}
}

func (p *plot) frame() {
	r := p.area
	p.hline(r.Min.X, r.Max.X-1, r.Min.Y, plotInk)
	p.hline(r.Min.X, r.Max.X-1, r.Max.Y-1, plotInk)
	p.vline(r.Min.X, r.Min.Y, r.Max.Y-1, plotInk)
	p.vline(r.Max.X-1, r.Min.Y, r.Max.Y-1, plotInk)
}

func (p *plot) hline(x0, x1, y int, c color.RGBA) {
	for x := x0; x <= x1; x++ {
		p.img.SetRGBA(x, y, c)
	}
}

func (p *plot) vline(x, y0, y1 int, c color.RGBA) {
	for y := y0; y <= y1; y++ {
		p.img.SetRGBA(x, y, c)
	}
}

// drawLegend lists the tasks in the right margin, a line sample each.
func (p *plot) drawLegend(rs []Result, colours map[uint64]color.RGBA) {
	x, y := p.area.Max.X+14, p.area.Min.Y+12
	for _, r := range rs {
		s := styleFor(r, colours)
		sample := &plot{img: p.img, area: image.Rect(x, y-8, x+25, y+2), cycles: 1}
		sample.line(x, y-4, x+24, y-4, s)
		label := fmt.Sprintf("seed %d %s", r.Seed, onOff(r.Learning))
		p.text(label, x+30, y, plotInk)
		y += 16
	}
}

func onOff(learning bool) string {
	if learning {
		return "on"
	}
	return "off"
}

// text draws s with its baseline at y.
func (p *plot) text(s string, x, y int, c color.RGBA) {
	d := font.Drawer{Dst: p.img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// verticalText draws s reading upwards from (x, y), its glyphs' tops
// towards x: the font has no rotated faces, so s is drawn flat and turned.
func (p *plot) verticalText(s string, x, y int) {
	face := basicfont.Face7x13
	flat := image.NewRGBA(image.Rect(0, 0, textWidth(s), face.Height))
	d := font.Drawer{Dst: flat, Src: image.NewUniform(plotInk), Face: face, Dot: fixed.P(0, face.Ascent)}
	d.DrawString(s)
	b := flat.Bounds()
	for fy := b.Min.Y; fy < b.Max.Y; fy++ {
		for fx := b.Min.X; fx < b.Max.X; fx++ {
			if c := flat.RGBAAt(fx, fy); c.A > 0 {
				p.img.SetRGBA(x+fy, y-fx, c)
			}
		}
	}
}

func textWidth(s string) int {
	return font.MeasureString(basicfont.Face7x13, s).Round()
}
