package bridge

import (
	"strconv"
	"strings"

	"github.com/abbridge/ab_bridge/internal/spikes"
)

// OnDeviceTargets is OnDeviceSteps for a brain whose outputs are absolute
// positions (a RoboActions policy's actions, internal/policybridge): step t
// says where each channel's joint (joint:<i>) or the gripper should be at
// the end of that step. The bridge turns them into deltas from the
// measurement the cycle starts from, on its own goroutine, so that the
// trajectory ends at the targets however far the arm has come since the
// caller looked. The bridge owns steps after the call.
func (b *Bridge) OnDeviceTargets(cycle int64, steps []map[string]float64) {
	b.enqueue(event{device: &deviceCycle{cycle: cycle, steps: steps, absolute: true}})
}

// targetsToDeltas rewrites absolute targets as deltas, in place: from the
// shaper's start (set by mayMove) for joints and from the gripper's last
// measured position for the gripper. A gripper never measured has no
// start: its targets are dropped (no command) rather than guessed.
func (b *Bridge) targetsToDeltas(steps []map[string]float64) {
	prev := map[string]float64{}
	for _, st := range steps {
		for ch, v := range st {
			p, ok := prev[ch]
			if !ok {
				if p, ok = b.targetStart(ch); !ok {
					delete(st, ch)
					continue
				}
			}
			st[ch], prev[ch] = v-p, v
		}
	}
}

// targetStart is where a channel's joint is at the cycle's start.
func (b *Bridge) targetStart(ch string) (float64, bool) {
	if ch == spikes.GripperChannel || ch == spikes.GripperChannelDG {
		if b.cmds.gripper == nil {
			return 0, false
		}
		pos, _, ok := b.cmds.gripper.measured()
		return pos, ok
	}
	idx, ok := strings.CutPrefix(ch, spikes.JointChannelPrefix)
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(idx)
	if err != nil || i < 0 || i >= len(b.shaper.start) {
		return 0, false
	}
	return b.shaper.start[i], true
}

// SensedGripper is the gripper joint's latest measured position, for an
// observation that includes it; false when there is no gripper section or
// it was never measured, or the measurement is older than max_state_age.
// Safe on any goroutine.
func (b *Bridge) SensedGripper() (float64, bool) {
	if b.cmds.gripper == nil {
		return 0, false
	}
	pos, at, ok := b.cmds.gripper.measured()
	if !ok {
		return 0, false
	}
	now := b.clk.Now()
	return pos, !now.IsZero() && now.Sub(at) <= b.base.Trajectory.MaxStateAge
}
