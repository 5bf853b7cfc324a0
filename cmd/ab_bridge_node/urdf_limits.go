package main

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/ros"
	"github.com/abbridge/ab_bridge/internal/urdf"
)

// jointBounder is the bridge as the URDF limits use it.
type jointBounder interface {
	SetJointBounds(ctx context.Context, joint string, min, max, maxVelocity, maxAcceleration float64) error
}

// boundsHandOver bounds the wait for the bridge goroutine: it is busy for
// a cycle at most, and a description is worth nothing to a bridge that no
// longer runs.
const boundsHandOver = 5 * time.Second

// urdfLimits is the subscription of limits.from_urdf and its name for the
// start-up line, or nil when the section is off.
func urdfLimits(ctx context.Context, log *slog.Logger, cfg *config.Config, br jointBounder) (ros.Subscriber, string) {
	if !cfg.Limits.FromURDF {
		return nil, ""
	}
	topic := cfg.Limits.DescriptionTopic()
	a := &urdfApplier{ctx: ctx, log: log.With("topic", topic), joints: cfg.Joints, br: br}
	return ros.DescriptionSubscriber(topic, cfg.TopicQoS(topic, config.RoleDescription), a.received),
		topic + " (std_msgs/String → joint limits)"
}

// descriptionQoS is the description topic for the node's QoS list.
func descriptionQoS(cfg *config.Config) []topicQoS {
	if !cfg.Limits.FromURDF {
		return nil
	}
	t := cfg.Limits.DescriptionTopic()
	return []topicQoS{{t, "subscription", cfg.TopicQoS(t, config.RoleDescription)}}
}

// urdfApplier applies each robot description off the executor: a URDF can
// be large, and the hand-over waits for the bridge goroutine.
type urdfApplier struct {
	ctx    context.Context
	log    *slog.Logger
	joints []config.Joint
	br     jointBounder

	mu       sync.Mutex
	seq      uint64 // messages received
	appliedN uint64 // the newest one applied: an older one arriving late is skipped
}

func (a *urdfApplier) received(doc string) {
	a.mu.Lock()
	a.seq++
	n := a.seq
	a.mu.Unlock()
	go a.apply(n, doc)
}

func (a *urdfApplier) apply(n uint64, doc string) {
	a.mu.Lock() // one description at a time, so the log lines of two do not interleave
	defer a.mu.Unlock()
	if n < a.appliedN {
		return
	}
	a.appliedN = n
	desc, err := urdf.Parse([]byte(doc))
	if desc == nil {
		a.log.Warn("robot description not applied: joint limits unchanged", "err", err, "bytes", len(doc))
		return
	}
	if err != nil {
		a.log.Warn("robot description: these joints keep the configured limits", "err", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	bounds, problems := urdf.Merge(a.joints, desc)
	for _, p := range problems {
		a.log.Warn("robot description: joint limits unchanged", "err", p)
	}
	for _, b := range bounds {
		ctx, cancel := context.WithTimeout(a.ctx, boundsHandOver)
		err := a.br.SetJointBounds(ctx, b.Joint, b.Min, b.Max, b.Velocity, b.Acceleration)
		cancel()
		if err != nil {
			a.log.Warn("robot description: joint limits not applied", "joint", b.Joint, "err", err)
			continue
		}
		a.log.Info("joint limits applied", "joint", b.Joint, "min", b.Min, "max", b.Max,
			"max_velocity", b.Velocity, "max_acceleration", b.Acceleration, "from_urdf", fromURDF(b))
	}
}

// fromURDF names the bounds the URDF tightened: the rest are the
// configuration's.
func fromURDF(b urdf.Bounds) string {
	var from []string
	for _, f := range []struct {
		on   bool
		name string
	}{{b.MinURDF, "min"}, {b.MaxURDF, "max"}, {b.VelURDF, "max_velocity"}} {
		if f.on {
			from = append(from, f.name)
		}
	}
	switch {
	case !b.InURDF:
		return "none (not in the URDF)"
	case len(from) == 0:
		return "none (the configuration is tighter)"
	}
	return strings.Join(from, ",")
}
