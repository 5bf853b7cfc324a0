package localpolicy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// faultPrefix is where the knobs are served (Config.Faults): the tests of
// other processes turn them, with the policy's key.
const faultPrefix = "/standin/"

// Fault answers the next Count requests whose path begins with Path (all,
// when empty) with Status and {"detail": ...}; RetryAfter, when positive,
// is sent as the Retry-After header (seconds).
type Fault struct {
	Status     int     `json:"status"`
	Count      int     `json:"count"`
	Path       string  `json:"path"`
	RetryAfter float64 `json:"retry_after"`
}

// delay holds back the next count answers under path by d.
type delay struct {
	d     time.Duration
	count int
	path  string
}

// drop closes the next count connections under path without an answer.
type drop struct {
	count int
	path  string
}

// FailNext queues a fault; it is answered before the key is checked, as a
// proxy or a rate limiter in front of the policy would.
func (s *Server) FailNext(f Fault) error {
	if f.Status < 400 || f.Status > 599 || f.Count < 1 || f.RetryAfter < 0 || f.RetryAfter > 3600 {
		return fmt.Errorf("fault: status %d count %d retry_after %g: want a 4xx or 5xx status, a count of at least 1, retry_after 0 to 3600 s", f.Status, f.Count, f.RetryAfter)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
	return nil
}

// DelayNext holds back the next count answers under path (every path when
// empty) by d, before anything else is done with them.
func (s *Server) DelayNext(d time.Duration, count int, path string) error {
	if d <= 0 || d > 10*time.Minute || count < 1 {
		return fmt.Errorf("delay %v count %d: want 0 to 10 min and a count of at least 1", d, count)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delays = append(s.delays, delay{d, count, path})
	return nil
}

// DropNext closes the next count connections under path without a word,
// as a crashed worker or a cut network would.
func (s *Server) DropNext(count int, path string) error {
	if count < 1 {
		return fmt.Errorf("drop count %d: want at least 1", count)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drops = append(s.drops, drop{count, path})
	return nil
}

// SetStatus makes /v1/healthz answer status for d (then HEALTHY again),
// or until the next SetStatus when d is 0: DEPLOYING is a redeploy.
func (s *Server) SetStatus(status string, d time.Duration) error {
	if !slices.Contains([]string{StatusHealthy, StatusDeploying, StatusUnhealthy, StatusStopped, StatusNotFound}, status) || d < 0 {
		return fmt.Errorf("status %q for %v: want HEALTHY, DEPLOYING, UNHEALTHY, STOPPED or NOT_FOUND and a duration of 0 or more", status, d)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.statusUntil = status, time.Time{}
	if d > 0 {
		s.statusUntil = s.now().Add(d)
	}
	return nil
}

// injectFaults applies the knobs to every request but the knobs': drops,
// then delays, then fault answers.
func (s *Server) injectFaults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		if strings.HasPrefix(path, faultPrefix) {
			next.ServeHTTP(w, r)
			return
		}
		if s.takeDrop(path) {
			// The server closes the connection without writing a byte.
			panic(http.ErrAbortHandler)
		}
		if d, ok := s.takeDelay(path); ok && !s.sleep(r, d) {
			return
		}
		if f, ok := s.takeFault(path); ok {
			if f.RetryAfter > 0 {
				w.Header().Set("Retry-After", strconv.FormatFloat(f.RetryAfter, 'f', -1, 64))
			}
			writeError(w, f.Status, fmt.Sprintf("Injected fault: HTTP %d (stand-in fault knob).", f.Status))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) takeDrop(path string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.drops {
		if strings.HasPrefix(path, s.drops[i].path) {
			if s.drops[i].count--; s.drops[i].count == 0 {
				s.drops = slices.Delete(s.drops, i, i+1)
			}
			s.counters.Dropped++
			return true
		}
	}
	return false
}

func (s *Server) takeDelay(path string) (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.delays {
		if d := s.delays[i]; strings.HasPrefix(path, d.path) {
			if s.delays[i].count--; s.delays[i].count == 0 {
				s.delays = slices.Delete(s.delays, i, i+1)
			}
			s.counters.Delayed++
			return d.d, true
		}
	}
	return 0, false
}

func (s *Server) takeFault(path string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.faults {
		if f := s.faults[i]; strings.HasPrefix(path, f.Path) {
			if s.faults[i].Count--; s.faults[i].Count == 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
			s.counters.Injected++
			return f, true
		}
	}
	return Fault{}, false
}

// faultRoutes serves the knobs, each behind the key: POST /standin/fail
// {status, count, path, retry_after}, /standin/delay {seconds, count,
// path}, /standin/drop {count, path}, /standin/status {status, seconds};
// GET /standin/stats (Stats as JSON).
func (s *Server) faultRoutes(mux *http.ServeMux) {
	knob := func(path string, apply func(r *http.Request) error) {
		mux.Handle(faultPrefix+path, s.method(http.MethodPost, s.authorize(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := apply(r); err != nil {
				writeError(w, http.StatusBadRequest, err.Error())
				return
			}
			s.conf.Logger.Info("fault knob", "knob", path)
			writeJSON(w, http.StatusOK, map[string]any{"ok": true})
		}))))
	}
	knob("fail", func(r *http.Request) error {
		var f Fault
		if err := decodeKnob(r, &f); err != nil {
			return err
		}
		return s.FailNext(f)
	})
	knob("delay", func(r *http.Request) error {
		var k struct {
			Seconds float64 `json:"seconds"`
			Count   int     `json:"count"`
			Path    string  `json:"path"`
		}
		if err := decodeKnob(r, &k); err != nil {
			return err
		}
		return s.DelayNext(time.Duration(k.Seconds*float64(time.Second)), k.Count, k.Path)
	})
	knob("drop", func(r *http.Request) error {
		var k struct {
			Count int    `json:"count"`
			Path  string `json:"path"`
		}
		if err := decodeKnob(r, &k); err != nil {
			return err
		}
		return s.DropNext(k.Count, k.Path)
	})
	knob("status", func(r *http.Request) error {
		var k struct {
			Status  string  `json:"status"`
			Seconds float64 `json:"seconds"`
		}
		if err := decodeKnob(r, &k); err != nil {
			return err
		}
		return s.SetStatus(k.Status, time.Duration(k.Seconds*float64(time.Second)))
	})
	mux.Handle(faultPrefix+"stats", s.method(http.MethodGet, s.authorize(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.Stats())
	}))))
}

func decodeKnob(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("fault knob body: %w", err)
	}
	return nil
}
