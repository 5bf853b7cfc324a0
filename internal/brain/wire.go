package brain

import (
	"sync/atomic"

	"github.com/zishang520/socket.io/parsers/socket/v3/parser"
	"github.com/zishang520/socket.io/v3/pkg/types"

	"github.com/abbridge/ab_bridge/internal/jsonscan"
	"github.com/abbridge/ab_bridge/internal/spikes"
)

// cycleParser is the library's Socket.IO parser, except that a
// cycle:update in the form brains write it is read straight from its text
// into rows (spikes.ScanRows). Decoding it into []any boxed each of the
// cycle's thousands of numbers and cost most of the node's share of a
// cycle. Every other packet, and every cycle:update in any other form, goes
// to the library's decoder unchanged, so both paths hand the session the
// same update.
//
// With a directPath (a session's), such a cycle:update skips the library's
// event goroutine when it can (direct.go).
type cycleParser struct{ direct *directPath }

var _ parser.Parser = cycleParser{}

func (cycleParser) NewEncoder() parser.Encoder { return ownedEncoder{parser.NewEncoder()} }
func (c cycleParser) NewDecoder() parser.Decoder {
	return &cycleDecoder{Decoder: parser.NewDecoder(), direct: c.direct}
}

// ownedEncoder is the library's encoder whose binary attachments are not
// copied again on the way out. The Manager clones every buffer the encoder
// returns before it writes it (clients/socket v3.0.1 Manager._packet), yet
// the encoder made them for this packet alone: for a camera that was a
// second copy of every JPEG (15 of the node's 140 MB allocated in 12 s at
// 30 VGA frames/s, pprof allocs) for nothing. The header text is still
// cloned (a few hundred bytes). frameWebSocket writes ownedBytes as the
// binary frame it is.
type ownedEncoder struct{ parser.Encoder }

func (e ownedEncoder) Encode(p *parser.Packet) []types.BufferInterface {
	if event, w, ok := wireEvent(p); ok {
		return w.encode(p.Nsp, event)
	}
	bufs := e.Encoder.Encode(p)
	for i, b := range bufs {
		if bb, ok := b.(*types.BytesBuffer); ok {
			bufs[i] = ownedBytes{bb}
		}
	}
	return bufs
}

// ownedBytes is an encoded attachment no one else holds: its clone is itself.
type ownedBytes struct{ *types.BytesBuffer }

func (o ownedBytes) Clone() types.BufferInterface { return o }

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
	direct      *directPath // nil: every packet is the library's to dispatch
}

func (d *cycleDecoder) Add(data any) error {
	text, isText := data.(*types.StringBuffer)
	pending := d.attachments.Load()
	if isText && pending == 0 {
		if p := scanCycle(text.Bytes()); p != nil {
			if !d.direct.take(p) {
				d.direct.queueCycle(p.Nsp)
				d.Emit("decoded", p)
			}
			return nil
		}
	}
	expect, counted := 0, false
	if isText {
		expect = binaryAttachments(text.Bytes())
		counted = d.direct.toLibrary(text.Bytes())
	}
	err := d.Decoder.Add(data)
	if err != nil && counted {
		d.direct.handled() // the library drops it, and the connection
	}
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
	s := jsonscan.Scanner{Data: text, Pos: 1}
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
		nsp, s.Pos = string(text[1:end]), end+1
	}
	if !s.Byte('[') {
		return nil
	}
	if name, ok := s.Str(); !ok || string(name) != EventCycleUpdate || !s.Byte(',') || !s.Byte('{') {
		return nil
	}
	var (
		w                   wireCycle
		run, cycle, outputs bool
	)
	for {
		key, ok := s.Str()
		if !ok || !s.Byte(':') {
			return nil
		}
		switch string(key) {
		case "runId":
			id, ok := s.Str()
			if run || !ok {
				return nil
			}
			run, w.RunID = true, string(id)
		case "cycle":
			c, ok := count(&s)
			if cycle || !ok {
				return nil
			}
			cycle, w.Cycle = true, c
		case "outputs":
			if outputs {
				return nil
			}
			s.Space()
			rows, rest, ok := spikes.ScanRows(s.Data[s.Pos:])
			if !ok {
				return nil
			}
			outputs, w.Rows, s.Pos = true, rows, len(s.Data)-len(rest)
		default:
			return nil
		}
		if !s.Byte(',') {
			break
		}
	}
	if !cycle || !outputs || !s.Byte('}') || !s.Byte(']') {
		return nil
	}
	if s.Space(); s.Pos != len(s.Data) {
		return nil
	}
	return &parser.Packet{Type: parser.EVENT, Nsp: nsp, Data: []any{EventCycleUpdate, &w}}
}

// count reads a non-negative JSON integer of at most 15 digits: what
// reqCycle accepts, without fraction or exponent.
func count(s *jsonscan.Scanner) (int64, bool) {
	if s.Peek('-') {
		return 0, false
	}
	return s.Integer()
}
