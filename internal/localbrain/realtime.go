package localbrain

import (
	"errors"
	"fmt"
	"time"

	"github.com/abbridge/ab_bridge/internal/contract"
	"github.com/zishang520/socket.io/servers/engine/v3"
	"github.com/zishang520/socket.io/servers/socket/v3"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

// maxFrame bounds one websocket frame (each binary attachment is its own
// frame): room for a large camera JPEG or a feedback raster.
const maxFrame = 8 << 20

// newRealtime builds the Socket.IO server with the /ab namespace.
func (s *Server) newRealtime() *socket.Server {
	opts := socket.DefaultServerOptions()
	opts.SetTransports(types.NewSet[engine.TransportCtor](engine.WebSocket))
	opts.SetMaxHttpBufferSize(maxFrame)
	io := socket.NewServer(nil, opts)
	s.nsp = io.Of(contract.DefaultNamespace, nil)
	s.nsp.Use(s.authorise)
	_ = s.nsp.On("connection", func(args ...any) {
		if sock, ok := args[0].(*socket.Socket); ok {
			s.onConnect(sock)
		}
	})
	return io
}

// authorise is the namespace middleware: with a key configured, a socket
// must present it in its auth payload or handshake headers.
func (s *Server) authorise(sock *socket.Socket, next func(*socket.ExtendedError)) {
	if s.conf.APIKey == "" || s.socketKey(sock) != "" {
		next(nil)
		return
	}
	s.log.Warn("realtime connection refused", "socket", string(sock.Id()), "reason", "missing or invalid API key")
	next(socket.NewExtendedError("unauthorized: missing or invalid API key", map[string]any{"code": "unauthorized"}))
}

// socketKey returns the configured key if the socket presented it (in
// auth.token, auth.apiKey, x-api-key or Authorization: Bearer), else "".
// With no key configured every socket shares the empty key.
func (s *Server) socketKey(sock *socket.Socket) string {
	if s.conf.APIKey == "" {
		return ""
	}
	hs := sock.Handshake()
	candidates := []string{}
	for _, k := range []string{"token", "apiKey"} {
		if v, ok := hs.Auth[k].(string); ok {
			candidates = append(candidates, v)
		}
	}
	h := hs.Headers.Header()
	candidates = append(candidates, h.Get("X-Api-Key"), bearer(h.Get("Authorization")))
	for _, c := range candidates {
		if s.keyMatches(c) {
			return c
		}
	}
	return ""
}

// onConnect registers the socket and puts it back into its run: the
// reference SDK does not re-send run:join after a reconnect.
func (s *Server) onConnect(sock *socket.Socket) {
	s.mu.Lock()
	m, twin := s.twinOf(sock)
	var resume *run
	if !twin {
		m = &member{sock: sock, apiKey: s.socketKey(sock)}
		s.sockets[sock.Id()] = m
		resume = s.resumeTarget(m.apiKey)
	}
	s.mu.Unlock()
	if twin {
		s.log.Warn("second namespace connect on one transport; treated as the same client", "socket", string(sock.Id()), "conn", sock.Conn().Id())
	} else {
		s.log.Debug("socket connected", "socket", string(sock.Id()), "conn", sock.Conn().Id())
	}
	if resume != nil {
		s.join(m, resume, true)
	}
	_ = sock.On("run:join", s.handle(m, "run:join", s.onJoin(m)))
	_ = sock.On("io:chunk", s.handle(m, "io:chunk", s.onChunk))
	_ = sock.On("robot:state", s.handle(m, "robot:state", s.onState))
	_ = sock.On("learn:reward", s.handle(m, "learn:reward", s.onReward))
	_ = sock.On("disconnect", func(args ...any) { s.onDisconnect(m, args) })
	if !sock.Connected() {
		// Closed before the listener above was in place.
		s.onDisconnect(m, []any{"closed while connecting"})
	}
}

// resumeTarget is the run a socket connecting with key is put into before
// it names one, or nil. Several robots may run under one key (a fleet), so
// the latest run of the key is not necessarily the socket's: only a run
// that lost its socket can be the one a reconnecting client left, and it
// is picked only when that is unambiguous — the one such run that had been
// joined before (a reconnect), else the only such run (a first connect
// without run:join). Otherwise the socket waits for its run:join: putting
// it into another robot's run would send it that robot's cycles.
// Call with s.mu held.
func (s *Server) resumeTarget(key string) *run {
	var orphans, rejoinable []*run
	for _, r := range s.order {
		if !r.running() || r.apiKey != key || s.connectedIn(r) {
			continue
		}
		orphans = append(orphans, r)
		if r.joined.Load() {
			rejoinable = append(rejoinable, r)
		}
	}
	switch {
	case len(rejoinable) == 1:
		return rejoinable[0]
	case len(rejoinable) == 0 && len(orphans) == 1:
		return orphans[0]
	}
	return nil
}

// connectedIn reports whether a connected socket is in r.
// Call with s.mu held.
func (s *Server) connectedIn(r *run) bool {
	for _, m := range s.sockets {
		if m.run == r && m.sock.Connected() {
			return true
		}
	}
	return false
}

// twinOf finds the member already connected over sock's transport. The Go
// client (v3.0.1) can send its namespace CONNECT twice on one transport;
// the server library then holds two sockets for one client. Both write to
// the same transport, so only one may sit in a run's room (else every event
// arrives twice), while the client's packets reach whichever the library
// routes them to: the twin shares the first socket's member.
// Call with s.mu held.
func (s *Server) twinOf(sock *socket.Socket) (*member, bool) {
	for _, m := range s.sockets {
		if m.sock.Conn().Id() == sock.Conn().Id() {
			return m, true
		}
	}
	return nil, false
}

func (s *Server) onDisconnect(m *member, args []any) {
	s.mu.Lock()
	_, known := s.sockets[m.sock.Id()]
	delete(s.sockets, m.sock.Id())
	r := m.run
	m.run = nil
	s.mu.Unlock()
	if !known {
		return // its twin, or a pruned socket, was reported already
	}
	reason := ""
	if len(args) > 0 {
		reason = fmt.Sprint(args[0])
	}
	s.log.Info("socket disconnected", "socket", string(m.sock.Id()), "run", runID(r), "reason", reason)
}

// join moves the socket into r's room, out of any other run's room: a
// socket belongs to one run at a time.
func (s *Server) join(m *member, r *run, auto bool) {
	j := Join{SocketID: string(m.sock.Id()), Auto: auto, At: time.Now()}
	s.mu.Lock()
	prev := m.run
	m.run = r
	s.mu.Unlock()
	r.addJoin(j)
	if prev == r {
		return // already put back on connect
	}
	if prev != nil {
		m.sock.Leave(socket.Room(prev.id))
	}
	m.sock.Join(socket.Room(r.id))
	s.log.Info("socket joined run", "socket", string(m.sock.Id()), "run", r.id, "auto", auto)
}

// eventHandler handles one validated event payload for run r.
type eventHandler func(r *run, payload map[string]any, at time.Time) error

// errNoRun marks an event that cannot be tied to any run.
var errNoRun = errors.New("no run")

// handle wraps an event handler: it records the event, resolves its run,
// and counts and logs whatever fails validation. It never panics on input.
func (s *Server) handle(m *member, event string, h eventHandler) func(...any) {
	return func(args ...any) {
		at := time.Now()
		args, reply := splitAck(args)
		payload, named, err := payloadOf(args)
		r := s.runFor(m, named)
		s.recorder.write(at, event, runID(r), string(m.sock.Id()), args)
		if err == nil {
			err = s.checkRun(r, named)
		}
		if err == nil {
			err = h(r, payload, at)
		}
		if err != nil {
			s.malformed(r, m, event, err, at)
		}
		answer(reply, err)
	}
}

// runFor is the run an event belongs to: the one it names if known, else
// the socket's.
func (s *Server) runFor(m *member, named string) *run {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.runs[named]; ok {
		return r
	}
	return m.run
}

func (s *Server) checkRun(r *run, named string) error {
	switch {
	case named == "":
		return errors.New("runId is missing")
	case r == nil || r.id != named:
		return fmt.Errorf("%w: unknown runId %q", errNoRun, named)
	}
	return nil
}

func (s *Server) malformed(r *run, m *member, event string, err error, at time.Time) {
	s.log.Warn("malformed event", "event", event, "socket", string(m.sock.Id()), "run", runID(r), "err", err)
	if r == nil {
		s.mu.Lock()
		s.unassigned++
		s.mu.Unlock()
		return
	}
	r.addMalformed(Malformed{Event: event, Reason: err.Error(), At: at})
}

func (s *Server) onJoin(m *member) eventHandler {
	return func(r *run, _ map[string]any, _ time.Time) error {
		s.join(m, r, false)
		return nil
	}
}

func (s *Server) onChunk(r *run, payload map[string]any, at time.Time) error {
	c, enc, err := decodeChunk(r.project, payload, at, &r.images)
	if err != nil {
		return err
	}
	r.addChunk(c, enc)
	return nil
}

func (s *Server) onState(r *run, payload map[string]any, at time.Time) error {
	st, err := decodeState(payload, at)
	if err != nil {
		return err
	}
	r.addState(st)
	return nil
}

func (s *Server) onReward(r *run, payload map[string]any, at time.Time) error {
	w, err := decodeReward(r.project, payload, at)
	if err != nil {
		return err
	}
	r.addReward(w)
	return nil
}

// members counts the connected sockets of r (of every run if r is nil),
// forgetting those whose disconnect went unseen.
func (s *Server) members(r *run) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, m := range s.sockets {
		switch {
		case !m.sock.Connected():
			delete(s.sockets, id)
		case r == nil || m.run == r:
			n++
		}
	}
	return n
}

func (s *Server) hasMembers(r *run) bool { return s.members(r) > 0 }

// emit sends an event to everyone in r's room.
func (s *Server) emit(r *run, event string, payload map[string]any) {
	if err := s.nsp.To(socket.Room(r.id)).Emit(event, payload); err != nil {
		s.log.Warn("emit failed", "event", event, "run", r.id, "err", err)
	}
}

// Kick closes the connections of every socket in a run, as a network fault
// would; clients reconnect on their own. It returns how many it closed.
func (s *Server) Kick(runID string) int {
	s.mu.Lock()
	var socks []*socket.Socket
	for _, m := range s.sockets {
		if m.run != nil && m.run.id == runID {
			socks = append(socks, m.sock)
		}
	}
	s.mu.Unlock()
	for _, sock := range socks {
		// Drop the transport without a DISCONNECT packet: a client told
		// "server disconnect" would not reconnect, a network fault does.
		sock.Conn().Close(true)
	}
	s.log.Info("sockets kicked", "run", runID, "count", len(socks))
	return len(socks)
}

// splitAck separates the acknowledgement callback a sender may append.
func splitAck(args []any) ([]any, socket.Ack) {
	if n := len(args); n > 0 {
		if fn, ok := args[n-1].(socket.Ack); ok {
			return args[:n-1], fn
		}
	}
	return args, nil
}

// answer acknowledges an event whose sender asked for it.
func answer(reply socket.Ack, err error) {
	switch {
	case reply == nil:
	case err != nil:
		reply([]any{map[string]any{"ok": false, "error": err.Error()}}, nil)
	default:
		reply([]any{map[string]any{"ok": true}}, nil)
	}
}

func runID(r *run) string {
	if r == nil {
		return ""
	}
	return r.id
}
