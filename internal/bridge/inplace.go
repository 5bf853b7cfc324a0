package bridge

import "github.com/abbridge/ab_bridge/internal/brain"

// A cycle:update is handled on the goroutine that hands it over (the
// session's), not queued for the bridge goroutine, whenever that goroutine
// is idle and nothing handed to it waits: the hop to it and back was the
// larger part of the bridge's share of a cycle's latency tail
// (BenchmarkShareLoopback: bridge p50 19–28 µs, p99 68–145 µs, of which
// handleCycle is 4 µs). Handling stays one at a time (turn) and in the
// order things were handed over: with an event, a new run or a setting
// still waiting (handOvers), the cycle queues behind it. Signals that were
// never ordered with events (link changes, holds, pauses) still are not.

// cycleInPlace handles c now and reports true, or leaves it to the queue.
func (b *Bridge) cycleInPlace(c *brain.CycleUpdate) bool {
	if b.handOvers.Load() != 0 || !b.turn.TryLock() {
		return false
	}
	defer b.turn.Unlock()
	if !b.running || b.handOvers.Load() != 0 {
		return false
	}
	b.stats.inPlace.Add(1)
	b.cycle(c)
	return true
}

// handOver runs a hand-over Run received (a new run, a setting) on its turn.
func (b *Bridge) handOver(f func()) {
	b.turn.Lock()
	defer b.turn.Unlock()
	f()
	b.handOvers.Add(-1)
}

// inTurn runs f on the bridge's turn.
func (b *Bridge) inTurn(f func()) {
	b.turn.Lock()
	defer b.turn.Unlock()
	f()
}
