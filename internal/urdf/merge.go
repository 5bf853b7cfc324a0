package urdf

import (
	"fmt"
	"math"

	"github.com/abbridge/ab_bridge/internal/config"
)

// Bounds are one configured joint's limits after the merge; an infinite
// one does not bound (as the bridge keeps them).
type Bounds struct {
	Joint                     string
	Min, Max                  float64
	Velocity, Acceleration    float64
	InURDF                    bool // false: the joint keeps the configuration
	MinURDF, MaxURDF, VelURDF bool // which bounds the URDF tightened
}

// Merge applies a description's limits to the configured joints: each
// bound is the tighter of the configuration's and the URDF's (the robot's
// description can only narrow what the operator configured, never widen
// it); acceleration is the configuration's alone (URDF has none). A joint
// the URDF lacks keeps the configuration. A joint whose merged range is
// empty (the URDF's range lies outside the configured one) keeps the
// configuration and is reported. Every merge starts from the
// configuration, so a new description replaces the last one's effect.
func Merge(joints []config.Joint, desc map[string]Joint) (out []Bounds, problems []error) {
	for _, c := range joints {
		b := Bounds{Joint: c.Name, Min: orInf(c.Min, -1), Max: orInf(c.Max, 1),
			Velocity: orInf(c.MaxVelocity, 1), Acceleration: orInf(c.MaxAcceleration, 1)}
		u, ok := desc[c.Name]
		if !ok {
			out = append(out, b)
			continue
		}
		m := b
		m.InURDF = true
		if u.Lower != nil && *u.Lower > m.Min {
			m.Min, m.MinURDF = *u.Lower, true
		}
		if u.Upper != nil && *u.Upper < m.Max {
			m.Max, m.MaxURDF = *u.Upper, true
		}
		if u.Velocity != nil && *u.Velocity < m.Velocity {
			m.Velocity, m.VelURDF = *u.Velocity, true
		}
		if m.Min >= m.Max {
			problems = append(problems, fmt.Errorf("joint %q: the URDF's [%g, %g] and the configuration's [%g, %g] leave no range: the configuration's kept",
				c.Name, deref(u.Lower, math.Inf(-1)), deref(u.Upper, math.Inf(1)), b.Min, b.Max))
			out = append(out, b)
			continue
		}
		out = append(out, m)
	}
	return out, problems
}

func orInf(p *float64, sign int) float64 {
	if p == nil {
		return math.Inf(sign)
	}
	return *p
}

func deref(p *float64, def float64) float64 {
	if p == nil {
		return def
	}
	return *p
}
