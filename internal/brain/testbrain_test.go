package brain

import (
	"context"
	"errors"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zishang520/socket.io/servers/socket/v3"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

// testBrain is a real Socket.IO server speaking the brain's side of the
// realtime channel, on a loopback port. It records what clients send.
type testBrain struct {
	t    testing.TB
	addr string
	key  string // required auth token; "" lets everyone in

	srv *socket.Server
	web *http.Server

	mu         sync.Mutex
	attempts   int // namespace connection attempts, refused ones included
	joins      []string
	handshakes []*socket.Handshake
	events     []received
	sockets    map[socket.SocketId]*socket.Socket
	lastJoined chan string
	lastEvent  chan received
	stopped    bool
	discard    bool         // count client events without keeping them (benchmarks)
	chunks     atomic.Int64 // io:chunk received
}

type received struct {
	name    string
	payload map[string]any
}

func startTestBrain(t testing.TB, key string) *testBrain {
	t.Helper()
	b := &testBrain{t: t, key: key, lastJoined: make(chan string, 64), lastEvent: make(chan received, 4096)}
	b.listen("127.0.0.1:0")
	t.Cleanup(b.stop)
	return b
}

// url is the realtime URL clients dial.
func (b *testBrain) url() string { return "http://" + b.addr }

func (b *testBrain) listen(addr string) {
	b.t.Helper()
	var ln net.Listener
	var err error
	// Rebinding the port of a server just stopped may take a moment.
	for deadline := time.Now().Add(5 * time.Second); ; {
		ln, err = net.Listen("tcp", addr)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	require.NoError(b.t, err)
	b.addr = ln.Addr().String()

	opts := socket.DefaultServerOptions()
	opts.SetTransports(types.NewSet(socket.WebSocket))
	opts.SetMaxHttpBufferSize(10 << 20)
	srv := socket.NewServer(nil, opts)
	ab := srv.Of("/ab", nil)
	ab.Use(b.authorise)
	_ = ab.On("connection", b.onConnection)
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", srv.ServeHandler(nil))
	web := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = web.Serve(ln) }()

	b.mu.Lock()
	b.srv, b.web, b.stopped = srv, web, false
	b.sockets = map[socket.SocketId]*socket.Socket{}
	b.mu.Unlock()
}

func (b *testBrain) authorise(s *socket.Socket, next func(*socket.ExtendedError)) {
	b.mu.Lock()
	b.attempts++
	b.handshakes = append(b.handshakes, s.Handshake())
	b.mu.Unlock()
	if b.key != "" {
		if tok, _ := s.Handshake().Auth["token"].(string); tok != b.key {
			next(socket.NewExtendedError("invalid api key", map[string]any{"code": "auth"}))
			return
		}
	}
	next(nil)
}

func (b *testBrain) onConnection(args ...any) {
	s := args[0].(*socket.Socket)
	b.mu.Lock()
	b.sockets[s.Id()] = s
	b.mu.Unlock()
	_ = s.On("disconnect", func(...any) {
		b.mu.Lock()
		delete(b.sockets, s.Id())
		b.mu.Unlock()
	})
	_ = s.On(EventRunJoin, func(a ...any) {
		m, _ := firstArg(a).(map[string]any)
		run, _ := m["runId"].(string)
		b.mu.Lock()
		b.joins = append(b.joins, run)
		b.mu.Unlock()
		b.lastJoined <- run
	})
	for _, name := range []string{EventChunk, EventRobotState, EventReward} {
		_ = s.On(name, func(a ...any) {
			if name == EventChunk {
				b.chunks.Add(1)
			}
			m, _ := firstArg(a).(map[string]any)
			r := received{name: name, payload: m}
			b.mu.Lock()
			discard := b.discard
			if !discard {
				b.events = append(b.events, r)
			}
			b.mu.Unlock()
			if !discard {
				b.lastEvent <- r
			}
		})
	}
}

// emit sends an event to every connected client of /ab.
func (b *testBrain) emit(event string, payload any) {
	b.t.Helper()
	b.mu.Lock()
	srv := b.srv
	b.mu.Unlock()
	require.NoError(b.t, srv.Of("/ab", nil).Emit(event, payload))
}

// kick closes every client's namespace from the server side; close also
// drops the underlying connection.
func (b *testBrain) kick(close bool) {
	b.mu.Lock()
	var all []*socket.Socket
	for _, s := range b.sockets {
		all = append(all, s)
	}
	b.mu.Unlock()
	for _, s := range all {
		s.Disconnect(close)
	}
}

func (b *testBrain) stop() {
	b.mu.Lock()
	if b.stopped {
		b.mu.Unlock()
		return
	}
	b.stopped = true
	srv, web := b.srv, b.web
	b.mu.Unlock()
	srv.Close(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := web.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		_ = web.Close()
	}
}

func (b *testBrain) joinCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.joins)
}

func (b *testBrain) attemptCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.attempts
}

func (b *testBrain) lastHandshake() *socket.Handshake {
	b.mu.Lock()
	defer b.mu.Unlock()
	require.NotEmpty(b.t, b.handshakes)
	return b.handshakes[len(b.handshakes)-1]
}

// waitJoin waits for the next run:join and returns its runId.
func (b *testBrain) waitJoin(within time.Duration) string {
	b.t.Helper()
	select {
	case run := <-b.lastJoined:
		return run
	case <-time.After(within):
		b.t.Fatalf("no run:join within %v", within)
		return ""
	}
}

// waitEvent waits for the next client event of the given name, skipping
// none: events of other names fail the test.
func (b *testBrain) waitEvent(name string, within time.Duration) map[string]any {
	b.t.Helper()
	select {
	case r := <-b.lastEvent:
		require.Equal(b.t, name, r.name)
		return r.payload
	case <-time.After(within):
		b.t.Fatalf("no %s within %v", name, within)
		return nil
	}
}

// recorder is a Handler that hands events to the test through channels.
type recorder struct {
	needs  chan Need
	cycles chan CycleUpdate
	links  chan Link
}

func newRecorder() *recorder {
	return &recorder{needs: make(chan Need, 256), cycles: make(chan CycleUpdate, 256), links: make(chan Link, 256)}
}

func (r *recorder) OnNeed(n Need)         { r.needs <- n }
func (r *recorder) OnCycle(u CycleUpdate) { r.cycles <- u }
func (r *recorder) OnLink(l Link) {
	select {
	case r.links <- l:
	default: // tests that do not read links must not block the session
	}
}

func dialTest(t testing.TB, b *testBrain, key, run string, h Handler) *Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := Dial(ctx, SessionConfig{URL: b.url(), APIKey: key, RunID: run, Handler: h, DialTimeout: 10 * time.Second, Logger: quietLogger()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// eventually polls cond until it holds or the bound passes.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// goroutinesOfPackage lists the goroutines running code of this package's
// non-test files: after Close there must be none.
func goroutinesOfPackage() []string {
	var ours []string
	for _, g := range strings.Split(allStacks(), "\n\n") {
		for _, line := range strings.Split(g, "\n") {
			line = strings.TrimSpace(line)
			i := strings.Index(line, "/internal/brain/")
			if i < 0 {
				continue
			}
			file := line[i+len("/internal/brain/"):]
			if colon := strings.IndexByte(file, ':'); colon > 0 {
				file = file[:colon]
			}
			if !strings.HasSuffix(file, "_test.go") {
				ours = append(ours, g)
				break
			}
		}
	}
	return ours
}

func runtimeGoroutines() int { return runtime.NumGoroutine() }

func allStacks() string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return string(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}
