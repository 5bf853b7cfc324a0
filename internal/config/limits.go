package config

import (
	"fmt"
	"strings"

	"github.com/abbridge/ab_bridge/internal/yamlfile"

	"gopkg.in/yaml.v3"
)

// Limits says where joint limits come from besides joints[]: optionally
// the robot's URDF, as robot_state_publisher publishes it.
type Limits struct {
	// FromURDF subscribes Topic and narrows each configured joint's limits
	// to the URDF's <limit> (see internal/urdf: the tighter per bound).
	FromURDF bool `yaml:"from_urdf"`
	// Topic (std_msgs/String) is relative, so namespaces and remapping
	// apply. Defaults to robot_description.
	Topic string `yaml:"topic"`
}

// DefaultDescriptionTopic is robot_state_publisher's topic.
const DefaultDescriptionTopic = "robot_description"

// DescriptionTopic is the topic the URDF is read from.
func (l Limits) DescriptionTopic() string {
	if l.Topic == "" {
		return DefaultDescriptionTopic
	}
	return l.Topic
}

func (c *Config) validateLimits(root *yaml.Node) []error {
	l := c.Limits
	if l.Topic == "" {
		return nil
	}
	bad := func(msg string) []error {
		return []error{&Error{File: c.File, Line: yamlfile.LineOf(root, "limits", "topic"), Msg: msg}}
	}
	if strings.HasPrefix(l.Topic, "~") || !validTopic.MatchString(strings.TrimPrefix(l.Topic, "/")) {
		return bad(fmt.Sprintf("limits.topic %q is not a valid ROS topic name", l.Topic))
	}
	return nil
}
