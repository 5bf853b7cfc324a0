package localdevice

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// maxSensorBody bounds a sensor frame: 128 channels of 498 values, each at
// most ~25 bytes of JSON, fit well within it.
const maxSensorBody = 2 << 20

func (d *Device) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/status", d.serveStatus)
	mux.HandleFunc("POST /api/brain/run", d.serveRun)
	mux.HandleFunc("POST /api/brain/stop", d.serveStop)
	mux.HandleFunc("POST /api/brain/reset", d.serveReset("reset"))
	mux.HandleFunc("POST /api/brain/reset-dynamics", d.serveReset("reset-dynamics"))
	mux.HandleFunc("POST /api/brain/sensor", d.serveSensor)
	mux.HandleFunc("GET /api/brain/stream", d.serveStream)
	mux.HandleFunc("GET /api/brain/events", d.serveEvents)
	mux.HandleFunc("POST /api/brain/build", d.serveBuild)
	mux.HandleFunc("GET /api/brain/build/{id}", d.serveBuildStatus)
	mux.HandleFunc("POST /api/brain/load", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotImplemented, "The Prima-Lux stand-in installs no .abp packages: build a design (POST /api/brain/build) or start it with one.")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "Not Found")
	})
	if d.conf.Faults {
		d.faultRoutes(mux)
	}
	return d.injectFaults(d.authorize(mux))
}

// writeJSON answers v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers the device's error shape, {"detail": message}: the
// SDK shows detail in its PrimaLuxError ("Prima-Lux HTTP 401: ...").
func writeError(w http.ResponseWriter, status int, detail string) {
	writeJSON(w, status, map[string]any{"detail": detail})
}

// authorize admits requests that carry the developer key as a bearer
// token; the key is never logged.
func (d *Device) authorize(next http.Handler) http.Handler {
	want := []byte("Bearer " + d.conf.APIKey)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			d.mu.Lock()
			d.counters.Unauthorized++
			d.mu.Unlock()
			detail := "Invalid developer API key."
			if len(got) == 0 {
				detail = "Missing developer API key: send Authorization: Bearer plx_..."
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="prima-lux"`)
			writeError(w, http.StatusUnauthorized, detail)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (d *Device) buildingLocked() bool { return d.build != nil && d.build.status == BuildRunning }

// engineLocked is the status's engine object.
func (d *Device) engineLocked() map[string]any {
	e := map[string]any{
		"state": d.state, "available": true, "busy": d.state == StateStopping || d.buildingLocked(), "error": nil,
		"has_brain": d.brain != nil, "epoch": d.epoch, "sequence": d.seq, "step": d.step,
	}
	if d.brain != nil {
		e["native_brain_name"] = d.brain.Name
	}
	return e
}

func (d *Device) serveStatus(w http.ResponseWriter, _ *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	pkg := map[string]any{"pending": d.buildingLocked(), "active": nil, "failed_load": nil}
	var io map[string]any
	if b := d.brain; b != nil {
		pkg["active"] = map[string]any{"name": b.Name, "sha256": b.SHA256, "design_sha256": b.DesignSHA256}
		io = map[string]any{"inputs": populations(b.Inputs), "outputs": populations(b.Outputs)}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"ok": true, "device_id": d.deviceID, "engine": d.engineLocked(), "package": pkg, "io": io,
		"stream":   map[string]any{"clients": len(d.subs), "replay_frames": len(d.ring), "cursor": d.cursorLocked(d.seq)},
		"counters": d.counters,
		"learning": map[string]any{
			"enabled": !d.conf.NoLearning, "rewards": d.learning.Rewards, "late": d.learning.Late,
			"mean_weight": d.learning.MeanWeight, "weight_change": d.learning.WeightChange,
		},
	})
}

func populations(ps []Population) []map[string]any {
	out := make([]map[string]any, len(ps))
	for i, p := range ps {
		out[i] = map[string]any{"id": p.ID, "n": p.N, "reward": p.Reward}
	}
	return out
}

// accepted is the acknowledgement of an engine request.
func (d *Device) acceptedLocked(op string) map[string]any {
	return map[string]any{"ok": true, "native_response": map[string]any{"accepted": op}, "engine": d.engineLocked()}
}

// serveRun starts the installed brain: a new epoch, whose frames the
// stream numbers from 1. The network keeps what it learned (Stop saves it).
func (d *Device) serveRun(w http.ResponseWriter, _ *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case d.brain == nil:
		writeError(w, http.StatusConflict, "No brain is installed: build or load one first.")
		return
	case d.state == StateRunning:
		writeError(w, http.StatusConflict, "The brain is already running.")
		return
	case d.state == StateStopping:
		writeError(w, http.StatusConflict, "The brain is stopping (saving its neural dynamics); run again once it is STOPPED.")
		return
	case d.buildingLocked():
		writeError(w, http.StatusConflict, "A brain build is in progress; run once it is READY.")
		return
	}
	d.newEpochLocked("run", true)
	d.state = StateRunning
	d.conf.Logger.Info("run", "epoch", d.epoch)
	writeJSON(w, http.StatusOK, d.acceptedLocked("run"))
}

// serveStop acknowledges at once; the engine is STOPPING (busy) for the
// stop delay, then STOPPED, as the device saves its dynamics.
func (d *Device) serveStop(w http.ResponseWriter, _ *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.brain == nil {
		writeError(w, http.StatusConflict, "No brain is installed.")
		return
	}
	if d.state == StateRunning || d.state == StateReady {
		d.state = StateStopping
		d.stopTimer = time.AfterFunc(d.stopDelay, func() {
			d.mu.Lock()
			defer d.mu.Unlock()
			if d.state == StateStopping {
				d.state = StateStopped
				d.conf.Logger.Info("stopped")
			}
		})
	}
	writeJSON(w, http.StatusOK, d.acceptedLocked("stop"))
}

// serveReset restores the network to its initial state (weights, membrane
// potentials) and starts a new epoch; the engine keeps its state.
func (d *Device) serveReset(op string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.brain == nil {
			writeError(w, http.StatusConflict, "No brain is installed.")
			return
		}
		if d.state == StateStopping {
			writeError(w, http.StatusConflict, "The brain is stopping; reset once it is STOPPED.")
			return
		}
		d.netGen++
		d.newEpochLocked(op, true)
		writeJSON(w, http.StatusOK, d.acceptedLocked(op))
	}
}

// serveSensor queues one sensor frame for the next tick: a JSON object of
// input population → values in [0, 1], one per neuron.
func (d *Device) serveSensor(w http.ResponseWriter, r *http.Request) {
	reject := func(status int, format string, args ...any) {
		d.mu.Lock()
		d.counters.SensorRejected++
		d.mu.Unlock()
		writeError(w, status, fmt.Sprintf(format, args...))
	}
	d.mu.Lock()
	state, brain := d.state, d.brain
	d.mu.Unlock()
	if state != StateRunning || brain == nil {
		reject(http.StatusConflict, "The brain is not running (state %s): POST /api/brain/run first.", state)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSensorBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			reject(http.StatusRequestEntityTooLarge, "Sensor frame larger than %d bytes.", maxSensorBody)
			return
		}
		reject(http.StatusBadRequest, "Cannot read the sensor frame: %v", err)
		return
	}
	f, rewards, err := parseSensorFrame(body, brain)
	if err != nil {
		reject(http.StatusBadRequest, "%v", err)
		return
	}
	d.mu.Lock()
	switch {
	case d.state != StateRunning || d.brain != brain:
		d.mu.Unlock()
		reject(http.StatusConflict, "The brain stopped before the frame was queued.")
		return
	case len(d.queue) >= d.conf.Queue:
		d.mu.Unlock()
		reject(http.StatusServiceUnavailable, "Input queue full (%d frames): the brain is not keeping up.", d.conf.Queue)
		return
	}
	d.queue = append(d.queue, f)
	d.counters.SensorFrames++
	d.counters.Rewards += rewards
	depth := len(d.queue)
	d.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "queued": true, "queue_depth": depth})
}

// parseSensorFrame checks a frame against the device's limits and the
// installed brain's inputs, naming the first problem precisely.
func parseSensorFrame(body []byte, b *Brain) (sensorFrame, int, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		return nil, 0, errors.New("sensor frame must be a JSON object of input population → list of values in [0,1]")
	}
	if len(raw) == 0 || len(raw) > MaxChannels {
		return nil, 0, fmt.Errorf("sensor frame has %d populations, want 1 to %d", len(raw), MaxChannels)
	}
	names := make([]string, 0, len(raw))
	for name := range raw {
		names = append(names, name)
	}
	slices.Sort(names)
	f := sensorFrame{}
	rewards := 0
	for _, name := range names {
		if name == "" || len(name) > maxChannelName {
			return nil, 0, fmt.Errorf("population name %q must have 1 to %d characters", name, maxChannelName)
		}
		p, ok := b.input(name)
		if !ok {
			return nil, 0, fmt.Errorf("%s: not an input of the installed brain (inputs: %s)", name, b.inputNames())
		}
		var values []any
		if err := json.Unmarshal(raw[name], &values); err != nil || values == nil {
			return nil, 0, fmt.Errorf("%s: want a list of 1 to %d values, got %s", name, MaxValues, clip(raw[name]))
		}
		if len(values) == 0 || len(values) > MaxValues {
			return nil, 0, fmt.Errorf("%s: population vector must contain 1..%d values, got %d", name, MaxValues, len(values))
		}
		if len(values) != p.N {
			return nil, 0, fmt.Errorf("%s: %d values for a population of %d neurons", name, len(values), p.N)
		}
		vec := make([]float64, len(values))
		for i, v := range values {
			x, ok := v.(float64)
			if !ok || !(x >= 0 && x <= 1) {
				return nil, 0, fmt.Errorf("%s[%d]: %v is not a number within [0,1]", name, i, jsonText(v))
			}
			vec[i] = x
		}
		f[name] = vec
		if p.Reward {
			rewards++
		}
	}
	return f, rewards, nil
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func clip(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return s
}
