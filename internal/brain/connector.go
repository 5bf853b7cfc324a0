package brain

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
	"time"

	"github.com/zishang520/socket.io/clients/engine/v3"
	sio "github.com/zishang520/socket.io/clients/socket/v3"
	"github.com/zishang520/socket.io/parsers/socket/v3/parser"
)

// Connection timing (PROTOCOL §3, SOCKETIO.md).
const (
	// reconnectDelay growing to reconnectDelayMax is the protocol's backoff.
	reconnectDelay    = time.Second
	reconnectDelayMax = 5 * time.Second
	// attemptTimeout bounds the TCP dial and the websocket handshake of an
	// attempt (the library's own bound, 20 s by default, is far too long
	// for a robot, and racy: see libraryTimeout).
	attemptTimeout = 2 * time.Second
	// libraryTimeout keeps the library's own connect timer from ever
	// firing. Its Manager arms that timer after subscribing to the
	// transport's "open" and only registers the timer's clearing after
	// that; an "open" handled in between (the transport reads on its own
	// goroutine) clears the subscriptions before the clearing is
	// registered, so the timer fires attemptTimeout after a good connect:
	// it closes the transport and removes the Manager's close listener,
	// the session hears no disconnect, and only its silence window
	// noticed, a second later (seen twice in the integration tests, the
	// server logging "transport close" 2.0 s after the join). Attempts are
	// bounded here instead: the TCP dial and the websocket handshake by
	// attemptTimeout, the whole attempt by joinTimeout.
	libraryTimeout = 24 * time.Hour
	// joinTimeout bounds a whole attempt, namespace handshake included.
	joinTimeout = attemptTimeout + 3*time.Second
	// stableConnection is how long a connection must last for the backoff
	// to start again from reconnectDelay after it drops.
	stableConnection = 5 * time.Second
	// logPeriod is the least time between two log lines of one kind about
	// bad input or failed attempts.
	logPeriod = 5 * time.Second
	// closeWait bounds how long Close waits for a dial in progress.
	closeWait = 5 * time.Second
	// connectGrace delays CONNECT after the transport opened. The server
	// library (zishang520 engine v3.0.2) reads a new connection before it
	// announces it to its Socket.IO layer: a CONNECT that comes back within
	// microseconds of its handshake is lost there, and the attempt waits
	// out nsJoinTimeout. The delay runs on the transport's reading
	// goroutine, which has nothing else to read yet.
	connectGrace = 10 * time.Millisecond
	// joinGrace delays run:join after the namespace handshake, for the
	// same server library: it writes the CONNECT answer before it records
	// the socket and before its "connection" handlers subscribe to events,
	// so an event sent at once either closes the connection ("invalid
	// state") or reaches no handler and is lost. It runs on the client's
	// event goroutine, where incoming events wait that long once per join.
	joinGrace = 10 * time.Millisecond
	// A transport seen open while the Manager still waits for its "open",
	// rescueStreak polls in a row, lost that event (see rescueLostOpen).
	rescuePoll   = 50 * time.Millisecond
	rescueStreak = 4
)

// connector is the session's one goroutine: it connects, waits for the
// connection to drop, backs off and connects again, until Close or a
// refusal. It replaces the library's reconnection, which on loopback loses
// races a reconnecting robot cannot afford:
//   - the Manager subscribes to the transport's "open" only after its
//     synchronous dial returned, while the transport may already have read
//     the server's handshake and emitted "open" to nobody: the attempt then
//     sits out its timeout;
//   - Socket.Connect during a dial can send CONNECT twice, and the server
//     then keeps two sockets for one client (every event arrives twice);
//   - a refused dial is never reported, so each attempt lasts the timeout.
//
// Here the socket subscribes only once the connection is open (from
// onManagerOpen), a lost "open" is re-emitted, and a dial that failed at
// once ends its attempt at once.
func (s *Session) connector() {
	defer s.wg.Done()
	defer s.sock.Disconnect() // whatever a last dial opened
	failures := 0
	for {
		err := s.attempt()
		switch {
		case s.isClosed() || s.Err() != nil:
			return
		case err == nil:
			failures = s.holdConnection(failures)
		default:
			failures++
			s.noteFailure(err)
		}
		if s.isClosed() {
			return
		}
		select {
		case <-s.closing:
			return
		case <-time.After(backoff(failures)):
		}
	}
}

// backoff is the delay before the next attempt: 1 s doubling to 5 s, with
// ±20 % jitter so that a fleet of robots does not reconnect in step.
func backoff(failures int) time.Duration {
	d := min(reconnectDelay<<min(max(failures-1, 0), 3), reconnectDelayMax)
	jitter := 0.8 + 0.4*rand.Float64()
	return min(time.Duration(float64(d)*jitter), reconnectDelayMax)
}

// attempt opens one connection and joins the namespace, or fails.
func (s *Session) attempt() error {
	// Start from a socket that is not subscribed to the Manager and a
	// closed Manager (a no-op the first time).
	s.sock.Disconnect()
	drain(s.joinSig)
	drain(s.failSig)
	drain(s.lostSig)
	s.sock.Io().Open(nil) // dials synchronously
	e := s.sock.Io().Engine()
	if e == nil || e.ReadyState() == engine.SocketStateClosed {
		s.sock.Disconnect()
		return s.dialError()
	}
	s.honourClose(e)
	deadline := time.NewTimer(joinTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(rescuePoll)
	defer tick.Stop()
	streak := 0
	for {
		select {
		case <-s.joinSig:
			return nil
		case <-s.refused:
			return s.Err()
		case <-s.closing:
			return ErrClosed
		case <-s.failSig:
			s.sock.Disconnect()
			return s.lastFailure()
		case <-s.lostSig:
			return errors.New("connection lost while joining")
		case <-deadline.C:
			s.sock.Disconnect()
			return fmt.Errorf("not joined within %v", joinTimeout)
		case <-tick.C:
			streak = s.rescueLostOpen(streak)
		}
	}
}

// holdConnection waits until the joined connection drops and returns the
// failure count the next backoff starts from.
func (s *Session) holdConnection(failures int) int {
	select {
	case <-s.closing:
		return 0
	case <-s.lostSig:
	}
	s.mu.Lock()
	lasted := time.Since(s.connectedAt)
	s.mu.Unlock()
	if lasted >= stableConnection {
		return 0
	}
	// Dropped soon after joining (a server that kicks us, a flapping
	// link): keep backing off instead of hammering it every second.
	return failures + 1
}

func (s *Session) noteFailure(err error) {
	s.mu.Lock()
	s.lastErr = err
	s.mu.Unlock()
	s.logThrottled(slog.LevelWarn, "attempt", "realtime connect attempt failed", "url", s.url, "err", err)
}

func (s *Session) lastFailure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastErr != nil {
		return s.lastErr
	}
	return errors.New("connection failed")
}

// dialError says why a dial failed at once: the transport's own error when
// it was caught, else a plain TCP dial finds out whether the network is
// to blame.
func (s *Session) dialError() error {
	if err := s.dialErr.Load(); err != nil {
		return fmt.Errorf("websocket dial: %w", *err)
	}
	u, err := url.Parse(s.url)
	if err != nil {
		return errors.New("websocket dial failed")
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(u.Hostname(), port), attemptTimeout)
	if err != nil {
		return err
	}
	_ = conn.Close()
	return errors.New("websocket handshake failed (the server is reachable)")
}

// rescueLostOpen re-emits an "open" the Manager missed (see connector).
// The Manager removes its "open" listener as soon as it gets the event, so
// a transport that stays open with that listener still in place for
// rescueStreak polls has lost it. The socket is subscribed after the
// re-emitted event is fully handled: the Manager subscribes to incoming
// data only at the end of its handling, and from this goroutine the answer
// to CONNECT could otherwise arrive before that.
func (s *Session) rescueLostOpen(streak int) int {
	e := s.sock.Io().Engine()
	if e == nil || e.ReadyState() != engine.SocketStateOpen || e.ListenerCount("open") == 0 {
		return 0
	}
	if streak++; streak < rescueStreak {
		return streak
	}
	s.stats.add(func(st *SessionStats) { st.OpenRescues++ })
	s.log.Debug("realtime transport open event was lost; emitting it again", "url", s.url)
	s.mu.Lock()
	s.rescuing = true
	s.mu.Unlock()
	e.Emit("open")
	s.mu.Lock()
	s.rescuing = false
	s.mu.Unlock()
	s.joinIfOpen()
	return 0
}

// onManagerOpen subscribes the socket, which sends CONNECT for the
// namespace. It runs on the transport's reading goroutine, which cannot
// read the answer before the Manager has finished handling "open".
func (s *Session) onManagerOpen(...any) {
	s.mu.Lock()
	stop := s.closed || s.rejected != nil
	rescuing := s.rescuing
	s.mu.Unlock()
	switch {
	case stop:
		s.sock.Disconnect()
	case !rescuing:
		time.Sleep(connectGrace)
		s.joinIfOpen()
	}
}

func (s *Session) joinIfOpen() {
	if !s.sock.Active() && !s.isClosed() {
		s.sock.Connect()
	}
}

// onManagerError is a failed attempt (timeout, handshake error).
func (s *Session) onManagerError(args ...any) {
	err, _ := firstArg(args).(error)
	if err == nil {
		err = fmt.Errorf("%v", firstArg(args))
	}
	s.mu.Lock()
	s.lastErr = err
	s.mu.Unlock()
	notify(s.failSig)
}

// onManagerClose is the connection closing; before the namespace was
// joined it fails the attempt (afterwards onDisconnect reports it).
func (s *Session) onManagerClose(args ...any) {
	reason, _ := firstArg(args).(string)
	if reason == "forced close" {
		return // our own Disconnect
	}
	s.mu.Lock()
	if s.lastErr == nil || !s.connected {
		s.lastErr = fmt.Errorf("connection closed: %s", reason)
	}
	s.mu.Unlock()
	notify(s.failSig)
}

func (s *Session) onConnect(...any) {
	time.Sleep(joinGrace)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.sock.Disconnect()
		return
	}
	s.connected = true
	s.direct.open.Store(true) // before run:join: the run's first event may be read next
	s.connectedAt = time.Now()
	s.lastErr = nil
	s.runGone = false // a restarted brain is asked again
	err := s.emitJoin()
	run := s.runID
	var joins int64
	s.stats.add(func(st *SessionStats) {
		st.Connects++
		if st.Connects > 1 {
			st.Reconnects++
		}
		joins = st.Connects
	})
	s.mu.Unlock()
	if err != nil {
		s.log.Error("realtime run:join not sent", "url", s.url, "run", run, "err", err)
	} else {
		s.log.Info("realtime joined", "url", s.url, "namespace", s.nsp, "run", run, "joins", joins)
	}
	notify(s.joinSig)
	s.joinOnce.Do(func() { close(s.joined) })
	s.handler.OnLink(Link{Up: true, Run: run, At: time.Now()})
}

func (s *Session) onDisconnect(args ...any) {
	reason, _ := firstArg(args).(string)
	s.mu.Lock()
	was := s.connected
	s.connected = false
	s.direct.open.Store(false)
	dropped := s.drainOfflineBuffer()
	closed := s.closed
	run := s.runID
	s.mu.Unlock()
	if was {
		s.stats.add(func(st *SessionStats) { st.Disconnects++ })
	}
	if closed {
		return
	}
	s.log.Warn("realtime disconnected; reconnecting", "url", s.url, "reason", reason, "dropped", dropped)
	if was {
		s.handler.OnLink(Link{Run: run, Reason: "disconnected: " + reason, At: time.Now()})
	}
	notify(s.lostSig)
}

// drainOfflineBuffer empties the library's offline buffer. Sends check
// connected under mu, but the library may have buffered an emit in the
// instant between its own state change and onDisconnect; replaying that on
// reconnect would send stale data. Called with mu held.
func (s *Session) drainOfflineBuffer() int {
	dropped := map[string]int64{}
	n := 0
	s.sock.SendBuffer().DoWrite(func(ps []*sio.Packet) []*sio.Packet {
		for _, p := range ps {
			if data, ok := p.Data.([]any); ok {
				if name, ok := firstArg(data).(string); ok {
					dropped[name]++
				}
			}
		}
		n = len(ps)
		return ps[:0]
	})
	if n > 0 {
		s.stats.add(func(st *SessionStats) {
			for name, k := range dropped {
				st.Dropped[name] += k
			}
		})
	}
	return n
}

func (s *Session) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// onManagerPacket keeps the server's own words of a CONNECT_ERROR: the
// library drops them when the error carries no "data" field, as servers
// that reject with a plain error do.
func (s *Session) onManagerPacket(args ...any) {
	p, ok := firstArg(args).(*parser.Packet)
	if !ok || p.Type != parser.CONNECT_ERROR || p.Nsp != s.nsp {
		return
	}
	rej := &RejectedError{Message: "no reason given"}
	switch d := p.Data.(type) {
	case map[string]any:
		if m, ok := d["message"].(string); ok && m != "" {
			rej.Message = m
		}
		rej.Data = d["data"]
	case string:
		rej.Message = d
	}
	s.mu.Lock()
	s.rejectMsg = rej
	s.mu.Unlock()
}

// onConnectError after a CONNECT_ERROR packet (the socket then has let go
// of the Manager) is the server refusing us: final. Transport failures
// reach the connector through onManagerError instead.
func (s *Session) onConnectError(args ...any) {
	if s.sock.Active() {
		return
	}
	s.mu.Lock()
	rej := s.rejectMsg
	if rej == nil {
		rej = &RejectedError{Message: fmt.Sprint(firstArg(args))}
	}
	s.rejected = rej
	s.lastErr = rej
	s.connected = false
	s.direct.open.Store(false)
	s.mu.Unlock()
	s.log.Error("realtime server refused the session; not retrying", "url", s.url, "err", rej.Message)
	s.refuseOnce.Do(func() { close(s.refused) })
}
