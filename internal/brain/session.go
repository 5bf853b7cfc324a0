package brain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zishang520/socket.io/clients/engine/v3"
	sio "github.com/zishang520/socket.io/clients/socket/v3"
	"github.com/zishang520/socket.io/v3/pkg/types"

	"github.com/abbridge/ab_bridge/internal/contract"
)

// DefaultDialTimeout bounds Dial when the caller sets no DialTimeout.
const DefaultDialTimeout = 10 * time.Second

var (
	// ErrDisconnected is returned by sends while the session is not joined
	// to its namespace. Nothing is queued: stale data is never replayed.
	ErrDisconnected = errors.New("brain: realtime session is not connected")
	// ErrClosed is returned by sends after Close.
	ErrClosed = errors.New("brain: realtime session is closed")
)

// RejectedError is the server refusing the namespace (a bad API key, an
// unknown run, …). The session does not retry after it.
type RejectedError struct {
	Message string
	Data    any
}

func (e *RejectedError) Error() string {
	return "brain: realtime server refused the connection: " + e.Message
}

// Handler receives the brain's events. OnNeed and OnCycle are called one
// at a time, in the order the brain sent the events, on the Socket.IO
// client's event goroutine or on the transport's reader (direct.go): they
// must return quickly and never block, or every later event waits. OnLink
// may also come from the session's own goroutines.
type Handler interface {
	OnNeed(Need)
	OnCycle(CycleUpdate)
	// OnLink is told when the run's channel comes up (joined) and when it
	// is lost (disconnected, silent, or the run gone), with the reason.
	OnLink(Link)
}

// Link is a change of the realtime channel's state.
type Link struct {
	Up     bool
	Run    string // the run joined, or the one lost
	Reason string // why it was lost; empty when Up
	At     time.Time
}

// SessionConfig configures a realtime session.
type SessionConfig struct {
	// URL of the realtime server (http, https, ws or wss). Its path is
	// ignored, as the reference SDK ignores it; the query is kept.
	URL string
	// (optional) Namespace. Defaults to "/ab".
	Namespace string
	// (optional) APIKey, sent in the handshake headers and the auth
	// payload. Empty sends neither. Never logged.
	APIKey string
	// RunID is joined on every connect and added to every emit.
	RunID string
	// Handler receives io:need and cycle:update.
	Handler Handler
	// (optional) DialTimeout bounds Dial. Defaults to 10 s.
	DialTimeout time.Duration
	// (optional) Silence is how long a joined run may go without an
	// io:need or cycle:update before the brain counts as lost: right after
	// a join, the run is gone (RunGone); later, the connection is dropped
	// and dialled again. 0 leaves it to the Engine.IO ping timeout.
	Silence time.Duration
	// (optional) Logger. Defaults to slog.Default().
	Logger *slog.Logger
}

// Session is one run's realtime channel. It reconnects by itself (1 s
// growing to 5 s, without limit) and joins the run again on every connect.
// All methods are safe for concurrent use.
type Session struct {
	nsp      string
	url      string // for logs: no key in it
	handler  Handler
	log      *slog.Logger // no run in it: SetRun changes the run
	live     liveness
	gone     chan RunGone
	sock     *sio.Socket
	stats    *counters
	throttle *logThrottle

	// mu orders every emit against connect, disconnect and Close, so that
	// nothing is emitted before run:join and nothing is left in the
	// library's offline buffer to be replayed on reconnect.
	mu          sync.Mutex
	runID       string
	runGone     bool      // the brain does not know runID: nothing is sent
	runJoinedAt time.Time // the last run:join
	connected   bool
	closed      bool
	connectedAt time.Time
	lastErr     error          // last failed attempt, for Dial's error
	rejected    *RejectedError // the server's refusal, final
	rejectMsg   *RejectedError // the server's words, caught off the wire

	// Signals from the library's goroutines to the connector (buffered 1).
	joinSig, failSig, lostSig chan struct{}
	rescuing                  bool                  // the connector is re-emitting a lost "open"; under mu
	dialErr                   atomic.Pointer[error] // why the last dial failed, caught off the transport
	readAt                    atomic.Int64          // unix ns the last MESSAGE packet was read (transport.go)
	direct                    *directPath           // cycle:updates past the library's event goroutine

	joined     chan struct{} // closed at the first join
	joinOnce   sync.Once
	refused    chan struct{} // closed when the server refuses the namespace
	refuseOnce sync.Once
	closing    chan struct{} // closed by Close

	wg sync.WaitGroup // the connector
}

// Dial connects to the realtime server and returns once the session is
// joined to its namespace and run:join is emitted. A refusal by the server
// fails at once with a *RejectedError and is not retried; otherwise Dial
// keeps trying until ctx ends or DialTimeout passes.
func Dial(ctx context.Context, conf SessionConfig) (*Session, error) {
	s, err := newSession(conf)
	if err != nil {
		return nil, err
	}
	if conf.DialTimeout <= 0 {
		conf.DialTimeout = DefaultDialTimeout
	}
	s.wg.Add(1)
	go s.connector()
	if s.live.silence > 0 {
		s.wg.Add(1)
		go s.watch()
	}
	timer := time.NewTimer(conf.DialTimeout)
	defer timer.Stop()
	select {
	case <-s.joined:
		return s, nil
	case <-s.refused:
		_ = s.Close()
		return nil, s.Err()
	case <-ctx.Done():
		_ = s.Close()
		return nil, fmt.Errorf("brain: realtime dial %s: %w%s", s.url, ctx.Err(), s.lastAttempt())
	case <-timer.C:
		_ = s.Close()
		return nil, fmt.Errorf("brain: realtime dial %s: not joined within %v%s", s.url, conf.DialTimeout, s.lastAttempt())
	}
}

func newSession(conf SessionConfig) (*Session, error) {
	if conf.RunID == "" {
		return nil, errors.New("brain: realtime session needs a run id")
	}
	if conf.Handler == nil {
		return nil, errors.New("brain: realtime session needs a handler")
	}
	nsp := normalizeNamespace(conf.Namespace, contract.DefaultNamespace)
	target, err := realtimeURL(conf.URL, nsp)
	if err != nil {
		return nil, err
	}
	if conf.Logger == nil {
		conf.Logger = slog.Default()
	}
	s := &Session{
		runID:    conf.RunID,
		nsp:      nsp,
		url:      target.Redacted(),
		handler:  conf.Handler,
		log:      conf.Logger,
		live:     liveness{silence: conf.Silence},
		gone:     make(chan RunGone, 1),
		stats:    newCounters(),
		throttle: newLogThrottle(logPeriod),
		joinSig:  make(chan struct{}, 1),
		failSig:  make(chan struct{}, 1),
		lostSig:  make(chan struct{}, 1),
		joined:   make(chan struct{}),
		refused:  make(chan struct{}),
		closing:  make(chan struct{}),
	}
	s.direct = &directPath{nsp: nsp, cycle: s.cycleUpdate}
	// Not connecting yet: the connector opens the connection once every
	// listener is in place.
	sock, err := sio.Connect(target.String(), socketOptions(conf.APIKey, boundedWebSocket{dialErr: &s.dialErr}, s.direct))
	if err != nil {
		return nil, fmt.Errorf("brain: realtime client for %s: %w", s.url, err)
	}
	s.sock = sock
	s.listen()
	return s, nil
}

// socketOptions are the protocol's client settings. ForceNew keeps the
// library's process-wide Manager cache out of the way: one Manager (and its
// goroutine, which the library never ends) per session, reused across
// reconnects. The library's own reconnection is off: the connector does it
// (see connector.go for why).
func socketOptions(apiKey string, transport engine.TransportCtor, direct *directPath) *sio.Options {
	opts := sio.DefaultOptions()
	opts.SetTransports(types.NewSet(transport))
	// No per-message-deflate offer: the client library's gorilla refuses
	// an answer without client_no_context_takeover, which RFC 7692 allows
	// and aiohttp (python-socketio's default server) sends, so the
	// handshake failed there. Brain messages are small or binary JPEG.
	opts.SetPerMessageDeflate(nil)
	opts.SetForceNew(true)
	opts.SetParser(cycleParser{direct: direct})
	opts.SetAutoConnect(false)
	opts.SetReconnection(false)
	opts.SetTimeout(libraryTimeout)
	if apiKey != "" {
		h := http.Header{}
		setAuth(h, apiKey)
		opts.SetExtraHeaders(h)
		opts.SetAuth(map[string]any{"token": apiKey, "apiKey": apiKey})
	}
	return opts
}

func (s *Session) listen() {
	// Registered before the socket ever subscribes to the Manager, so it
	// sees a CONNECT_ERROR packet before the socket turns it into
	// connect_error.
	_ = s.sock.Io().On("packet", s.onManagerPacket)
	_ = s.sock.Io().On("open", s.onManagerOpen)
	_ = s.sock.Io().On("error", s.onManagerError)
	_ = s.sock.Io().On("close", s.onManagerClose)
	_ = s.sock.On("connect", s.onConnect)
	_ = s.sock.On("disconnect", s.onDisconnect)
	_ = s.sock.On("connect_error", s.onConnectError)
	_ = s.sock.On(EventNeed, s.onNeed)
	_ = s.sock.On(EventCycleUpdate, s.onCycleUpdate)
	s.sock.OnAny(s.onAnyEvent)
}

// SendChunk sends one io:chunk. Data travels as a binary attachment and may
// be reused once SendChunk returns.
func (s *Session) SendChunk(c Chunk) error {
	payload, err := chunkPayload(s.run(), c)
	if err != nil {
		return err
	}
	return s.emit(EventChunk, payload)
}

// SendState sends one robot:state.
func (s *Session) SendState(st RobotState) error {
	payload, err := statePayload(s.run(), st)
	if err != nil {
		return err
	}
	return s.emit(EventRobotState, payload)
}

// SendReward sends one learn:reward, every value clamped into [0, 1]. The
// clamps are counted (SessionStats.RewardClamps) even when the send fails.
func (s *Session) SendReward(r Reward) error {
	payload, clamps, err := rewardPayload(s.run(), r)
	if err != nil {
		return err
	}
	if clamps > 0 {
		s.stats.add(func(st *SessionStats) { st.RewardClamps += int64(clamps) })
	}
	return s.emit(EventReward, payload)
}

// emit sends now or not at all.
func (s *Session) emit(event string, payload map[string]any) error {
	w, err := newWirePayload(payload)
	if err != nil {
		return fmt.Errorf("brain: emit %s: %w", event, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if !s.connected || s.runGone {
		s.stats.add(func(st *SessionStats) { st.Dropped[event]++ })
		return ErrDisconnected
	}
	if err := s.sock.Emit(event, w); err != nil {
		return fmt.Errorf("brain: emit %s: %w", event, err)
	}
	s.stats.add(func(st *SessionStats) { st.Sent[event]++ })
	return nil
}

func (s *Session) run() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runID
}

// Connected reports whether the session is joined and sends go out.
func (s *Session) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connected
}

// Stats returns a copy of the session's counters.
func (s *Session) Stats() SessionStats { return s.stats.snapshot() }

// Err is the server's refusal once it happened (the session then stays
// down for good), else nil.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rejected == nil {
		return nil
	}
	return s.rejected
}

// Rejected is closed when the server refuses the namespace.
func (s *Session) Rejected() <-chan struct{} { return s.refused }

// Close leaves the namespace, stops reconnecting and waits for the
// connector. The library keeps one idle goroutine per session after Close
// (its Manager's task queue has no way to end).
func (s *Session) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.connected = false
	s.direct.open.Store(false)
	close(s.closing)
	s.mu.Unlock()

	s.sock.Disconnect()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-time.After(closeWait):
		// A dial to a host that drops packets lasts the OS's connect
		// timeout; the connector closes it when it returns.
		return fmt.Errorf("brain: realtime %s: a dial still hangs after %v", s.url, closeWait)
	}
}

func (s *Session) lastAttempt() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastErr == nil {
		return ""
	}
	return fmt.Sprintf(" (last attempt: %v)", s.lastErr)
}

func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func drain(ch chan struct{}) {
	select {
	case <-ch:
	default:
	}
}

func firstArg(args []any) any {
	if len(args) == 0 {
		return nil
	}
	return args[0]
}
