package brain

import (
	"maps"
	"sync"
)

// SessionStats are a realtime session's counters since Dial.
type SessionStats struct {
	Connects      int64            // namespace joins, the first one included
	Reconnects    int64            // joins after the first
	Disconnects   int64            // losses of the namespace
	Needs         int64            // io:need handed to the handler
	Cycles        int64            // cycle:update handed to the handler
	OtherRun      int64            // events for another run, not handed on
	Malformed     map[string]int64 // by event name: payloads refused
	Unhandled     map[string]int64 // by event name: events the bridge has no use for (robot:cmd, …)
	Sent          map[string]int64 // by event name
	Dropped       map[string]int64 // by event name: sends refused while disconnected
	RewardClamps  int64            // reward values clamped into [0, 1]
	HandlerPanics int64            // panics recovered from the Handler
	OpenRescues   int64            // lost transport "open" events re-emitted (a library race)
	ServerCloses  int64            // Engine.IO CLOSE packets from the server, honoured at once
	Silences      int64            // connections dropped because the joined run went silent
	RunsGone      int64            // runs the brain stopped knowing
}

// counters is the mutable side of SessionStats; short critical sections,
// so one mutex is cheaper than a set of atomics plus maps.
type counters struct {
	mu sync.Mutex
	s  SessionStats
}

func newCounters() *counters {
	return &counters{s: SessionStats{
		Malformed: map[string]int64{},
		Unhandled: map[string]int64{},
		Sent:      map[string]int64{},
		Dropped:   map[string]int64{},
	}}
}

func (c *counters) add(f func(s *SessionStats)) {
	c.mu.Lock()
	f(&c.s)
	c.mu.Unlock()
}

func (c *counters) snapshot() SessionStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.s
	out.Malformed = maps.Clone(c.s.Malformed)
	out.Unhandled = maps.Clone(c.s.Unhandled)
	out.Sent = maps.Clone(c.s.Sent)
	out.Dropped = maps.Clone(c.s.Dropped)
	return out
}
