package ros

import (
	"fmt"

	"github.com/tiiuae/rclgo/pkg/rclgo"

	std_srvs_srv "github.com/abbridge/ab_bridge/msgs/std_srvs/srv"
)

// Trigger answers a std_srvs/Trigger call: whether it did something, and
// what to tell the caller. It runs on the executor and must not block.
type Trigger func() (success bool, message string)

// TriggerService offers a std_srvs/Trigger service; a name starting with
// "~/" lives under the node's own name (/<ns>/<node>/<name>), as ROS tools
// expect of a node's own services.
func TriggerService(name string, handle Trigger) Subscriber {
	return func(n *rclgo.Node) error {
		_, err := std_srvs_srv.NewTriggerService(n, name, rclgo.NewDefaultServiceOptions(),
			func(_ *rclgo.ServiceInfo, _ *std_srvs_srv.Trigger_Request, send std_srvs_srv.TriggerServiceResponseSender) {
				ok, msg := handle()
				_ = send.SendResponse(&std_srvs_srv.Trigger_Response{Success: ok, Message: msg})
			})
		if err != nil {
			return fmt.Errorf("ros: service %s: %w", name, err)
		}
		return nil
	}
}
