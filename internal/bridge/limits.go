package bridge

import (
	"math"
	"time"
)

// limits are one joint's bounds on every commanded point; an infinite one
// does not bound.
type limits struct {
	min, max float64 // position
	vel, acc float64 // |velocity| and |acceleration|
}

func newLimits(min, max, vel, acc *float64) limits {
	l := limits{min: math.Inf(-1), max: math.Inf(1), vel: math.Inf(1), acc: math.Inf(1)}
	for _, b := range []struct {
		dst *float64
		src *float64
	}{{&l.min, min}, {&l.max, max}, {&l.vel, vel}, {&l.acc, acc}} {
		if b.src != nil {
			*b.dst = *b.src
		}
	}
	return l
}

// step is where a joint at from, moving at slope, may be dt later when the
// brain asks for to: the change of speed within acc·dt, the speed within
// vel, the position within [min, max]. It returns the position reached, the
// slope that reaches it, and whether any limit changed the request (up to
// rounding).
func (l limits) step(from, to, slope, dt float64) (pos, newSlope float64, clamped bool) {
	want := (to - from) / dt
	v := want
	if !math.IsInf(l.acc, 1) {
		v = math.Min(math.Max(v, slope-l.acc*dt), slope+l.acc*dt)
	}
	v = math.Min(math.Max(v, -l.vel), l.vel)
	pos = math.Min(math.Max(from+v*dt, l.min), l.max)
	return pos, (pos - from) / dt, math.Abs(pos-to) > 1e-12*math.Max(1, math.Abs(to))
}

// clampPosition keeps p within [min, max].
func (l limits) clampPosition(p float64) float64 { return math.Min(math.Max(p, l.min), l.max) }

// stopTime is how long a joint moving at v needs to stop evenly within its
// acceleration limit.
func (l limits) stopTime(v float64) time.Duration {
	if math.IsInf(l.acc, 1) || v == 0 {
		return 0
	}
	return time.Duration(math.Ceil(math.Abs(v) / l.acc * float64(time.Second)))
}
