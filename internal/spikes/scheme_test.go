package spikes

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func intp(n int) *int { return &n }

// decodeOne decodes a single row of bits through an entry whose delta is
// the scheme's value itself (per_step_max 1, gain 1), and returns the delta
// of the entry's channel, absent when the step has none.
func decodeOne(t *testing.T, e MappingEntry, bits ...uint8) (float64, bool) {
	t.Helper()
	d, err := NewDecoder([]MappingEntry{e})
	require.NoError(t, err)
	steps := d.Decode([]SpikeRow{{T: 7, ID: e.NodeID, Bits: bits}})
	require.Len(t, steps, 1)
	require.Equal(t, 7, steps[0].T)
	for _, cd := range steps[0].Deltas {
		if cd.Channel == e.Channel {
			return cd.Delta, true
		}
	}
	return 0, false
}

func unitEntry(scheme string) MappingEntry {
	e := NewMappingEntry("P", "joint:0")
	e.Scheme, e.PerStepMax, e.Gain = scheme, 1, 1
	return e
}

func TestSchemeValues(t *testing.T) {
	thr := func(scheme string, n int) MappingEntry {
		e := unitEntry(scheme)
		e.Threshold = intp(n)
		return e
	}
	tests := []struct {
		name  string
		entry MappingEntry
		bits  []uint8
		want  float64 // 0: the step has no delta for the channel
	}{
		{"bipolarSplit first half wins", unitEntry(SchemeBipolarSplit), []uint8{1, 1, 0, 0}, 2},
		{"bipolarSplit second half wins", unitEntry(SchemeBipolarSplit), []uint8{0, 0, 1, 1}, -2},
		{"bipolarSplit difference", unitEntry(SchemeBipolarSplit), []uint8{1, 1, 1, 0, 1, 0}, 3 - 1},
		{"bipolarSplit odd row ignores last bit", unitEntry(SchemeBipolarSplit), []uint8{0, 1, 1, 0, 1}, 0},
		{"bipolarSplit odd row of 3", unitEntry(SchemeBipolarSplit), []uint8{1, 0, 1}, 1},
		{"bipolarSplit n=1", unitEntry(SchemeBipolarSplit), []uint8{1}, 0},
		{"bipolarSplit n=0", unitEntry(SchemeBipolarSplit), nil, 0},
		{"empty scheme is bipolarSplit", unitEntry(""), []uint8{1, 0}, 1},
		{"scheme with blanks around", unitEntry("  addition "), []uint8{1, 1, 1}, 3},
		{"addition", unitEntry(SchemeAddition), []uint8{1, 0, 1, 1, 1}, 4},
		{"addition n=1", unitEntry(SchemeAddition), []uint8{1}, 1},
		{"addition n=0", unitEntry(SchemeAddition), nil, 0},
		{"booleanThreshold default n/2 reached", unitEntry(SchemeBooleanThreshold), []uint8{0, 1, 1, 0}, 1},
		{"booleanThreshold default n/2 missed", unitEntry(SchemeBooleanThreshold), []uint8{0, 1, 0, 0}, 0},
		{"booleanThreshold default at least 1", unitEntry(SchemeBooleanThreshold), []uint8{1}, 1},
		{"booleanThreshold counts an odd row's last bit", unitEntry(SchemeBooleanThreshold), []uint8{0, 0, 1}, 1},
		{"booleanThreshold n=0", unitEntry(SchemeBooleanThreshold), nil, 0},
		{"booleanThreshold explicit", thr(SchemeBooleanThreshold, 3), []uint8{1, 1, 1, 0, 0, 0}, 1},
		{"booleanThreshold explicit missed", thr(SchemeBooleanThreshold, 4), []uint8{1, 1, 1, 0, 0, 0}, 0},
		{"booleanThreshold 0 clipped to 1", thr(SchemeBooleanThreshold, 0), []uint8{0, 0, 0, 1}, 1},
		{"booleanThreshold 0 clipped to 1, silent row", thr(SchemeBooleanThreshold, 0), []uint8{0, 0, 0, 0}, 0},
		{"booleanThreshold negative clipped to 1", thr(SchemeBooleanThreshold, -5), []uint8{0, 1}, 1},
		{"booleanThreshold above n clipped to n", thr(SchemeBooleanThreshold, 10), []uint8{1, 1, 1, 1}, 1},
		{"booleanThreshold above n clipped to n, missed", thr(SchemeBooleanThreshold, 10), []uint8{1, 1, 1, 0}, 0},
		{"booleanThreshold explicit n=0", thr(SchemeBooleanThreshold, 1), nil, 0},
		{"threshold ignored by other schemes", thr(SchemeAddition, 100), []uint8{1, 1}, 2},
		{"bipolarScalar first half", unitEntry(SchemeBipolarScalar), []uint8{1, 1, 1, 0}, 1},
		{"bipolarScalar second half", unitEntry(SchemeBipolarScalar), []uint8{0, 1, 1, 1}, -1},
		{"bipolarScalar tie", unitEntry(SchemeBipolarScalar), []uint8{1, 0, 1, 0}, 0},
		{"bipolarScalar large margin is still 1", unitEntry(SchemeBipolarScalar), []uint8{1, 1, 1, 1, 0, 0, 0, 0}, 1},
		{"bipolarScalar odd row", unitEntry(SchemeBipolarScalar), []uint8{1, 0, 0}, 1},
		{"bipolarScalar n=1", unitEntry(SchemeBipolarScalar), []uint8{1}, 0},
		{"unknown scheme is 0", unitEntry("spiky"), []uint8{1, 1, 0, 0}, 0},
		{"scheme names are case-sensitive", unitEntry("BipolarSplit"), []uint8{1, 1, 0, 0}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := decodeOne(t, tt.entry, tt.bits...)
			assert.Equal(t, tt.want != 0, ok, "delta present")
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestNonZeroCountsBytes(t *testing.T) {
	tests := []struct {
		name string
		in   []uint8
		want int
	}{
		{"empty", nil, 0},
		{"short tail only", []uint8{1, 0, 1}, 2},
		{"one word of spikes", []uint8{1, 1, 1, 1, 1, 1, 1, 1}, 8},
		{"high bits alone still count", []uint8{0x80, 0, 0x10, 0, 0, 0x40, 0, 0}, 3},
		{"a set byte does not leak into its neighbours", []uint8{0, 0xff, 0, 0, 0, 0, 0, 0xff, 0}, 2},
		{"words and tail", []uint8{1, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, nonZero(tt.in))
		})
	}
	// Every single-byte value in every position of a word.
	for pos := range 8 {
		for v := range 256 {
			b := make([]uint8, 8)
			b[pos] = uint8(v)
			want := 0
			if v != 0 {
				want = 1
			}
			require.Equal(t, want, nonZero(b), "byte %#x at %d", v, pos)
		}
	}
}

func TestPopulationOrderDoesNotMatter(t *testing.T) {
	var mapping []MappingEntry
	for p := range 5 {
		e := NewMappingEntry(string(rune('A'+p)), "joint:0")
		e.Scheme, e.PerStepMax = SchemeAddition, float64(int(1)<<p)
		mapping = append(mapping, e)
	}
	d, err := NewDecoder(mapping)
	require.NoError(t, err)
	// Each timestep names the populations in another order, with repeats
	// and an unmapped one, so every lookup path is taken; each population
	// weighs a distinct power of two, so the sum says who was counted.
	orders := [][]string{{"A", "B", "C", "D", "E"}, {"E", "D", "C", "B", "A"}, {"C", "A", "Z", "E", "E"}, {"B", "B", "D"}}
	var rows []SpikeRow
	var want []Step
	for ts, order := range orders {
		sum := 0.0
		for _, id := range order {
			rows = append(rows, SpikeRow{T: ts, ID: id, Bits: []uint8{1}})
			if id != "Z" {
				sum += float64(int(1) << (id[0] - 'A'))
			}
		}
		want = append(want, Step{T: ts, Deltas: []ChannelDelta{{Channel: "joint:0", Delta: sum}}})
	}
	assert.Equal(t, want, d.Decode(rows))
}
