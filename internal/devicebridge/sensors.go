package devicebridge

import (
	"context"
	"errors"
	"math"
	"net/http"
	"time"

	"github.com/abbridge/ab_bridge/internal/bridge"
	"github.com/abbridge/ab_bridge/internal/primalux"
)

// sense posts one sensor frame per 1/frame_rate_hz: each joint input's
// position encoded as configured, each camera's newest frame as a retina,
// each microphone's loudness since the previous frame, and the reward
// population. What has no fresh sample is left out of the frame (stale or
// missing joint_states, a camera older than max_age); the rest still goes.
func (d *Device) sense(ctx context.Context, br Bridge) {
	period := time.Duration(float64(time.Second) / d.conf.PrimaLux.FrameRateHz)
	t := time.NewTicker(period)
	defer t.Stop()
	f := &framer{d: d, br: br, q: make([]float64, len(d.conf.Joints)), period: period}
	for i, s := range d.sensors {
		if s.kind != "Proprioception" {
			f.media = append(f.media, bridge.DeviceSample{ID: s.input.ID})
			f.mediaOf = append(f.mediaOf, i)
		}
	}
	var warned time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		frame, why := f.frame(ctx)
		if why != "" {
			d.stats.staleFrames.Add(1)
			if time.Since(warned) > 5*time.Second {
				warned = time.Now()
				d.log.Warn("sensor frame incomplete", "why", why)
			}
		}
		if len(frame) > 0 && d.post(ctx, frame) {
			br.DeviceAccepted(f.inputsIn(frame))
		}
		d.sensesStale(br, time.Now())
	}
}

// framer builds sensor frames; owned by sense's goroutine.
type framer struct {
	d       *Device
	br      Bridge
	q       []float64
	period  time.Duration
	media   []bridge.DeviceSample // the cameras' and microphones', buffers reused
	mediaOf []int                 // media[i] is d.sensors[mediaOf[i]]
	sent    []string              // inputsIn's, reused
}

// inputsIn lists the configured inputs a frame carries (not the reward
// population, which is no input of the bridge), in config order.
func (f *framer) inputsIn(frame map[string][]float64) []string {
	f.sent = f.sent[:0]
	for _, s := range f.d.sensors {
		if _, ok := frame[s.input.ID]; ok {
			f.sent = append(f.sent, s.input.ID)
		}
	}
	return f.sent
}

// frame builds one sensor frame; why says what was left out.
func (f *framer) frame(ctx context.Context) (map[string][]float64, string) {
	d := f.d
	out := make(map[string][]float64, len(d.sensors)+1)
	why := ""
	note := func(s string) {
		if why == "" {
			why = s
		}
	}
	jointsOK := false
	if len(f.media) < len(d.sensors) {
		var w string
		if w, jointsOK = f.br.SensedJoints(f.q); !jointsOK {
			note(w)
		}
	}
	for _, s := range d.sensors {
		if s.kind != "Proprioception" || !jointsOK {
			continue
		}
		f.encode(out, s, []float64{f.q[s.joint]}, note)
	}
	if len(f.media) > 0 {
		ctx, cancel := context.WithTimeout(ctx, f.period)
		err := f.br.DeviceSamples(ctx, f.media)
		cancel()
		if err != nil {
			note("cameras and microphones: " + err.Error())
		} else {
			f.addMedia(out, note)
		}
	}
	if d.reward != nil {
		m := 0.5 // neutral until the first reward
		if d.hasReward.Load() {
			m = math.Float64frombits(d.rewardBits.Load())
		}
		out[d.reward.ID] = primalux.RewardVector(m, d.reward.N)
	}
	return out, why
}

func (f *framer) addMedia(out map[string][]float64, note func(string)) {
	for i, smp := range f.media {
		s := f.d.sensors[f.mediaOf[i]]
		if smp.Err != nil {
			note(smp.Err.Error())
			continue
		}
		var v []float64
		var err error
		if s.kind == "Image" {
			v, err = retina(smp.Data, s.input.N, s.colour)
		} else {
			v, err = envelope(smp.Data, smp.Channels, s.input.N)
		}
		if err != nil {
			f.d.stats.encodeErrors.Add(1)
			note("input " + s.input.ID + ": " + err.Error())
			continue
		}
		f.encode(out, s, v, note)
	}
}

// encode applies the input's mode (its kind's default when unset).
func (f *framer) encode(out map[string][]float64, s sensor, signal []float64, note func(string)) {
	v, err := primalux.Encode(s.input, signal, s.mode, s.scale)
	if err != nil {
		f.d.stats.encodeErrors.Add(1)
		note("input " + s.input.ID + ": " + err.Error())
		return
	}
	out[s.input.ID] = v
}

// post sends a frame once, bounded by the client's timeout, and says
// whether the device accepted it; a 409 (not running) wakes the run keeper.
func (d *Device) post(ctx context.Context, frame map[string][]float64) bool {
	err := d.client.SendSensors(ctx, frame)
	if err == nil {
		d.stats.posted.Add(1)
		d.accepted(time.Now())
		return true
	}
	if ctx.Err() != nil {
		return false
	}
	d.stats.postFailures.Add(1)
	var pe *primalux.Error
	if errors.As(err, &pe) && pe.Status == http.StatusConflict {
		d.ask("sensor frame refused: " + pe.Detail)
	}
	if n := d.stats.postFailures.Load(); n == 1 || n%50 == 0 {
		d.log.Warn("prima-lux sensor frame not delivered", "err", err, "failures", n)
	}
	return false
}
