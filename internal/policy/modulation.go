package policy

import (
	"math"
	"time"
)

// modulator turns a reward into a prediction error around a running
// baseline (see the package documentation for the formula). One per reward
// stream: the global reward and each overridden layer learn their own
// expectation.
type modulator struct {
	tau      time.Duration
	gain     float64
	baseline float64

	prev float64 // the reward of the previous cycle, held until this one
	last time.Time
	seen bool
}

// apply moves the baseline toward the reward held since the previous cycle,
// then returns the modulated reward r and whether it had to be clamped.
func (m *modulator) apply(r float64, now time.Time) (float64, bool) {
	if m.seen && !now.IsZero() && !m.last.IsZero() {
		dt := max(now.Sub(m.last).Seconds(), 0)
		m.baseline += (1 - math.Exp(-dt/m.tau.Seconds())) * (m.prev - m.baseline)
	}
	m.prev, m.last, m.seen = r, now, true
	out := 0.5 + m.gain*(r-m.baseline)
	clamped := out < 0 || out > 1
	return math.Min(math.Max(out, 0), 1), clamped
}
