package brain

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestLogThrottle(t *testing.T) {
	now := time.Unix(0, 0)
	th := newLogThrottle(5 * time.Second)
	th.now = func() time.Time { return now }

	type step struct {
		advance    time.Duration
		key        string
		ok         bool
		suppressed int
	}
	steps := []step{
		{0, "a", true, 0},
		{time.Second, "a", false, 0},
		{time.Second, "a", false, 0},
		{0, "b", true, 0}, // keys are independent
		{3 * time.Second, "a", true, 2},
		{time.Second, "a", false, 0},
		{5 * time.Second, "a", true, 1},
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		ok, n := th.allow(s.key)
		assert.Equal(t, s.ok, ok, "step %d", i)
		assert.Equal(t, s.suppressed, n, "step %d", i)
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		failures int
		lo, hi   time.Duration
	}{
		{0, 800 * time.Millisecond, 1200 * time.Millisecond},
		{1, 800 * time.Millisecond, 1200 * time.Millisecond},
		{2, 1600 * time.Millisecond, 2400 * time.Millisecond},
		{3, 3200 * time.Millisecond, 4800 * time.Millisecond},
		{4, 4000 * time.Millisecond, 5 * time.Second},
		{50, 4000 * time.Millisecond, 5 * time.Second},
	}
	for _, tc := range tests {
		for range 100 {
			d := backoff(tc.failures)
			assert.GreaterOrEqual(t, d, tc.lo, "failures %d", tc.failures)
			assert.LessOrEqual(t, d, tc.hi, "failures %d", tc.failures)
		}
	}
}
