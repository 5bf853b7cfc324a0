// Command ab_bridge_node connects a ROS 2 robot to an Artificial Brains brain
// (or the embedded local brain): joint_states in, joint_trajectory out.
//
// main only wires the signal context to run; run does the work and is what
// the integration tests exercise through the built binary.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	applyGCSettings(os.Getenv)
	if addr, err := startPprof(os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "ab_bridge_node:", err)
		os.Exit(2)
	} else if addr != "" {
		fmt.Fprintln(os.Stderr, "ab_bridge_node: pprof on http://"+addr+"/debug/pprof/")
	}
	// Own SIGINT/SIGTERM: the Socket.IO client package traps them in its init
	// (SOCKETIO.md), and rcl must not be the one to decide how we stop.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
