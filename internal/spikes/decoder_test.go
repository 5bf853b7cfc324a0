package spikes

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ones is a row of n spikes: through the addition scheme its value is n.
func ones(n int) []uint8 {
	b := make([]uint8, n)
	for i := range b {
		b[i] = 1
	}
	return b
}

func TestDeltaOptions(t *testing.T) {
	// Values are chosen so that every product is exact in binary.
	base := func(mod func(*MappingEntry)) MappingEntry {
		e := NewMappingEntry("P", "joint:0")
		e.Scheme, e.PerStepMax, e.Gain = SchemeAddition, 0.25, 0.5
		if mod != nil {
			mod(&e)
		}
		return e
	}
	tests := []struct {
		name  string
		entry MappingEntry
		bits  []uint8
		want  float64 // 0: no delta for the channel
	}{
		{"per_step_max × gain", base(nil), ones(3), 3 * 0.25 * 0.5},
		{"defaults: per_step_max 0.01, gain 1", NewMappingEntry("P", "joint:0"), []uint8{1, 1, 1, 0}, 1 * 0.01 * 1.0},
		{"invert", base(func(e *MappingEntry) { e.Invert = true }), ones(3), -0.375},
		{"negative gain", base(func(e *MappingEntry) { e.Gain = -2 }), ones(1), -0.5},
		{"deadzone zeroes below it", base(func(e *MappingEntry) { e.Deadzone = 0.5 }), ones(3), 0},
		{"deadzone keeps its own value", base(func(e *MappingEntry) { e.Deadzone = 0.375 }), ones(3), 0.375},
		{"deadzone on negative deltas", base(func(e *MappingEntry) { e.Deadzone = 0.5; e.Invert = true }), ones(3), 0},
		{"min_step lifts", base(func(e *MappingEntry) { e.MinStep = 0.5 }), ones(3), 0.5},
		{"min_step lifts negative deltas down", base(func(e *MappingEntry) { e.MinStep = 0.5; e.Invert = true }), ones(3), -0.5},
		{"min_step leaves larger deltas", base(func(e *MappingEntry) { e.MinStep = 0.25 }), ones(3), 0.375},
		{"min_step leaves zero", base(func(e *MappingEntry) { e.MinStep = 0.5 }), nil, 0},
		{"deadzone before min_step: zeroed, not lifted", base(func(e *MappingEntry) { e.Deadzone = 0.25; e.MinStep = 1 }), ones(1), 0},
		{"deadzone before min_step: passed, then lifted", base(func(e *MappingEntry) { e.Deadzone = 0.25; e.MinStep = 1 }), ones(3), 1},
		{"clamp max", base(func(e *MappingEntry) { e.Clamp = &Range{-0.25, 0.25} }), ones(3), 0.25},
		{"clamp min", base(func(e *MappingEntry) { e.Clamp = &Range{-0.25, 0.25}; e.Invert = true }), ones(3), -0.25},
		{"clamp inside", base(func(e *MappingEntry) { e.Clamp = &Range{-1, 1} }), ones(3), 0.375},
		{"clamp after min_step", base(func(e *MappingEntry) { e.MinStep = 1; e.Clamp = &Range{-0.5, 0.5} }), ones(1), 0.5},
		{"clamp to zero leaves the delta out", base(func(e *MappingEntry) { e.Clamp = &Range{-1, 0} }), ones(3), 0},
		{"clamp lifts a zero value into its range (as the SDK)", base(func(e *MappingEntry) { e.Clamp = &Range{0.125, 1} }), nil, 0.125},
		{"deadzone ends before the clamp", base(func(e *MappingEntry) { e.Deadzone = 0.1; e.Clamp = &Range{0.125, 1} }), nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := decodeOne(t, tt.entry, tt.bits...)
			assert.Equal(t, tt.want != 0, ok, "delta present")
			assert.Equal(t, tt.want, got)
		})
	}
}

func entry(node, channel, scheme string, perStep float64) MappingEntry {
	e := NewMappingEntry(node, channel)
	e.Scheme, e.PerStepMax = scheme, perStep
	return e
}

func TestDecodeSteps(t *testing.T) {
	mapping := []MappingEntry{
		entry("A", "joint:0", SchemeAddition, 0.25),
		entry("B", "joint:0", SchemeAddition, -0.125),
		entry("A", "gripper", SchemeBipolarSplit, 0.5),
		entry("C", "wheel:left", SchemeAddition, 1),
	}
	tests := []struct {
		name string
		rows []SpikeRow
		want []Step
	}{
		{
			name: "entries on one channel add up, one population feeds two channels",
			rows: []SpikeRow{{T: 0, ID: "A", Bits: []uint8{1, 1, 0, 0}}, {T: 0, ID: "B", Bits: []uint8{1, 0}}},
			want: []Step{{T: 0, Deltas: []ChannelDelta{
				{Channel: "joint:0", Index: 0, Delta: 2*0.25 - 0.125},
				{Channel: "gripper", Index: 1, Delta: 2 * 0.5},
			}}},
		},
		{
			name: "two rows of one population in one timestep add up",
			rows: []SpikeRow{{T: 4, ID: "C", Bits: []uint8{1}}, {T: 4, ID: "C", Bits: []uint8{1, 1}}},
			want: []Step{{T: 4, Deltas: []ChannelDelta{{Channel: "wheel:left", Index: 2, Delta: 3}}}},
		},
		{
			name: "contributions that cancel leave the channel at 0",
			rows: []SpikeRow{{T: 1, ID: "A", Bits: []uint8{1, 0}}, {T: 1, ID: "B", Bits: []uint8{1, 1}}},
			want: []Step{{T: 1, Deltas: []ChannelDelta{
				{Channel: "joint:0", Index: 0, Delta: 0},
				{Channel: "gripper", Index: 1, Delta: 0.5},
			}}},
		},
		{
			name: "zero deltas are left out",
			rows: []SpikeRow{{T: 2, ID: "A", Bits: []uint8{1, 1}}, {T: 2, ID: "C", Bits: []uint8{0, 0}}},
			want: []Step{{T: 2, Deltas: []ChannelDelta{{Channel: "joint:0", Index: 0, Delta: 0.5}}}},
		},
		{
			name: "unknown populations are ignored but their timestep is kept",
			rows: []SpikeRow{{T: 3, ID: "Z", Bits: []uint8{1, 1}}, {T: 5, ID: "C", Bits: []uint8{1}}},
			want: []Step{{T: 3}, {T: 5, Deltas: []ChannelDelta{{Channel: "wheel:left", Index: 2, Delta: 1}}}},
		},
		{
			name: "grouped by timestep, ascending",
			rows: []SpikeRow{
				{T: 9, ID: "C", Bits: []uint8{1}},
				{T: -1, ID: "C", Bits: []uint8{1, 1}},
				{T: 9, ID: "C", Bits: []uint8{1, 1, 1}},
				{T: 3, ID: "B", Bits: []uint8{1}},
			},
			want: []Step{
				{T: -1, Deltas: []ChannelDelta{{Channel: "wheel:left", Index: 2, Delta: 2}}},
				{T: 3, Deltas: []ChannelDelta{{Channel: "joint:0", Index: 0, Delta: -0.125}}},
				{T: 9, Deltas: []ChannelDelta{{Channel: "wheel:left", Index: 2, Delta: 4}}},
			},
		},
		{
			name: "no rows, no steps",
			rows: nil,
			want: []Step{},
		},
	}
	d, err := NewDecoder(mapping)
	require.NoError(t, err)
	assert.Equal(t, []string{"joint:0", "gripper", "wheel:left"}, d.Channels())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, normSteps(tt.want), normSteps(d.Decode(tt.rows)))
		})
	}
}

// normSteps makes empty and nil deltas compare equal.
func normSteps(steps []Step) []Step {
	out := []Step{}
	for _, s := range steps {
		if len(s.Deltas) == 0 {
			s.Deltas = nil
		}
		out = append(out, s)
	}
	return out
}

func TestDecodeIntoReusesBuffer(t *testing.T) {
	d, err := NewDecoder([]MappingEntry{entry("A", "joint:0", SchemeAddition, 1), entry("B", "joint:1", SchemeAddition, 1)})
	require.NoError(t, err)
	first := []SpikeRow{{T: 2, ID: "A", Bits: []uint8{1}}, {T: 1, ID: "B", Bits: []uint8{1, 1}}, {T: 1, ID: "A", Bits: []uint8{1, 1, 1}}}
	second := []SpikeRow{{T: 0, ID: "B", Bits: []uint8{1}}}
	var buf Buffer
	got := d.DecodeInto(&buf, first)
	assert.Equal(t, d.Decode(first), got)
	got = d.DecodeInto(&buf, second)
	assert.Equal(t, []Step{{T: 0, Deltas: []ChannelDelta{{Channel: "joint:1", Index: 1, Delta: 1}}}}, got)
	// Nothing of the first cycle leaks into a later one.
	got = d.DecodeInto(&buf, first)
	assert.Equal(t, d.Decode(first), got)
	allocs := testing.AllocsPerRun(50, func() { d.DecodeInto(&buf, first) })
	assert.Zero(t, allocs, "a grown buffer decodes without allocating")
}

func TestStepAccessors(t *testing.T) {
	s := Step{T: 1, Deltas: []ChannelDelta{{Channel: "joint:0", Delta: 0.5}, {Channel: "gripper", Index: 1, Delta: -1}}}
	assert.Equal(t, 0.5, s.Delta("joint:0"))
	assert.Equal(t, -1.0, s.Delta("gripper"))
	assert.Zero(t, s.Delta("joint:1"))
	assert.Equal(t, map[string]float64{"joint:0": 0.5, "gripper": -1}, s.Map())
	assert.Equal(t, map[string]float64{}, Step{}.Map())
}

func TestNewDecoderRefuses(t *testing.T) {
	ok := NewMappingEntry("A", "joint:0")
	tests := []struct {
		name string
		mod  func(*MappingEntry)
		want string
	}{
		{"no node id", func(e *MappingEntry) { e.NodeID = "" }, "mapping entry 1 ( → joint:0): no node_id"},
		{"no channel", func(e *MappingEntry) { e.Channel = "" }, "mapping entry 1 (A → ): no channel"},
		{"NaN gain", func(e *MappingEntry) { e.Gain = math.NaN() },
			"mapping entry 1 (A → joint:0): gain nan is not finite: the SDK would send non-finite deltas"},
		{"infinite per_step_max", func(e *MappingEntry) { e.PerStepMax = math.Inf(-1) },
			"mapping entry 1 (A → joint:0): per_step_max -inf is not finite: the SDK would send non-finite deltas"},
		{"infinite min_step", func(e *MappingEntry) { e.MinStep = math.Inf(1) },
			"mapping entry 1 (A → joint:0): min_step inf: the SDK would send infinite deltas"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := ok
			tt.mod(&bad)
			d, err := NewDecoder([]MappingEntry{ok, bad})
			assert.Nil(t, d)
			assert.EqualError(t, err, tt.want)
		})
	}
}

// What only disables a step in the SDK decodes the same here: a NaN or
// infinite deadzone, a NaN or negative min_step, a clamp upside down or
// with a NaN bound.
func TestDecoderOddButFiniteEntries(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name string
		mod  func(*MappingEntry)
		bits []uint8 // addition of these, per_step_max 0.1
		want float64 // 0: no delta
	}{
		{"NaN deadzone is none", func(e *MappingEntry) { e.Deadzone = nan }, ones(2), 0.2},
		{"infinite deadzone zeroes all", func(e *MappingEntry) { e.Deadzone = inf }, ones(3), 0},
		{"negative deadzone is none", func(e *MappingEntry) { e.Deadzone = -1 }, ones(1), 0.1},
		{"NaN min_step is none", func(e *MappingEntry) { e.MinStep = nan }, ones(1), 0.1},
		{"negative min_step is none", func(e *MappingEntry) { e.MinStep = -1 }, ones(1), 0.1},
		{"-inf min_step is none", func(e *MappingEntry) { e.MinStep = math.Inf(-1) }, ones(1), 0.1},
		{"clamp upside down: below min is min", func(e *MappingEntry) { e.Clamp = &Range{0.5, -0.5} }, ones(1), 0.5},
		{"clamp upside down: above max is max", func(e *MappingEntry) { e.Clamp = &Range{0.05, -0.5} }, ones(1), -0.5},
		{"clamp NaN min: only max", func(e *MappingEntry) { e.Clamp = &Range{nan, 0.15} }, ones(3), 0.15},
		{"clamp NaN both: none", func(e *MappingEntry) { e.Clamp = &Range{nan, nan} }, ones(3), 0.30000000000000004},
		{"clamp infinite: none", func(e *MappingEntry) { e.Clamp = &Range{math.Inf(-1), inf} }, ones(2), 0.2},
		{"clamp lifts a zero value", func(e *MappingEntry) { e.Clamp = &Range{0.25, 1} }, nil, 0.25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := entry("A", "c", SchemeAddition, 0.1)
			tt.mod(&e)
			d, err := NewDecoder([]MappingEntry{e})
			require.NoError(t, err)
			steps := d.Decode([]SpikeRow{{T: 0, ID: "A", Bits: tt.bits}})
			require.Len(t, steps, 1)
			assert.Equal(t, tt.want, steps[0].Delta("c"))
		})
	}
}

func TestNewDecoderEmptyMapping(t *testing.T) {
	d, err := NewDecoder(nil)
	require.NoError(t, err)
	assert.Equal(t, []Step{{T: 1}}, normSteps(d.Decode([]SpikeRow{{T: 1, ID: "A", Bits: []uint8{1}}})))
}
