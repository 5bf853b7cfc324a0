package ros

import (
	"fmt"
	"time"

	"github.com/tiiuae/rclgo/pkg/rclgo"

	rosgraph_msgs_msg "github.com/abbridge/ab_bridge/msgs/rosgraph_msgs/msg"
)

// ClockTopic is absolute: a simulator publishes the one /clock of the
// graph, whatever the node's namespace.
const ClockTopic = "/clock"

// clockQoS is what rclcpp's and rclpy's time sources subscribe /clock
// with: best effort, volatile, the newest message only. Only the latest
// time matters, and a reliable subscription would fail to match a
// best-effort simulator.
func clockQoS() rclgo.QosProfile {
	q := rclgo.NewDefaultQosProfile()
	q.History = rclgo.HistoryKeepLast
	q.Depth = 1
	q.Reliability = rclgo.ReliabilityBestEffort
	q.Durability = rclgo.DurabilityVolatile
	return q
}

// ClockSubscriber subscribes /clock (rosgraph_msgs/Clock) and hands each
// time to set, on the executor: what use_sim_time switches on.
func ClockSubscriber(set func(time.Time)) Subscriber {
	return func(n *rclgo.Node) error {
		_, err := rosgraph_msgs_msg.NewClockSubscription(n, ClockTopic, &rclgo.SubscriptionOptions{Qos: clockQoS()},
			func(m *rosgraph_msgs_msg.Clock, _ *rclgo.MessageInfo, err error) {
				if err != nil {
					return
				}
				set(time.Unix(int64(m.Clock.Sec), int64(m.Clock.Nanosec)))
			})
		if err != nil {
			return fmt.Errorf("subscription %s: %w", ClockTopic, err)
		}
		return nil
	}
}
