package primalux

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// script answers the stream's connections in turn; past its end it sends
// an error event, so every Run in these tests ends.
type script struct {
	mu      sync.Mutex
	conns   []http.HandlerFunc
	cursors []string // the cursor each connection asked for
	replays []string
	lastIDs []string
}

func (s *script) handler(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	i := len(s.cursors)
	s.cursors = append(s.cursors, r.URL.Query().Get("cursor"))
	s.replays = append(s.replays, r.URL.Query().Get("replay"))
	s.lastIDs = append(s.lastIDs, r.Header.Get("Last-Event-ID"))
	s.mu.Unlock()
	if i < len(s.conns) {
		s.conns[i](w, r)
		return
	}
	sse(`event: error`+"\n"+`data: {"message":"script ended"}`+"\n\n")(w, r)
}

func (s *script) asked() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.cursors...)
}

func (s *script) replayed() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.replays...)
}

// sse writes text as an event stream and ends the response (a drop).
func sse(text string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		_, _ = io.WriteString(w, text)
		w.(http.Flusher).Flush()
	}
}

func hello(c string) string { return "event: hello\ndata: {\"cursor\":\"" + c + "\"}\n\n" }

// frame is a well-formed frame event whose item step is 100+seq.
func frame(epoch string, seq int) string {
	return fmt.Sprintf("event: frame\nid: %s:%d\ndata: {\"epoch\":%q,\"sequence\":%d,\"item\":{\"step\":%d,\"outputs\":[{\"t\":0,\"neurons\":[\"m:%d\"]}]}}\n\n",
		epoch, seq, epoch, seq, 100+seq, seq%4)
}

func runScript(t *testing.T, opts StreamOptions, conns ...http.HandlerFunc) (*script, *Stream, []Event, *fakeTime, error) {
	t.Helper()
	s := &script{conns: conns}
	c, _, ft := newTestClient(t, map[string]http.HandlerFunc{"GET /api/brain/stream": s.handler})
	st := c.Stream(opts)
	var events []Event
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := st.Run(ctx, func(e Event) error {
		events = append(events, e)
		return nil
	})
	return s, st, events, ft, err
}

// summary is the events as short text: "frame e1:2", "gap 3", "reset e2:0" ...
func summary(events []Event) []string {
	var out []string
	for _, e := range events {
		switch e.Kind {
		case EventFrame:
			out = append(out, fmt.Sprintf("frame %s step %d", e.Cursor, e.Frame.Item.Step))
		case EventGap:
			out = append(out, fmt.Sprintf("gap %d to %s", e.Missed, e.Cursor))
		case EventReset:
			out = append(out, "reset "+e.Cursor.String())
		default:
			out = append(out, e.Kind.String())
		}
	}
	return out
}

func TestStreamResumesWithoutLossOrRepeat(t *testing.T) {
	cut := frame("e1", 3)
	s, st, events, ft, err := runScript(t, StreamOptions{Replay: true},
		sse(hello("e1:0")+frame("e1", 1)+frame("e1", 2)+cut[:len(cut)/2]),
		sse(hello("e1:2")+frame("e1", 2)+cut+frame("e1", 4)),
	)
	var se *StreamError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "script ended", se.Message)
	assert.Equal(t, "prima-lux output stream error: script ended", se.Error())
	assert.Equal(t, []string{
		"connected", "frame e1:1 step 101", "frame e1:2 step 102", "disconnected",
		"connected", "frame e1:3 step 103", "frame e1:4 step 104", "disconnected",
	}, summary(events))
	assert.Equal(t, []string{"", "e1:2", "e1:4"}, s.asked(), "each resume asks from the last delivered frame")
	assert.Equal(t, []string{"", "e1:2", "e1:4"}, s.lastIDs)
	assert.Equal(t, []string{"1", "1", "1"}, s.replayed())
	stats := st.Stats()
	assert.Equal(t, 4, stats.Frames)
	assert.Equal(t, 1, stats.Duplicates)
	assert.Equal(t, 1, stats.Truncated)
	assert.Equal(t, 0, stats.Gaps)
	assert.Equal(t, 3, stats.Connects)
	assert.Equal(t, []time.Duration{DefaultMinBackoff, DefaultMinBackoff}, ft.slept(), "a connection that delivered resets the backoff")
	assert.Equal(t, Cursor{"e1", 4}, st.Cursor())
}

func TestStreamGapsAndResets(t *testing.T) {
	for _, tc := range []struct {
		name           string
		conns          []http.HandlerFunc
		want           []string
		check          func(*testing.T, StreamStats, []Event)
		asked, replays []string
	}{
		{name: "a sequence jump is a gap, reported then delivered",
			conns: []http.HandlerFunc{sse(hello("e1:0") + frame("e1", 1) + frame("e1", 4) + frame("e1", 5))},
			want:  []string{"connected", "frame e1:1 step 101", "gap 2 to e1:3", "frame e1:4 step 104", "frame e1:5 step 105", "disconnected"},
			check: func(t *testing.T, s StreamStats, _ []Event) { assert.Equal(t, int64(2), s.Missed) }},
		{name: "a gap event with a cursor moves on",
			conns: []http.HandlerFunc{sse(hello("e1:0") + frame("e1", 1) +
				"event: gap\ndata: {\"message\":\"replay buffer overflowed\",\"cursor\":\"e1:9\"}\n\n" + frame("e1", 10))},
			want: []string{"connected", "frame e1:1 step 101", "gap 8 to e1:9", "frame e1:10 step 110", "disconnected"},
			check: func(t *testing.T, _ StreamStats, ev []Event) {
				assert.Equal(t, "replay buffer overflowed", ev[2].Message)
			}},
		{name: "a gap event without a cursor: the next frame says the rest",
			conns: []http.HandlerFunc{sse(hello("e1:0") + frame("e1", 1) + "event: gap\ndata: {\"missed\":3}\n\n" + frame("e1", 5))},
			want:  []string{"connected", "frame e1:1 step 101", "gap 3 to e1:1", "gap 3 to e1:4", "frame e1:5 step 105", "disconnected"}},
		{name: "a gap the device cannot resume past: the oldest kept frame",
			conns: []http.HandlerFunc{sse(hello("e1:0") + frame("e1", 1)),
				sse("event: gap\ndata: {\"message\":\"frames after e1:1 are no longer kept\",\"cursor\":\"e1:1\",\"oldest\":\"e1:6\"}\n\n"),
				sse(hello("e1:5") + frame("e1", 6))},
			want:  []string{"connected", "frame e1:1 step 101", "disconnected", "gap 4 to e1:5", "disconnected", "connected", "frame e1:6 step 106", "disconnected"},
			check: func(t *testing.T, s StreamStats, _ []Event) { assert.Equal(t, int64(4), s.Missed) },
			asked: []string{"", "e1:1", "e1:5", "e1:6"}, replays: []string{"0", "0", "0", "0"}},
		{name: "a gap without a position, then a drop: the next connection asks afresh",
			conns: []http.HandlerFunc{sse(hello("e1:0") + frame("e1", 1)), sse("event: gap\ndata: {}\n\n"), sse(hello("e1:7") + frame("e1", 8))},
			want:  []string{"connected", "frame e1:1 step 101", "disconnected", "gap 0 to e1:1", "disconnected", "gap 6 to e1:7", "connected", "frame e1:8 step 108", "disconnected"},
			check: func(t *testing.T, s StreamStats, _ []Event) { assert.Equal(t, int64(6), s.Missed) },
			asked: []string{"", "e1:1", "", "e1:8"}, replays: []string{"0", "0", "1", "0"}},
		{name: "a reset then a drop: the next connection replays the new epoch",
			conns: []http.HandlerFunc{sse(hello("e1:0") + frame("e1", 1)),
				sse("event: reset\ndata: {\"message\":\"epoch changed\",\"epoch\":\"e2\",\"previous_epoch\":\"e1\"}\n\n"),
				sse(hello("e2:0") + frame("e2", 1))},
			want:  []string{"connected", "frame e1:1 step 101", "disconnected", "reset ", "disconnected", "connected", "frame e2:1 step 101", "disconnected"},
			asked: []string{"", "e1:1", "", "e2:1"}, replays: []string{"0", "0", "1", "0"}},
		{name: "a reset event restarts positions",
			conns: []http.HandlerFunc{sse(hello("e1:0") + frame("e1", 1) + "event: reset\ndata: {\"message\":\"dynamics reset\"}\n\n" +
				frame("e2", 0) + frame("e2", 1))},
			want: []string{"connected", "frame e1:1 step 101", "reset ", "frame e2:0 step 100", "frame e2:1 step 101", "disconnected"},
			check: func(t *testing.T, s StreamStats, ev []Event) {
				assert.Equal(t, "dynamics reset", ev[2].Message)
				assert.Equal(t, 1, s.Resets)
			}},
		{name: "a frame in a new epoch is a reset",
			conns: []http.HandlerFunc{sse(hello("e1:0") + frame("e1", 1) + frame("e2", 7))},
			want:  []string{"connected", "frame e1:1 step 101", "reset e2:6", "frame e2:7 step 107", "disconnected"}},
		{name: "resume: hello ahead of the cursor is a gap",
			conns: []http.HandlerFunc{sse(hello("e1:0") + frame("e1", 1)), sse(hello("e1:5") + frame("e1", 6))},
			want:  []string{"connected", "frame e1:1 step 101", "disconnected", "gap 4 to e1:5", "connected", "frame e1:6 step 106", "disconnected"}},
		{name: "resume: hello behind the cursor replays duplicates, dropped",
			conns: []http.HandlerFunc{sse(hello("e1:0") + frame("e1", 1) + frame("e1", 2)), sse(hello("e1:0") + frame("e1", 1) + frame("e1", 2) + frame("e1", 3))},
			want:  []string{"connected", "frame e1:1 step 101", "frame e1:2 step 102", "disconnected", "connected", "frame e1:3 step 103", "disconnected"},
			check: func(t *testing.T, s StreamStats, _ []Event) { assert.Equal(t, 2, s.Duplicates) }},
		{name: "resume: hello in another epoch is a reset",
			conns: []http.HandlerFunc{sse(hello("e1:0") + frame("e1", 1)), sse(hello("e2:0") + frame("e2", 1))},
			want:  []string{"connected", "frame e1:1 step 101", "disconnected", "reset e2:0", "connected", "frame e2:1 step 101", "disconnected"}},
		{name: "numeric epochs",
			conns: []http.HandlerFunc{sse(hello("7:0") + "event: frame\nid: 7:1\ndata: {\"epoch\":7,\"sequence\":1,\"item\":{\"step\":1,\"outputs\":[]}}\n\n")},
			want:  []string{"connected", "frame 7:1 step 1", "disconnected"}},
		{name: "frames before any hello",
			conns: []http.HandlerFunc{sse(frame("e1", 3) + frame("e1", 4))},
			want:  []string{"connected", "frame e1:3 step 103", "frame e1:4 step 104", "disconnected"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc, st, events, _, err := runScript(t, StreamOptions{}, tc.conns...)
			if tc.asked != nil {
				assert.Equal(t, tc.asked, sc.asked(), "cursors asked for")
				assert.Equal(t, tc.replays, sc.replayed(), "replay asked for")
			}
			var se *StreamError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tc.want, summary(events))
			if tc.check != nil {
				tc.check(t, st.Stats(), events)
			}
		})
	}
}

func TestStreamMalformed(t *testing.T) {
	_, st, events, _, err := runScript(t, StreamOptions{}, sse(hello("e1:0")+
		"event: frame\nid: e1:1\ndata: {not json\n\n"+ // position from the id
		frame("e1", 2)+
		"event: frame\nid: e1:9\ndata: {\"epoch\":\"e1\",\"sequence\":3,\"item\":{\"step\":3,\"outputs\":[]}}\n\n"+ // id disagrees
		"event: frame\nid: e1:3\ndata: {\"epoch\":\"e1\",\"sequence\":3,\"item\":{\"step\":\"3\",\"outputs\":[]}}\n\n"+
		"event: frame\nid: e1:4\ndata: {\"epoch\":\"e1\",\"sequence\":4,\"item\":{\"step\":4.0,\"outputs\":[]}}\n\n"+
		"event: frame\nid: e1:5\ndata: {\"epoch\":\"e1\",\"sequence\":5,\"item\":{\"step\":5}}\n\n"+
		"event: frame\ndata: [1,2]\n\n"+ // no position at all
		"event: frame\ndata: {\"epoch\":\"\",\"sequence\":6,\"item\":{}}\n\n"+
		"event: hello\ndata: {\"cursor\":\"nonsense\"}\n\n"+
		"event: telemetry\ndata: {}\n\n"+
		": ping\n\n"+
		frame("e1", 6)))
	var se *StreamError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, []string{"connected", "malformed", "frame e1:2 step 102", "malformed", "malformed", "malformed", "malformed",
		"malformed", "malformed", "malformed", "frame e1:6 step 106", "disconnected"}, summary(events))
	s := st.Stats()
	assert.Equal(t, 8, s.Malformed)
	assert.Equal(t, 2, s.Frames)
	assert.Equal(t, 0, s.Gaps, "an unreadable frame with a position still moves the cursor")
	assert.Equal(t, 1, s.Ignored)
	assert.Equal(t, 1, s.Heartbeats)
	assert.Contains(t, events[1].Err.Error(), "frame e1:1")
	assert.Contains(t, events[3].Err.Error(), `id "e1:9" does not match`)
	assert.Contains(t, events[4].Err.Error(), "step \"3\" is not an integer")
	assert.Contains(t, events[6].Err.Error(), "outputs is not a list")
}

func TestStreamHTTPRefusals(t *testing.T) {
	t.Run("401 ends Run", func(t *testing.T) {
		s, _, events, _, err := runScript(t, StreamOptions{}, jsonReply(401, `{"detail":"key revoked"}`))
		require.True(t, IsFatal(err), "%v", err)
		assert.Contains(t, err.Error(), "key revoked")
		assert.Empty(t, events)
		assert.Len(t, s.asked(), 1)
	})
	t.Run("503 with Retry-After, then a stream", func(t *testing.T) {
		_, _, events, ft, err := runScript(t, StreamOptions{},
			jsonReply(503, `{"detail":"starting"}`, "Retry-After", "4"), sse(hello("e1:0")+frame("e1", 1)))
		var se *StreamError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, []string{"disconnected", "connected", "frame e1:1 step 101", "disconnected"}, summary(events))
		assert.Contains(t, events[0].Err.Error(), "HTTP 503: starting")
		assert.Equal(t, 4*time.Second, ft.slept()[0])
	})
	t.Run("backoff doubles to its bound, the retry field sets its base", func(t *testing.T) {
		fail := jsonReply(502, `{}`)
		_, _, _, ft, err := runScript(t, StreamOptions{MaxFailures: 7}, sse("retry: 1500\n\n"), fail, fail, fail, fail, fail, fail, fail)
		require.ErrorContains(t, err, "7 connection attempts in a row failed")
		assert.Equal(t, []time.Duration{1500 * time.Millisecond, 3 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second}, ft.slept())
	})
}

func TestStreamIdleTimeout(t *testing.T) {
	silent := func(w http.ResponseWriter, r *http.Request) {
		sse(hello("e1:0"))(w, r)
		<-r.Context().Done() // says nothing more until the client gives up
	}
	s, st, events, _, err := runScript(t, StreamOptions{IdleTimeout: 100 * time.Millisecond}, silent, sse(hello("e1:0")+frame("e1", 1)))
	var se *StreamError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, []string{"connected", "disconnected", "connected", "frame e1:1 step 101", "disconnected"}, summary(events))
	assert.Contains(t, events[1].Err.Error(), "nothing received for 100ms")
	assert.Equal(t, []string{"", "e1:0", "e1:1"}, s.asked())
	assert.Equal(t, 0, st.Stats().Truncated)
}

func TestStreamHandlerErrorAndContext(t *testing.T) {
	s := &script{conns: []http.HandlerFunc{sse(hello("e1:0") + frame("e1", 1) + frame("e1", 2))}}
	c, _, _ := newTestClient(t, map[string]http.HandlerFunc{"GET /api/brain/stream": s.handler})
	stop := errors.New("enough")
	frames := 0
	err := c.Stream(StreamOptions{}).Run(context.Background(), func(e Event) error {
		if e.Kind == EventFrame {
			frames++
			return stop
		}
		return nil
	})
	require.ErrorIs(t, err, stop)
	assert.Equal(t, 1, frames)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = c.Stream(StreamOptions{}).Run(ctx, func(Event) error { return nil })
	require.ErrorIs(t, err, context.Canceled)
}

func TestParseItem(t *testing.T) {
	it, err := ParseItem([]byte(`{"step":9,"outputs":[{"t":2,"neurons":["a:1",5,"b:0",null]},"junk",{"t":3},{"neurons":"x"}],"actuation":{"channels":{"left":2}}}`))
	require.NoError(t, err)
	assert.Equal(t, int64(9), it.Step)
	assert.Equal(t, []OutputStep{{T: 2, Neurons: []string{"a:1", "b:0"}}, {T: 3, Neurons: []string{}}, {Neurons: []string{}}}, it.Outputs)
	assert.JSONEq(t, `{"channels":{"left":2}}`, string(it.Actuation))
	for _, bad := range []string{`[]`, `{"outputs":[]}`, `{"step":true,"outputs":[]}`, `{"step":1e2,"outputs":[]}`, `{"step":1,"outputs":{}}`, `{"step":1,"outputs":null}`} {
		_, err := ParseItem([]byte(bad))
		assert.Error(t, err, bad)
	}
	it, err = ParseItem([]byte(`{"step":-3,"outputs":[],"actuation":null}`))
	require.NoError(t, err)
	assert.Nil(t, it.Actuation)
	assert.True(t, strings.HasPrefix(fmt.Sprint(it.Step), "-3"))
}
