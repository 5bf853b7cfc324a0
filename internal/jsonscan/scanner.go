package jsonscan

// Scanner reads Data from Pos on. Its methods skip white space first and
// leave Pos after what they read; on failure Pos is unspecified and the
// caller gives up on the text.
type Scanner struct {
	Data []byte
	Pos  int
}

// Space skips JSON white space.
func (s *Scanner) Space() {
	for s.Pos < len(s.Data) {
		switch s.Data[s.Pos] {
		case ' ', '\t', '\n', '\r':
			s.Pos++
		default:
			return
		}
	}
}

// Byte skips white space and then c, reporting whether c was there.
func (s *Scanner) Byte(c byte) bool {
	s.Space()
	if s.Pos < len(s.Data) && s.Data[s.Pos] == c {
		s.Pos++
		return true
	}
	return false
}

// Peek reports whether c comes after white space, without reading it.
func (s *Scanner) Peek(c byte) bool {
	s.Space()
	return s.Pos < len(s.Data) && s.Data[s.Pos] == c
}

// Str reads a plain string, printable ASCII without escapes, and returns
// its bytes within the text.
func (s *Scanner) Str() ([]byte, bool) {
	if !s.Byte('"') {
		return nil, false
	}
	start := s.Pos
	for s.Pos < len(s.Data) {
		c := s.Data[s.Pos]
		if c == '"' {
			v := s.Data[start:s.Pos]
			s.Pos++
			return v, true
		}
		if c < 0x20 || c > 0x7e || c == '\\' {
			return nil, false
		}
		s.Pos++
	}
	return nil, false
}

// Integer reads a JSON integer of at most 15 digits (exact in a float64, as
// encoding/json would give it): no fraction, no exponent, no leading zero.
func (s *Scanner) Integer() (int64, bool) {
	s.Space()
	neg := s.Pos < len(s.Data) && s.Data[s.Pos] == '-'
	if neg {
		s.Pos++
	}
	start := s.Pos
	var v int64
	for s.Pos < len(s.Data) && s.Data[s.Pos] >= '0' && s.Data[s.Pos] <= '9' {
		v = v*10 + int64(s.Data[s.Pos]-'0')
		s.Pos++
	}
	n := s.Pos - start
	if n == 0 || n > 15 || (n > 1 && s.Data[start] == '0') {
		return 0, false
	}
	if s.Pos < len(s.Data) {
		switch s.Data[s.Pos] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	if neg {
		v = -v
	}
	return v, true
}
