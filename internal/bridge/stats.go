package bridge

import "sync/atomic"

// counters are written by several goroutines and read by Stats.
type counters struct {
	needs, chunks, lateNeeds, missingProvider, staleInputs, failedChunks atomic.Int64
	cycles, trajectories, malformedRows, noJointState, failedPublishes   atomic.Int64
	badJointStates, droppedEvents, states, droppedStates                 atomic.Int64
	holds, staleJointStates, linkLosses, cyclesWhileLost                 atomic.Int64
	limitClamps, cyclesWhilePaused, inPlace                              atomic.Int64
}

// Stats is a snapshot of what the bridge has done and what went wrong.
type Stats struct {
	Needs, Chunks, LateNeeds, MissingProvider, StaleInputs, FailedChunks int64
	Cycles, Trajectories, MalformedRows, NoJointState, FailedPublishes   int64
	BadJointStates, DroppedEvents, States, DroppedStates                 int64
	// Holds are the trajectories that kept the arm still because the brain
	// was lost or joint_states were stale (StaleJointStates cycles).
	Holds, StaleJointStates, LinkLosses, CyclesWhileLost int64
	// LimitClamps counts commanded joint positions a joint limit changed.
	LimitClamps int64
	// CyclesWhilePaused are the cycles ~/pause kept from commanding motion.
	CyclesWhilePaused int64
	// CyclesInPlace are the cycles handled on the session's goroutine
	// rather than queued for the bridge's (inplace.go).
	CyclesInPlace int64
}

// Stats returns the counters so far.
func (b *Bridge) Stats() Stats {
	c := &b.stats
	return Stats{
		Needs: c.needs.Load(), Chunks: c.chunks.Load(), LateNeeds: c.lateNeeds.Load(),
		MissingProvider: c.missingProvider.Load(), StaleInputs: c.staleInputs.Load(),
		FailedChunks: c.failedChunks.Load(), Cycles: c.cycles.Load(),
		Trajectories: c.trajectories.Load(), MalformedRows: c.malformedRows.Load(),
		NoJointState: c.noJointState.Load(), FailedPublishes: c.failedPublishes.Load(),
		BadJointStates: c.badJointStates.Load(), DroppedEvents: c.droppedEvents.Load(),
		States: c.states.Load(), DroppedStates: c.droppedStates.Load(),
		Holds: c.holds.Load(), StaleJointStates: c.staleJointStates.Load(),
		LinkLosses: c.linkLosses.Load(), CyclesWhileLost: c.cyclesWhileLost.Load(),
		LimitClamps: c.limitClamps.Load(), CyclesWhilePaused: c.cyclesWhilePaused.Load(),
		CyclesInPlace: c.inPlace.Load(),
	}
}
