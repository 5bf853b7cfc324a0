package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/abbridge/ab_bridge/internal/bridge"
	"github.com/abbridge/ab_bridge/internal/ros"
)

// Service names, under the node's own name.
const (
	pauseService  = "~/pause"
	resumeService = "~/resume"
)

// pauseWait bounds how long ~/pause waits for the bridge goroutine to
// publish the hold before it answers anyway (the hold then follows).
const pauseWait = time.Second

// pauseServices are ~/pause and ~/resume (std_srvs/Trigger): an operator
// stops and restarts commanding without stopping the run; the arm is held
// at rest meanwhile.
func pauseServices(log *slog.Logger, br *bridge.Bridge) []ros.Subscriber {
	return []ros.Subscriber{
		ros.TriggerService(pauseService, func() (bool, string) {
			// The answer waits for the hold: after "paused" nothing moves.
			ctx, cancel := context.WithTimeout(context.Background(), pauseWait)
			defer cancel()
			if !br.Pause(ctx) {
				return false, "already paused"
			}
			log.Warn("paused: holding the arm; the run goes on", "service", pauseService)
			return true, "paused: the arm is held until ~/resume"
		}),
		ros.TriggerService(resumeService, func() (bool, string) {
			if !br.Resume() {
				return false, "not paused"
			}
			log.Info("resumed: commanding again", "service", resumeService)
			return true, "resumed"
		}),
	}
}
