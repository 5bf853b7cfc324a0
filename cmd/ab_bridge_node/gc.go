package main

import "runtime/debug"

// gcPercent is the node's GOGC unless the environment sets one, and
// memoryLimit its soft limit on the Go runtime's memory (heap, stacks,
// runtime metadata; not rcl's and Fast DDS's C allocations) unless
// GOMEMLIMIT sets one.
//
// GOGC 400 was chosen for the cycle:update → JointTrajectory p99 (2.0–2.4
// → 1.3–2.0 ms in BenchmarkCycleToTrajectory, noisy). With the embedded
// brain's chunk record it let RSS climb from 78 to 207 MB in a minute of
// BenchmarkNodeSoak; with the record gone (localbrain NoChunkData) RSS is
// flat at 77–84 MB. The runtime's default (100) would save about 10 MB
// more (with the session's own websocket transport: BenchmarkBridgeVsAnchor
// rate=50 69 → 57 MB, BenchmarkNodeCameraLoad 78 → 68 MB; GOGC 200 71 MB;
// GOMEMLIMIT 20MiB 74.5 MB; CPU within the noise of a shared machine; p99
// 3.75 → 4.06 and 2.07 → 2.49 ms in single runs), but in a 5-minute soak
// at GOGC 100 the node died of "found bad pointer in Go heap" after 3.8
// minutes — a memory-safety fault in cgo or unsafe code that more frequent
// collections expose sooner and that is not found yet (later 5-minute
// soaks at GOGC 100 ran clean: brain=remote flat at 68 MB, brain=embedded
// 68–71 MB). Until it is,
// GOGC stays 400 and the limit is the backstop that makes the collector
// work harder instead of letting RSS follow a burst (past it the runtime
// caps GC at about half the CPU rather than failing).
const (
	gcPercent   = 400
	memoryLimit = 40 << 20
)

// applyGCSettings sets gcPercent unless the environment set GOGC and
// memoryLimit unless it set GOMEMLIMIT (both of which the runtime has read
// already). It returns the GC percent and the limit in force.
func applyGCSettings(getenv func(string) string) (percent int, limit int64) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	percent = debug.SetGCPercent(-1)
	debug.SetGCPercent(percent)
	return percent, debug.SetMemoryLimit(-1)
}
