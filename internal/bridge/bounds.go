package bridge

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/abbridge/ab_bridge/internal/config"
)

// SetJointBounds changes all of one joint's limits from the next cycle on:
// the position range [min, max] (±Inf: unbounded on that side), which
// clamps every point, holds included, and |velocity| and |acceleration|
// as SetJointLimits takes them (0 or +Inf: unbounded). The robot
// description's limits (robot_description) come in this way; a later
// SetJointLimits (the max_velocity parameter) still changes the speeds.
func (b *Bridge) SetJointBounds(ctx context.Context, joint string, min, max, maxVelocity, maxAcceleration float64) error {
	j := slices.IndexFunc(b.base.Joints, func(c config.Joint) bool { return c.Name == joint })
	if j < 0 {
		return fmt.Errorf("bridge: no joint %q", joint)
	}
	if math.IsNaN(min) || math.IsNaN(max) || min >= max || math.IsInf(min, 1) || math.IsInf(max, -1) {
		return fmt.Errorf("bridge: joint %q: position range [%v, %v] is empty", joint, min, max)
	}
	vel, err := bound("max_velocity", unInf(maxVelocity))
	if err != nil {
		return err
	}
	acc, err := bound("max_acceleration", unInf(maxAcceleration))
	if err != nil {
		return err
	}
	return b.hand(ctx, func() {
		if b.tuned.limits == nil {
			b.tuned.limits = map[int][2]float64{}
		}
		if b.tuned.positions == nil {
			b.tuned.positions = map[int][2]float64{}
		}
		b.tuned.limits[j] = [2]float64{vel, acc}
		b.tuned.positions[j] = [2]float64{min, max}
		b.tuned.apply(b.shaper)
	})
}

// unInf is +Inf as bound reads "unbounded": 0.
func unInf(v float64) float64 {
	if math.IsInf(v, 1) {
		return 0
	}
	return v
}
