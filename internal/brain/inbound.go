package brain

import (
	"context"
	"log/slog"
	"time"
)

func (s *Session) onNeed(args ...any) {
	defer s.direct.handled()
	need, err := parseNeed(firstArg(args), time.Now())
	if err != nil {
		s.refuse(EventNeed, err)
		return
	}
	if !s.forThisRun(EventNeed, need.RunID) {
		return
	}
	s.live.heard(need.At)
	s.stats.add(func(st *SessionStats) { st.Needs++ })
	s.deliver(EventNeed, func() { s.handler.OnNeed(need) })
}

// onCycleUpdate is the library's dispatch of a cycle:update.
func (s *Session) onCycleUpdate(args ...any) {
	defer s.direct.handled()
	s.cycleUpdate(firstArg(args))
}

// cycleUpdate runs on the library's event goroutine or, through the
// directPath, on the transport's reader.
func (s *Session) cycleUpdate(payload any) {
	update, err := parseCycleUpdate(payload, time.Now())
	if err != nil {
		s.refuse(EventCycleUpdate, err)
		return
	}
	if !s.forThisRun(EventCycleUpdate, update.RunID) {
		return
	}
	if ns := s.readAt.Load(); ns != 0 {
		update.Read = time.Unix(0, ns)
	}
	s.live.heard(update.At)
	s.stats.add(func(st *SessionStats) { st.Cycles++ })
	s.deliver(EventCycleUpdate, func() { s.handler.OnCycle(update) })
}

// maxUnhandledNames bounds the Unhandled counter: event names come from the
// server, and a misbehaving one must not grow the bridge's memory.
const maxUnhandledNames = 32

// otherEvents is where unhandled events beyond maxUnhandledNames count.
const otherEvents = "(other)"

// onAnyEvent counts events the bridge does not use (legacy robot:cmd, …),
// so they are visible rather than silently ignored.
func (s *Session) onAnyEvent(args ...any) {
	name, _ := firstArg(args).(string)
	if name == EventNeed || name == EventCycleUpdate {
		return
	}
	s.stats.add(func(st *SessionStats) {
		if _, known := st.Unhandled[name]; !known && len(st.Unhandled) >= maxUnhandledNames {
			name = otherEvents
		}
		st.Unhandled[name]++
	})
	s.logThrottled(slog.LevelDebug, "unhandled", "realtime event not used by the bridge", "event", name)
}

func (s *Session) refuse(event string, err error) {
	s.stats.add(func(st *SessionStats) { st.Malformed[event]++ })
	s.logThrottled(slog.LevelWarn, "malformed:"+event, "realtime event refused", "event", event, "err", err)
}

func (s *Session) forThisRun(event, runID string) bool {
	if runID == "" || runID == s.run() {
		return true
	}
	s.stats.add(func(st *SessionStats) { st.OtherRun++ })
	s.logThrottled(slog.LevelWarn, "other-run:"+event, "realtime event for another run", "event", event, "event_run", runID)
	return false
}

// deliver runs a handler call, turning a panic into a counted error rather
// than a line on the library's standard logger.
func (s *Session) deliver(event string, call func()) {
	defer func() {
		if r := recover(); r != nil {
			s.stats.add(func(st *SessionStats) { st.HandlerPanics++ })
			s.logThrottled(slog.LevelError, "panic:"+event, "realtime handler panicked", "event", event, "err", r)
		}
	}()
	call()
}

func (s *Session) logThrottled(level slog.Level, key, msg string, attrs ...any) {
	ok, suppressed := s.throttle.allow(key)
	if !ok {
		return
	}
	if suppressed > 0 {
		attrs = append(attrs, "suppressed", suppressed)
	}
	s.log.Log(context.Background(), level, msg, attrs...)
}
