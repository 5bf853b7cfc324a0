package brain

import (
	"sync/atomic"

	"github.com/zishang520/socket.io/parsers/socket/v3/parser"
	"github.com/zishang520/socket.io/v3/pkg/types"

	"github.com/abbridge/ab_bridge/internal/spikes"
)

// cycleParser is the library's Socket.IO parser, except that a
// cycle:update in the form brains write it is read straight from its text
// into rows (spikes.ScanRows). Decoding it into []any boxed each of the
// cycle's thousands of numbers and cost most of the node's share of a
// cycle. Every other packet, and every cycle:update in any other form, goes
// to the library's decoder unchanged, so both paths hand the session the
// same update.
type cycleParser struct{}

var _ parser.Parser = cycleParser{}

func (cycleParser) NewEncoder() parser.Encoder { return parser.NewEncoder() }
func (cycleParser) NewDecoder() parser.Decoder {
	return &cycleDecoder{Decoder: parser.NewDecoder()}
}

// wireCycle is the payload of a cycle:update cycleDecoder read itself.
type wireCycle struct {
	RunID string
	Cycle int64
	Rows  []spikes.SpikeRow
}

// cycleDecoder's Add runs on the transport's reader goroutine, one call at
// a time; a reconnect's new transport reads on another goroutine, hence the
// atomic.
type cycleDecoder struct {
	parser.Decoder
	// Binary attachments the library's decoder still waits for; while it
	// does, it refuses text packets, so they all go to it. -1: it failed
	// in the middle of one, and everything goes to it from then on.
	attachments atomic.Int64
}

func (d *cycleDecoder) Add(data any) error {
	text, isText := data.(*types.StringBuffer)
	pending := d.attachments.Load()
	if isText && pending == 0 {
		if p := scanCycle(text.Bytes()); p != nil {
			d.Emit("decoded", p)
			return nil
		}
	}
	expect := 0
	if isText {
		expect = binaryAttachments(text.Bytes())
	}
	err := d.Decoder.Add(data)
	switch {
	case err != nil || pending < 0 || (!isText && !parser.IsBinary(data)):
		// A failure, or text in a form the transport does not send: no
		// more telling what the library waits for.
		d.attachments.Store(-1)
	case !isText && pending > 0:
		d.attachments.Store(pending - 1)
	case isText && pending == 0:
		d.attachments.Store(int64(expect))
	}
	return err
}

// binaryAttachments is how many attachments a BINARY_EVENT or BINARY_ACK
// header announces ("51-..."), 0 for any other packet; -1 when it cannot
// tell, which leaves every later packet to the library. So does a header
// of no attachments: the library keeps waiting after one (v3.0.2).
func binaryAttachments(text []byte) int {
	if len(text) == 0 || (text[0] != byte('0'+parser.BINARY_EVENT) && text[0] != byte('0'+parser.BINARY_ACK)) {
		return 0
	}
	n := 0
	for i, c := range text[1:] {
		switch {
		case c >= '0' && c <= '9' && i < 6:
			n = n*10 + int(c-'0')
		case c == '-' && i > 0 && n > 0:
			return n
		default:
			return -1
		}
	}
	return -1
}

// maxNamespace is the library decoder's own bound on a namespace.
const maxNamespace = parser.DefaultMaxNamespaceLength

// scanCycle reads `2/nsp,["cycle:update",{"runId":…,"cycle":…,"outputs":[…]}]`
// (keys in any order, runId optional, no other key, no ack id), or returns
// nil for any other text.
func scanCycle(text []byte) *parser.Packet {
	if len(text) < 2 || text[0] != byte('0'+parser.EVENT) {
		return nil
	}
	s := wireScanner{data: text, pos: 1}
	nsp := "/"
	if text[1] == '/' {
		end := -1
		for i := 1; i < len(text) && i <= maxNamespace; i++ {
			if text[i] == ',' {
				end = i
				break
			}
		}
		if end < 0 {
			return nil
		}
		nsp, s.pos = string(text[1:end]), end+1
	}
	if !s.byte('[') {
		return nil
	}
	if name, ok := s.str(); !ok || string(name) != EventCycleUpdate || !s.byte(',') || !s.byte('{') {
		return nil
	}
	var (
		w                   wireCycle
		run, cycle, outputs bool
	)
	for {
		key, ok := s.str()
		if !ok || !s.byte(':') {
			return nil
		}
		switch string(key) {
		case "runId":
			id, ok := s.str()
			if run || !ok {
				return nil
			}
			run, w.RunID = true, string(id)
		case "cycle":
			c, ok := s.count()
			if cycle || !ok {
				return nil
			}
			cycle, w.Cycle = true, c
		case "outputs":
			if outputs {
				return nil
			}
			s.space()
			rows, rest, ok := spikes.ScanRows(s.data[s.pos:])
			if !ok {
				return nil
			}
			outputs, w.Rows, s.pos = true, rows, len(s.data)-len(rest)
		default:
			return nil
		}
		if !s.byte(',') {
			break
		}
	}
	if !cycle || !outputs || !s.byte('}') || !s.byte(']') {
		return nil
	}
	if s.space(); s.pos != len(s.data) {
		return nil
	}
	return &parser.Packet{Type: parser.EVENT, Nsp: nsp, Data: []any{EventCycleUpdate, &w}}
}

type wireScanner struct {
	data []byte
	pos  int
}

func (s *wireScanner) space() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *wireScanner) byte(c byte) bool {
	s.space()
	if s.pos < len(s.data) && s.data[s.pos] == c {
		s.pos++
		return true
	}
	return false
}

// str reads a plain string: printable ASCII, no escapes.
func (s *wireScanner) str() ([]byte, bool) {
	if !s.byte('"') {
		return nil, false
	}
	start := s.pos
	for ; s.pos < len(s.data); s.pos++ {
		switch c := s.data[s.pos]; {
		case c == '"':
			s.pos++
			return s.data[start : s.pos-1], true
		case c < 0x20 || c > 0x7e || c == '\\':
			return nil, false
		}
	}
	return nil, false
}

// count reads a non-negative JSON integer of at most 15 digits: what
// reqCycle accepts, without fraction or exponent.
func (s *wireScanner) count() (int64, bool) {
	s.space()
	start := s.pos
	var v int64
	for s.pos < len(s.data) && s.data[s.pos] >= '0' && s.data[s.pos] <= '9' {
		v = v*10 + int64(s.data[s.pos]-'0')
		s.pos++
	}
	n := s.pos - start
	if n == 0 || n > 15 || (n > 1 && s.data[start] == '0') {
		return 0, false
	}
	if s.pos < len(s.data) {
		switch s.data[s.pos] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	return v, true
}
