package diagnostics

import (
	"fmt"
	"time"
)

// ComponentPolicy is the policy side's own counters (brain.kind
// roboactions).
const ComponentPolicy = "roboactions policy"

// Policy is the policy side of brain.kind roboactions at one instant, as
// plain data (the node fills it from internal/policybridge's Stats): there
// the policy server's answers play the brain link's part.
type Policy struct {
	// Lost: the server is failing now (the arm is held); Since when that
	// last changed, zero before the first answer; LastError why.
	Lost      bool
	Since     time.Time
	LastError string
	// Requests sent, chunks taken, actions played, actions dropped as
	// stale, blended at a seam, cycles with nothing to play, failed
	// requests, unusable answers, observations not sent, holds.
	Requests, Chunks, Actions, Stale, Blended, Starved, Failures, Malformed, NotReady, Holds int64
	// Observation → first command of its chunk.
	LatencyMean, LatencyMax time.Duration
}

func (p Policy) answered() bool { return !p.Since.IsZero() }

// policyLink is the brain link on the policy path: the policy server. OK
// while it answers; WARN before the first answer and while failing for
// less than LostError; ERROR beyond; WARN for a period with unusable
// answers.
func (m *Monitor) policyLink(s Sample) Status {
	pl, p := s.Policy, m.prev.Policy
	st, since := "answering", pl.Since
	var v verdict
	switch {
	case !pl.answered():
		st, since = "waiting for the first answer", m.conf.Start
		if gap := s.At.Sub(m.conf.Start); gap >= m.conf.LostError {
			v.add(Error, fmt.Sprintf("no answer from the policy %s after start: %s", round(gap), orDefault(pl.LastError, "none yet")))
		} else {
			v.add(Warn, "waiting for the policy's first answer")
		}
	case pl.Lost:
		st = "failing"
		if gap := s.At.Sub(since); gap >= m.conf.LostError {
			st = "lost"
			v.add(Error, fmt.Sprintf("the policy server has failed for %s (arm held): %s", round(gap), pl.LastError))
		} else {
			v.add(Warn, "the policy server is failing (arm held): "+pl.LastError)
		}
	}
	v.warnGrew(pl.Malformed-p.Malformed, "%d answers were no usable action chunk")
	values := []KeyValue{
		{"state", st}, {"url", m.conf.BrainURL}, {"in state for (s)", secs(s.At.Sub(since))},
		{"last error", pl.LastError}, {"requests", itoa(pl.Requests)}, {"failures", itoa(pl.Failures)},
		{"holds", itoa(pl.Holds)},
	}
	return m.status(ComponentLink, m.conf.BrainURL, v, "the policy server answers", values)
}

// policy is the policy side's own counters. ERROR while the arm is held
// for a failing server; WARN for a period with stale actions dropped (the
// policy answers slower than its chunks play), cycles with nothing to
// play while it answers, or observations not sent (stale joints, no
// camera frame); OK otherwise.
func (m *Monitor) policy(s Sample) Status {
	pl, p := s.Policy, m.prev.Policy
	values := []KeyValue{
		{"requests", itoa(pl.Requests)}, {"chunks", itoa(pl.Chunks)}, {"actions played", itoa(pl.Actions)},
		{"stale actions dropped", itoa(pl.Stale)}, {"actions blended at a seam", itoa(pl.Blended)},
		{"cycles with no action", itoa(pl.Starved)}, {"failures", itoa(pl.Failures)}, {"unusable answers", itoa(pl.Malformed)},
		{"observations not sent", itoa(pl.NotReady)}, {"holds", itoa(pl.Holds)},
		{"observation to first command, mean (ms)", ms(pl.LatencyMean)}, {"observation to first command, max (ms)", ms(pl.LatencyMax)},
	}
	var v verdict
	if pl.Lost {
		v.add(Error, "the policy server is failing: the arm is held")
	}
	v.warnGrew(pl.Stale-p.Stale, "%d actions dropped: due before their chunk arrived")
	if n := pl.Starved - p.Starved; n > 0 && !pl.Lost && pl.answered() {
		v.add(Warn, fmt.Sprintf("%d cycles with no action to play", n))
	}
	v.warnGrew(pl.NotReady-p.NotReady, "%d observations not sent (stale joints or no camera frame)")
	ok := fmt.Sprintf("%d chunks, %d actions played", pl.Chunks-p.Chunks, pl.Actions-p.Actions)
	return m.status(ComponentPolicy, m.conf.BrainURL, v, ok, values)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }
