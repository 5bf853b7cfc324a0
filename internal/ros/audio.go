package ros

import (
	"fmt"

	"github.com/tiiuae/rclgo/pkg/rclgo"

	"github.com/abbridge/ab_bridge/internal/config"
	std_msgs_msg "github.com/abbridge/ab_bridge/msgs/std_msgs/msg"
)

// AudioBytesSubscriber subscribes, with qos, a std_msgs/UInt8MultiArray topic of
// little-endian int16 PCM and hands each message's bytes to onAudio on the
// executor; onAudio copies what it keeps. The layout field is not read:
// the sample rate and channels come from the configuration.
func AudioBytesSubscriber(topic string, qos config.QoS, onAudio func([]byte)) Subscriber {
	return func(n *rclgo.Node) error {
		_, err := std_msgs_msg.NewUInt8MultiArraySubscription(n, topic, subOptions(qos),
			func(m *std_msgs_msg.UInt8MultiArray, _ *rclgo.MessageInfo, err error) {
				if err == nil {
					onAudio(m.Data)
				}
			})
		if err != nil {
			return fmt.Errorf("subscription %s (std_msgs/UInt8MultiArray): %w", topic, err)
		}
		return nil
	}
}

// AudioSamplesSubscriber is AudioBytesSubscriber for
// std_msgs/Int16MultiArray: int16 samples, channels interleaved.
func AudioSamplesSubscriber(topic string, qos config.QoS, onAudio func([]int16)) Subscriber {
	return func(n *rclgo.Node) error {
		_, err := std_msgs_msg.NewInt16MultiArraySubscription(n, topic, subOptions(qos),
			func(m *std_msgs_msg.Int16MultiArray, _ *rclgo.MessageInfo, err error) {
				if err == nil {
					onAudio(m.Data)
				}
			})
		if err != nil {
			return fmt.Errorf("subscription %s (std_msgs/Int16MultiArray): %w", topic, err)
		}
		return nil
	}
}
