package primalux

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Cursor is a position in the device's output stream: the epoch (one brain
// run; opaque text) and the frame's sequence in it. On the wire "epoch:seq".
type Cursor struct {
	Epoch string
	Seq   int64
}

func (c Cursor) String() string {
	if c.Epoch == "" {
		return ""
	}
	return c.Epoch + ":" + strconv.FormatInt(c.Seq, 10)
}

// ParseCursor reads "epoch:seq" (the sequence after the last colon, as the
// SDK splits it).
func ParseCursor(s string) (Cursor, error) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 {
		return Cursor{}, fmt.Errorf("cursor %q: want epoch:sequence", clip(s))
	}
	seq, err := strconv.ParseInt(s[i+1:], 10, 64)
	if err != nil || seq < 0 || s[i+1] == '+' {
		return Cursor{}, fmt.Errorf("cursor %q: sequence is not a non-negative integer", clip(s))
	}
	if strings.ContainsRune(s[:i], ':') {
		return Cursor{}, fmt.Errorf("cursor %q: epoch contains a colon", clip(s))
	}
	return Cursor{Epoch: s[:i], Seq: seq}, nil
}

// EventKind says what a stream Event reports.
type EventKind int

const (
	EventFrame        EventKind = iota + 1 // a new frame, in order
	EventGap                               // frames were lost; Missed says how many when known
	EventReset                             // the run changed or was reset; positions restart
	EventMalformed                         // a frame or event that could not be read; Err says why
	EventConnected                         // the stream is open (after a hello or the first frame)
	EventDisconnected                      // the stream dropped; Err says why; a resume follows
)

func (k EventKind) String() string {
	return [...]string{"", "frame", "gap", "reset", "malformed", "connected", "disconnected"}[k]
}

// Event is one thing the stream reports, in order.
type Event struct {
	Kind    EventKind
	Cursor  Cursor // the stream's position after this event
	Frame   *Frame // EventFrame only
	Missed  int64  // EventGap: frames known to be lost (0: unknown)
	Message string // the device's message (gap, reset) or our reason
	Err     error  // EventMalformed, EventDisconnected
}

// Frame is one output frame.
type Frame struct {
	Epoch    string
	Sequence int64
	Item     Item
}

// Item is one step of the brain's outputs.
type Item struct {
	Step    int64
	Outputs []OutputStep
	// Actuation is the item's "actuation" as sent (nil when absent), read
	// by the actuation decoder, which reports its problems as the SDK does.
	Actuation json.RawMessage
}

// OutputStep is one timestep's spiking output neurons, "POPULATION:index".
// Entries the SDK's decoder skips (not an object, no neuron list, a neuron
// that is not a string) are skipped when the item is read.
type OutputStep struct {
	T       float64
	Neurons []string
}

// StreamError is an "error" event: the device ended the stream.
type StreamError struct{ Message string }

func (e *StreamError) Error() string { return "prima-lux output stream error: " + e.Message }

// StreamOptions configure a Stream.
type StreamOptions struct {
	// Replay asks the device to replay the outputs it still holds (the SDK
	// sets it when it started the brain itself).
	Replay bool
	// Resume is where to continue; zero starts at the device's hello.
	Resume Cursor
	// Backoff between reconnects: MinBackoff (or the stream's retry field)
	// doubling to MaxBackoff, reset by a connection that delivered anything.
	MinBackoff, MaxBackoff time.Duration
	// IdleTimeout drops a connection that sent nothing, not even a
	// heartbeat, for that long (the SDK's read timeout is 60 s).
	IdleTimeout time.Duration
	// MaxFailures ends Run after that many connection attempts in a row
	// that delivered nothing; 0 retries until the context ends.
	MaxFailures int
}

// Stream defaults.
const (
	DefaultMinBackoff  = 500 * time.Millisecond // the SDK's fixed pause
	DefaultMaxBackoff  = 5 * time.Second
	DefaultIdleTimeout = 60 * time.Second
)

// StreamStats count what the stream saw.
type StreamStats struct {
	Connects, Disconnects int
	Frames                int // delivered
	Duplicates            int // same or older position, dropped
	Gaps                  int // gap events and sequence jumps
	Missed                int64
	Resets                int
	Malformed             int
	Truncated             int // events cut by a drop, discarded (the resume fetches them)
	Heartbeats            int // comment lines
	Ignored               int // events of unknown type
	LastMalformed         string
}

// Stream reads the device's outputs: GET /api/brain/stream.
type Stream struct {
	c    *Client
	opts StreamOptions

	mu     sync.Mutex
	stats  StreamStats
	cursor Cursor
	// fresh: the device cannot resume from the cursor (a gap it could not
	// say the end of), so the next connection asks without one; the hello
	// then tells how far the stream moved on.
	fresh bool
}

// Stream prepares an output stream; Run reads it.
func (c *Client) Stream(o StreamOptions) *Stream {
	if o.MinBackoff <= 0 {
		o.MinBackoff = DefaultMinBackoff
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(o.MinBackoff, DefaultMaxBackoff)
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	return &Stream{c: c, opts: o, cursor: o.Resume}
}

// Stats is a snapshot of the counters.
func (s *Stream) Stats() StreamStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Cursor is the position a resume continues from.
func (s *Stream) Cursor() Cursor {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cursor
}

func (s *Stream) count(f func(*StreamStats)) {
	s.mu.Lock()
	f(&s.stats)
	s.mu.Unlock()
}

// Run reads the stream until ctx ends, handle returns an error, the device
// sends an error event (a *StreamError), refuses the stream with a
// non-retryable status, or MaxFailures attempts in a row fail. Every drop is
// followed by a resume from the last delivered frame's cursor. handle is
// called on Run's goroutine, in stream order.
func (s *Stream) Run(ctx context.Context, handle func(Event) error) error {
	backoff := s.opts.MinBackoff
	failures := 0
	for {
		progressed, retry, err := s.connect(ctx, handle)
		var herr handlerError
		var serr *StreamError
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.As(err, &herr):
			return herr.err
		case errors.As(err, &serr):
			return err
		case err != nil && !IsRetryable(err) && isDeviceError(err):
			return err
		}
		if progressed {
			failures, backoff = 0, s.opts.MinBackoff
		} else {
			failures++
		}
		if retry > 0 {
			backoff = max(min(retry, s.opts.MaxBackoff), backoff)
		}
		if s.opts.MaxFailures > 0 && failures >= s.opts.MaxFailures {
			return fmt.Errorf("prima-lux output stream: %d connection attempts in a row failed: %w", failures, err)
		}
		if herr := handle(Event{Kind: EventDisconnected, Cursor: s.Cursor(), Err: err}); herr != nil {
			return herr
		}
		s.count(func(st *StreamStats) { st.Disconnects++ })
		if err := s.c.sleep(ctx, RetryDelay(err, backoff)); err != nil {
			return err
		}
		backoff = min(backoff*2, s.opts.MaxBackoff)
	}
}

type handlerError struct{ err error }

func (h handlerError) Error() string { return h.err.Error() }

func isDeviceError(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// connect runs one connection: progressed says it delivered a hello or a
// frame; retry is the stream's retry field.
func (s *Stream) connect(ctx context.Context, handle func(Event) error) (progressed bool, retry time.Duration, err error) {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	q := url.Values{}
	s.mu.Lock()
	cur, fresh := s.cursor, s.fresh || s.cursor.Epoch == "" && s.stats.Resets > 0
	s.mu.Unlock()
	q.Set("replay", "0")
	if s.opts.Replay || fresh {
		// Without a usable cursor, ask for everything the device still
		// keeps: what follows the gap or the reset, nothing older.
		q.Set("replay", "1")
	}
	if fresh {
		cur = Cursor{}
	}
	q.Set("cursor", cur.String())
	req, err := s.c.newRequest(cctx, http.MethodGet, pathStream, q, nil)
	if err != nil {
		return false, 0, err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-store")
	if cur.Epoch != "" {
		req.Header.Set("Last-Event-ID", cur.String())
	}
	// The idle watchdog cancels the request when nothing arrives.
	idle := time.AfterFunc(s.opts.IdleTimeout, cancel)
	defer idle.Stop()
	resp, err := s.c.stream.Do(req)
	if err != nil {
		if ctx.Err() == nil && cctx.Err() != nil {
			err = fmt.Errorf("no answer within %s", s.opts.IdleTimeout)
		}
		return false, 0, &Error{Kind: Retryable, Method: http.MethodGet, Path: pathStream, Err: netCause(err)}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxDetail*4))
		if serr := s.c.statusError(http.MethodGet, pathStream, resp, body); serr != nil {
			return false, 0, serr
		}
		return false, 0, &Error{Kind: Protocol, Method: http.MethodGet, Path: pathStream, Status: resp.StatusCode, Detail: "want 200 for the event stream"}
	}
	s.count(func(st *StreamStats) { st.Connects++ })
	r := newSSEReader(&watchedReader{r: resp.Body, idle: idle, d: s.opts.IdleTimeout})
	connected := false
	defer func() { s.count(func(st *StreamStats) { st.Heartbeats += r.comments }) }()
	for {
		ev, rerr := r.Next()
		if rerr != nil {
			if r.pending {
				s.count(func(st *StreamStats) { st.Truncated++ })
			}
			if ctx.Err() == nil && cctx.Err() != nil {
				rerr = fmt.Errorf("nothing received for %s", s.opts.IdleTimeout)
			}
			if errors.Is(rerr, errSSELineTooLong) {
				s.malformed(rerr.Error())
			}
			return progressed, r.retry, &Error{Kind: Retryable, Method: http.MethodGet, Path: pathStream, Err: netCause(rerr)}
		}
		out, perr := s.apply(ev)
		if perr != nil {
			return progressed, r.retry, perr
		}
		for _, e := range out {
			switch {
			case e.Kind == EventConnected && connected:
				continue
			case e.Kind == EventConnected:
				connected, progressed = true, true
			case e.Kind == EventFrame && !connected:
				// No hello: the first frame opens the stream.
				connected, progressed = true, true
				if herr := handle(Event{Kind: EventConnected, Cursor: e.Cursor}); herr != nil {
					return progressed, r.retry, handlerError{herr}
				}
			case e.Kind == EventFrame:
				progressed = true
			}
			if herr := handle(e); herr != nil {
				return progressed, r.retry, handlerError{herr}
			}
		}
	}
}

// watchedReader re-arms the idle watchdog whenever bytes arrive.
type watchedReader struct {
	r    io.Reader
	idle *time.Timer
	d    time.Duration
}

func (w *watchedReader) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if n > 0 {
		w.idle.Reset(w.d)
	}
	return n, err
}

func (s *Stream) malformed(why string) Event {
	s.count(func(st *StreamStats) { st.Malformed++; st.LastMalformed = why })
	return Event{Kind: EventMalformed, Cursor: s.Cursor(), Err: errors.New(why), Message: why}
}

// apply turns one SSE event into stream events and moves the cursor.
func (s *Stream) apply(ev sseEvent) ([]Event, error) {
	switch ev.Type {
	case "hello":
		return s.hello(ev), nil
	case "frame":
		return s.frame(ev), nil
	case "gap", "reset":
		return s.control(ev), nil
	case "error":
		msg := controlMessage(ev.Data)
		if msg == "" {
			msg = "the device ended the output stream"
		}
		return nil, &StreamError{Message: msg}
	}
	s.count(func(st *StreamStats) { st.Ignored++ })
	return nil, nil
}

// hello: the device says where this connection starts.
func (s *Stream) hello(ev sseEvent) []Event {
	var h struct {
		Cursor string `json:"cursor"`
	}
	if err := json.Unmarshal([]byte(ev.Data), &h); err != nil {
		return []Event{s.malformed("hello: " + err.Error())}
	}
	at, err := ParseCursor(h.Cursor)
	if err != nil {
		return []Event{s.malformed("hello: " + err.Error())}
	}
	s.mu.Lock()
	cur := s.cursor
	s.fresh = false
	s.mu.Unlock()
	var out []Event
	switch {
	case cur.Epoch == "":
	case at.Epoch != cur.Epoch:
		out = append(out, s.reset(at, fmt.Sprintf("the device resumed in epoch %s, not %s: the run changed", at.Epoch, cur.Epoch)))
		return append(out, Event{Kind: EventConnected, Cursor: at})
	case at.Seq > cur.Seq:
		out = append(out, s.gap(at, at.Seq-cur.Seq, fmt.Sprintf("the device resumed at %s, after %s", at, cur)))
		return append(out, Event{Kind: EventConnected, Cursor: at})
	default:
		// Behind or equal: keep ours; anything up to it is a duplicate.
		return []Event{{Kind: EventConnected, Cursor: cur}}
	}
	s.setCursor(at)
	return append(out, Event{Kind: EventConnected, Cursor: at})
}

func (s *Stream) setCursor(c Cursor) {
	s.mu.Lock()
	s.cursor = c
	s.mu.Unlock()
}

func (s *Stream) gap(at Cursor, missed int64, msg string) Event {
	s.count(func(st *StreamStats) { st.Gaps++; st.Missed += missed })
	s.setCursor(at)
	return Event{Kind: EventGap, Cursor: at, Missed: missed, Message: msg}
}

func (s *Stream) reset(at Cursor, msg string) Event {
	s.count(func(st *StreamStats) { st.Resets++ })
	s.setCursor(at)
	return Event{Kind: EventReset, Cursor: at, Message: msg}
}

// wireFrame is a frame event's data.
type wireFrame struct {
	Epoch    json.RawMessage `json:"epoch"`
	Sequence json.RawMessage `json:"sequence"`
	Item     json.RawMessage `json:"item"`
}

func (s *Stream) frame(ev sseEvent) []Event {
	pos, item, err := readFrame(ev)
	if err != nil {
		if pos.Epoch == "" {
			return []Event{s.malformed(err.Error())}
		}
	}
	s.mu.Lock()
	cur := s.cursor
	s.mu.Unlock()
	var out []Event
	switch {
	case cur.Epoch == "":
	case pos.Epoch != cur.Epoch:
		out = append(out, s.reset(Cursor{Epoch: pos.Epoch, Seq: pos.Seq - 1},
			fmt.Sprintf("frame %s is in a new epoch (was %s): the run changed", pos, cur)))
	case pos.Seq <= cur.Seq:
		s.count(func(st *StreamStats) { st.Duplicates++ })
		return nil
	case pos.Seq > cur.Seq+1:
		out = append(out, s.gap(Cursor{Epoch: pos.Epoch, Seq: pos.Seq - 1}, pos.Seq-cur.Seq-1,
			fmt.Sprintf("frame %s follows %s", pos, cur)))
	}
	// A frame whose position is known moves the cursor even when its item is
	// unusable, so a resume does not fetch it again and the next frame is
	// not taken for a gap.
	s.setCursor(pos)
	s.mu.Lock()
	s.fresh = false
	s.mu.Unlock()
	if err != nil {
		return append(out, s.malformed(err.Error()))
	}
	s.count(func(st *StreamStats) { st.Frames++ })
	return append(out, Event{Kind: EventFrame, Cursor: pos, Frame: &Frame{Epoch: pos.Epoch, Sequence: pos.Seq, Item: item}})
}

// readFrame reads a frame's position and item. A known position with an
// error means the item is unusable.
func readFrame(ev sseEvent) (Cursor, Item, error) {
	var w wireFrame
	if err := json.Unmarshal([]byte(ev.Data), &w); err != nil {
		if c, cerr := ParseCursor(ev.ID); ev.HasID && cerr == nil {
			return c, Item{}, fmt.Errorf("frame %s: %v", c, err)
		}
		return Cursor{}, Item{}, fmt.Errorf("frame: %v", err)
	}
	epoch, err := epochOf(w.Epoch)
	if err != nil {
		return Cursor{}, Item{}, fmt.Errorf("frame: %v", err)
	}
	seq, err := intOf(w.Sequence)
	if err != nil || seq < 0 {
		return Cursor{}, Item{}, fmt.Errorf("frame: sequence %s is not a non-negative integer", clip(string(w.Sequence)))
	}
	pos := Cursor{Epoch: epoch, Seq: seq}
	if ev.HasID && ev.ID != pos.String() {
		return Cursor{}, Item{}, fmt.Errorf("frame: id %q does not match its data's position %s", clip(ev.ID), pos)
	}
	item, err := ParseItem(w.Item)
	if err != nil {
		return pos, Item{}, fmt.Errorf("frame %s: %v", pos, err)
	}
	return pos, item, nil
}

// epochOf accepts the epoch as text (what the SDK compares) or an integer.
func epochOf(raw json.RawMessage) (string, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s == "" || strings.ContainsRune(s, ':') {
			return "", fmt.Errorf("epoch %q: want non-empty text without a colon", clip(s))
		}
		return s, nil
	}
	if n, err := intOf(raw); err == nil {
		return strconv.FormatInt(n, 10), nil
	}
	return "", fmt.Errorf("epoch %s is neither text nor an integer", clip(string(raw)))
}

// intOf reads a JSON integer literal (no fraction or exponent: the SDK
// requires a Python int).
func intOf(raw json.RawMessage) (int64, error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || bytes.ContainsAny(t, ".eE\"") {
		return 0, errors.New("not an integer")
	}
	return strconv.ParseInt(string(t), 10, 64)
}

// ParseItem reads a frame's item as the SDK's live stream accepts it: an
// integer step and a list of outputs (actuation optional).
func ParseItem(raw json.RawMessage) (Item, error) {
	var w struct {
		Step      json.RawMessage `json:"step"`
		Outputs   json.RawMessage `json:"outputs"`
		Actuation json.RawMessage `json:"actuation"`
	}
	if err := json.Unmarshal(raw, &w); err != nil || !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		return Item{}, errors.New("item is not an object")
	}
	step, err := intOf(w.Step)
	if err != nil {
		return Item{}, fmt.Errorf("item step %s is not an integer", clip(string(w.Step)))
	}
	var outs []json.RawMessage
	if !bytes.HasPrefix(bytes.TrimSpace(w.Outputs), []byte("[")) || json.Unmarshal(w.Outputs, &outs) != nil {
		return Item{}, errors.New("item outputs is not a list")
	}
	it := Item{Step: step, Outputs: make([]OutputStep, 0, len(outs))}
	for _, o := range outs {
		var e struct {
			T       any             `json:"t"`
			Neurons json.RawMessage `json:"neurons"`
		}
		if json.Unmarshal(o, &e) != nil || !bytes.HasPrefix(bytes.TrimSpace(o), []byte("{")) {
			continue
		}
		var neurons []json.RawMessage
		_ = json.Unmarshal(e.Neurons, &neurons) // not a list: no neurons, as the SDK reads it
		st := OutputStep{Neurons: make([]string, 0, len(neurons))}
		st.T, _ = e.T.(float64)
		for _, n := range neurons {
			var id string
			if bytes.HasPrefix(n, []byte(`"`)) && json.Unmarshal(n, &id) == nil {
				st.Neurons = append(st.Neurons, id)
			}
		}
		it.Outputs = append(it.Outputs, st)
	}
	if t := bytes.TrimSpace(w.Actuation); len(t) > 0 && !bytes.Equal(t, []byte("null")) {
		it.Actuation = append(json.RawMessage(nil), t...)
	}
	return it, nil
}

// control handles gap and reset events. Their data may carry the device's
// "message" and the "cursor" to continue from.
func (s *Stream) control(ev sseEvent) []Event {
	msg := controlMessage(ev.Data)
	var d struct {
		Cursor string `json:"cursor"`
		Oldest string `json:"oldest"`
		Missed *int64 `json:"missed"`
	}
	_ = json.Unmarshal([]byte(ev.Data), &d)
	at, cerr := ParseCursor(d.Cursor)
	cur := s.Cursor()
	if ev.Type == "reset" {
		if msg == "" {
			msg = "the device reset the output stream"
		}
		if cerr != nil || at.Epoch == cur.Epoch {
			at = Cursor{} // the next hello or frame sets the position
		}
		return []Event{s.reset(at, msg)}
	}
	if msg == "" {
		msg = "the device reports lost output frames"
	}
	// Where the stream goes on: just before "oldest" (the first frame the
	// device still keeps), else "cursor" when it is further on than ours.
	if o, err := ParseCursor(d.Oldest); err == nil && o.Epoch == cur.Epoch && o.Seq > 0 {
		at, cerr = Cursor{Epoch: o.Epoch, Seq: o.Seq - 1}, nil
	}
	var missed int64
	switch {
	case cerr == nil && at.Epoch == cur.Epoch && at.Seq > cur.Seq:
		missed = at.Seq - cur.Seq
	case d.Missed != nil && *d.Missed > 0:
		missed = *d.Missed
	}
	if cerr != nil || at.Epoch != cur.Epoch || at.Seq <= cur.Seq {
		// No end given: the next frame's sequence tells the rest, and if the
		// stream ends first the next connection starts without a cursor.
		at = cur
		s.mu.Lock()
		s.fresh = true
		s.mu.Unlock()
	}
	return []Event{s.gap(at, missed, msg)}
}

func controlMessage(data string) string {
	var d struct {
		Message string `json:"message"`
	}
	if json.Unmarshal([]byte(data), &d) == nil {
		return cut(clip(d.Message))
	}
	return cut(clip(strings.TrimSpace(data)))
}
