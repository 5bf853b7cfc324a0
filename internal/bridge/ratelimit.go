package bridge

import (
	"sync"
	"time"
)

// rateLimiter lets one log line per kind through per interval, so a flood of
// bad input is reported without drowning the log.
type rateLimiter struct {
	mu         sync.Mutex
	every      time.Duration
	last       map[string]time.Time
	suppressed map[string]int
	now        func() time.Time
}

func newRateLimiter(every time.Duration) *rateLimiter {
	return &rateLimiter{every: every, last: map[string]time.Time{}, suppressed: map[string]int{}, now: time.Now}
}

// allow reports whether a line of this kind may be logged now, and how many
// were held back since the last one.
func (r *rateLimiter) allow(kind string) (suppressed int, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if last, seen := r.last[kind]; seen && now.Sub(last) < r.every {
		r.suppressed[kind]++
		return 0, false
	}
	r.last[kind] = now
	n := r.suppressed[kind]
	r.suppressed[kind] = 0
	return n, true
}
