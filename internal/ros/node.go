package ros

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/tiiuae/rclgo/pkg/rclgo"

	"github.com/abbridge/ab_bridge/internal/bridge"
	"github.com/abbridge/ab_bridge/internal/config"
	builtin_interfaces_msg "github.com/abbridge/ab_bridge/msgs/builtin_interfaces/msg"
	sensor_msgs_msg "github.com/abbridge/ab_bridge/msgs/sensor_msgs/msg"
	trajectory_msgs_msg "github.com/abbridge/ab_bridge/msgs/trajectory_msgs/msg"
)

// Topic names, relative so that namespaces and remapping apply.
const (
	JointStatesTopic     = "joint_states"
	JointTrajectoryTopic = "joint_trajectory"
)

// NodeConf is what a Node is built from.
type NodeConf struct {
	// Argv is the node's whole command line without the program name; rcl
	// reads its --ros-args blocks (remaps, __node, __ns, params files).
	Argv []string
	// Name and Namespace are the defaults that __node/__ns remaps override.
	Name, Namespace string
	// OnJointState receives every joint_states message, on the executor.
	OnJointState func(bridge.JointSample)
	// Subscribers add the subscriptions of configured inputs and policies
	// (cameras, audio, task topics) and the node's services (~/pause, …);
	// each is built by a constructor in a file of this package named after
	// what it serves.
	Subscribers []Subscriber
	// JointStatesQoS and TrajectoryQoS are the QoS of the joint_states
	// subscription and the joint_trajectory publisher; zero ones take
	// config.DefaultQoS of their role.
	JointStatesQoS, TrajectoryQoS config.QoS
	// Commands are the gripper and cmd_vel publishers (commands.go).
	Commands CommandsConf
	// Now (optional) stamps what the node publishes with a stamp (the
	// twist on cmd_vel): the node's clock, sim time with use_sim_time.
	// Defaults to the wall clock.
	Now func() time.Time
	// Logger, when set, hears of peers whose QoS cannot match the node's
	// (see watchQoS) while the node spins.
	Logger *slog.Logger
}

// Subscriber creates one subscription or service on the node. Its callback
// runs on the executor and must only hand the data over.
type Subscriber func(n *rclgo.Node) error

// Node is the bridge's ROS 2 node.
type Node struct {
	node *rclgo.Node
	traj *trajectory_msgs_msg.JointTrajectoryPublisher
	js   *sensor_msgs_msg.JointStateSubscription
	msg  *trajectory_msgs_msg.JointTrajectory // reused: Publish copies it into C memory
	cmds *commandPubs
	log  *slog.Logger
	now  func() time.Time
	// rosout carries the node's log lines (see log.go).
	rosout *rosout
}

// NewNode initialises rcl with argv and creates the node, its subscription
// and its publisher.
func NewNode(conf NodeConf) (n *Node, err error) {
	args, _, err := rclgo.ParseArgs(conf.Argv)
	if err != nil {
		return nil, fmt.Errorf("ros: parse arguments: %w", err)
	}
	if err := rclgo.Init(args); err != nil {
		return nil, fmt.Errorf("ros: init: %w", err)
	}
	n = &Node{msg: trajectory_msgs_msg.NewJointTrajectory(), log: conf.Logger, now: conf.Now}
	if n.now == nil {
		n.now = time.Now
	}
	defer func() {
		if err != nil {
			n.Close()
		}
	}()
	if n.node, err = rclgo.NewNode(conf.Name, conf.Namespace); err != nil {
		return nil, fmt.Errorf("ros: node: %w", err)
	}
	if n.rosout, err = newRosout(n.node); err != nil {
		return nil, err
	}
	if n.traj, err = trajectory_msgs_msg.NewJointTrajectoryPublisher(n.node, JointTrajectoryTopic,
		pubOptions(orDefault(conf.TrajectoryQoS, config.RoleCommand))); err != nil {
		return nil, fmt.Errorf("ros: publisher %s: %w", JointTrajectoryTopic, err)
	}
	if n.cmds, err = newCommandPubs(n.node, conf.Commands); err != nil {
		return nil, err
	}
	onJS := conf.OnJointState
	n.js, err = sensor_msgs_msg.NewJointStateSubscription(n.node, JointStatesTopic,
		subOptions(orDefault(conf.JointStatesQoS, config.RoleJointStates)),
		func(m *sensor_msgs_msg.JointState, _ *rclgo.MessageInfo, err error) {
			if err != nil || onJS == nil {
				return
			}
			onJS(jointSample(m))
		})
	if err != nil {
		return nil, fmt.Errorf("ros: subscription %s: %w", JointStatesTopic, err)
	}
	for _, sub := range conf.Subscribers {
		if err := sub(n.node); err != nil {
			return nil, fmt.Errorf("ros: %w", err)
		}
	}
	return n, nil
}

// FullName is the node's fully qualified name after remapping.
func (n *Node) FullName() string { return n.node.FullyQualifiedName() }

// yieldPeriod bounds how long rclgo's executor goroutine stays on one
// scheduling slice. It never yields by itself: it loops rcl_wait (a cgo
// call, blocking) → callbacks → rcl_wait. After 10 ms on one slice, or 10 ms
// in one cgo call, the runtime's monitor thread (sysmon) takes the
// goroutine's P away, and every such retake resets the monitor's sleep from
// its 10 ms ceiling to 20 µs, from which it doubles again after 50 rounds.
// At the executor's pace that happened ~65 times a second, and the monitor
// woke ~2,300 times a second: about half of the node's CPU in
// BenchmarkBridgeVsAnchor at 50 cycles/s (perf: the sysmon thread, uprobes on
// runtime.handoffp with empty run queues). A timer that wakes the executor
// and yields keeps every slice and every wait under 10 ms: the retakes
// stop and the monitor stays at its ceiling. Each yield costs a thread
// wake-up and a sleep (Gosched hands the goroutine to another M while an
// idle P waits), so the period is as long as keeps clear of the 10 ms: at
// 8 ms, on BenchmarkNodeCameraLoad, runtime.startm ran 153 times a second
// against 206 at 5 ms, and retakes stayed at 1–3 a second either way
// (uprobes, perf stat over 10 s).
const yieldPeriod = 8 * time.Millisecond

// Spin runs the executor until ctx ends, and the QoS watch beside it when
// the node has a logger; the watch ends before Spin returns, so Close never
// races a graph query.
func (n *Node) Spin(ctx context.Context) error {
	if n.log != nil {
		wctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); n.watchQoS(wctx, n.log) }()
		defer func() { cancel(); <-done }()
	}
	// The executor runs on the context, which holds the node and the yield
	// timer (rclgo's node spin leaves out timers, which belong to the context).
	rctx := n.node.Context()
	if _, err := rctx.NewTimer(yieldPeriod, func(*rclgo.Timer) { runtime.Gosched() }); err != nil {
		return fmt.Errorf("ros: executor yield timer: %w", err)
	}
	err := rctx.Spin(ctx)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	return err
}

// PublishTrajectory converts and publishes a trajectory. The header stamp is
// left zero, with sim time too: joint_trajectory_controller reads zero as
// "start now" on its own clock, which is the simulator's when it runs on
// sim time; a stamp of our sim now would arrive a little in the past of
// the controller's, and a sim clock at several times real time turns that
// latency into a shortened first segment.
func (n *Node) PublishTrajectory(t *bridge.Trajectory) error {
	m := n.msg
	m.JointNames = t.JointNames
	if cap(m.Points) < len(t.Points) {
		m.Points = make([]trajectory_msgs_msg.JointTrajectoryPoint, len(t.Points))
	}
	m.Points = m.Points[:len(t.Points)]
	for i, p := range t.Points {
		m.Points[i] = trajectory_msgs_msg.JointTrajectoryPoint{
			Positions:     p.Positions,
			Velocities:    p.Velocities,
			TimeFromStart: duration(p.TimeFromStart),
		}
	}
	return n.traj.Publish(m)
}

// Close releases the node and shuts rcl down.
func (n *Node) Close() error {
	var errs []error
	if n.rosout != nil {
		n.rosout.close()
	}
	if n.node != nil {
		errs = append(errs, n.node.Close())
	}
	errs = append(errs, rclgo.Uninit())
	return errors.Join(errs...)
}

func orDefault(q config.QoS, role config.Role) config.QoS {
	if q == (config.QoS{}) {
		return config.DefaultQoS(role)
	}
	return q
}

func jointSample(m *sensor_msgs_msg.JointState) bridge.JointSample {
	s := bridge.JointSample{Names: m.Name, Positions: m.Position, Velocities: m.Velocity}
	if st := m.Header.Stamp; st.Sec != 0 || st.Nanosec != 0 {
		s.Stamp = time.Unix(int64(st.Sec), int64(st.Nanosec))
	}
	return s
}

func duration(d time.Duration) builtin_interfaces_msg.Duration {
	return builtin_interfaces_msg.Duration{Sec: int32(d / time.Second), Nanosec: uint32(d % time.Second)}
}
