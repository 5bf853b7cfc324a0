package config

import (
	"fmt"
	"math"
	"strings"

	"github.com/abbridge/ab_bridge/internal/yamlfile"

	"gopkg.in/yaml.v3"
)

// Command channels besides joint:<i>, as mapping entries name them.
const (
	// ChannelGripper and ChannelDG drive the gripper: PROTOCOL's helper
	// convention adds both into dg, so both are taken here.
	ChannelGripper = "gripper"
	ChannelDG      = "dg"
	// ChannelWheelLeft and ChannelWheelRight are wheel rotations per
	// timestep (rad), like joint channels.
	ChannelWheelLeft  = "wheel:left"
	ChannelWheelRight = "wheel:right"
	// ChannelBaseLinear and ChannelBaseAngular set the base's velocity
	// directly: a cycle's deltas add up to linear.x (m/s) and angular.z
	// (rad/s).
	ChannelBaseLinear  = "base:linear"
	ChannelBaseAngular = "base:angular"
)

// DefaultBaseFrame is the twist's frame_id when base.frame_id is unset:
// diff_drive_controller's default base_frame_id.
const DefaultBaseFrame = "base_link"

// Gripper is the gripper that gripper channels drive through a forward
// position controller; config/bridge.yaml documents each key.
type Gripper struct {
	// Joint is the gripper joint's name in joint_states, where its
	// measured position is read. It must not be one of joints: the
	// gripper has its own controller, not the trajectory's.
	Joint string   `yaml:"joint"`
	Min   *float64 `yaml:"min"`
	Max   *float64 `yaml:"max"`
}

// Base is the mobile base that wheel and base channels drive through
// cmd_vel; config/bridge.yaml documents each key.
type Base struct {
	WheelRadius     float64 `yaml:"wheel_radius"`
	WheelSeparation float64 `yaml:"wheel_separation"`
	MaxLinear       float64 `yaml:"max_linear"`
	MaxAngular      float64 `yaml:"max_angular"`
	FrameID         string  `yaml:"frame_id"`
}

// Frame is the twist's frame_id: frame_id, else DefaultBaseFrame.
func (b *Base) Frame() string {
	if b.FrameID == "" {
		return DefaultBaseFrame
	}
	return b.FrameID
}

// IsGripperChannel reports whether a mapping channel drives the gripper.
func IsGripperChannel(ch string) bool { return ch == ChannelGripper || ch == ChannelDG }

// IsBaseChannel reports whether a mapping channel drives the base.
func IsBaseChannel(ch string) bool {
	switch ch {
	case ChannelWheelLeft, ChannelWheelRight, ChannelBaseLinear, ChannelBaseAngular:
		return true
	}
	return false
}

func positiveFinite(v float64) bool { return v > 0 && !math.IsInf(v, 0) }

// validateCommands checks the gripper and base sections, and every mapping
// channel that needs one of them against it.
func (c *Config) validateCommands(root *yaml.Node, channelLines []int) []error {
	var errs []error
	bad := func(msg string, path ...any) {
		errs = append(errs, &Error{File: c.File, Line: yamlfile.LineOf(root, path...), Msg: msg})
	}
	if g := c.Gripper; g != nil {
		switch {
		case g.Joint == "":
			bad("gripper.joint is required (the gripper joint's name in joint_states)", "gripper")
		case c.hasJoint(g.Joint):
			bad(fmt.Sprintf("gripper.joint %q is one of joints: the gripper has its own controller, so leave it out of the trajectory", g.Joint), "gripper", "joint")
		}
		switch {
		case g.Min == nil || g.Max == nil:
			bad("gripper.min and gripper.max are required (the commanded position's range)", "gripper")
		case notFinite(*g.Min) || notFinite(*g.Max) || *g.Min >= *g.Max:
			bad(fmt.Sprintf("gripper.min %g must be below gripper.max %g, both finite", *g.Min, *g.Max), "gripper")
		}
	}
	if b := c.Base; b != nil {
		for key, v := range map[string]float64{"max_linear": b.MaxLinear, "max_angular": b.MaxAngular} {
			if !positiveFinite(v) {
				bad(fmt.Sprintf("base.%s %g must be positive and finite (required: a base is always limited)", key, v), "base", key)
			}
		}
		for key, v := range map[string]float64{"wheel_radius": b.WheelRadius, "wheel_separation": b.WheelSeparation} {
			if v != 0 && !positiveFinite(v) {
				bad(fmt.Sprintf("base.%s %g must be positive and finite", key, v), "base", key)
			}
		}
		if b.FrameID != "" && strings.TrimSpace(b.FrameID) != b.FrameID {
			bad(fmt.Sprintf("base.frame_id %q has surrounding spaces", b.FrameID), "base", "frame_id")
		}
	}
	for i, m := range c.Mapping {
		at := func(msg string) {
			errs = append(errs, &Error{File: c.File, Line: channelLines[i], Msg: fmt.Sprintf("mapping channel %q: %s", m.Channel, msg)})
		}
		ch := m.Channel
		switch {
		case IsGripperChannel(ch):
			if c.Gripper == nil {
				at("needs a gripper section (joint, min, max)")
			}
		case ch == ChannelWheelLeft || ch == ChannelWheelRight:
			if c.Base == nil {
				at("needs a base section (wheel_radius, wheel_separation, max_linear, max_angular)")
			} else if c.Base.WheelRadius == 0 || c.Base.WheelSeparation == 0 {
				at("needs base.wheel_radius and base.wheel_separation (the wheels' rotation becomes a twist)")
			}
		case ch == ChannelBaseLinear || ch == ChannelBaseAngular:
			if c.Base == nil {
				at("needs a base section (max_linear, max_angular)")
			}
		case strings.HasPrefix(ch, "wheel:"):
			at(fmt.Sprintf("is not %s or %s", ChannelWheelLeft, ChannelWheelRight))
		case strings.HasPrefix(ch, "base:"):
			at(fmt.Sprintf("is not %s or %s", ChannelBaseLinear, ChannelBaseAngular))
		}
	}
	return errs
}

func notFinite(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) }

func (c *Config) hasJoint(name string) bool {
	for _, j := range c.Joints {
		if j.Name == name {
			return true
		}
	}
	return false
}
