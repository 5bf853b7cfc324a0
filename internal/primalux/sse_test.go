package primalux

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSSEReader(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       string
		want     []sseEvent
		end      error
		comments int
		retry    time.Duration
		pending  bool
	}{
		{name: "one event", in: "event: frame\nid: e:1\ndata: {\"a\":1}\n\n",
			want: []sseEvent{{Type: "frame", ID: "e:1", HasID: true, Data: `{"a":1}`}}, end: io.EOF},
		{name: "default type and multi-line data", in: "data: one\ndata:two\ndata:  three\n\n",
			want: []sseEvent{{Type: "message", Data: "one\ntwo\n three"}}, end: io.EOF},
		{name: "CRLF and CR line ends", in: "event: a\r\ndata: 1\r\n\r\nevent: b\rdata: 2\r\r",
			want: []sseEvent{{Type: "a", Data: "1"}, {Type: "b", Data: "2"}}, end: io.EOF},
		{name: "comments are heartbeats", in: ": ping\n\n:\nevent: hello\n: in between\ndata: {}\n\n: ping\n\n",
			want: []sseEvent{{Type: "hello", Data: "{}"}}, end: io.EOF, comments: 4},
		{name: "a block without data is dropped", in: "event: frame\nid: e:9\n\ndata: x\n\n",
			want: []sseEvent{{Type: "message", Data: "x"}}, end: io.EOF},
		{name: "empty data line dispatches empty data", in: "data:\n\n", want: []sseEvent{{Type: "message", Data: ""}}, end: io.EOF},
		{name: "field without colon", in: "data\n\n", want: []sseEvent{{Type: "message", Data: ""}}, end: io.EOF},
		{name: "unknown fields ignored", in: "foo: bar\ndata: x\n\n", want: []sseEvent{{Type: "message", Data: "x"}}, end: io.EOF},
		{name: "retry digits only", in: "retry: 1500\nretry: 2x\nretry: -1\ndata: x\n\n",
			want: []sseEvent{{Type: "message", Data: "x"}}, end: io.EOF, retry: 1500 * time.Millisecond},
		{name: "id with NUL ignored", in: "id: a\x00b\ndata: x\n\n", want: []sseEvent{{Type: "message", Data: "x"}}, end: io.EOF},
		{name: "cut inside a line", in: "event: frame\ndata: {\"epo", end: io.ErrUnexpectedEOF, pending: true},
		{name: "cut after a line", in: "data: x\n\nevent: frame\ndata: {}\n",
			want: []sseEvent{{Type: "message", Data: "x"}}, end: io.ErrUnexpectedEOF, pending: true},
		{name: "cut after a heartbeat is clean", in: "data: x\n\n: ping\n", want: []sseEvent{{Type: "message", Data: "x"}}, end: io.EOF, comments: 1},
		{name: "line too long", in: "data: " + strings.Repeat("x", maxSSELine+1) + "\n\n", end: errSSELineTooLong, pending: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// One byte at a time finds the \r-at-the-end-of-the-buffer case.
			for _, r := range []io.Reader{strings.NewReader(tc.in), iotest.OneByteReader(strings.NewReader(tc.in))} {
				if len(tc.in) > 1<<16 {
					r = strings.NewReader(tc.in)
				}
				sr := newSSEReader(r)
				var got []sseEvent
				var err error
				for range 100 {
					var ev sseEvent
					if ev, err = sr.Next(); err != nil {
						break
					}
					got = append(got, ev)
				}
				assert.Equal(t, tc.want, got)
				assert.True(t, errors.Is(err, tc.end), "ended with %v, want %v", err, tc.end)
				assert.Equal(t, tc.comments, sr.comments)
				assert.Equal(t, tc.retry, sr.retry)
				if tc.end != errSSELineTooLong {
					assert.Equal(t, tc.pending, sr.pending)
				}
			}
		})
	}
}

func TestParseCursor(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Cursor
		err  bool
	}{
		{in: "e1:0", want: Cursor{"e1", 0}},
		{in: "1733:42", want: Cursor{"1733", 42}},
		{in: "run-7f:9007199254740993", want: Cursor{"run-7f", 9007199254740993}},
		{in: "", err: true},
		{in: "e1", err: true},
		{in: ":3", err: true},
		{in: "e1:", err: true},
		{in: "e1:-1", err: true},
		{in: "e1:+1", err: true},
		{in: "e1:1.5", err: true},
		{in: "a:b:3", err: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			c, err := ParseCursor(tc.in)
			if tc.err {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, c)
			assert.Equal(t, tc.in, c.String())
		})
	}
}
