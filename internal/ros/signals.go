package ros

import (
	"fmt"

	"github.com/tiiuae/rclgo/pkg/rclgo"

	"github.com/abbridge/ab_bridge/internal/bridge"
	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/policy"
	sensor_msgs_msg "github.com/abbridge/ab_bridge/msgs/sensor_msgs/msg"
	std_msgs_msg "github.com/abbridge/ab_bridge/msgs/std_msgs/msg"
)

// SignalSink takes the samples of the policies' topics (bridge.Bridge is
// one). Its methods run on the executor and must only store the sample.
type SignalSink interface {
	OnSignalScalar(topic string, v float64)
	OnSignalArray(topic string, data []float64)
	OnSignalJointState(topic string, m bridge.JointSample)
}

// SignalSubscribers subscribes every topic a policy reads, each with the
// message type the policy asked for and the QoS qosOf gives it, feeding sink.
func SignalSubscribers(specs []policy.TopicSpec, qosOf func(topic string) config.QoS, sink SignalSink) ([]Subscriber, error) {
	subs := make([]Subscriber, 0, len(specs))
	for _, s := range specs {
		topic := s.Name
		qos := qosOf(topic)
		switch s.Type {
		case policy.TypeFloat64:
			subs = append(subs, Float64Subscriber(topic, qos, func(v float64) { sink.OnSignalScalar(topic, v) }))
		case policy.TypeFloat32:
			subs = append(subs, Float32Subscriber(topic, qos, func(v float64) { sink.OnSignalScalar(topic, v) }))
		case policy.TypeFloat64MultiArray:
			subs = append(subs, Float64MultiArraySubscriber(topic, qos, func(d []float64) { sink.OnSignalArray(topic, d) }))
		case policy.TypeJointState:
			subs = append(subs, JointStateSubscriber(topic, qos, func(m bridge.JointSample) { sink.OnSignalJointState(topic, m) }))
		default:
			return nil, fmt.Errorf("policy topic %s: message type %q cannot be subscribed", topic, s.Type)
		}
	}
	return subs, nil
}

// Float64Subscriber subscribes a std_msgs/Float64 topic.
func Float64Subscriber(topic string, qos config.QoS, on func(float64)) Subscriber {
	return func(n *rclgo.Node) error {
		_, err := std_msgs_msg.NewFloat64Subscription(n, topic, subOptions(qos),
			func(m *std_msgs_msg.Float64, _ *rclgo.MessageInfo, err error) {
				if err == nil {
					on(m.Data)
				}
			})
		return subscribed(topic, policy.TypeFloat64, err)
	}
}

// Float32Subscriber subscribes a std_msgs/Float32 topic; values are widened.
func Float32Subscriber(topic string, qos config.QoS, on func(float64)) Subscriber {
	return func(n *rclgo.Node) error {
		_, err := std_msgs_msg.NewFloat32Subscription(n, topic, subOptions(qos),
			func(m *std_msgs_msg.Float32, _ *rclgo.MessageInfo, err error) {
				if err == nil {
					on(float64(m.Data))
				}
			})
		return subscribed(topic, policy.TypeFloat32, err)
	}
}

// Float64MultiArraySubscriber subscribes a std_msgs/Float64MultiArray topic;
// the layout is ignored (the data is read as one flat series), and on
// copies what it keeps.
func Float64MultiArraySubscriber(topic string, qos config.QoS, on func([]float64)) Subscriber {
	return func(n *rclgo.Node) error {
		_, err := std_msgs_msg.NewFloat64MultiArraySubscription(n, topic, subOptions(qos),
			func(m *std_msgs_msg.Float64MultiArray, _ *rclgo.MessageInfo, err error) {
				if err == nil {
					on(m.Data)
				}
			})
		return subscribed(topic, policy.TypeFloat64MultiArray, err)
	}
}

// JointStateSubscriber subscribes a sensor_msgs/JointState topic other than
// the robot's joint_states (a policy's target posture).
func JointStateSubscriber(topic string, qos config.QoS, on func(bridge.JointSample)) Subscriber {
	return func(n *rclgo.Node) error {
		_, err := sensor_msgs_msg.NewJointStateSubscription(n, topic, subOptions(qos),
			func(m *sensor_msgs_msg.JointState, _ *rclgo.MessageInfo, err error) {
				if err == nil {
					on(jointSample(m))
				}
			})
		return subscribed(topic, policy.TypeJointState, err)
	}
}

func subscribed(topic, typ string, err error) error {
	if err != nil {
		return fmt.Errorf("subscription %s (%s): %w", topic, typ, err)
	}
	return nil
}
