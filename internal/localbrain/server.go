package localbrain

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/zishang520/socket.io/servers/socket/v3"
)

// Defaults of Config.
const (
	DefaultAddr          = "127.0.0.1:0"
	DefaultCycleInterval = 50 * time.Millisecond
	DefaultRecordLimit   = 4096
	// DefaultLockStepDeadline is Config.LockStepDeadline's default.
	DefaultLockStepDeadline = 2 * time.Second
	// deadlineShare is the part of a cycle the client gets to answer its needs.
	deadlineShare = 0.8
	closeTimeout  = 3 * time.Second
)

// Config configures a Server.
type Config struct {
	// (optional) Loopback address to listen on. Defaults to "127.0.0.1:0".
	Addr string
	// (optional) API key clients must present. Defaults to none: no auth.
	APIKey string
	// (optional) Time between io:need of consecutive cycles. Defaults to 50ms.
	CycleInterval time.Duration
	// (optional) How long a cycle waits for its needs. Defaults to 80% of
	// CycleInterval; longer slows the cycles down to one per deadline.
	NeedDeadline time.Duration
	// (optional) Seed of the networks' randomness; same seed, same spikes.
	Seed uint64
	// (optional) Structured log. Defaults to discarding.
	Logger *slog.Logger
	// (optional) Receives every event as one JSON line. Defaults to none.
	Record io.Writer
	// (optional) Entries kept per list of a RunRecord (between this and
	// twice this; chunks also within MaxRecordedChunkBytes of data).
	// Defaults to 4096.
	RecordLimit int
	// (optional) Run records keep each chunk's metadata (Len included) but
	// not its Data. Defaults to keeping the data, which tests read; a brain
	// embedded in a long-running process that nobody inspects should set
	// it: camera chunks are what fills MaxRecordedChunkBytes.
	NoChunkData bool
	// (optional) Serves POST /admin/runs/{runId}/disconnect to loopback
	// peers, for tests that force a reconnect. Defaults to off.
	Admin bool
	// (optional) Runs step in lock-step (runOptions.LockStep) unless their
	// start call says otherwise. Defaults to real time, one cycle per
	// CycleInterval.
	LockStep bool
	// (optional) How long a lock-step cycle waits for its needs. Defaults
	// to 2 s: long enough that only a client that does not answer makes a
	// need late, never a busy machine, so that a lock-step run repeats.
	LockStepDeadline time.Duration
	// (optional) Runs do not learn from rewards unless their start call
	// says otherwise. Defaults to learning.
	NoLearning bool
}

// Server is the embedded Artificial-Brains-compatible brain: REST under
// /api, Socket.IO namespace /ab, one cycle loop per running run.
type Server struct {
	conf     Config
	log      *slog.Logger
	projects map[string]*project
	listener net.Listener
	http     *http.Server
	io       *socket.Server
	nsp      socket.Namespace
	recorder *recorder
	url      string

	mu         sync.Mutex
	runs       map[string]*run
	order      []*run // runs in start order
	sockets    map[socket.SocketId]*member
	unassigned int // malformed events no run could be blamed for
	seq        int // runs started
	closed     bool
	loops      sync.WaitGroup
}

// member is a connected socket of namespace /ab.
type member struct {
	sock   *socket.Socket
	apiKey string
	run    *run // nil until joined
}

// New starts a server; it is listening when New returns.
func New(conf Config) (*Server, error) {
	conf = withDefaults(conf)
	projects, err := builtinProjects()
	if err != nil {
		return nil, fmt.Errorf("local brain: %w", err)
	}
	ln, err := listenLoopback(conf.Addr)
	if err != nil {
		return nil, err
	}
	s := &Server{
		conf:     conf,
		log:      conf.Logger,
		projects: projects,
		listener: ln,
		url:      "http://" + ln.Addr().String(),
		runs:     map[string]*run{},
		sockets:  map[socket.SocketId]*member{},
		recorder: newRecorder(conf.Record, conf.Logger),
	}
	mux := http.NewServeMux()
	s.io = s.newRealtime()
	mux.Handle("/socket.io/", gateHandshakes(s.io.ServeHandler(nil)))
	_ = s.io.Engine().On("connection", releaseOnConnection)
	s.routes(mux)
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ConnContext: connContext}
	go func() {
		if err := s.http.Serve(gateListener{ln}); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server ended", "err", err)
		}
	}()
	s.log.Info("local brain listening", "url", s.url, "auth", conf.APIKey != "", "cycle", conf.CycleInterval)
	return s, nil
}

func withDefaults(conf Config) Config {
	if conf.Addr == "" {
		conf.Addr = DefaultAddr
	}
	if conf.CycleInterval <= 0 {
		conf.CycleInterval = DefaultCycleInterval
	}
	if conf.NeedDeadline <= 0 {
		conf.NeedDeadline = time.Duration(deadlineShare * float64(conf.CycleInterval))
	}
	if conf.LockStepDeadline <= 0 {
		conf.LockStepDeadline = DefaultLockStepDeadline
	}
	if conf.Logger == nil {
		conf.Logger = slog.New(slog.DiscardHandler)
	}
	if conf.RecordLimit <= 0 {
		conf.RecordLimit = DefaultRecordLimit
	}
	return conf
}

// listenLoopback refuses anything but a loopback address: the start answer
// sends clients to 127.0.0.1 and the server has no TLS.
func listenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("local brain: listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("local brain: listen address %q is not loopback", addr)
	}
	ln, err := net.Listen("tcp4", addr)
	if err != nil {
		return nil, fmt.Errorf("local brain: listen: %w", err)
	}
	return ln, nil
}

// URL is the server's root, e.g. "http://127.0.0.1:PORT"; the REST base is URL()+"/api".
func (s *Server) URL() string { return s.url }

// Runs returns what each run received, in start order.
func (s *Server) Runs() []RunRecord {
	s.mu.Lock()
	runs := append([]*run(nil), s.order...)
	s.mu.Unlock()
	out := make([]RunRecord, 0, len(runs))
	for _, r := range runs {
		out = append(out, r.record())
	}
	return out
}

// Unassigned counts malformed events that named no known run and came
// from a socket that had joined none.
func (s *Server) Unassigned() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unassigned
}

// Close stops every cycle loop, disconnects every socket and closes the
// listener, within a few seconds.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	runs := append([]*run(nil), s.order...)
	s.mu.Unlock()

	now := time.Now()
	for _, r := range runs {
		r.stop(now)
	}
	loopsDone := make(chan struct{})
	go func() {
		s.loops.Wait()
		close(loopsDone)
	}()
	var errs []error
	select {
	case <-loopsDone:
	case <-time.After(closeTimeout):
		errs = append(errs, errors.New("local brain: cycle loops did not end in time"))
	}
	s.io.Close(nil)
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	if err := s.http.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("local brain: shutdown: %w", err))
		_ = s.http.Close()
	}
	s.log.Info("local brain closed")
	return errors.Join(errs...)
}

// startRun creates and starts a run of p, superseding the project's
// abandoned runs: those that were joined and have no connected socket now
// (a robot that comes back after a crash starts anew). A run still in use,
// or not joined yet, is another robot's: several robots may drive one
// project at once, one run each.
func (s *Server) startRun(p *project, apiKey string, opts runOptions) (*run, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, errors.New("local brain is closing")
	}
	s.seq++
	id := fmt.Sprintf("%s-%d-%s", p.ID, s.seq, randomHex(4))
	r := newRun(id, p, apiKey, opts, s.conf.RecordLimit, time.Now())
	r.noChunkData = s.conf.NoChunkData
	var superseded []*run
	for _, old := range s.order {
		if old.project == p && old.running() && old.joined.Load() && !s.connectedIn(old) {
			superseded = append(superseded, old)
		}
	}
	s.runs[id] = r
	s.order = append(s.order, r)
	s.loops.Add(1)
	s.mu.Unlock()

	for _, old := range superseded {
		if old.stop(time.Now()) {
			s.log.Info("run stopped", "run", old.id, "reason", "abandoned, superseded by "+id)
		}
	}
	go func() {
		defer s.loops.Done()
		s.cycleLoop(r, newNetwork(p.networkConf(p.Contract.Constants.Gamma, opts.Learning, opts.Seed)))
	}()
	s.log.Info("run started", "run", id, "project", p.ID, "lock_step", opts.LockStep, "learning", opts.Learning, "seed", opts.Seed)
	return r, nil
}

// defaultOptions are the options of a run whose start call sets none.
func (s *Server) defaultOptions() runOptions {
	return runOptions{LockStep: s.conf.LockStep, Learning: !s.conf.NoLearning, Seed: s.conf.Seed}
}

// latestRun is the most recently started run of a project.
func (s *Server) latestRun(projectID string) *run {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.order) - 1; i >= 0; i-- {
		if s.order[i].project.ID == projectID {
			return s.order[i]
		}
	}
	return nil
}

func (s *Server) runByID(id string) *run {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runs[id]
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}
