package ros

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/tiiuae/rclgo/pkg/rclgo"

	"github.com/abbridge/ab_bridge/internal/config"
)

// profile is the rclgo profile of a configured QoS. Deadline, lifespan and
// liveliness stay at rmw's defaults (none): the node sets only what the
// configuration can.
func profile(q config.QoS) rclgo.QosProfile {
	p := rclgo.NewDefaultQosProfile()
	p.History = rclgo.HistoryKeepLast // the only history config accepts
	p.Depth = q.Depth
	p.Reliability = rclgo.ReliabilityBestEffort
	if q.Reliability == config.Reliable {
		p.Reliability = rclgo.ReliabilityReliable
	}
	p.Durability = rclgo.DurabilityVolatile
	if q.Durability == config.TransientLocal {
		p.Durability = rclgo.DurabilityTransientLocal
	}
	return p
}

func subOptions(q config.QoS) *rclgo.SubscriptionOptions {
	return &rclgo.SubscriptionOptions{Qos: profile(q)}
}

func pubOptions(q config.QoS) *rclgo.PublisherOptions {
	return &rclgo.PublisherOptions{Qos: profile(q)}
}

// qosWatchPeriod is how often the graph is read for peers whose QoS cannot
// match ours: discovery takes a moment, and peers come and go.
const qosWatchPeriod = time.Second

// watchQoS reports, once per peer endpoint, every publisher on a topic the
// node subscribes and every subscription on a topic it publishes whose QoS
// is incompatible with the node's, until ctx ends. rclgo exposes no QoS
// events (rcl's "incompatible QoS" callbacks), so the graph stands in for
// them: without this the only sign of a mismatch is silence.
func (n *Node) watchQoS(ctx context.Context, log *slog.Logger) {
	reported := map[rclgo.GID]bool{}
	t := time.NewTicker(qosWatchPeriod)
	defer t.Stop()
	for {
		for _, m := range n.qosMismatches() {
			if reported[m.peer.EndpointGID] {
				continue
			}
			reported[m.peer.EndpointGID] = true
			log.Warn("QoS incompatible: no messages will flow between these endpoints",
				"topic", m.topic, "ours", m.ours, "peer", peerName(m.peer), "peer_qos", m.theirs, "why", m.why)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// mismatch is one of our endpoints and a peer that cannot match it.
type mismatch struct {
	topic        string
	ours, theirs string // "<kind> <qos>"
	why          string
	peer         rclgo.TopicEndpointInfo
}

// qosMismatches reads our node's endpoints from the graph (their resolved
// names, remaps applied) and checks each against the peers on its topic.
// Graph errors are not worth a log line every second: the check just
// finds nothing this time.
func (n *Node) qosMismatches() []mismatch {
	var out []mismatch
	name, ns := n.node.Name(), n.node.Namespace()
	subs, _ := n.node.GetSubscriberNamesAndTypesByNode(true, name, ns)
	pubs, _ := n.node.GetPublisherNamesAndTypesByNode(true, name, ns)
	for topic := range subs {
		out = append(out, n.topicMismatches(topic, rclgo.EndpointSubscription)...)
	}
	for topic := range pubs {
		out = append(out, n.topicMismatches(topic, rclgo.EndpointPublisher)...)
	}
	return out
}

func (n *Node) topicMismatches(topic string, ourKind rclgo.EndpointType) []mismatch {
	pubs, err1 := n.node.GetPublishersInfoByTopic(topic, true)
	subs, err2 := n.node.GetSubscriptionsInfoByTopic(topic, true)
	if err1 != nil || err2 != nil {
		return nil
	}
	ours, peers := subs, pubs
	if ourKind == rclgo.EndpointPublisher {
		ours, peers = pubs, subs
	}
	var out []mismatch
	for _, o := range ours {
		if o.NodeName != n.node.Name() || o.NodeNamespace != n.node.Namespace() {
			continue
		}
		for _, p := range peers {
			pub, sub := p.QosProfile, o.QosProfile
			if ourKind == rclgo.EndpointPublisher {
				pub, sub = sub, pub
			}
			if why := incompatible(pub, sub); why != "" {
				out = append(out, mismatch{topic: topic, ours: endpointQoS(ourKind, o.QosProfile),
					theirs: endpointQoS(p.EndpointType, p.QosProfile), why: why, peer: p})
			}
		}
	}
	return out
}

// incompatible says why a publisher offering pub cannot serve a
// subscription requesting sub ("" when it can), by the two rules of ROS 2's
// QoS compatibility table that the node's settings can break: a reliable
// subscription needs a reliable publisher, a transient-local one a
// transient-local publisher.
func incompatible(pub, sub rclgo.QosProfile) string {
	switch {
	case sub.Reliability == rclgo.ReliabilityReliable && pub.Reliability == rclgo.ReliabilityBestEffort:
		return "a reliable subscription matches only reliable publishers"
	case sub.Durability == rclgo.DurabilityTransientLocal && pub.Durability == rclgo.DurabilityVolatile:
		return "a transient_local subscription matches only transient_local publishers"
	}
	return ""
}

func endpointQoS(kind rclgo.EndpointType, p rclgo.QosProfile) string {
	k := "subscription"
	if kind == rclgo.EndpointPublisher {
		k = "publisher"
	}
	return fmt.Sprintf("%s %s %s", k, reliabilityName(p.Reliability), durabilityName(p.Durability))
}

func peerName(p rclgo.TopicEndpointInfo) string {
	if p.NodeNamespace == "/" {
		return "/" + p.NodeName
	}
	return p.NodeNamespace + "/" + p.NodeName
}

func reliabilityName(r rclgo.ReliabilityPolicy) string {
	switch r {
	case rclgo.ReliabilityReliable:
		return config.Reliable
	case rclgo.ReliabilityBestEffort:
		return config.BestEffort
	}
	return fmt.Sprintf("reliability(%d)", r)
}

func durabilityName(d rclgo.DurabilityPolicy) string {
	switch d {
	case rclgo.DurabilityVolatile:
		return config.Volatile
	case rclgo.DurabilityTransientLocal:
		return config.TransientLocal
	}
	return fmt.Sprintf("durability(%d)", d)
}
