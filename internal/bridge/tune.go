package bridge

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/abbridge/ab_bridge/internal/config"
)

// tuning is what was changed at run time (ROS parameters), kept so that a
// new run's shaper, built from the configuration, gets it too. Owned by
// the bridge goroutine.
type tuning struct {
	publishIdle *bool
	limits      map[int][2]float64 // joint index → |velocity|, |acceleration|; +Inf unbounded
	positions   map[int][2]float64 // joint index → min, max; ±Inf unbounded (SetJointBounds)
}

func (t *tuning) apply(s *shaper) {
	if t.publishIdle != nil {
		s.conf.PublishIdle = *t.publishIdle
	}
	for j, l := range t.limits {
		s.limits[j].vel, s.limits[j].acc = l[0], l[1]
	}
	for j, p := range t.positions {
		s.limits[j].min, s.limits[j].max = p[0], p[1]
	}
}

// SetPublishIdle changes trajectory.publish_idle: whether a cycle that moves
// no joint still publishes a hold at the measured positions. The change is
// handed to the bridge goroutine, which owns the shaper, and takes effect
// from the next cycle; it waits for that goroutine at most until ctx ends.
func (b *Bridge) SetPublishIdle(ctx context.Context, on bool) error {
	return b.hand(ctx, func() {
		b.tuned.publishIdle = &on
		b.tuned.apply(b.shaper)
		b.log.Info("trajectory.publish_idle changed", "publish_idle", on)
	})
}

// SetJointLimits changes one joint's |velocity| and |acceleration| bounds
// (per second, per second squared) from the next cycle on; 0 leaves that
// one unbounded, as an absent max_velocity or max_acceleration does in
// the configuration. Position limits stay as configured.
func (b *Bridge) SetJointLimits(ctx context.Context, joint string, maxVelocity, maxAcceleration float64) error {
	j := slices.IndexFunc(b.base.Joints, func(c config.Joint) bool { return c.Name == joint })
	if j < 0 {
		return fmt.Errorf("bridge: no joint %q", joint)
	}
	vel, err := bound("max_velocity", maxVelocity)
	if err != nil {
		return err
	}
	acc, err := bound("max_acceleration", maxAcceleration)
	if err != nil {
		return err
	}
	return b.hand(ctx, func() {
		if b.tuned.limits == nil {
			b.tuned.limits = map[int][2]float64{}
		}
		b.tuned.limits[j] = [2]float64{vel, acc}
		b.tuned.apply(b.shaper)
		b.log.Info("joint limits changed", "joint", joint, "max_velocity", maxVelocity, "max_acceleration", maxAcceleration)
	})
}

// bound is a limit as limits keeps it: 0 is none (+Inf).
func bound(name string, v float64) (float64, error) {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0) || v < 0:
		return 0, fmt.Errorf("bridge: %s %v: want a finite value ≥ 0 (0: unlimited)", name, v)
	case v == 0:
		return math.Inf(1), nil
	}
	return v, nil
}

// hand runs f on the bridge goroutine, as Adopt hands over a new run.
func (b *Bridge) hand(ctx context.Context, f func()) error {
	b.handOvers.Add(1)
	select {
	case b.tune <- f:
		return nil
	case <-ctx.Done():
		b.handOvers.Add(-1)
		return fmt.Errorf("bridge: busy, change not applied: %w", ctx.Err())
	}
}
