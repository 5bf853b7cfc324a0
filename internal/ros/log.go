package ros

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tiiuae/rclgo/pkg/rclgo"

	rcl_interfaces_msg "github.com/abbridge/ab_bridge/msgs/rcl_interfaces/msg"
)

// RosoutTopic is where every node's log lines go (rcl_interfaces/Log).
const RosoutTopic = "/rosout"

// rosout publishes the node's log lines on /rosout. rcl up to Humble
// created that publisher inside rcl_node_init; since Iron the client
// library does (rclcpp and rclpy do), and rclgo, written for Humble, does
// not: without this a Jazzy graph never hears the node.
type rosout struct {
	mu   sync.Mutex
	pub  *rcl_interfaces_msg.LogPublisher
	msg  *rcl_interfaces_msg.Log
	name string
}

// rosoutQoS is the profile rcl gives /rosout (rcl/logging_rosout.h):
// late joiners such as rqt_console get the last lines, for 10 s.
func rosoutQoS() rclgo.QosProfile {
	q := rclgo.NewDefaultQosProfile()
	q.Depth = 1000
	q.Reliability = rclgo.ReliabilityReliable
	q.Durability = rclgo.DurabilityTransientLocal
	q.Lifespan = 10 * time.Second
	return q
}

func newRosout(n *rclgo.Node) (*rosout, error) {
	pub, err := rcl_interfaces_msg.NewLogPublisher(n, RosoutTopic, &rclgo.PublisherOptions{Qos: rosoutQoS()})
	if err != nil {
		return nil, fmt.Errorf("ros: %s publisher: %w", RosoutTopic, err)
	}
	return &rosout{pub: pub, msg: rcl_interfaces_msg.NewLog(), name: n.Logger().Name()}, nil
}

// publish sends one line; failures are dropped (a log line about a failed
// log line would recurse).
func (r *rosout) publish(at time.Time, level slog.Level, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pub == nil {
		return
	}
	r.msg.Stamp.Sec = int32(at.Unix())
	r.msg.Stamp.Nanosec = uint32(at.Nanosecond())
	r.msg.Level = logLevel(level)
	r.msg.Name = r.name
	r.msg.Msg = msg
	_ = r.pub.Publish(r.msg)
}

func (r *rosout) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pub != nil {
		_ = r.pub.Close()
		r.pub = nil
	}
}

// Log writes one line as ROS does: on /rosout (rcl_interfaces/Log, named
// after the node's logger, so rqt_console and `ros2 topic echo /rosout`
// show it) and, when console is set, on the console through rcl, in ROS's
// format ([LEVEL] [time] [name]: msg) and under rcl's own level and output
// settings.
func (n *Node) Log(level slog.Level, msg string, console bool) {
	if n.rosout != nil {
		n.rosout.publish(time.Now(), level, msg)
	}
	if console {
		_ = n.node.Logger().Log(severity(level), msg)
	}
}

// LoggerName is the node's ROS logger name (namespace and name joined by
// dots), the name field of its /rosout messages.
func (n *Node) LoggerName() string { return n.node.Logger().Name() }

// severity maps slog levels onto rcutils severities; levels between slog's
// named ones round down, as slog's own handlers print them.
func severity(l slog.Level) rclgo.LogSeverity {
	switch {
	case l >= slog.LevelError:
		return rclgo.LogSeverityError
	case l >= slog.LevelWarn:
		return rclgo.LogSeverityWarn
	case l >= slog.LevelInfo:
		return rclgo.LogSeverityInfo
	default:
		return rclgo.LogSeverityDebug
	}
}

// logLevel is rcl_interfaces/Log's level byte (DEBUG 10 … FATAL 50).
func logLevel(l slog.Level) uint8 { return uint8(severity(l)) }
