package spikes

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Step is what one timestep asks of the actuators.
//
// Deltas is a short slice rather than a map: a cycle has tens of steps and
// a handful of channels, so a map per step would cost an allocation each
// and a hash per write, where a slice shares one backing array per cycle,
// keeps the decoder's channel order, and is scanned faster than hashed.
// Delta and Map give the map-like view when it is wanted.
type Step struct {
	T      int
	Deltas []ChannelDelta // channels that got a non-zero contribution, in Decoder.Channels order
}

// ChannelDelta is the delta of one channel in one timestep.
type ChannelDelta struct {
	Channel string
	Index   int // position of Channel in Decoder.Channels
	Delta   float64
}

// Delta is the step's delta for channel, 0 when the step has none.
func (s Step) Delta(channel string) float64 {
	for _, d := range s.Deltas {
		if d.Channel == channel {
			return d.Delta
		}
	}
	return 0
}

// Map is the step's deltas keyed by channel.
func (s Step) Map() map[string]float64 {
	m := make(map[string]float64, len(s.Deltas))
	for _, d := range s.Deltas {
		m[d.Channel] = d.Delta
	}
	return m
}

// Decoder turns spike rows into per-timestep channel deltas. It is
// immutable once built and safe for concurrent use.
type Decoder struct {
	entries  []compiledEntry
	pops     []population
	popIndex map[string]int
	channels []string
}

// population is one output population and the entries reading it, in
// mapping order (the order in which their deltas are summed, as in the SDK).
type population struct {
	id      string
	entries []int
}

type compiledEntry struct {
	channel            int
	scheme             scheme
	threshold          int
	hasThreshold       bool
	perStepMax, gain   float64
	deadzone, minStep  float64
	invert, hasClamp   bool
	clampMin, clampMax float64
}

// NewDecoder compiles mapping entries. It refuses an entry without node_id
// or channel, and one whose per_step_max, gain or min_step would make
// infinite or NaN deltas (see MappingEntry). It accepts an unknown scheme,
// which decodes to 0 as in the SDK: refusing it, with its line, is the
// business of LoadMapping and of MappingList, which know where it is written.
func NewDecoder(entries []MappingEntry) (*Decoder, error) {
	d := &Decoder{popIndex: map[string]int{}}
	channelIndex := map[string]int{}
	for i, e := range entries {
		c, err := compile(e)
		if err != nil {
			return nil, fmt.Errorf("mapping entry %d (%s → %s): %w", i, e.NodeID, e.Channel, err)
		}
		ch, ok := channelIndex[e.Channel]
		if !ok {
			ch = len(d.channels)
			channelIndex[e.Channel] = ch
			d.channels = append(d.channels, e.Channel)
		}
		c.channel = ch
		p, ok := d.popIndex[e.NodeID]
		if !ok {
			p = len(d.pops)
			d.popIndex[e.NodeID] = p
			d.pops = append(d.pops, population{id: e.NodeID})
		}
		d.pops[p].entries = append(d.pops[p].entries, len(d.entries))
		d.entries = append(d.entries, c)
	}
	return d, nil
}

func compile(e MappingEntry) (compiledEntry, error) {
	if e.NodeID == "" {
		return compiledEntry{}, fmt.Errorf("no node_id")
	}
	if e.Channel == "" {
		return compiledEntry{}, fmt.Errorf("no channel")
	}
	if _, msg := nonFinite(e); msg != "" {
		return compiledEntry{}, errors.New(msg)
	}
	name := pyStrip(e.Scheme)
	if name == "" {
		name = DefaultScheme
	}
	c := compiledEntry{
		scheme:     schemeOf(name),
		perStepMax: e.PerStepMax,
		gain:       e.Gain,
		deadzone:   e.Deadzone,
		minStep:    e.MinStep,
		invert:     e.Invert,
	}
	if e.Threshold != nil {
		c.threshold, c.hasThreshold = *e.Threshold, true
	}
	if e.Clamp != nil {
		c.hasClamp, c.clampMin, c.clampMax = true, e.Clamp.Min, e.Clamp.Max
	}
	return c, nil
}

// Channels lists the channels of the mapping, each once, in the order they
// first appear in it.
func (d *Decoder) Channels() []string { return slices.Clone(d.channels) }

// value is the entry's scheme applied to one row.
func (e *compiledEntry) value(c rowCounts) float64 {
	switch e.scheme {
	case schemeBipolarSplit:
		return bipolarSplit(c)
	case schemeAddition:
		return addition(c)
	case schemeBooleanThreshold:
		thr := e.threshold
		if !e.hasThreshold {
			thr = max(1, c.n/2)
		}
		return booleanThreshold(c, thr)
	case schemeBipolarScalar:
		return bipolarScalar(c)
	}
	return 0
}

// delta scales a value into the entry's channel units. The order of the
// steps is the SDK's: deadzone zeroes and ends there, min_step lifts, the
// clamp comes last (and so may lift a zero value into its range).
func (e *compiledEntry) delta(value float64) float64 {
	if e.invert {
		value = -value
	}
	delta := value * e.perStepMax * e.gain
	if e.deadzone != 0 && math.Abs(delta) < e.deadzone {
		return 0
	}
	if e.minStep != 0 && delta != 0 && math.Abs(delta) < e.minStep {
		delta = math.Copysign(e.minStep, delta)
	}
	// The SDK's `lo if x < lo else hi if x > hi else x`, which min and max
	// are not for a NaN bound or one range upside down.
	if e.hasClamp {
		if delta < e.clampMin {
			delta = e.clampMin
		} else if delta > e.clampMax {
			delta = e.clampMax
		}
	}
	return delta
}

// Buffer holds what decoding needs between cycles, so that DecodeInto does
// not allocate once it has grown to the cycle's size. One goroutine at a
// time may use a Buffer.
type Buffer struct {
	steps   []Step
	ends    []int // end of each step's deltas in deltas
	deltas  []ChannelDelta
	order   []int
	acc     []float64
	hit     []bool
	lastPop int // population of the last mapped row, -1 at the start
}

// Decode is DecodeInto with a fresh Buffer.
func (d *Decoder) Decode(rows []SpikeRow) []Step {
	var buf Buffer
	return d.DecodeInto(&buf, rows)
}

// DecodeInto decodes one batch of rows (typically one cycle's outputs) into
// one Step per distinct timestep, ascending; rows of the same timestep keep
// their order. A timestep whose rows belong to no mapped population, or
// whose deltas are all zero, still gets its (empty) Step, as in the SDK.
// Within a step, the deltas of entries on one channel add up; an entry's
// zero delta is left out, but contributions that cancel leave the channel
// with 0 (the SDK does the same).
//
// The result lives in buf and is valid until buf is used again.
func (d *Decoder) DecodeInto(buf *Buffer, rows []SpikeRow) []Step {
	buf.reset(len(d.channels))
	order := buf.sortedOrder(rows)
	for k := range len(rows) {
		i := k
		if order != nil {
			i = order[k]
		}
		r := &rows[i]
		if len(buf.steps) == 0 || buf.steps[len(buf.steps)-1].T != r.T {
			d.closeStep(buf)
			buf.steps = append(buf.steps, Step{T: r.T})
		}
		d.addRow(buf, r)
	}
	d.closeStep(buf)
	// deltas may have moved while it grew: slice it only now.
	start := 0
	for i, end := range buf.ends {
		buf.steps[i].Deltas = buf.deltas[start:end:end]
		start = end
	}
	return buf.steps
}

func (b *Buffer) reset(channels int) {
	b.steps, b.ends, b.deltas = b.steps[:0], b.ends[:0], b.deltas[:0]
	b.lastPop = -1
	if cap(b.acc) < channels {
		b.acc, b.hit = make([]float64, channels), make([]bool, channels)
	}
	b.acc, b.hit = b.acc[:channels], b.hit[:channels]
	clear(b.acc)
	clear(b.hit)
}

// sortedOrder is nil when rows are already in timestep order (the usual
// case), else the row indices stably sorted by timestep.
func (b *Buffer) sortedOrder(rows []SpikeRow) []int {
	if slices.IsSortedFunc(rows, func(a, b SpikeRow) int { return cmp.Compare(a.T, b.T) }) {
		return nil
	}
	b.order = b.order[:0]
	for i := range rows {
		b.order = append(b.order, i)
	}
	slices.SortStableFunc(b.order, func(i, j int) int { return cmp.Compare(rows[i].T, rows[j].T) })
	return b.order
}

func (d *Decoder) addRow(buf *Buffer, r *SpikeRow) {
	p, ok := d.population(buf, r.ID)
	if !ok {
		return
	}
	counts := countSpikes(r.Bits)
	for _, ei := range d.pops[p].entries {
		e := &d.entries[ei]
		delta := e.delta(e.value(counts))
		if delta == 0 {
			continue
		}
		buf.acc[e.channel] += delta
		buf.hit[e.channel] = true
	}
}

// population finds the population of a row. The brain sends a timestep's
// rows in the same population order every time, so the population after
// the last one found is tried first: one string comparison instead of a
// hash in the usual case.
func (d *Decoder) population(buf *Buffer, id string) (int, bool) {
	if next := buf.lastPop + 1; next < len(d.pops) && d.pops[next].id == id {
		buf.lastPop = next
		return next, true
	}
	if len(d.pops) > 0 && d.pops[0].id == id {
		buf.lastPop = 0
		return 0, true
	}
	p, ok := d.popIndex[id]
	if ok {
		buf.lastPop = p
	}
	return p, ok
}

// closeStep moves the accumulated deltas of the open step, if any, out of
// the accumulator.
func (d *Decoder) closeStep(buf *Buffer) {
	if len(buf.steps) == len(buf.ends) {
		return
	}
	for ch, hit := range buf.hit {
		if !hit {
			continue
		}
		buf.deltas = append(buf.deltas, ChannelDelta{Channel: d.channels[ch], Index: ch, Delta: buf.acc[ch]})
		buf.acc[ch], buf.hit[ch] = 0, false
	}
	buf.ends = append(buf.ends, len(buf.deltas))
}
