package brain

import (
	"sync/atomic"

	"github.com/zishang520/socket.io/parsers/socket/v3/parser"

	"github.com/abbridge/ab_bridge/internal/jsonscan"
)

// directPath hands a cycle:update the decoder read itself (wire.go) to the
// session on the transport's reader goroutine, where the library would
// queue it for its event goroutine first. That hop was the largest part of
// the session's latency tail (BenchmarkShareLoopback, a stamp on each side
// of it: p50 14 µs, p99 102 µs of a 160 µs session p99).
//
// The brain's events still reach the handler one at a time and in the
// order they were read: a cycle:update goes direct only while none of the
// session's own events (io:need, cycle:update of its namespace) waits in
// the library's queue or runs in its handler. An event the library never
// dispatches (a connection lost between a binary event's header and its
// attachments) leaves the count up and the direct path off for the
// session: slower from then on, never out of order. The library still
// handles everything else (CONNECT, acknowledgements, DISCONNECT, other
// events); the handler's OnLink was never ordered with the events (it also
// comes from the connector and the silence watch).
type directPath struct {
	nsp string
	// open: the session is connected (set just before run:join goes
	// out), so an event meets the socket connected, not its receive buffer.
	open atomic.Bool
	// queued counts the session's events handed to the library and not
	// yet handled; broken is set for good once it went below zero (an
	// event name the peek did not recognise), after which every event
	// takes the library's path.
	queued atomic.Int64
	broken atomic.Bool
	cycle  func(payload any) // the session's cycle:update handling
	taken  atomic.Int64      // cycle:updates delivered direct
}

// take delivers p now and reports true, or leaves it to the library.
func (d *directPath) take(p *parser.Packet) bool {
	if d == nil || p.Nsp != d.nsp || !d.open.Load() || d.broken.Load() || d.queued.Load() != 0 {
		return false
	}
	args, _ := p.Data.([]any)
	d.taken.Add(1)
	d.cycle(args[1])
	return true
}

// queueCycle notes a cycle:update the decoder read but take left to the
// library: its namespace is known, so the text need not be read again.
func (d *directPath) queueCycle(nsp string) {
	if d != nil && nsp == d.nsp {
		d.queued.Add(1)
	}
}

// toLibrary notes a text packet the library will decode and dispatch
// before the library sees it, and reports whether it was one of the
// session's events.
func (d *directPath) toLibrary(text []byte) bool {
	if d == nil {
		return false
	}
	nsp, name, ok := eventHead(text)
	if !ok || string(nsp) != d.nsp || (string(name) != EventNeed && string(name) != EventCycleUpdate) {
		return false
	}
	d.queued.Add(1)
	return true
}

// handled is called when the library's dispatch of one of the session's
// events returned.
func (d *directPath) handled() {
	if d != nil && d.queued.Add(-1) < 0 {
		d.broken.Store(true)
	}
}

// eventHead reads the namespace and the event name of an EVENT or
// BINARY_EVENT packet's text ("51-/nsp,12[\"name\",…"), as the library's
// decoder will; ok is false for any other packet.
func eventHead(text []byte) (nsp, name []byte, ok bool) {
	if len(text) == 0 || (text[0] != byte('0'+parser.EVENT) && text[0] != byte('0'+parser.BINARY_EVENT)) {
		return nil, nil, false
	}
	i := 1
	if text[0] == byte('0'+parser.BINARY_EVENT) {
		for i < len(text) && text[i] >= '0' && text[i] <= '9' {
			i++
		}
		if i == 1 || i >= len(text) || text[i] != '-' {
			return nil, nil, false
		}
		i++
	}
	nsp = []byte("/")
	if i < len(text) && text[i] == '/' {
		start := i
		for i < len(text) && text[i] != ',' {
			i++
		}
		if i >= len(text) {
			return nil, nil, false
		}
		nsp = text[start:i]
		i++
	}
	for i < len(text) && text[i] >= '0' && text[i] <= '9' {
		i++
	}
	s := jsonscan.Scanner{Data: text, Pos: i}
	if !s.Byte('[') {
		return nil, nil, false
	}
	raw, ok := s.Str()
	if !ok {
		return nil, nil, false
	}
	return nsp, raw, true
}
