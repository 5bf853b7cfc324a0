package ros

import (
	"fmt"

	"github.com/tiiuae/rclgo/pkg/rclgo"

	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/sensor"
	sensor_msgs_msg "github.com/abbridge/ab_bridge/msgs/sensor_msgs/msg"
)

// ImageSubscriber subscribes a sensor_msgs/Image topic with qos and hands
// each frame to onFrame on the executor; onFrame copies what it keeps.
func ImageSubscriber(topic string, qos config.QoS, onFrame func(sensor.Image)) Subscriber {
	return func(n *rclgo.Node) error {
		_, err := sensor_msgs_msg.NewImageSubscription(n, topic, subOptions(qos),
			func(m *sensor_msgs_msg.Image, _ *rclgo.MessageInfo, err error) {
				if err == nil {
					onFrame(imageOf(m))
				}
			})
		if err != nil {
			return fmt.Errorf("subscription %s (sensor_msgs/Image): %w", topic, err)
		}
		return nil
	}
}

// CompressedImageSubscriber is ImageSubscriber for
// sensor_msgs/CompressedImage.
func CompressedImageSubscriber(topic string, qos config.QoS, onFrame func(sensor.CompressedImage)) Subscriber {
	return func(n *rclgo.Node) error {
		_, err := sensor_msgs_msg.NewCompressedImageSubscription(n, topic, subOptions(qos),
			func(m *sensor_msgs_msg.CompressedImage, _ *rclgo.MessageInfo, err error) {
				if err == nil {
					onFrame(sensor.CompressedImage{Format: m.Format, Data: m.Data})
				}
			})
		if err != nil {
			return fmt.Errorf("subscription %s (sensor_msgs/CompressedImage): %w", topic, err)
		}
		return nil
	}
}

func imageOf(m *sensor_msgs_msg.Image) sensor.Image {
	return sensor.Image{
		Width: int(m.Width), Height: int(m.Height), Step: int(m.Step),
		Encoding: m.Encoding, BigEndian: m.IsBigendian != 0, Data: m.Data,
	}
}
