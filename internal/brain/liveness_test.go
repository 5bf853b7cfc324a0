package brain

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ws "github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wireBrain speaks Engine.IO v4 / Socket.IO v5 over a websocket by hand, so
// that a test can make it misbehave the way real servers do: send CLOSE
// and keep the socket open (async python-socketio on shutdown), refuse a
// run:join through its acknowledgement, or fall silent.
type wireBrain struct {
	t   *testing.T
	srv *httptest.Server

	// onJoin answers a run:join: the ack payload (nil: no ack) and whether
	// to start sending io:need for the run.
	onJoin func(run string) (ack map[string]any, flow bool)

	frozen atomic.Bool // io:need stops flowing, the connection stays

	mu     sync.Mutex
	joins  []string
	conns  int
	closes chan struct{} // one per client connection that ended
}

var eventRE = regexp.MustCompile(`^42/ab,(\d*)(\[.*\])$`)

func startWireBrain(t *testing.T, onJoin func(string) (map[string]any, bool)) *wireBrain {
	b := &wireBrain{t: t, onJoin: onJoin, closes: make(chan struct{}, 16)}
	up := ws.Upgrader{}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		b.mu.Lock()
		b.conns++
		n := b.conns
		b.mu.Unlock()
		b.serve(c, n)
		b.closes <- struct{}{}
	}))
	t.Cleanup(b.srv.Close)
	return b
}

func (b *wireBrain) url() string { return b.srv.URL }

func (b *wireBrain) joined() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.joins...)
}

// serve runs one client connection until it ends; a client's messages are
// answered on this goroutine, io:need flows from another.
func (b *wireBrain) serve(c *ws.Conn, conn int) {
	defer c.Close()
	var wmu sync.Mutex
	send := func(s string) error {
		wmu.Lock()
		defer wmu.Unlock()
		return c.WriteMessage(ws.TextMessage, []byte(s))
	}
	if send(fmt.Sprintf(`0{"sid":"e%d","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`, conn)) != nil {
		return
	}
	done := make(chan struct{})
	defer close(done)
	for {
		_, msg, err := c.ReadMessage()
		if err != nil {
			return
		}
		m := string(msg)
		switch {
		case m == "3": // pong
		case strings.HasPrefix(m, "40/ab,"):
			_ = send(fmt.Sprintf(`40/ab,{"sid":"s%d"}`, conn))
		case eventRE.MatchString(m):
			parts := eventRE.FindStringSubmatch(m)
			var ev []json.RawMessage
			if json.Unmarshal([]byte(parts[2]), &ev) != nil || len(ev) < 2 || string(ev[0]) != `"run:join"` {
				continue
			}
			var p struct{ RunID string }
			_ = json.Unmarshal(ev[1], &p)
			b.mu.Lock()
			b.joins = append(b.joins, p.RunID)
			b.mu.Unlock()
			ack, flow := b.onJoin(p.RunID)
			if ack != nil && parts[1] != "" {
				a, _ := json.Marshal([]any{ack})
				_ = send("43/ab," + parts[1] + string(a))
			}
			if ack != nil && ack["close"] == true {
				_ = send("1") // Engine.IO CLOSE, and the socket stays open
			}
			if flow {
				go func(run string) {
					for cycle := 1; ; cycle++ {
						select {
						case <-done:
							return
						case <-time.After(20 * time.Millisecond):
						}
						if b.frozen.Load() {
							continue
						}
						if send(fmt.Sprintf(`42/ab,["io:need",{"runId":%q,"cycle":%d,"needs":[]}]`, run, cycle)) != nil {
							return
						}
					}
				}(p.RunID)
			}
		}
	}
}

func drainNeeds(r *recorder) {
	for {
		select {
		case <-r.needs:
		default:
			return
		}
	}
}

func waitLink(t *testing.T, r *recorder, up bool) Link {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case l := <-r.links:
			if l.Up == up {
				return l
			}
		case <-deadline:
			t.Fatalf("no link up=%v", up)
		}
	}
}

func dialWire(t *testing.T, b *wireBrain, conf SessionConfig) *Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conf.URL, conf.Logger = b.url(), quietLogger()
	if conf.RunID == "" {
		conf.RunID = "r1"
	}
	s, err := Dial(ctx, conf)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestEngineIOCloseIsHonoured: a server that sends CLOSE and keeps the
// websocket open (what async python-socketio does on shutdown) is left at
// once, not at the ping timeout 45 s later, and the session dials again.
func TestEngineIOCloseIsHonoured(t *testing.T) {
	first := true
	var mu sync.Mutex
	b := startWireBrain(t, func(string) (map[string]any, bool) {
		mu.Lock()
		defer mu.Unlock()
		ack := map[string]any{"ok": true, "close": first}
		first = false
		return ack, true
	})
	rec := newRecorder()
	s := dialWire(t, b, SessionConfig{Handler: rec})
	l := waitLink(t, rec, false)
	assert.Contains(t, l.Reason, "disconnected")
	select {
	case <-b.closes:
	case <-time.After(10 * time.Second):
		t.Fatal("the client kept the websocket the server had closed")
	}
	waitLink(t, rec, true)
	waitNeed(t, rec)
	st := s.Stats()
	assert.Equal(t, int64(1), st.ServerCloses)
	assert.Equal(t, int64(1), st.Reconnects)
}

// TestRefusedJoinMeansTheRunIsGone: an acknowledgement {ok: false} to
// run:join reports the run gone; nothing is sent for it; SetRun joins the
// new run on the same connection and needs flow again.
func TestRefusedJoinMeansTheRunIsGone(t *testing.T) {
	b := startWireBrain(t, func(run string) (map[string]any, bool) {
		if run == "r1" {
			return map[string]any{"ok": false, "error": "unknown run"}, false
		}
		return map[string]any{"ok": true}, true
	})
	rec := newRecorder()
	s := dialWire(t, b, SessionConfig{Handler: rec, Silence: time.Minute})
	select {
	case g := <-s.RunGone():
		assert.Equal(t, "r1", g.Run)
		assert.Contains(t, g.Reason, "unknown run")
	case <-time.After(10 * time.Second):
		t.Fatal("refused join not reported")
	}
	assert.ErrorIs(t, s.SendState(RobotState{Q: []float64{0}}), ErrDisconnected, "nothing is sent for a run the brain does not know")
	assert.Contains(t, waitLink(t, rec, false).Reason, "run gone")
	s.SetRun("r2")
	assert.Equal(t, "r2", waitLink(t, rec, true).Run)
	need := waitNeed(t, rec)
	assert.Equal(t, "r2", need.RunID)
	require.NoError(t, s.SendState(RobotState{Q: []float64{0}}))
	assert.Equal(t, []string{"r1", "r2"}, b.joined())
	assert.Equal(t, int64(0), s.Stats().Reconnects, "same connection")
}

// TestSilentJoinMeansTheRunIsGone: a server that accepts the join of a run
// it does not know and then says nothing (Node socket.io and python-socketio
// brains without acks) is judged by the silence window.
func TestSilentJoinMeansTheRunIsGone(t *testing.T) {
	b := startWireBrain(t, func(run string) (map[string]any, bool) { return nil, run != "r1" })
	rec := newRecorder()
	s := dialWire(t, b, SessionConfig{Handler: rec, Silence: 300 * time.Millisecond})
	select {
	case g := <-s.RunGone():
		assert.Contains(t, g.Reason, "no io:need within 300ms")
	case <-time.After(10 * time.Second):
		t.Fatal("silent join not reported")
	}
	assert.Contains(t, waitLink(t, rec, false).Reason, "run gone")
	s.SetRun("r2")
	waitNeed(t, rec)
	assert.Equal(t, int64(1), s.Stats().RunsGone)
}

// TestSilentBrainIsDroppedAndDialledAgain: a run that stops hearing io:need
// (a frozen or stuck brain) loses its connection after the silence window
// and the session dials again; the run is asked for again, not abandoned.
func TestSilentBrainIsDroppedAndDialledAgain(t *testing.T) {
	var mu sync.Mutex
	joins := 0
	b := startWireBrain(t, func(string) (map[string]any, bool) {
		mu.Lock()
		defer mu.Unlock()
		joins++
		return map[string]any{"ok": true}, true
	})
	rec := newRecorder()
	s := dialWire(t, b, SessionConfig{Handler: rec, Silence: 300 * time.Millisecond})
	waitNeed(t, rec)
	b.frozen.Store(true)
	assert.Contains(t, waitLink(t, rec, false).Reason, "disconnected")
	b.frozen.Store(false)
	waitLink(t, rec, true)
	drainNeeds(rec)
	waitNeed(t, rec)
	st := s.Stats()
	assert.Equal(t, int64(1), st.Silences)
	assert.GreaterOrEqual(t, st.Reconnects, int64(1))
	assert.Equal(t, int64(0), st.RunsGone, "a brain that was only stuck still knows the run")
	mu.Lock()
	defer mu.Unlock()
	assert.GreaterOrEqual(t, joins, 2)
}

// TestDialToAServerThatNeverAnswersIsBounded: a server that accepts TCP and
// never answers the websocket upgrade (a frozen process) ends each attempt
// after the handshake timeout instead of holding it for ever.
func TestDialToAServerThatNeverAnswersIsBounded(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	var held []net.Conn
	var hmu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			hmu.Lock()
			held = append(held, c) // accepted, never answered
			hmu.Unlock()
		}
	}()
	defer func() {
		hmu.Lock()
		for _, c := range held {
			_ = c.Close()
		}
		hmu.Unlock()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = Dial(ctx, SessionConfig{URL: "http://" + ln.Addr().String(), RunID: "r1", Handler: newRecorder(),
		DialTimeout: 3 * handshakeTimeout, Logger: quietLogger()})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "timeout", "the last attempt ended on the handshake timeout, not held by the server")
	hmu.Lock()
	defer hmu.Unlock()
	assert.GreaterOrEqual(t, len(held), 2, "attempts kept coming")
}
