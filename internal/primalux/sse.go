package primalux

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
)

// sseEvent is one dispatched server-sent event.
type sseEvent struct {
	Type  string // "message" when the event named none
	Data  string // data lines joined by \n
	ID    string // the id given in this event's block
	HasID bool
}

// sseReader parses text/event-stream as the WHATWG rules say: lines end in
// \n, \r\n or \r; ":" starts a comment (a heartbeat); "field: value" loses
// one leading space of value; data lines accumulate; a blank line dispatches
// an event with data (a block without data lines is dropped); "retry" with
// only digits sets the reconnection delay; an id with NUL is ignored.
type sseReader struct {
	sc       *bufio.Scanner
	retry    time.Duration // last valid retry field; 0 when none
	comments int
	// pending says a block was being read when the stream ended: a drop in
	// the middle of an event, which is discarded (the spec's rule).
	pending bool
}

// maxSSELine bounds one line; a longer one ends the connection (the frame is
// counted malformed and fetched again on resume).
const maxSSELine = 1 << 20

var errSSELineTooLong = errors.New("event stream line longer than 1 MiB")

func newSSEReader(r io.Reader) *sseReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxSSELine)
	sc.Split(splitSSELines)
	return &sseReader{sc: sc}
}

// splitSSELines is bufio.ScanLines for all three line ends.
func splitSSELines(data []byte, atEOF bool) (int, []byte, error) {
	if atEOF && len(data) == 0 {
		return 0, nil, nil
	}
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		if data[i] == '\n' {
			return i + 1, data[:i], nil
		}
		if i+1 < len(data) {
			if data[i+1] == '\n' {
				return i + 2, data[:i], nil
			}
			return i + 1, data[:i], nil
		}
		if atEOF {
			return i + 1, data[:i], nil
		}
		return 0, nil, nil // a \r at the end: is a \n next?
	}
	if atEOF {
		// A last line without an end is not a complete line; drop it.
		return len(data), nil, errUnterminated
	}
	return 0, nil, nil
}

var errUnterminated = errors.New("stream ended inside a line")

// Next returns the next event, or the error that ended the stream (io.EOF
// for a clean end).
func (r *sseReader) Next() (sseEvent, error) {
	var ev sseEvent
	var data strings.Builder
	hasData := false
	for r.sc.Scan() {
		line := r.sc.Text()
		if line == "" {
			if !hasData {
				ev, hasData = sseEvent{}, false
				r.pending = false
				continue
			}
			r.pending = false
			if ev.Type == "" {
				ev.Type = "message"
			}
			ev.Data = data.String()
			return ev, nil
		}
		if line[0] == ':' {
			r.comments++
			continue
		}
		r.pending = true
		field, value, found := strings.Cut(line, ":")
		if found {
			value = strings.TrimPrefix(value, " ")
		}
		switch field {
		case "event":
			ev.Type = value
		case "data":
			if hasData {
				data.WriteByte('\n')
			}
			data.WriteString(value)
			hasData = true
		case "id":
			if !strings.ContainsRune(value, 0) {
				ev.ID, ev.HasID = value, true
			}
		case "retry":
			if ms, err := strconv.ParseUint(value, 10, 31); err == nil && value != "" && strings.Trim(value, "0123456789") == "" {
				r.retry = time.Duration(ms) * time.Millisecond
			}
		}
	}
	err := r.sc.Err()
	switch {
	case errors.Is(err, bufio.ErrTooLong):
		return sseEvent{}, errSSELineTooLong
	case errors.Is(err, errUnterminated):
		r.pending = true
		return sseEvent{}, io.ErrUnexpectedEOF
	case err != nil:
		return sseEvent{}, err
	}
	if r.pending || hasData {
		r.pending = true
		return sseEvent{}, io.ErrUnexpectedEOF
	}
	return sseEvent{}, io.EOF
}
