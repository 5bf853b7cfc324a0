package bridge

import (
	"log/slog"
	"math"
	"strconv"
	"strings"
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

// limitKind names the limit that changed a commanded point: the one a user
// would raise to let the brain's request through.
type limitKind uint8

const (
	noLimit limitKind = iota
	accelerationLimit
	velocityLimit
	positionLimit
	limitKinds
)

var limitNames = [limitKinds]string{"", "acceleration", "velocity", "position"}

// clampCounts counts one cycle's points by the limit that clamped them
// (index noLimit counts the points none did, and is not read). As
// a log value it reads e.g. "acceleration 14, velocity 2", so a user can
// tell a max_acceleration set too low from a brain pushing a joint against
// its end; it is formatted only when the warning is logged.
type clampCounts [limitKinds]int

// total is the number of clamped points.
func (c *clampCounts) total() int {
	n := 0
	for k := accelerationLimit; k < limitKinds; k++ {
		n += c[k]
	}
	return n
}

func (c *clampCounts) LogValue() slog.Value {
	var parts []string
	for k := accelerationLimit; k < limitKinds; k++ {
		if n := c[k]; n > 0 {
			parts = append(parts, limitNames[k]+" "+strconv.Itoa(n))
		}
	}
	return slog.StringValue(strings.Join(parts, ", "))
}

// step is where a joint at from, moving at slope, may be dt later when the
// brain asks for to: the change of speed within acc·dt, the speed within
// vel, the position within [min, max]. It returns the position reached, the
// slope that reaches it, and which limit changed the request (up to
// rounding; noLimit when none did): the last one applied that moved it.
func (l limits) step(from, to, slope, dt float64) (pos, newSlope float64, by limitKind) {
	want := (to - from) / dt
	v := want
	if !math.IsInf(l.acc, 1) {
		v = math.Min(math.Max(v, slope-l.acc*dt), slope+l.acc*dt)
		if v != want {
			by = accelerationLimit
		}
	}
	if u := math.Min(math.Max(v, -l.vel), l.vel); u != v {
		v, by = u, velocityLimit
	}
	free := from + v*dt
	if pos = math.Min(math.Max(free, l.min), l.max); pos != free {
		by = positionLimit
	}
	if math.Abs(pos-to) <= 1e-12*math.Max(1, math.Abs(to)) {
		by = noLimit
	}
	return pos, (pos - from) / dt, by
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
