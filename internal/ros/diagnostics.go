package ros

import (
	"fmt"
	"sync"
	"time"

	"github.com/tiiuae/rclgo/pkg/rclgo"

	"github.com/abbridge/ab_bridge/internal/diagnostics"
	diagnostic_msgs_msg "github.com/abbridge/ab_bridge/msgs/diagnostic_msgs/msg"
)

// DiagnosticsTopic is absolute: diagnostic_aggregator and rqt_robot_monitor
// read the one /diagnostics of the graph, whatever the node's namespace
// (robots of a fleet are told apart by hardware_id).
const DiagnosticsTopic = "/diagnostics"

// diagnosticsQoS is diagnostic_updater's: reliable, volatile, the newest
// few arrays (a late subscriber waits for the next second).
func diagnosticsQoS() rclgo.QosProfile {
	q := rclgo.NewDefaultQosProfile()
	q.History = rclgo.HistoryKeepLast
	q.Depth = 10
	q.Reliability = rclgo.ReliabilityReliable
	q.Durability = rclgo.DurabilityVolatile
	return q
}

// Diagnostics publishes diagnostic_msgs/DiagnosticArray on /diagnostics.
// Publish may be called from any goroutine but one at a time; Close makes
// later calls do nothing.
type Diagnostics struct {
	mu  sync.Mutex
	pub *diagnostic_msgs_msg.DiagnosticArrayPublisher
	msg *diagnostic_msgs_msg.DiagnosticArray // reused: Publish copies it into C memory
	// Now stamps each array: the node's clock (sim time with
	// use_sim_time, as diagnostic_updater stamps with its node's clock).
	// An array due while that clock does not tell the time yet (before
	// the first /clock) is not published. Defaults to the wall clock.
	Now func() time.Time
}

// NewDiagnostics creates the node's /diagnostics publisher. Call it before
// Spin, as every publisher of the node.
func (n *Node) NewDiagnostics() (*Diagnostics, error) {
	pub, err := diagnostic_msgs_msg.NewDiagnosticArrayPublisher(n.node, DiagnosticsTopic, &rclgo.PublisherOptions{Qos: diagnosticsQoS()})
	if err != nil {
		return nil, fmt.Errorf("ros: publisher %s: %w", DiagnosticsTopic, err)
	}
	return &Diagnostics{pub: pub, msg: diagnostic_msgs_msg.NewDiagnosticArray(), Now: time.Now}, nil
}

// Publish sends one array of statuses, stamped now.
func (d *Diagnostics) Publish(sts []diagnostics.Status) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.pub == nil {
		return nil
	}
	at := d.Now()
	if at.IsZero() {
		return nil
	}
	m := d.msg
	m.Header.Stamp.Sec = int32(at.Unix())
	m.Header.Stamp.Nanosec = uint32(at.Nanosecond())
	m.Status = m.Status[:0]
	for _, s := range sts {
		st := diagnostic_msgs_msg.DiagnosticStatus{Level: byte(s.Level), Name: s.Name, Message: s.Message, HardwareId: s.HardwareID,
			Values: make([]diagnostic_msgs_msg.KeyValue, len(s.Values))}
		for i, kv := range s.Values {
			st.Values[i] = diagnostic_msgs_msg.KeyValue{Key: kv.Key, Value: kv.Value}
		}
		m.Status = append(m.Status, st)
	}
	if err := d.pub.Publish(m); err != nil {
		return fmt.Errorf("ros: publish %s: %w", DiagnosticsTopic, err)
	}
	return nil
}

// Close releases the publisher; call it before the node's Close.
func (d *Diagnostics) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.pub == nil {
		return nil
	}
	err := d.pub.Close()
	d.pub = nil
	return err
}
