package main

import (
	"log/slog"

	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/policy"
	"github.com/abbridge/ab_bridge/internal/ros"
)

// topicQoS is one topic of the node with the QoS it is created with.
type topicQoS struct {
	topic string
	as    string // subscription or publisher
	qos   config.QoS
}

// nodeQoS lists every topic the node subscribes or publishes with its QoS,
// as ros.NewNode and the subscribers are given them.
func nodeQoS(cfg *config.Config, policyTopics []policy.TopicSpec) []topicQoS {
	out := []topicQoS{
		{ros.JointStatesTopic, "subscription", cfg.TopicQoS(ros.JointStatesTopic, config.RoleJointStates)},
		{ros.JointTrajectoryTopic, "publisher", cfg.TopicQoS(ros.JointTrajectoryTopic, config.RoleCommand)},
	}
	out = append(out, commandTopics(cfg)...)
	out = append(out, descriptionQoS(cfg)...) // urdf_limits.go
	for _, in := range cfg.Inputs {
		if in.Kind == "Image" || in.Kind == "Audio" {
			out = append(out, topicQoS{in.TopicName(), "subscription", cfg.TopicQoS(in.TopicName(), in.QoSRole())})
		}
	}
	for _, s := range policyTopics {
		out = append(out, topicQoS{s.Name, "subscription", cfg.TopicQoS(s.Name, config.RolePolicy)})
	}
	return out
}

// checkQoS refuses a qos entry that names none of the node's topics (only
// known here, once the policies are loaded), then logs each topic's QoS:
// the first thing to compare when a peer's messages do not arrive.
func checkQoS(log *slog.Logger, cfg *config.Config, policyTopics []policy.TopicSpec) error {
	topics := nodeQoS(cfg, policyTopics)
	names := make([]string, len(topics))
	for i, t := range topics {
		names[i] = t.topic
	}
	if err := cfg.UnusedQoS(names); err != nil {
		return err
	}
	for _, t := range topics {
		log.Info("qos", "topic", t.topic, "as", t.as, "reliability", t.qos.Reliability, "durability", t.qos.Durability,
			"history", t.qos.History, "depth", t.qos.Depth)
	}
	return nil
}
