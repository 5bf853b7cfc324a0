package brain

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/zishang520/socket.io/servers/socket/v3"
)

// RunGone says the brain no longer knows the run the session joined: it
// refused the join, or sent nothing for it within the silence window after
// joining (a restarted server forgets its runs, and most say nothing when
// asked to join one they do not know). The session keeps its connection
// and sends nothing until SetRun names a run the brain knows.
type RunGone struct {
	Run    string
	Reason string
}

// liveness is the session's own rule for a dead brain, far shorter than the
// Engine.IO ping timeout (45 s by default): a joined run that hears no
// io:need or cycle:update for silence is lost. Right after a join that
// means the run is gone; later it means the brain or the link is stuck,
// and the connection is dropped and dialled again.
type liveness struct {
	silence   time.Duration
	lastEvent atomic.Int64 // Unix ns of the last io:need or cycle:update of the run
}

func (l *liveness) heard(at time.Time) { l.lastEvent.Store(at.UnixNano()) }

// watch runs until Close when the session has a silence window.
func (s *Session) watch() {
	defer s.wg.Done()
	tick := time.NewTicker(max(s.live.silence/4, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-s.closing:
			return
		case now := <-tick.C:
			s.checkSilence(now)
		}
	}
}

func (s *Session) checkSilence(now time.Time) {
	s.mu.Lock()
	connected, gone, joinedAt, run := s.connected, s.runGone, s.runJoinedAt, s.runID
	s.mu.Unlock()
	if !connected || gone || joinedAt.IsZero() {
		return
	}
	last := time.Unix(0, s.live.lastEvent.Load())
	switch {
	case last.Before(joinedAt) && now.Sub(joinedAt) > s.live.silence:
		s.runIsGone(run, fmt.Sprintf("no io:need within %v of joining the run", s.live.silence))
	case !last.Before(joinedAt) && now.Sub(last) > s.live.silence:
		s.stats.add(func(st *SessionStats) { st.Silences++ })
		s.log.Warn("brain silent; dropping the connection to dial again", "url", s.url, "silent_for", now.Sub(last).Round(time.Millisecond))
		s.lose("brain silent for " + now.Sub(last).Round(time.Millisecond).String())
	}
}

// runIsGone marks the run lost (once per run) and tells the handler and
// whoever reads RunGone.
func (s *Session) runIsGone(run, reason string) {
	s.mu.Lock()
	if s.runGone || s.runID != run || s.closed {
		s.mu.Unlock()
		return
	}
	s.runGone = true
	s.mu.Unlock()
	s.stats.add(func(st *SessionStats) { st.RunsGone++ })
	s.log.Warn("the brain no longer knows the run", "run", run, "reason", reason)
	s.handler.OnLink(Link{Run: run, Reason: "run gone: " + reason, At: time.Now()})
	select {
	case s.gone <- RunGone{Run: run, Reason: reason}:
	default: // one is pending already; SetRun answers both
	}
}

// RunGone delivers each run the brain stopped knowing.
func (s *Session) RunGone() <-chan RunGone { return s.gone }

// SetRun makes run the session's run: it is joined now if connected, and
// on every connect from now on, and every send carries it.
func (s *Session) SetRun(run string) {
	s.mu.Lock()
	s.runID, s.runGone = run, false
	s.log.Info("realtime run changed", "run", run)
	if s.connected {
		s.emitJoin()
	}
	s.mu.Unlock()
	if s.Connected() {
		s.handler.OnLink(Link{Up: true, Run: run, At: time.Now()})
	}
}

// emitJoin sends run:join with an acknowledgement: a server that answers
// {ok: false} does not know the run. Servers that do not answer are judged
// by the silence window instead. Called with mu held.
func (s *Session) emitJoin() error {
	run := s.runID
	s.runJoinedAt = time.Now()
	err := s.sock.Emit(EventRunJoin, map[string]any{"runId": run}, socket.Ack(func(args []any, err error) {
		if err != nil {
			return
		}
		if m, ok := firstArg(args).(map[string]any); ok && m["ok"] == false {
			go s.runIsGone(run, fmt.Sprintf("the brain refused run:join: %v", m["error"]))
		}
	}))
	if err == nil {
		s.stats.add(func(st *SessionStats) { st.Sent[EventRunJoin]++ })
	}
	return err
}

// lose counts the brain lost now, without waiting for the library to see
// its connection close: closing towards a frozen peer can wait for a write
// that never drains, and until then the session would look joined (no
// hold, the silence found again every tick). The handler hears it at once
// and the connector dials again; the library's late "disconnect" finds the
// session already down and says nothing twice.
func (s *Session) lose(reason string) {
	s.mu.Lock()
	was := s.connected
	s.connected = false
	s.direct.open.Store(false)
	run := s.runID
	s.mu.Unlock()
	if !was {
		return
	}
	s.stats.add(func(st *SessionStats) { st.Disconnects++ })
	s.handler.OnLink(Link{Run: run, Reason: "disconnected: " + reason, At: time.Now()})
	notify(s.lostSig)
	s.dropTransport(reason)
}

// dropTransport closes the connection as if the network had; the
// connector dials again.
func (s *Session) dropTransport(reason string) {
	if e := s.sock.Io().Engine(); e != nil {
		s.log.Debug("closing the realtime transport", "reason", reason)
		go e.Close()
	}
}
