package ros

import (
	"github.com/tiiuae/rclgo/pkg/rclgo"

	"github.com/abbridge/ab_bridge/internal/config"
	std_msgs_msg "github.com/abbridge/ab_bridge/msgs/std_msgs/msg"
)

// DescriptionSubscriber subscribes the robot description (std_msgs/String,
// the URDF robot_state_publisher publishes once and latches). on gets each
// message's text; it runs on the executor, so it must hand the text over.
func DescriptionSubscriber(topic string, qos config.QoS, on func(urdf string)) Subscriber {
	return StringSubscriber(topic, qos, on)
}

// StringSubscriber subscribes a std_msgs/String topic (a policy's task);
// on runs on the executor.
func StringSubscriber(topic string, qos config.QoS, on func(string)) Subscriber {
	return func(n *rclgo.Node) error {
		_, err := std_msgs_msg.NewStringSubscription(n, topic, subOptions(qos),
			func(m *std_msgs_msg.String, _ *rclgo.MessageInfo, err error) {
				if err == nil {
					on(m.Data)
				}
			})
		return subscribed(topic, "std_msgs/String", err)
	}
}
