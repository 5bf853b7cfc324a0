package devicebridge

import (
	"context"
	"errors"
	"math"
	"net/http"
	"time"

	"github.com/abbridge/ab_bridge/internal/primalux"
)

// sense posts one sensor frame per 1/frame_rate_hz: each input's joint
// position encoded as configured, and the reward population. Stale or
// missing joint_states post no joint values (the reward still goes).
func (d *Device) sense(ctx context.Context, br Bridge) {
	t := time.NewTicker(time.Duration(float64(time.Second) / d.conf.PrimaLux.FrameRateHz))
	defer t.Stop()
	q := make([]float64, len(d.conf.Joints))
	var warned time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		frame, why := d.frame(br, q)
		if why != "" {
			d.stats.staleFrames.Add(1)
			if time.Since(warned) > 5*time.Second {
				warned = time.Now()
				d.log.Warn("joint values not posted", "why", why)
			}
		}
		if len(frame) == 0 {
			continue
		}
		d.post(ctx, frame)
	}
}

// frame builds one sensor frame; why says what was left out.
func (d *Device) frame(br Bridge, q []float64) (map[string][]float64, string) {
	out := make(map[string][]float64, len(d.sensors)+1)
	why := ""
	if len(d.sensors) > 0 {
		var ok bool
		if why, ok = br.SensedJoints(q); ok {
			for _, s := range d.sensors {
				v, err := primalux.Encode(s.input, []float64{q[s.joint]}, s.mode, s.scale)
				if err != nil {
					d.stats.encodeErrors.Add(1)
					why = "input " + s.input.ID + ": " + err.Error()
					continue
				}
				out[s.input.ID] = v
			}
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

// post sends a frame once, bounded by the client's timeout; a 409 (not
// running) wakes the run keeper.
func (d *Device) post(ctx context.Context, frame map[string][]float64) {
	err := d.client.SendSensors(ctx, frame)
	if err == nil {
		d.stats.posted.Add(1)
		return
	}
	if ctx.Err() != nil {
		return
	}
	d.stats.postFailures.Add(1)
	var pe *primalux.Error
	if errors.As(err, &pe) && pe.Status == http.StatusConflict {
		d.ask("sensor frame refused: " + pe.Detail)
	}
	if n := d.stats.postFailures.Load(); n == 1 || n%50 == 0 {
		d.log.Warn("prima-lux sensor frame not delivered", "err", err, "failures", n)
	}
}
