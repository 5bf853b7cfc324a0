package policybridge

import (
	"sync"
	"sync/atomic"
	"time"
)

// Stats are the policy side's counters, for the stop line and the
// diagnostics.
type Stats struct {
	Requests  int64 // inference requests answered or failed
	Chunks    int64 // chunks taken into the queue
	Actions   int64 // actions played
	Stale     int64 // actions dropped: due before their chunk arrived
	Blended   int64 // actions blended with the queued ones they overlapped
	Starved   int64 // cycles with no action to play
	Failures  int64 // requests that failed after the client's retries
	Malformed int64 // answers that were no usable chunk
	NotReady  int64 // observations not sent: joints stale or missing, no camera frame
	Holds     int64 // holds asked for (the policy server lost)
	Lost      bool  // the policy server is failing now
	// Since is when Lost last changed (zero before the first answer);
	// LastError the failure that last made it lost.
	Since     time.Time
	LastError string
	// Latency from an observation to the first command of its chunk.
	LatencyLast, LatencyMax, LatencyMean time.Duration
	LatencyCount                         int64
}

type counters struct {
	requests, chunks, actions, stale, blended, starved, failures, malformed, notReady, holds atomic.Int64
	lost                                                                                     atomic.Bool
	mu                                                                                       sync.Mutex // guards the rest
	latLast, latMax, latSum                                                                  time.Duration
	latN                                                                                     int64
	since                                                                                    time.Time
	lastErr                                                                                  string
}

// changed records a change of lost, and the error that made it.
func (c *counters) changed(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.since = time.Now()
	if err != nil {
		c.lastErr = err.Error()
	}
}

func (c *counters) latency(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.latLast, c.latSum, c.latN = d, c.latSum+d, c.latN+1
	c.latMax = max(c.latMax, d)
}

func (c *counters) snapshot() Stats {
	s := Stats{Requests: c.requests.Load(), Chunks: c.chunks.Load(), Actions: c.actions.Load(), Stale: c.stale.Load(),
		Blended: c.blended.Load(), Starved: c.starved.Load(), Failures: c.failures.Load(), Malformed: c.malformed.Load(),
		NotReady: c.notReady.Load(), Holds: c.holds.Load(), Lost: c.lost.Load()}
	c.mu.Lock()
	defer c.mu.Unlock()
	s.LatencyLast, s.LatencyMax, s.LatencyCount = c.latLast, c.latMax, c.latN
	s.Since, s.LastError = c.since, c.lastErr
	if c.latN > 0 {
		s.LatencyMean = c.latSum / time.Duration(c.latN)
	}
	return s
}
