// Command ab_bridge_node connects a ROS 2 robot to an Artificial Brains brain
// (or the embedded local brain): joint_states in, joint_trajectory out.
//
// main only wires the signal context to run; run does the work and is what
// the integration tests exercise through the built binary.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// gcPercent is the node's GOGC unless the environment sets one. The heap is
// small (tens of MB) but the Socket.IO library turns every cycle:update into
// thousands of boxed numbers; collecting 4× less often lowered the node's
// share of the cycle:update → JointTrajectory p99 from about 2.0–2.4 ms to
// 1.3–2.0 ms in BenchmarkCycleToTrajectory (noisy, 2 cores), for a few MB.
const gcPercent = 400

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	// Own SIGINT/SIGTERM: the Socket.IO client package traps them in its init
	// (SOCKETIO.md), and rcl must not be the one to decide how we stop.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
