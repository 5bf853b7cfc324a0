package diagnostics

import (
	"sync"
	"time"

	"github.com/abbridge/ab_bridge/internal/brain"
)

// LinkState is the brain link as last reported by the session.
type LinkState struct {
	Up     bool
	Joined bool      // joined at least once
	Run    string    // the run joined, or the one lost
	Reason string    // why it was last lost
	Since  time.Time // when it last changed
}

// LinkWatch is the session's Handler in front of another one (the bridge):
// it keeps the newest link change for the diagnostics and hands every event
// on unchanged. The session only says when the link changes, so without it
// nothing could tell "reconnecting for 2 s" from "lost for a minute".
type LinkWatch struct {
	brain.Handler
	mu sync.Mutex
	st LinkState
}

var _ brain.Handler = (*LinkWatch)(nil)

// WatchLink wraps h.
func WatchLink(h brain.Handler) *LinkWatch { return &LinkWatch{Handler: h} }

// OnLink records the change, then hands it on. Called on the session's
// goroutines; the lock is held only to copy.
func (w *LinkWatch) OnLink(l brain.Link) {
	at := l.At
	if at.IsZero() {
		at = time.Now()
	}
	w.mu.Lock()
	w.st.Up, w.st.Run, w.st.Since = l.Up, l.Run, at
	if l.Up {
		w.st.Joined = true
	} else {
		w.st.Reason = l.Reason
	}
	w.mu.Unlock()
	w.Handler.OnLink(l)
}

// State is the newest link state.
func (w *LinkWatch) State() LinkState {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.st
}
