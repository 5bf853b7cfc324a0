package brain

import (
	"sync"
	"time"
)

// logThrottle lets one log line per key through every period and counts
// what it held back, so a server spamming bad events cannot flood the log.
type logThrottle struct {
	period time.Duration
	now    func() time.Time

	mu   sync.Mutex
	keys map[string]*throttleKey
}

type throttleKey struct {
	last       time.Time
	suppressed int
}

func newLogThrottle(period time.Duration) *logThrottle {
	return &logThrottle{period: period, now: time.Now, keys: map[string]*throttleKey{}}
}

// allow reports whether a line for key may be logged now, and how many
// lines for key were held back since the last one that was.
func (t *logThrottle) allow(key string) (ok bool, suppressed int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	k := t.keys[key]
	if k == nil {
		t.keys[key] = &throttleKey{last: now}
		return true, 0
	}
	if now.Sub(k.last) < t.period {
		k.suppressed++
		return false, 0
	}
	suppressed = k.suppressed
	k.last, k.suppressed = now, 0
	return true, suppressed
}
