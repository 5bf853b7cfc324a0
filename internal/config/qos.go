package config

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/abbridge/ab_bridge/internal/yamlfile"

	"gopkg.in/yaml.v3"
)

// QoS is one topic's quality of service, in the words ROS 2 tools use.
// In the qos section every field is optional: an unset one keeps the
// default of the topic's role (DefaultQoS).
type QoS struct {
	// Reliability is reliable or best_effort. A best-effort subscription
	// matches reliable and best-effort publishers; a reliable one matches
	// reliable publishers only.
	Reliability string `yaml:"reliability"`
	// Durability is volatile or transient_local (late joiners get the
	// publisher's last depth messages; both ends must say so).
	Durability string `yaml:"durability"`
	// History is keep_last, the only history the node takes: keep_all
	// would let a stalled executor queue without bound.
	History string `yaml:"history"`
	// Depth is how many messages keep_last keeps, at least 1.
	Depth int `yaml:"depth"`
}

// QoS policy values, as the configuration spells them.
const (
	Reliable       = "reliable"
	BestEffort     = "best_effort"
	Volatile       = "volatile"
	TransientLocal = "transient_local"
	KeepLast       = "keep_last"
)

// maxQoSDepth bounds depth: a queue this long already holds seconds of
// any sensor stream, and a typo like 10000000 would reserve its memory.
const maxQoSDepth = 10000

// Role is what a topic is to the node; it decides the topic's default QoS.
type Role int

// The roles of the node's topics.
const (
	RoleJointStates Role = iota // the robot's joint_states
	RoleCommand                 // joint_trajectory, published
	RoleImage                   // camera inputs
	RoleAudio                   // microphone inputs
	RolePolicy                  // topics the learning policies read
	RoleGripper                 // gripper, published (a forward position controller's commands)
	RoleVelocity                // cmd_vel, published (diff_drive_controller's)
	RoleDescription             // robot_description (limits.from_urdf)
)

// DefaultQoS is the QoS of a topic in role when the qos section does not
// set it. Subscriptions are best effort, which matches reliable publishers
// (rclpy's and rclcpp's default) and best-effort ones (the sensor-data
// profile of most drivers) alike; they keep only a few messages, since the
// node only ever reads the newest. Commands are reliable, keep-last 10:
// what joint_trajectory_controller subscribes with (the system default
// profile), and a reliable subscription matches only a reliable publisher.
func DefaultQoS(role Role) QoS {
	q := QoS{Reliability: BestEffort, Durability: Volatile, History: KeepLast, Depth: 10}
	switch role {
	case RoleCommand, RoleGripper, RoleVelocity:
		// Both controllers subscribe with the system default profile too.
		q.Reliability = Reliable
	case RoleImage:
		q.Depth = 2 // an old frame is worth less than the next one
	case RoleAudio:
		q.Depth = 50 // a stream: a short executor stall should lose none of it
	case RolePolicy:
		q.Depth = 5
	case RoleDescription:
		// robot_state_publisher's: published once, transient local,
		// keep-last 1 (rclcpp's default reliability), so a late joiner
		// gets it; only a subscription that says so too hears it.
		q = QoS{Reliability: Reliable, Durability: TransientLocal, History: KeepLast, Depth: 1}
	}
	return q
}

// TopicQoS is the QoS of topic (its name as the node uses it, before
// remapping) in role: the role's default, with what qos.<topic> sets.
func (c *Config) TopicQoS(topic string, role Role) QoS {
	q := DefaultQoS(role)
	o, ok := c.QoS[topic]
	if !ok {
		return q
	}
	if o.Reliability != "" {
		q.Reliability = o.Reliability
	}
	if o.Durability != "" {
		q.Durability = o.Durability
	}
	if o.History != "" {
		q.History = o.History
	}
	if o.Depth != 0 {
		q.Depth = o.Depth
	}
	return q
}

// String is the QoS as one log value, e.g. "best_effort volatile keep_last(10)".
func (q QoS) String() string {
	return fmt.Sprintf("%s %s %s(%d)", q.Reliability, q.Durability, q.History, q.Depth)
}

// UnusedQoS reports, at file:line, each qos entry that names none of
// topics (every topic the node subscribes or publishes; the policies'
// topics are only known once the policies are loaded, so this runs after
// Load). An entry that applies to nothing is a typo worth stopping for.
func (c *Config) UnusedQoS(topics []string) error {
	var errs []error
	for _, name := range c.qosTopics() {
		if !slices.Contains(topics, name) {
			errs = append(errs, &Error{File: c.File, Line: c.qosLines[name],
				Msg: fmt.Sprintf("qos: topic %q is not one the node subscribes or publishes (%s)", name, strings.Join(topics, ", "))})
		}
	}
	return errors.Join(errs...)
}

func (c *Config) qosTopics() []string {
	names := make([]string, 0, len(c.QoS))
	for name := range c.QoS {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func (c *Config) validateQoS(root *yaml.Node) []error {
	var errs []error
	c.qosLines = map[string]int{}
	for _, name := range c.qosTopics() {
		c.qosLines[name] = yamlfile.LineOf(root, "qos", name)
		bad := func(msg, key string) {
			errs = append(errs, &Error{File: c.File, Line: yamlfile.LineOf(root, "qos", name, key),
				Msg: fmt.Sprintf("qos %q: %s", name, msg)})
		}
		if !validTopic.MatchString(strings.TrimPrefix(name, "/")) {
			bad("is not a valid ROS topic name", "")
		}
		q := c.QoS[name]
		if q.Reliability != "" && q.Reliability != Reliable && q.Reliability != BestEffort {
			bad(fmt.Sprintf("reliability %q is not %s or %s", q.Reliability, Reliable, BestEffort), "reliability")
		}
		if q.Durability != "" && q.Durability != Volatile && q.Durability != TransientLocal {
			bad(fmt.Sprintf("durability %q is not %s or %s", q.Durability, Volatile, TransientLocal), "durability")
		}
		if q.History != "" && q.History != KeepLast {
			bad(fmt.Sprintf("history %q is not %s (keep_all would queue without bound)", q.History, KeepLast), "history")
		}
		if q.Depth < 0 || q.Depth > maxQoSDepth || (q.Depth == 0 && yamlfile.NodeAt(root, "qos", name, "depth") != nil) {
			bad(fmt.Sprintf("depth %d is not within 1..%d", q.Depth, maxQoSDepth), "depth")
		}
	}
	return errs
}

// QoSRole is the role of an Image or Audio input's topic.
func (in Input) QoSRole() Role {
	if in.Kind == "Audio" {
		return RoleAudio
	}
	return RoleImage
}
