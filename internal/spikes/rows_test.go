package spikes

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRowsShapes(t *testing.T) {
	tests := []struct {
		name string
		in   []any
		want []SpikeRow
	}{
		{
			name: "object row",
			in:   []any{map[string]any{"t": 190.0, "id": "V2", "bits": []any{0.0, 1.0, 0.0}}},
			want: []SpikeRow{{T: 190, ID: "V2", Bits: []uint8{0, 1, 0}}},
		},
		{
			name: "object row with extra keys",
			in:   []any{map[string]any{"t": 3.0, "id": "V2", "bits": []any{1.0}, "cycle": 7.0, "note": "x"}},
			want: []SpikeRow{{T: 3, ID: "V2", Bits: []uint8{1}}},
		},
		{
			name: "triple",
			in:   []any{[]any{5.0, "P1", []any{1.0, 1.0, 0.0, 0.0}}},
			want: []SpikeRow{{T: 5, ID: "P1", Bits: []uint8{1, 1, 0, 0}}},
		},
		{
			name: "both shapes mixed, order kept",
			in: []any{
				[]any{2.0, "A", []any{1.0}},
				map[string]any{"t": 1.0, "id": "B", "bits": []any{0.0, 1.0}},
			},
			want: []SpikeRow{{T: 2, ID: "A", Bits: []uint8{1}}, {T: 1, ID: "B", Bits: []uint8{0, 1}}},
		},
		{
			name: "any truthy number is a spike",
			in:   []any{map[string]any{"t": 0.0, "id": "A", "bits": []any{2.0, 0.5, -1.0, 0.0, math.Copysign(0, -1), 1e300, true, false}}},
			want: []SpikeRow{{T: 0, ID: "A", Bits: []uint8{1, 1, 1, 0, 0, 1, 1, 0}}},
		},
		{
			name: "numbers of other decoders",
			in:   []any{map[string]any{"t": int64(4), "id": "A", "bits": []any{1, int64(0), json.Number("3"), float32(0.25), uint64(0)}}},
			want: []SpikeRow{{T: 4, ID: "A", Bits: []uint8{1, 0, 1, 1, 0}}},
		},
		{
			name: "empty bits and negative t are fine",
			in:   []any{[]any{-3.0, "A", []any{}}},
			want: []SpikeRow{{T: -3, ID: "A", Bits: []uint8{}}},
		},
		{
			name: "integral float t",
			in:   []any{[]any{json.Number("12"), "A", []any{1.0}}, []any{12.0, "A", []any{1.0}}},
			want: []SpikeRow{{T: 12, ID: "A", Bits: []uint8{1}}, {T: 12, ID: "A", Bits: []uint8{1}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, skipped := ParseRows(tt.in)
			assert.Empty(t, skipped)
			assert.Equal(t, withoutEmptyBits(tt.want), withoutEmptyBits(rows))
		})
	}
}

func TestParseRowsSkipsMalformed(t *testing.T) {
	good := map[string]any{"t": 1.0, "id": "A", "bits": []any{1.0, 0.0}}
	tests := []struct {
		name   string
		row    any
		reason string
	}{
		{"no t", map[string]any{"id": "A", "bits": []any{}}, `no "t"`},
		{"no id", map[string]any{"t": 1.0, "bits": []any{}}, `no "id"`},
		{"no bits", map[string]any{"t": 1.0, "id": "A"}, `no "bits"`},
		{"t null", map[string]any{"t": nil, "id": "A", "bits": []any{}}, "t must be a number, got null"},
		{"t string", map[string]any{"t": "12", "id": "A", "bits": []any{}}, "t must be a number, got a string"},
		{"t boolean", []any{true, "A", []any{}}, "t must be a number, got a boolean"},
		{"t fractional", []any{12.5, "A", []any{}}, "t must be an integer, got 12.5"},
		{"t beyond exact integers", []any{1e17, "A", []any{}}, "t must be an integer, got 1e+17"},
		{"id empty", []any{1.0, "", []any{}}, "id must be a non-empty string, got a string"},
		{"id number", []any{1.0, 2.0, []any{}}, "id must be a non-empty string, got a number"},
		{"bits not a list", []any{1.0, "A", "0101"}, "bits must be a list, got a string"},
		{"bits an object", []any{1.0, "A", map[string]any{}}, "bits must be a list, got an object"},
		{"bit a string", []any{1.0, "A", []any{1.0, "1"}}, "bit 1 must be a number, got a string"},
		{"bit null", []any{1.0, "A", []any{nil}}, "bit 0 must be a number, got null"},
		{"bit a list", []any{1.0, "A", []any{[]any{1.0}}}, "bit 0 must be a number, got a list"},
		{"short list", []any{1.0, "A"}, "a list row must be [t, id, bits], got 2 items"},
		{"long list", []any{1.0, "A", []any{}, 4.0}, "a list row must be [t, id, bits], got 4 items"},
		{"number row", 5.0, "a row must be an object or [t, id, bits], got a number"},
		{"string row", "row", "a row must be an object or [t, id, bits], got a string"},
		{"null row", nil, "a row must be an object or [t, id, bits], got null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, skipped := ParseRows([]any{good, tt.row, good})
			require.Len(t, skipped, 1)
			assert.Equal(t, RowError{Index: 1, Reason: tt.reason}, skipped[0])
			assert.Equal(t, "output row 1: "+tt.reason, skipped[0].Error())
			// The good rows around it are kept whole: a bad row's bits
			// leave nothing behind in the shared backing array.
			want := SpikeRow{T: 1, ID: "A", Bits: []uint8{1, 0}}
			assert.Equal(t, []SpikeRow{want, want}, rows)
		})
	}
}

func TestParseRowsBitsDoNotAlias(t *testing.T) {
	var in []any
	for i := range 100 {
		in = append(in, []any{float64(i), "A", []any{float64(i % 2), 1.0, 0.0}})
	}
	rows, skipped := ParseRows(in)
	require.Empty(t, skipped)
	require.Len(t, rows, 100)
	rows[0].Bits = append(rows[0].Bits, 1) // must not write into row 1
	for i, r := range rows {
		assert.Equal(t, i, r.T)
		assert.Equal(t, []uint8{uint8(i % 2), 1, 0}, r.Bits[:3], "row %d", i)
	}
}

func TestParseRowsEmpty(t *testing.T) {
	rows, skipped := ParseRows(nil)
	assert.Empty(t, rows)
	assert.Empty(t, skipped)
}

// withoutEmptyBits makes empty and nil bits compare equal: both are a row
// of no neurons.
func withoutEmptyBits(rows []SpikeRow) []SpikeRow {
	out := make([]SpikeRow, len(rows))
	for i, r := range rows {
		if len(r.Bits) == 0 {
			r.Bits = nil
		}
		out[i] = r
	}
	return out
}
