package main

import (
	"log/slog"

	"github.com/abbridge/ab_bridge/internal/bridge"
	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/ros"
)

// commandsConf is what the node needs for the gripper and cmd_vel
// publishers: only the outputs the bridge drives get one, so that a
// configured section with no channel on it never publishes anything.
func commandsConf(cfg *config.Config, br *bridge.Bridge) ros.CommandsConf {
	gripper, base := br.CommandOutputs()
	c := ros.CommandsConf{Gripper: gripper, Base: base,
		GripperQoS: cfg.TopicQoS(ros.GripperTopic, config.RoleGripper),
		CmdVelQoS:  cfg.TopicQoS(ros.CmdVelTopic, config.RoleVelocity)}
	if cfg.Base != nil {
		c.BaseFrame = cfg.Base.Frame()
	}
	return c
}

// commandTopics are the command publishers' entries of nodeQoS: a qos
// entry for them is accepted whenever their section is configured.
func commandTopics(cfg *config.Config) []topicQoS {
	var out []topicQoS
	if cfg.Gripper != nil {
		out = append(out, topicQoS{ros.GripperTopic, "publisher", cfg.TopicQoS(ros.GripperTopic, config.RoleGripper)})
	}
	if cfg.Base != nil {
		out = append(out, topicQoS{ros.CmdVelTopic, "publisher", cfg.TopicQoS(ros.CmdVelTopic, config.RoleVelocity)})
	}
	return out
}

// commandTopicNames are the command topics besides joint_trajectory the
// node publishes, for its start-up line.
func commandTopicNames(br *bridge.Bridge) []string {
	var out []string
	gripper, base := br.CommandOutputs()
	if gripper {
		out = append(out, ros.GripperTopic)
	}
	if base {
		out = append(out, ros.CmdVelTopic)
	}
	return out
}

// logCommandStats says at stop how many gripper commands and twists went
// out, holds included, when the node has those outputs.
func logCommandStats(log *slog.Logger, br *bridge.Bridge) {
	if gripper, base := br.CommandOutputs(); gripper || base {
		st := br.CommandStats()
		log.Info("commands", "gripper", st.Gripper, "twists", st.Twists)
	}
}
