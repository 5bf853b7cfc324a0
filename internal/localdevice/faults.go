package localdevice

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// fault answers the next Count requests whose path begins with Path (all,
// when empty) with Status instead of the device's answer.
type fault struct {
	Status int
	Count  int
	Path   string
}

// faultPrefix is where the knobs are served (Config.Faults): the tests of
// other processes turn them, with the device's key.
const faultPrefix = "/standin/"

// FailNext answers the next count requests under path (every path when
// empty; never the knobs) with status and {"detail": "..."}, before the
// key is checked, as a proxy or an overloaded device would.
func (d *Device) FailNext(status, count int, path string) error {
	if status < 400 || status > 599 || count < 1 {
		return fmt.Errorf("fault: status %d count %d, want a 4xx or 5xx status and a count of at least 1", status, count)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults = append(d.faults, fault{Status: status, Count: count, Path: path})
	return nil
}

// Restart is the device rebooting: every stream drops without a word, the
// epoch changes, the network forgets what it learned and the engine comes
// back READY with the brain still installed.
func (d *Device) Restart() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopTimer != nil {
		d.stopTimer.Stop()
	}
	d.netGen++
	d.newEpochLocked("restart", false)
	if d.brain != nil {
		d.state = StateReady
	}
	d.counters.Restarts++
}

// DropStreams closes every stream connection without an event; the epoch
// and the frames stay, so a client that reconnects from its cursor resumes.
func (d *Device) DropStreams() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dropStreamsLocked()
}

// SetStopDelay sets how long the next Stop keeps the engine STOPPING.
func (d *Device) SetStopDelay(delay time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stopDelay = max(0, delay)
}

// injectFaults answers with a pending fault, if one matches.
func (d *Device) injectFaults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, faultPrefix) {
			if status, ok := d.takeFault(r.URL.Path); ok {
				writeError(w, status, fmt.Sprintf("Injected fault: HTTP %d (stand-in fault knob).", status))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (d *Device) takeFault(path string) (int, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range d.faults {
		f := &d.faults[i]
		if !strings.HasPrefix(path, f.Path) {
			continue
		}
		status := f.Status
		if f.Count--; f.Count == 0 {
			d.faults = append(d.faults[:i], d.faults[i+1:]...)
		}
		d.counters.Injected++
		return status, true
	}
	return 0, false
}

// faultRoutes serves the knobs: POST /standin/restart, /standin/drop-streams,
// /standin/fail {"status", "count", "path"}, /standin/stop-delay {"seconds"}.
func (d *Device) faultRoutes(mux *http.ServeMux) {
	ok := func(w http.ResponseWriter) { writeJSON(w, http.StatusOK, map[string]any{"ok": true}) }
	mux.HandleFunc("POST "+faultPrefix+"restart", func(w http.ResponseWriter, _ *http.Request) {
		d.Restart()
		d.conf.Logger.Info("fault: restart")
		ok(w)
	})
	mux.HandleFunc("POST "+faultPrefix+"drop-streams", func(w http.ResponseWriter, _ *http.Request) {
		d.DropStreams()
		d.conf.Logger.Info("fault: streams dropped")
		ok(w)
	})
	mux.HandleFunc("POST "+faultPrefix+"fail", func(w http.ResponseWriter, r *http.Request) {
		var f fault
		if err := decodeKnob(r, &struct {
			Status *int    `json:"status"`
			Count  *int    `json:"count"`
			Path   *string `json:"path"`
		}{&f.Status, &f.Count, &f.Path}); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		if err := d.FailNext(f.Status, f.Count, f.Path); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		d.conf.Logger.Info("fault: failing requests", "status", f.Status, "count", f.Count, "path", f.Path)
		ok(w)
	})
	mux.HandleFunc("POST "+faultPrefix+"stop-delay", func(w http.ResponseWriter, r *http.Request) {
		var seconds float64
		if err := decodeKnob(r, &struct {
			Seconds *float64 `json:"seconds"`
		}{&seconds}); err != nil || seconds < 0 || seconds > 600 {
			writeError(w, http.StatusBadRequest, "want {\"seconds\": 0 to 600}")
			return
		}
		d.SetStopDelay(time.Duration(seconds * float64(time.Second)))
		ok(w)
	})
}

func decodeKnob(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("fault knob body: %w", err)
	}
	return nil
}
