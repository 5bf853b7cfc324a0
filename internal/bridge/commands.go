package bridge

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/spikes"
)

// commands are the command outputs besides the trajectory: the gripper
// (a forward position controller's commands) and the mobile base
// (cmd_vel). Each exists only when its configuration section is present
// and a mapping channel drives it: an output nothing drives would only
// fight whatever else commands that controller.
type commands struct {
	gripper *gripperOut
	base    *baseOut
	taken   map[string]bool // channels these outputs publish
	grips   atomic.Int64    // gripper commands published
	twists  atomic.Int64    // twists published
}

// gripperOut integrates the gripper channels' deltas into a position,
// from the gripper joint's last measured position.
type gripperOut struct {
	joint  string
	lo, hi float64
	of     []bool // decoder channel index → a gripper channel
	// The measured position: written by the ROS callback, read by the
	// bridge goroutine.
	mu       sync.Mutex
	pos      float64
	received time.Time
	valid    bool
}

// baseOut turns the wheel and base channels' deltas into a twist.
type baseOut struct {
	conf config.Base
	role []baseRole // decoder channel index → what it drives
}

type baseRole int

const (
	notBase baseRole = iota
	wheelLeft
	wheelRight
	baseLinear
	baseAngular
)

// Twist is one velocity command for a mobile base: linear.x (m/s) and
// angular.z (rad/s) in the base's frame, as diff_drive_controller reads
// them; every other component is zero.
type Twist struct {
	Linear, Angular float64
}

func newCommands(conf Config, channels []string) *commands {
	c := &commands{taken: map[string]bool{}}
	var g *gripperOut
	if conf.Gripper != nil {
		g = &gripperOut{joint: conf.Gripper.Joint, lo: math.Inf(-1), hi: math.Inf(1), of: make([]bool, len(channels))}
		if conf.Gripper.Min != nil {
			g.lo = *conf.Gripper.Min
		}
		if conf.Gripper.Max != nil {
			g.hi = *conf.Gripper.Max
		}
	}
	var b *baseOut
	if conf.Base != nil {
		b = &baseOut{conf: *conf.Base, role: make([]baseRole, len(channels))}
	}
	for i, ch := range channels {
		switch {
		case g != nil && config.IsGripperChannel(ch):
			g.of[i], c.taken[ch], c.gripper = true, true, g
		case b != nil && config.IsBaseChannel(ch):
			b.role[i], c.taken[ch], c.base = roleOf(ch), true, b
		}
	}
	return c
}

func roleOf(ch string) baseRole {
	switch ch {
	case config.ChannelWheelLeft:
		return wheelLeft
	case config.ChannelWheelRight:
		return wheelRight
	case config.ChannelBaseLinear:
		return baseLinear
	case config.ChannelBaseAngular:
		return baseAngular
	}
	return notBase
}

// unpublished is the subset of channels no output publishes.
func (c *commands) unpublished(channels []string) []string {
	var out []string
	for _, ch := range channels {
		if !c.taken[ch] {
			out = append(out, ch)
		}
	}
	return out
}

// observe keeps the gripper joint's position from a joint_states message.
// A message without it, or with a bad value for it, changes nothing: the
// arm's joint store reports malformed messages already.
func (g *gripperOut) observe(m JointSample, now time.Time) {
	for i, n := range m.Names {
		if n != g.joint || i >= len(m.Positions) || bad(m.Positions[i]) {
			continue
		}
		g.mu.Lock()
		g.pos, g.received, g.valid = m.Positions[i], now, true
		g.mu.Unlock()
		return
	}
}

// measured is the gripper's last position and when it arrived.
func (g *gripperOut) measured() (pos float64, received time.Time, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.pos, g.received, g.valid
}

func (g *gripperOut) clamp(p float64) (float64, bool) {
	c := math.Min(math.Max(p, g.lo), g.hi)
	return c, c != p
}

// target is where a cycle whose gripper deltas sum to sum sends the
// gripper from pos, and whether the range clamped it; moved is false when
// the cycle asks for no change (no command then).
func (g *gripperOut) target(steps []spikes.Step, pos float64) (to float64, moved, clamped bool) {
	sum := 0.0
	for _, st := range steps {
		for _, d := range st.Deltas {
			if g.of[d.Index] {
				sum += d.Delta
			}
		}
	}
	if sum == 0 {
		return pos, false, false
	}
	to, clamped = g.clamp(pos + sum)
	return to, true, clamped
}

// twist is the cycle's velocity command: the wheels turn by their deltas'
// sums within cycle (rad), which a differential drive of wheel radius r
// and separation s makes v = r(ωl+ωr)/2 and ω = r(ωr−ωl)/s; the base
// channels' sums add to those directly. clamps counts the components
// max_linear and max_angular cut.
func (b *baseOut) twist(steps []spikes.Step, cycle time.Duration) (tw Twist, clamps int) {
	var sums [baseAngular + 1]float64
	for _, st := range steps {
		for _, d := range st.Deltas {
			sums[b.role[d.Index]] += d.Delta
		}
	}
	if T := cycle.Seconds(); T > 0 {
		wl, wr := sums[wheelLeft]/T, sums[wheelRight]/T
		tw.Linear = b.conf.WheelRadius * (wl + wr) / 2
		if b.conf.WheelSeparation > 0 {
			tw.Angular = b.conf.WheelRadius * (wr - wl) / b.conf.WheelSeparation
		}
	}
	tw.Linear += sums[baseLinear]
	tw.Angular += sums[baseAngular]
	var c1, c2 bool
	tw.Linear, c1 = symmetric(tw.Linear, b.conf.MaxLinear)
	tw.Angular, c2 = symmetric(tw.Angular, b.conf.MaxAngular)
	for _, c := range []bool{c1, c2} {
		if c {
			clamps++
		}
	}
	return tw, clamps
}

// symmetric keeps v within [−lim, lim]; a NaN (never from finite deltas,
// but a base must not get one) becomes 0.
func symmetric(v, lim float64) (float64, bool) {
	if math.IsNaN(v) {
		return 0, true
	}
	c := math.Min(math.Max(v, -lim), lim)
	return c, c != v
}

// command publishes the cycle's gripper and base commands; it runs after
// the cycle passed the trajectory's gates (brain up, not paused, fresh
// joint_states).
func (b *Bridge) command(cycle int64, steps []spikes.Step) {
	c := b.cmds
	if g := c.gripper; g != nil {
		b.commandGripper(cycle, g, steps)
	}
	if c.base != nil {
		tw, clamps := c.base.twist(steps, b.conf.Trajectory.CycleDuration)
		if clamps > 0 {
			b.stats.limitClamps.Add(int64(clamps))
			b.warnf("base_clamps", "base velocity clamped to max_linear/max_angular", "cycle", cycle, "clamps", clamps)
		}
		b.publishTwist(tw, "cycle")
	}
}

func (b *Bridge) commandGripper(cycle int64, g *gripperOut, steps []spikes.Step) {
	pos, received, ok := g.measured()
	switch {
	case !ok:
		b.warnf("no_gripper_state", "gripper not commanded: its joint is not in joint_states yet", "cycle", cycle, "joint", g.joint)
		return
	case b.stale(received) != "":
		b.warnf("stale_gripper_state", "gripper not commanded: "+b.stale(received), "cycle", cycle, "joint", g.joint)
		return
	}
	to, moved, clamped := g.target(steps, pos)
	if !moved {
		return // one command per cycle that asks for a change
	}
	if clamped {
		b.stats.limitClamps.Add(1)
		b.warnf("gripper_clamps", "gripper position clamped to gripper.min/max", "cycle", cycle)
	}
	b.publishGripper(to, "cycle")
}

// holdCommands zeroes the base and holds the gripper where it was last
// measured: part of every hold (holdArm), since a base left at its last
// velocity would drive on without a brain.
func (b *Bridge) holdCommands() {
	if b.cmds.base != nil {
		b.publishTwist(Twist{}, "hold")
	}
	if g := b.cmds.gripper; g != nil {
		if pos, _, ok := g.measured(); ok {
			pos, _ = g.clamp(pos)
			b.publishGripper(pos, "hold")
		}
	}
}

func (b *Bridge) publishTwist(tw Twist, what string) {
	if err := b.cmd.PublishTwist(tw); err != nil {
		b.stats.failedPublishes.Add(1)
		b.warnf("publish_twist", "twist not published", "what", what, "err", err)
		return
	}
	b.cmds.twists.Add(1)
}

func (b *Bridge) publishGripper(pos float64, what string) {
	if err := b.cmd.PublishGripper(pos); err != nil {
		b.stats.failedPublishes.Add(1)
		b.warnf("publish_gripper", "gripper command not published", "what", what, "err", err)
		return
	}
	b.cmds.grips.Add(1)
}

// CommandOutputs says which command outputs besides the trajectory the
// bridge publishes: the node creates only those publishers.
func (b *Bridge) CommandOutputs() (gripper, base bool) {
	return b.cmds.gripper != nil, b.cmds.base != nil
}

// CommandStats counts the gripper commands and twists published (holds
// included).
type CommandStats struct {
	Gripper, Twists int64
}

// CommandStats returns the command outputs' counters so far.
func (b *Bridge) CommandStats() CommandStats {
	return CommandStats{Gripper: b.cmds.grips.Load(), Twists: b.cmds.twists.Load()}
}
