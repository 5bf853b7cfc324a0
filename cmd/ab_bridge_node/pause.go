package main

import (
	"log/slog"

	"github.com/abbridge/ab_bridge/internal/bridge"
	"github.com/abbridge/ab_bridge/internal/ros"
)

// Service names, under the node's own name.
const (
	pauseService  = "~/pause"
	resumeService = "~/resume"
)

// pauseServices are ~/pause and ~/resume (std_srvs/Trigger): an operator
// stops and restarts commanding without stopping the run; the arm is held
// at rest meanwhile.
func pauseServices(log *slog.Logger, br *bridge.Bridge) []ros.Subscriber {
	return []ros.Subscriber{
		ros.TriggerService(pauseService, func() (bool, string) {
			if !br.Pause() {
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
