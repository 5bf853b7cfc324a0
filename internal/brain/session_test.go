package brain

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"math"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// logSink is a goroutine-safe log destination a test can read back.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logSink) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func TestDialJoinsWithAuth(t *testing.T) {
	tests := []struct {
		name string
		key  string
	}{
		{"with key", "s3cret-key"},
		{"without key", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := startTestBrain(t, tc.key)
			logs := &logSink{}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			s, err := Dial(ctx, SessionConfig{URL: b.url(), APIKey: tc.key, RunID: "run-1", Handler: newRecorder(), Logger: logs.logger()})
			require.NoError(t, err)
			defer func() { require.NoError(t, s.Close()) }()

			assert.Equal(t, "run-1", b.waitJoin(5*time.Second))
			assert.True(t, s.Connected())
			hs := b.lastHandshake()
			h := hs.Headers.Header()
			if tc.key == "" {
				assert.Empty(t, h.Get("x-api-key"))
				assert.Empty(t, h.Get("Authorization"))
				assert.Empty(t, hs.Auth)
			} else {
				assert.Equal(t, tc.key, h.Get("x-api-key"))
				assert.Equal(t, "Bearer "+tc.key, h.Get("Authorization"))
				assert.Equal(t, map[string]any{"token": tc.key, "apiKey": tc.key}, hs.Auth)
				assert.NotContains(t, logs.String(), tc.key, "the key must never reach the log")
			}
			st := s.Stats()
			assert.Equal(t, int64(1), st.Connects)
			assert.Equal(t, int64(0), st.Reconnects)
			assert.Equal(t, int64(1), st.Sent[EventRunJoin])
		})
	}
}

func TestDialRefusedKeyIsNotRetried(t *testing.T) {
	b := startTestBrain(t, "good-key")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// A long DialTimeout: only the refusal path can end Dial in time.
	_, err := Dial(ctx, SessionConfig{URL: b.url(), APIKey: "bad-key", RunID: "r", Handler: newRecorder(), DialTimeout: time.Minute, Logger: quietLogger()})
	require.Error(t, err)
	var rej *RejectedError
	require.ErrorAs(t, err, &rej)
	assert.Equal(t, "invalid api key", rej.Message)
	assert.Equal(t, map[string]any{"code": "auth"}, rej.Data)
	require.NoError(t, ctx.Err(), "Dial must fail on the refusal, not on a timeout")

	// Longer than the first reconnect delay: a retry would show up.
	time.Sleep(2500 * time.Millisecond)
	assert.Equal(t, 1, b.attemptCount(), "a refused key must not be retried")
	assert.Zero(t, b.joinCount())
}

func TestDialFailsWithoutServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	tests := []struct {
		name    string
		timeout time.Duration
		cancel  bool
		want    string
	}{
		{"dial timeout", 1500 * time.Millisecond, false, "not joined within"},
		{"context cancelled", time.Minute, true, context.Canceled.Error()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancel {
				time.AfterFunc(500*time.Millisecond, cancel)
			}
			_, err := Dial(ctx, SessionConfig{URL: "http://" + addr, RunID: "r", Handler: newRecorder(), DialTimeout: tc.timeout, Logger: quietLogger()})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			eventually(t, 5*time.Second, "package goroutines gone", func() bool { return len(goroutinesOfPackage()) == 0 })
		})
	}
}

func TestDialValidatesConfig(t *testing.T) {
	tests := []struct {
		name string
		conf SessionConfig
		want string
	}{
		{"no run", SessionConfig{URL: "http://127.0.0.1:1", Handler: newRecorder()}, "run id"},
		{"no handler", SessionConfig{URL: "http://127.0.0.1:1", RunID: "r"}, "handler"},
		{"bad scheme", SessionConfig{URL: "ftp://h", RunID: "r", Handler: newRecorder()}, "scheme"},
		{"no host", SessionConfig{URL: "http://", RunID: "r", Handler: newRecorder()}, "no host"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Dial(context.Background(), tc.conf)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestRejoinAfterServerSideDisconnect(t *testing.T) {
	tests := []struct {
		name      string
		closeConn bool
	}{
		{"namespace only", false},
		{"whole connection", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := startTestBrain(t, "")
			s := dialTest(t, b, "", "run-7", newRecorder())
			require.Equal(t, "run-7", b.waitJoin(5*time.Second))

			b.kick(tc.closeConn)
			eventually(t, 5*time.Second, "disconnect seen", func() bool { return s.Stats().Disconnects == 1 })
			assert.Equal(t, "run-7", b.waitJoin(10*time.Second), "run:join after the server's disconnect")
			eventually(t, 5*time.Second, "connected again", s.Connected)
			st := s.Stats()
			assert.Equal(t, int64(2), st.Connects)
			assert.Equal(t, int64(1), st.Reconnects)
		})
	}
}

func TestRejoinAfterServerRestart(t *testing.T) {
	b := startTestBrain(t, "k")
	s := dialTest(t, b, "k", "run-r", newRecorder())
	require.Equal(t, "run-r", b.waitJoin(5*time.Second))

	b.stop()
	eventually(t, 5*time.Second, "disconnected", func() bool { return !s.Connected() })
	// Down long enough for failed attempts, which must be retried.
	time.Sleep(3 * time.Second)
	b.listen(b.addr)
	assert.Equal(t, "run-r", b.waitJoin(20*time.Second), "run:join on the restarted server")
	eventually(t, 5*time.Second, "connected again", s.Connected)
	assert.Equal(t, int64(1), s.Stats().Reconnects)
	assert.Equal(t, "k", b.lastHandshake().Auth["token"], "auth sent again on reconnect")
}

func TestChunkArrivesAsBinaryAttachment(t *testing.T) {
	b := startTestBrain(t, "")
	s := dialTest(t, b, "", "run-c", newRecorder())
	b.waitJoin(5 * time.Second)

	data := make([]byte, 60<<10)
	_, _ = rand.Read(data)
	sent := bytes.Clone(data)
	require.NoError(t, s.SendChunk(Chunk{
		InputID: "cam_rgb", Kind: "Image", Seq: 3, T: 1700000000.25, Format: "jpeg",
		Meta: map[string]any{"cycle": int64(12), "width": 64, "height": 48}, Data: data,
	}))
	// The caller may reuse its buffer once SendChunk returns.
	for i := range data {
		data[i] = 0
	}
	got := b.waitEvent(EventChunk, 5*time.Second)
	buf, ok := got["data"].(types.BufferInterface)
	require.True(t, ok, "data arrives as %T, want a binary attachment", got["data"])
	assert.Equal(t, sent, buf.Bytes())
	assert.Equal(t, "run-c", got["runId"])
	assert.Equal(t, "cam_rgb", got["inputId"])
	assert.Equal(t, "Image", got["kind"])
	assert.Equal(t, float64(3), got["seq"])
	assert.Equal(t, 1700000000.25, got["t"])
	assert.Equal(t, "jpeg", got["format"])
	assert.Equal(t, map[string]any{"cycle": float64(12), "width": float64(64), "height": float64(48)}, got["meta"])
	assert.Equal(t, int64(1), s.Stats().Sent[EventChunk])
}

func TestStateAndRewardOnTheWire(t *testing.T) {
	b := startTestBrain(t, "")
	s := dialTest(t, b, "", "run-s", newRecorder())
	b.waitJoin(5 * time.Second)

	grip := 0.25
	require.NoError(t, s.SendState(RobotState{Q: []float64{0.1, -0.2}, DQ: []float64{0, 1.5}, Grip: &grip, DT: 0.05}))
	got := b.waitEvent(EventRobotState, 5*time.Second)
	assert.Equal(t, map[string]any{"runId": "run-s", "state": map[string]any{
		"q": []any{0.1, -0.2}, "dq": []any{float64(0), 1.5}, "grip": map[string]any{"pos": 0.25}, "dt": 0.05,
	}}, got)

	require.NoError(t, s.SendState(RobotState{Q: []float64{1}, DT: 0.05}))
	got = b.waitEvent(EventRobotState, 5*time.Second)
	assert.Equal(t, map[string]any{"q": []any{float64(1)}, "dt": 0.05}, got["state"], "nil fields left out")

	require.NoError(t, s.SendReward(Reward{Cycle: 9, Global: 1.7, ByLayer: map[string]float64{"L1": -0.3, "L2": 0.4, "L3": math.NaN()}}))
	got = b.waitEvent(EventReward, 5*time.Second)
	assert.Equal(t, map[string]any{"runId": "run-s", "cycle": float64(9), "globalReward": float64(1),
		"byLayer": map[string]any{"L1": float64(0), "L2": 0.4, "L3": NeutralReward}}, got)
	assert.Equal(t, int64(3), s.Stats().RewardClamps)
}

func TestSendsWhileDisconnectedAreDroppedNotReplayed(t *testing.T) {
	b := startTestBrain(t, "")
	s := dialTest(t, b, "", "run-d", newRecorder())
	b.waitJoin(5 * time.Second)

	b.stop()
	eventually(t, 5*time.Second, "disconnected", func() bool { return !s.Connected() })
	const stale = 5
	for i := range stale {
		err := s.SendChunk(Chunk{InputID: "cam", Kind: "Image", Seq: int64(i + 1), Format: "jpeg", Data: []byte{1, 2, 3}})
		require.ErrorIs(t, err, ErrDisconnected)
	}
	require.ErrorIs(t, s.SendState(RobotState{DT: 0.05}), ErrDisconnected)
	st := s.Stats()
	assert.Equal(t, int64(stale), st.Dropped[EventChunk])
	assert.Equal(t, int64(1), st.Dropped[EventRobotState])

	b.listen(b.addr)
	b.waitJoin(20 * time.Second)
	eventually(t, 5*time.Second, "connected again", s.Connected)
	require.NoError(t, s.SendChunk(Chunk{InputID: "cam", Kind: "Image", Seq: 100, Format: "jpeg", Data: []byte{9}}))
	// Replayed stale chunks would arrive before this one.
	got := b.waitEvent(EventChunk, 5*time.Second)
	assert.Equal(t, float64(100), got["seq"])
}

func TestMalformedEventsAreCountedNotDelivered(t *testing.T) {
	b := startTestBrain(t, "")
	rec := newRecorder()
	logs := &logSink{}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := Dial(ctx, SessionConfig{URL: b.url(), RunID: "run-m", Handler: rec, Logger: logs.logger()})
	require.NoError(t, err)
	defer func() { _ = s.Close() }()
	b.waitJoin(5 * time.Second)

	badNeeds := []any{
		"not an object",
		float64(3),
		[]any{1, 2},
		map[string]any{"needs": []any{}}, // no cycle
		map[string]any{"cycle": "7", "needs": []any{}},                                   // cycle as text
		map[string]any{"cycle": 1.5, "needs": []any{}},                                   // fractional cycle
		map[string]any{"cycle": -1, "needs": []any{}},                                    // negative cycle
		map[string]any{"cycle": 1},                                                       // no needs
		map[string]any{"cycle": 1, "needs": "cam"},                                       // needs not a list
		map[string]any{"cycle": 1, "needs": []any{"cam"}},                                // item not an object
		map[string]any{"cycle": 1, "needs": []any{map[string]any{"kind": "Image"}}},      // item without id
		map[string]any{"cycle": 1, "needs": []any{map[string]any{"id": 3}}},              // id not a string
		map[string]any{"cycle": 1, "needs": []any{map[string]any{"id": "a", "kind": 1}}}, // kind not a string
		map[string]any{"cycle": 1, "needs": []any{}, "deadlineMs": "soon"},               // deadline not a number
		map[string]any{"cycle": 1, "needs": []any{}, "runId": 42},                        // runId not a string
	}
	badCycles := []any{
		"text",
		nil,
		map[string]any{"outputs": []any{}}, // no cycle
		map[string]any{"cycle": true},      // cycle not a number
		map[string]any{"cycle": 2, "outputs": "rows"}, // outputs not a list
	}
	for _, p := range badNeeds {
		b.emit(EventNeed, p)
	}
	for _, p := range badCycles {
		b.emit(EventCycleUpdate, p)
	}
	// Events keep their order on one connection: once these arrive, every
	// bad one before them has been handled.
	b.emit(EventNeed, map[string]any{"runId": "run-m", "cycle": 5, "deadlineMs": 40,
		"needs": []any{map[string]any{"id": "cam", "kind": "Image", "width": 64}}})
	b.emit(EventCycleUpdate, map[string]any{"cycle": 5, "outputs": []any{[]any{0, "V1", []any{1, 0}}}})

	select {
	case n := <-rec.needs:
		assert.Equal(t, int64(5), n.Cycle)
		assert.Equal(t, "run-m", n.RunID)
		assert.Equal(t, 40, n.DeadlineMs)
		assert.Equal(t, []NeedItem{{ID: "cam", Kind: "Image", Extra: map[string]any{"width": float64(64)}}}, n.Needs)
	case <-time.After(5 * time.Second):
		t.Fatal("the valid io:need did not arrive")
	}
	select {
	case u := <-rec.cycles:
		assert.Equal(t, int64(5), u.Cycle)
		assert.Equal(t, 1, outputRows(u))
	case <-time.After(5 * time.Second):
		t.Fatal("the valid cycle:update did not arrive")
	}
	assert.Empty(t, rec.needs, "no malformed need reached the handler")
	assert.Empty(t, rec.cycles, "no malformed cycle reached the handler")
	st := s.Stats()
	assert.Equal(t, int64(len(badNeeds)), st.Malformed[EventNeed])
	assert.Equal(t, int64(len(badCycles)), st.Malformed[EventCycleUpdate])
	assert.Equal(t, int64(1), st.Needs)
	assert.Equal(t, int64(1), st.Cycles)
	// One line per kind within the throttle period, however many events.
	out := logs.String()
	assert.Equal(t, 1, bytes.Count([]byte(out), []byte("event=io:need")), out)
	assert.Equal(t, 1, bytes.Count([]byte(out), []byte("event=cycle:update")), out)
}

func TestOtherRunsAndUnusedEventsAreCounted(t *testing.T) {
	b := startTestBrain(t, "")
	rec := newRecorder()
	s := dialTest(t, b, "", "mine", rec)
	b.waitJoin(5 * time.Second)

	b.emit(EventNeed, map[string]any{"runId": "theirs", "cycle": 1, "needs": []any{}})
	b.emit(EventCycleUpdate, map[string]any{"runId": "theirs", "cycle": 1})
	b.emit(EventRobotCmd, map[string]any{"dq": []any{0.1}})
	b.emit(EventCycleUpdate, map[string]any{"cycle": 2})

	select {
	case u := <-rec.cycles:
		assert.Equal(t, int64(2), u.Cycle)
	case <-time.After(5 * time.Second):
		t.Fatal("cycle:update of this run did not arrive")
	}
	assert.Empty(t, rec.needs)
	st := s.Stats()
	assert.Equal(t, int64(2), st.OtherRun)
	assert.Equal(t, map[string]int64{EventRobotCmd: 1}, st.Unhandled)
}

// panicky is a Handler with a bug.
type panicky struct{ calls chan struct{} }

func (p panicky) OnNeed(Need) {
	p.calls <- struct{}{}
	panic("handler bug")
}
func (p panicky) OnCycle(CycleUpdate) { p.calls <- struct{}{} }
func (p panicky) OnLink(Link)         {}

func TestHandlerPanicIsRecoveredAndCounted(t *testing.T) {
	b := startTestBrain(t, "")
	h := panicky{calls: make(chan struct{}, 8)}
	s := dialTest(t, b, "", "run-p", h)
	b.waitJoin(5 * time.Second)

	b.emit(EventNeed, map[string]any{"cycle": 1, "needs": []any{}})
	b.emit(EventCycleUpdate, map[string]any{"cycle": 1})
	for range 2 {
		select {
		case <-h.calls:
		case <-time.After(5 * time.Second):
			t.Fatal("handler not called")
		}
	}
	assert.Equal(t, int64(1), s.Stats().HandlerPanics)
	assert.True(t, s.Connected(), "a handler panic does not cost the session")
}

func TestSendAfterCloseAndDoubleClose(t *testing.T) {
	b := startTestBrain(t, "")
	s := dialTest(t, b, "", "run-x", newRecorder())
	b.waitJoin(5 * time.Second)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
	assert.False(t, s.Connected())
	assert.ErrorIs(t, s.SendChunk(Chunk{InputID: "a", Format: "jpeg"}), ErrClosed)
	assert.ErrorIs(t, s.SendState(RobotState{}), ErrClosed)
	assert.ErrorIs(t, s.SendReward(Reward{}), ErrClosed)
}

func TestSendRejectsBadPayloads(t *testing.T) {
	b := startTestBrain(t, "")
	s := dialTest(t, b, "", "run-b", newRecorder())
	b.waitJoin(5 * time.Second)
	nan := math.NaN()
	tests := []struct {
		name string
		send func() error
		want string
	}{
		{"chunk without input", func() error { return s.SendChunk(Chunk{Format: "jpeg"}) }, "no input id"},
		{"chunk without format", func() error { return s.SendChunk(Chunk{InputID: "a"}) }, "no format"},
		{"chunk NaN time", func() error { return s.SendChunk(Chunk{InputID: "a", Format: "f", T: nan}) }, "time"},
		{"chunk NaN meta", func() error {
			return s.SendChunk(Chunk{InputID: "a", Format: "f", Meta: map[string]any{"lo": nan}})
		}, "meta.lo"},
		{"state NaN q", func() error { return s.SendState(RobotState{Q: []float64{0, nan}}) }, "q[1]"},
		{"state Inf grip", func() error { g := math.Inf(1); return s.SendState(RobotState{Grip: &g}) }, "grip"},
		{"state negative dt", func() error { return s.SendState(RobotState{DT: -1}) }, "dt"},
		{"reward negative cycle", func() error { return s.SendReward(Reward{Cycle: -1}) }, "negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.send()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.False(t, errors.Is(err, ErrDisconnected))
		})
	}
	assert.Empty(t, s.Stats().Sent[EventChunk])
}

// TestConcurrentSendsAcrossReconnects is for the race detector: senders on
// several goroutines while the server keeps closing the namespace.
func TestConcurrentSendsAcrossReconnects(t *testing.T) {
	b := startTestBrain(t, "")
	s := dialTest(t, b, "", "run-race", newRecorder())
	b.waitJoin(5 * time.Second)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var err error
				switch g {
				case 0:
					err = s.SendChunk(Chunk{InputID: "cam", Kind: "Image", Seq: int64(i), Format: "jpeg", Data: make([]byte, 1024)})
				case 1:
					err = s.SendState(RobotState{Q: []float64{float64(i)}, DT: 0.05})
				default:
					err = s.SendReward(Reward{Cycle: int64(i), Global: 0.5})
					_ = s.Stats()
				}
				if err != nil && !errors.Is(err, ErrDisconnected) {
					t.Errorf("send: %v", err)
					return
				}
				time.Sleep(time.Millisecond)
			}
		}()
	}
	for k := range 2 {
		time.Sleep(300 * time.Millisecond)
		b.kick(false)
		eventually(t, 5*time.Second, "disconnect seen", func() bool { return s.Stats().Disconnects == int64(k+1) })
		eventually(t, 10*time.Second, "rejoined", s.Connected)
	}
	close(stop)
	wg.Wait()
	st := s.Stats()
	assert.Equal(t, int64(2), st.Reconnects)
	assert.Positive(t, st.Sent[EventChunk])
}

// TestCloseLeavesNoGoroutines checks the session's own goroutines are gone
// after Close and that what the library keeps stays within its documented
// +1 per Manager (client) and +1 per closed connection (server).
func TestCloseLeavesNoGoroutines(t *testing.T) {
	b := startTestBrain(t, "")
	// Warm up: the first connection starts the library's process-wide helpers.
	warm := dialTest(t, b, "", "warm", newRecorder())
	b.waitJoin(5 * time.Second)
	require.NoError(t, warm.Close())
	time.Sleep(200 * time.Millisecond)
	before := runtimeGoroutines()

	const sessions = 5
	for i := range sessions {
		s := dialTest(t, b, "", "run-g", newRecorder())
		b.waitJoin(5 * time.Second)
		if i == 0 {
			// One session also lives through a reconnect.
			b.kick(false)
			b.waitJoin(10 * time.Second)
		}
		require.NoError(t, s.SendChunk(Chunk{InputID: "cam", Format: "jpeg", Data: []byte{1}}))
		require.NotEmpty(t, goroutinesOfPackage(), "the detector sees the live session's connector")
		require.NoError(t, s.Close())
	}
	eventually(t, 5*time.Second, "no goroutine of this package left", func() bool { return len(goroutinesOfPackage()) == 0 })
	// What the library keeps: +1 per client Manager (its task queue never
	// ends), +1 per closed connection on the server (SOCKETIO.md), and its
	// timers run one goroutine each until they fire, some of them stopped
	// too early to ever end. A connection left open would cost far more
	// (reader, writer, queues and timers on both sides).
	const perSession = 3
	allowed := before + sessions*perSession
	settled := func() bool { return runtimeGoroutines() <= allowed }
	if !settled() {
		time.Sleep(5 * time.Second)
	}
	if !settled() {
		t.Fatalf("goroutines: before %d, after %d, allowed %d\n%s", before, runtimeGoroutines(), allowed, allStacks())
	}
	t.Logf("goroutines: before %d, after %d for %d sessions", before, runtimeGoroutines(), sessions)
}

func BenchmarkSendChunk(b *testing.B) {
	srv := startTestBrain(b, "")
	s := dialTest(b, srv, "", "bench", newRecorder())
	srv.waitJoin(5 * time.Second)
	srv.mu.Lock()
	srv.discard = true
	srv.mu.Unlock()
	data := make([]byte, 60<<10)
	_, _ = rand.Read(data)
	meta := map[string]any{"cycle": 1, "width": 160, "height": 120}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if err := s.SendChunk(Chunk{InputID: "cam", Kind: "Image", Seq: int64(i), T: 1, Format: "jpeg", Meta: meta, Data: data}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	// Every chunk must have arrived: a benchmark of lost sends proves nothing.
	want := int64(b.N)
	eventually(b, 30*time.Second, "all chunks received", func() bool { return srv.chunks.Load() >= want })
}

// TestRepeatedDialsJoinOnce guards against the client library's double
// CONNECT (a server socket too many, every event twice) and lost "open"
// events: each of many quick dials must join exactly once.
func TestRepeatedDialsJoinOnce(t *testing.T) {
	b := startTestBrain(t, "")
	const dials = 15
	for i := range dials {
		s := dialTest(t, b, "", "run-once", newRecorder())
		require.Equal(t, "run-once", b.waitJoin(5*time.Second))
		// A second join would come right behind the first.
		time.Sleep(30 * time.Millisecond)
		assert.Equal(t, int64(1), s.Stats().Connects, "dial %d", i)
		b.mu.Lock()
		live := len(b.sockets)
		b.mu.Unlock()
		assert.Equal(t, 1, live, "dial %d: server sockets for one client", i)
		require.NoError(t, s.Close())
		eventually(t, 5*time.Second, "server socket gone", func() bool {
			b.mu.Lock()
			defer b.mu.Unlock()
			return len(b.sockets) == 0
		})
	}
	assert.Equal(t, dials, b.joinCount())
}

// TestOfflineBufferIsDrained covers the instant the library buffers an
// emit itself (its connected flag already false, the session's not yet):
// what it buffered is dropped and counted, never replayed.
func TestOfflineBufferIsDrained(t *testing.T) {
	s, err := newSession(SessionConfig{URL: "http://127.0.0.1:1", RunID: "r", Handler: newRecorder(), Logger: quietLogger()})
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	require.NoError(t, s.sock.Emit(EventChunk, map[string]any{"data": []byte{1}}))
	require.NoError(t, s.sock.Emit(EventRobotState, map[string]any{}))
	require.Equal(t, 2, s.sock.SendBuffer().Len(), "the library buffers while disconnected")

	s.onDisconnect("transport close")
	assert.Zero(t, s.sock.SendBuffer().Len())
	st := s.Stats()
	assert.Equal(t, map[string]int64{EventChunk: 1, EventRobotState: 1}, st.Dropped)
}
