package main

import "runtime/debug"

// gcPercent is the node's GOGC unless the environment sets one, and
// memoryLimit its soft limit on the Go runtime's memory (heap, stacks,
// runtime metadata; not rcl's and Fast DDS's C allocations) unless
// GOMEMLIMIT sets one.
//
// GOGC is the runtime's default, 100. It was 400 for a while, for the
// cycle:update → JointTrajectory p99 (2.0–2.4 → 1.3–2.0 ms in
// BenchmarkCycleToTrajectory, noisy), and kept at 400 after a 5-minute soak
// at GOGC 100 died once of "found bad pointer in Go heap", a memory-safety
// fault in cgo or unsafe code. Since then the prime suspect, rclgo's
// per-byte conversion of every camera frame's pixel sequence, is gone
// (frames are taken serialized into one C buffer and read by internal/cdr),
// and no run has shown the fault again: two 5-minute soaks at GOGC 100
// (remote brain flat at 68 MB, embedded 68–71 MB) and a 10-minute one
// (embedded brain, 15 fps VGA camera: RSS 66–71 MB, +0.07 MB/min, 11.6 % of
// a core; `AB_SOAK=600s AB_SOAK_NODE_ENV=GOGC=100 go test ./test -run '^$'
// -bench NodeSoak/brain=embedded -benchtime 1x`). GOGC 100 saves about
// 10 MB of RSS (BenchmarkBridgeVsAnchor rate=50 69 → 57 MB,
// BenchmarkNodeCameraLoad 78 → 68 MB) for p99 +0.3–0.4 ms in single runs,
// CPU within noise. The limit is a backstop that makes the collector work
// harder instead of letting RSS follow a burst (past it the runtime caps GC
// at about half the CPU rather than failing). GOGC and GOMEMLIMIT in the
// environment win.
const (
	gcPercent   = 100
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
