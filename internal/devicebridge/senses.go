package devicebridge

import (
	"fmt"
	"time"
)

// The device acts on the newest sensor frame it accepted. When posts fail
// (5xx, timeouts, a device that refuses them) the brain goes on producing
// motion from senses that grow older every tick; past the silence window
// that motion answers a world that no longer is. Then the arm is held
// (bridge.OnDeviceHold), once, and the device's outputs are taken but not
// commanded until a sensor frame is accepted again; the next cycle after
// that moves the arm.

// defaultSilenceCycles makes the silence window when Config.SenseSilence
// is 0: brain.lost_after_cycles' default (20) × the cycle duration.
const defaultSilenceCycles = 20

// senseSilence is the silence window in effect.
func (d *Device) senseSilence() time.Duration {
	if d.conf.SenseSilence > 0 {
		return d.conf.SenseSilence
	}
	return defaultSilenceCycles * max(d.conf.CycleDuration, time.Millisecond)
}

// accepted records a sensor frame the device took.
func (d *Device) accepted(at time.Time) { d.lastAccepted.Store(at.UnixNano()) }

// sensesStale says whether the device has accepted no sensor frame for
// longer than the silence window, holding the arm on the change to stale
// and logging both changes once. Called on the sensor and the stream
// goroutines; the compare-and-swap makes each change happen once.
func (d *Device) sensesStale(br Bridge, now time.Time) bool {
	last := time.Unix(0, d.lastAccepted.Load())
	age, window := now.Sub(last), d.senseSilence()
	if age <= window {
		if d.sensesHeld.CompareAndSwap(true, false) {
			d.log.Info("prima-lux sensor frames accepted again: the arm follows the brain again")
		}
		return false
	}
	if d.sensesHeld.CompareAndSwap(false, true) {
		d.stats.senseHolds.Add(1)
		reason := fmt.Sprintf("the device accepted no sensor frame for %s (silence window %s): the brain acts on stale senses",
			age.Round(time.Millisecond), window)
		d.log.Warn("holding the arm: sensor frames not accepted", "reason", reason, "failures", d.stats.postFailures.Load())
		d.noteHold(reason)
		br.OnDeviceHold(reason)
	}
	return true
}
