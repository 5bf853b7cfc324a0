package spikes

import (
	"slices"

	"github.com/abbridge/ab_bridge/internal/jsonscan"
)

// ScanRows reads the "outputs" of a cycle:update straight from its JSON
// text, in the one form brains write it: a list of objects with exactly the
// keys "t", "id" and "bits" (each once, in any order), t a JSON integer of
// at most 15 digits, id a non-empty string of printable ASCII without
// escapes, bits a list of the numbers 0 and 1. It returns the rows, which
// share one fresh backing array of bits, and the text after the list.
//
// Anything else, valid JSON or not, gives ok false and the caller decodes
// the text generically and uses Parse: ScanRows takes only what Parse reads
// into the same rows with none skipped, so the two never disagree. It
// exists because decoding a cycle's thousands of numbers into []any boxes
// each one, which cost most of the node's share of a cycle.
func ScanRows(data []byte) (rows []SpikeRow, rest []byte, ok bool) {
	s := scanner{Scanner: jsonscan.Scanner{Data: data}}
	if !s.Byte('[') {
		return nil, nil, false
	}
	// Rows and bits take about 8 bytes of text per bit and 24 of keys and
	// punctuation per row: enough room up front to grow once at most.
	rows = make([]SpikeRow, 0, len(data)/200+1)
	bits := make([]uint8, 0, len(data)/2+1)
	ends := make([]int, 0, cap(rows))
	if s.Peek(']') {
		s.Pos++
		return rows, data[s.Pos:], true
	}
	for {
		var row SpikeRow
		if bits, row, ok = s.row(bits); !ok {
			return nil, nil, false
		}
		rows = append(rows, row)
		ends = append(ends, len(bits))
		if s.Byte(',') {
			continue
		}
		if !s.Byte(']') {
			return nil, nil, false
		}
		break
	}
	start := 0
	for i, end := range ends {
		rows[i].Bits = bits[start:end:end]
		start = end
	}
	return rows, data[s.Pos:], true
}

// scanner is a jsonscan.Scanner with the rows' own readers.
type scanner struct {
	jsonscan.Scanner
	ids []string
}

// id is the string of b, the same one for every row of a population: a
// cycle has a few ids and many rows.
func (s *scanner) id(b []byte) string {
	for _, id := range s.ids {
		if id == string(b) {
			return id
		}
	}
	id := string(b)
	s.ids = append(s.ids, id)
	return id
}

// key reads `"name":` for one of the row's keys.
func (s *scanner) key() ([]byte, bool) {
	k, ok := s.Str()
	if !ok || !s.Byte(':') {
		return nil, false
	}
	return k, true
}

func (s *scanner) row(bits []uint8) ([]uint8, SpikeRow, bool) {
	var row SpikeRow
	if !s.Byte('{') {
		return bits, row, false
	}
	mark := len(bits)
	var seen [3]bool
	for i := 0; ; i++ {
		k, ok := s.key()
		if !ok {
			return bits, row, false
		}
		switch string(k) {
		case "t":
			if seen[0] {
				return bits, row, false
			}
			seen[0] = true
			t, ok := s.Integer()
			if !ok {
				return bits, row, false
			}
			row.T = int(t)
		case "id":
			if seen[1] {
				return bits, row, false
			}
			seen[1] = true
			id, ok := s.Str()
			if !ok || len(id) == 0 {
				return bits, row, false
			}
			row.ID = s.id(id)
		case "bits":
			if seen[2] {
				return bits, row, false
			}
			seen[2] = true
			if bits, ok = s.bits(bits); !ok {
				return bits[:mark], row, false
			}
		default:
			return bits, row, false
		}
		if !s.Byte(',') {
			break
		}
		if i == 2 {
			return bits[:mark], row, false // a fourth key, or a trailing comma
		}
	}
	if !seen[0] || !seen[1] || !seen[2] || !s.Byte('}') {
		return bits[:mark], row, false
	}
	return bits, row, true
}

func (s *scanner) bits(bits []uint8) ([]uint8, bool) {
	if !s.Byte('[') {
		return bits, false
	}
	if s.Byte(']') {
		return bits, true
	}
	// Most of a cycle's text is "0,1,0,…": read that without the white
	// space checks, and fall back to them only where a byte is not a bit
	// or a comma.
	// Each bit takes at least two bytes of what is left ("0," or "0]"):
	// room for all of them up front, written by index.
	d, i := s.Data, s.Pos
	n := len(bits)
	bits = slices.Grow(bits, (len(d)-i+1)/2)
	out := bits[:cap(bits)]
	for {
		if i >= len(d) || (d[i] != '0' && d[i] != '1') {
			s.Pos = i
			s.Space()
			if i = s.Pos; i >= len(d) || (d[i] != '0' && d[i] != '1') {
				return out[:n], false
			}
		}
		out[n] = d[i] - '0'
		n++
		i++
		if i >= len(d) {
			s.Pos = i
			return out[:n], false
		}
		switch c := d[i]; {
		case c == ',':
			i++
			continue
		case c == ']':
			s.Pos = i + 1
			return out[:n], true
		case c >= '0' && c <= '9', c == '.', c == 'e', c == 'E':
			return out[:n], false // "10", "0.5", "1e0": not a lone 0 or 1
		}
		s.Pos = i
		if s.Byte(',') {
			i = s.Pos
			continue
		}
		return out[:n], s.Byte(']')
	}
}
