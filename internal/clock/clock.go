// Package clock is the time the bridge measures its samples with: the wall
// clock, or ROS time fed by /clock when the node runs with use_sim_time.
// It never imports ROS: internal/ros hands each /clock message to Sim.Set.
package clock

import (
	"sync/atomic"
	"time"
)

// Clock says what time it is. The zero time.Time means "not known yet": a
// sim clock before its first /clock message. Callers must then measure
// nothing and command nothing, since every age computed from it is
// meaningless.
type Clock interface {
	Now() time.Time
}

// Wall is the system clock.
type Wall struct{}

// Now is time.Now.
func (Wall) Now() time.Time { return time.Now() }

// Sim is ROS time as the /clock topic gives it. Like rclcpp's ROS time it
// is the last value received, not extrapolated between messages: a paused
// simulation stops it, and with it every age and timeout measured on it.
// Safe for concurrent use: the executor sets, every other goroutine reads.
type Sim struct {
	ns  atomic.Int64
	set atomic.Bool
}

// Set takes the time of one /clock message. Time 0 is a valid sim time
// (simulators start there), hence the separate flag.
func (s *Sim) Set(t time.Time) (first bool) {
	s.ns.Store(t.UnixNano())
	return !s.set.Swap(true)
}

// Now is the last /clock time, or the zero time.Time before the first.
func (s *Sim) Now() time.Time {
	if !s.set.Load() {
		return time.Time{}
	}
	return time.Unix(0, s.ns.Load())
}

// Known says whether c tells the time yet.
func Known(c Clock) bool { return !c.Now().IsZero() }
