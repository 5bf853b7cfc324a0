package spikes

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
)

// SpikeRow is one output population's spikes at one timestep.
type SpikeRow struct {
	T    int     // timestep, absolute or within the cycle
	ID   string  // output population
	Bits []uint8 // one 0/1 per neuron; may be shorter than outputWindowN
}

// RowError says why one row of "outputs" was skipped.
type RowError struct {
	Index  int // position of the row in "outputs"
	Reason string
}

func (e RowError) Error() string {
	return fmt.Sprintf("output row %d: %s", e.Index, e.Reason)
}

// maxExactT bounds timesteps to the integers a float64 holds exactly, so a
// JSON number converts to int without surprise.
const maxExactT = 1 << 53

// ParseRows reads the "outputs" of a cycle:update as decoded from JSON:
// object rows {"t", "id", "bits"} (other keys are ignored) or triples
// [t, id, bits]. A row is kept when t is an integral number, id a non-empty
// string and bits a list of numbers or booleans, where any non-zero number
// and true count as a spike. Every other row is skipped, and each skip is
// reported once in skipped, so the caller can count and log them; the
// cycle goes on with the rows that are good.
//
// The reference SDK's decode_stream_rows differs on purpose: it reads each
// bit as int(b), so 0.5 counts as no spike there and as a spike here (the
// protocol says any truthy number is a spike); it takes t as int(t), so it
// accepts "12", 12.7 and true, all rejected here; it ignores triples; and a
// row with a good t but a bad id or bits still yields an (empty) timestep
// there, while here the whole row is skipped.
//
// ParseRows allocates fresh slices; RowBuffer.Parse reuses them.
func ParseRows(outputs []any) (rows []SpikeRow, skipped []RowError) {
	var b RowBuffer
	return b.Parse(outputs)
}

// RowBuffer holds parsed rows between cycles, so that parsing does not
// allocate once it has grown to the cycle's size (reports of skipped rows
// aside). One goroutine at a time may use a RowBuffer.
type RowBuffer struct {
	rows    []SpikeRow
	bits    []uint8 // the bits of all rows, back to back
	ends    []int   // end of each row's bits in bits
	skipped []RowError
}

// Parse is ParseRows into b. The result lives in b and is valid until b is
// used again.
func (b *RowBuffer) Parse(outputs []any) (rows []SpikeRow, skipped []RowError) {
	b.rows, b.bits, b.ends, b.skipped = b.rows[:0], b.bits[:0], b.ends[:0], b.skipped[:0]
	for i, raw := range outputs {
		var (
			row    SpikeRow
			reason string
		)
		b.bits, row, reason = parseRow(b.bits, raw)
		if reason != "" {
			b.skipped = append(b.skipped, RowError{Index: i, Reason: reason})
			continue
		}
		b.rows = append(b.rows, row)
		b.ends = append(b.ends, len(b.bits))
	}
	// bits may have moved while it grew: slice it only now.
	start := 0
	for i, end := range b.ends {
		b.rows[i].Bits = b.bits[start:end:end]
		start = end
	}
	if len(b.skipped) == 0 {
		return b.rows, nil
	}
	return b.rows, b.skipped
}

// parseRow appends the row's bits to buf and returns the row without its
// Bits (ParseRows sets them), or the reason it is malformed.
func parseRow(buf []uint8, raw any) ([]uint8, SpikeRow, string) {
	var t, id, bits any
	switch r := raw.(type) {
	case map[string]any:
		var ok bool
		if t, ok = r["t"]; !ok {
			return buf, SpikeRow{}, `no "t"`
		}
		if id, ok = r["id"]; !ok {
			return buf, SpikeRow{}, `no "id"`
		}
		if bits, ok = r["bits"]; !ok {
			return buf, SpikeRow{}, `no "bits"`
		}
	case []any:
		if len(r) != 3 {
			return buf, SpikeRow{}, fmt.Sprintf("a list row must be [t, id, bits], got %d items", len(r))
		}
		t, id, bits = r[0], r[1], r[2]
	default:
		return buf, SpikeRow{}, fmt.Sprintf("a row must be an object or [t, id, bits], got %s", typeName(raw))
	}
	var row SpikeRow
	var reason string
	if row.T, reason = parseT(t); reason != "" {
		return buf, SpikeRow{}, reason
	}
	s, ok := id.(string)
	if !ok || s == "" {
		return buf, SpikeRow{}, fmt.Sprintf("id must be a non-empty string, got %s", typeName(id))
	}
	row.ID = s
	mark := len(buf)
	if buf, reason = appendBits(buf, bits); reason != "" {
		return buf[:mark], SpikeRow{}, reason
	}
	return buf, row, ""
}

func parseT(v any) (int, string) {
	f, ok := v.(float64)
	if !ok {
		f, ok = number(v)
	}
	if !ok {
		return 0, fmt.Sprintf("t must be a number, got %s", typeName(v))
	}
	if f != math.Trunc(f) || math.Abs(f) > maxExactT {
		return 0, fmt.Sprintf("t must be an integer, got %v", f)
	}
	return int(f), ""
}

func appendBits(buf []uint8, v any) ([]uint8, string) {
	list, ok := v.([]any)
	if !ok {
		return buf, fmt.Sprintf("bits must be a list, got %s", typeName(v))
	}
	start := len(buf)
	buf = slices.Grow(buf, len(list))[:start+len(list)]
	out := buf[start:]
	for j, b := range list {
		// float64 is what encoding/json gives: the fast path.
		f, ok := b.(float64)
		if !ok {
			var reason string
			if f, reason = otherBit(j, b); reason != "" {
				return buf[:start], reason
			}
		}
		out[j] = spike(f != 0)
	}
	return buf, ""
}

// otherBit reads a bit that is not a float64: a boolean or another number.
func otherBit(j int, b any) (float64, string) {
	if on, ok := b.(bool); ok {
		return float64(spike(on)), ""
	}
	f, ok := number(b)
	if !ok {
		return 0, fmt.Sprintf("bit %d must be a number, got %s", j, typeName(b))
	}
	return f, ""
}

func spike(on bool) uint8 {
	if on {
		return 1
	}
	return 0
}

// number accepts the numeric types JSON and YAML decoders produce.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float32:
		return float64(n), true
	case int32:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	if _, ok := number(v); ok {
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}
