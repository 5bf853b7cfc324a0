package ros

import (
	"errors"
	"fmt"
	"time"

	"github.com/tiiuae/rclgo/pkg/rclgo"

	"github.com/abbridge/ab_bridge/internal/bridge"
	"github.com/abbridge/ab_bridge/internal/config"
	builtin_interfaces_msg "github.com/abbridge/ab_bridge/msgs/builtin_interfaces/msg"
	geometry_msgs_msg "github.com/abbridge/ab_bridge/msgs/geometry_msgs/msg"
	std_msgs_msg "github.com/abbridge/ab_bridge/msgs/std_msgs/msg"
)

// Topics of the command outputs besides the trajectory, relative so that
// namespaces and remapping apply.
const (
	// GripperTopic carries std_msgs/Float64MultiArray, one value: the
	// commands of a forward position controller
	// (position_controllers/JointGroupPositionController's ~/commands).
	GripperTopic = "gripper"
	// CmdVelTopic carries geometry_msgs/TwistStamped: what Jazzy's
	// diff_drive_controller subscribes on ~/cmd_vel.
	CmdVelTopic = "cmd_vel"
)

// CommandsConf says which command publishers besides joint_trajectory the
// node creates, and how.
type CommandsConf struct {
	Gripper, Base         bool
	GripperQoS, CmdVelQoS config.QoS // zero: config.DefaultQoS of their role
	BaseFrame             string     // the twist's frame_id; "" is config.DefaultBaseFrame
}

// commandPubs are the gripper and cmd_vel publishers; each is nil when the
// bridge does not drive that output. Used from the bridge goroutine only,
// so the messages are reused.
type commandPubs struct {
	grip     *std_msgs_msg.Float64MultiArrayPublisher
	gripMsg  *std_msgs_msg.Float64MultiArray
	twist    *geometry_msgs_msg.TwistStampedPublisher
	twistMsg *geometry_msgs_msg.TwistStamped
}

var errNoPublisher = errors.New("ros: no publisher for this command output (not configured)")

func newCommandPubs(n *rclgo.Node, c CommandsConf) (*commandPubs, error) {
	p := &commandPubs{}
	var err error
	if c.Gripper {
		if p.grip, err = std_msgs_msg.NewFloat64MultiArrayPublisher(n, GripperTopic,
			pubOptions(orDefault(c.GripperQoS, config.RoleGripper))); err != nil {
			return nil, fmt.Errorf("ros: publisher %s: %w", GripperTopic, err)
		}
		p.gripMsg = std_msgs_msg.NewFloat64MultiArray()
		p.gripMsg.Data = make([]float64, 1)
	}
	if c.Base {
		if p.twist, err = geometry_msgs_msg.NewTwistStampedPublisher(n, CmdVelTopic,
			pubOptions(orDefault(c.CmdVelQoS, config.RoleVelocity))); err != nil {
			return nil, fmt.Errorf("ros: publisher %s: %w", CmdVelTopic, err)
		}
		p.twistMsg = geometry_msgs_msg.NewTwistStamped()
		p.twistMsg.Header.FrameId = c.BaseFrame
		if c.BaseFrame == "" {
			p.twistMsg.Header.FrameId = config.DefaultBaseFrame
		}
	}
	return p, nil
}

// PublishGripper publishes the gripper's commanded position, the one value
// of a single-joint forward position controller's commands.
func (n *Node) PublishGripper(position float64) error {
	p := n.cmds
	if p == nil || p.grip == nil {
		return errNoPublisher
	}
	p.gripMsg.Data[0] = position
	return p.grip.Publish(p.gripMsg)
}

// PublishTwist publishes a base velocity, stamped now on the node's clock
// (sim time with use_sim_time): diff_drive_controller drops a twist older
// than its cmd_vel_timeout by its own clock, so the stamp must be the send
// time on the clock the controller runs on.
func (n *Node) PublishTwist(tw bridge.Twist) error {
	p := n.cmds
	if p == nil || p.twist == nil {
		return errNoPublisher
	}
	m := p.twistMsg
	m.Header.Stamp = stamp(n.now())
	m.Twist.Linear.X, m.Twist.Angular.Z = tw.Linear, tw.Angular
	return p.twist.Publish(m)
}

func stamp(t time.Time) builtin_interfaces_msg.Time {
	return builtin_interfaces_msg.Time{Sec: int32(t.Unix()), Nanosec: uint32(t.Nanosecond())}
}
