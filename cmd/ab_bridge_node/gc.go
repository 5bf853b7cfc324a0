package main

import "runtime/debug"

// memoryLimit is the node's soft limit on the Go runtime's memory (heap,
// stacks, runtime metadata; not the C allocations of rcl and Fast DDS)
// unless GOMEMLIMIT sets one. GOGC stays the runtime's (100, or the
// environment's). The node used to run at GOGC 400: beside a 15 fps VGA
// camera its heap goal was five times a live heap that the embedded
// brain's chunk record kept growing, and RSS climbed from 78 to 207 MB in
// the first minute of BenchmarkNodeSoak; with the record gone, GOGC 400
// still cost 13 MB of RSS (80 against 67 MB) for 1.5–2 points less of a
// core. GOGC 400 had been chosen for the cycle:update → JointTrajectory
// p99 (2.0–2.4 → 1.3–2.0 ms in BenchmarkCycleToTrajectory, noisy): a
// latency that needs it back can set GOGC. In steady state the node's Go
// memory is about 22 MB, under the limit, so the limit costs nothing
// there; it is the backstop that makes the collector work harder instead
// of letting RSS follow a burst. Past it the runtime caps GC at about half
// the CPU rather than failing, so a heap that needs more still gets it.
const memoryLimit = 40 << 20

// applyGCSettings sets memoryLimit unless the environment set GOMEMLIMIT
// (which the runtime has read already). It returns the limit in force.
func applyGCSettings(getenv func(string) string) int64 {
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	return debug.SetMemoryLimit(-1)
}
