package bridge

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/contract"
	"github.com/abbridge/ab_bridge/internal/spikes"
)

func (f *fakeRobot) PublishGripper(p float64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.grips = append(f.grips, p)
	return nil
}

func (f *fakeRobot) PublishTwist(tw Twist) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.twists = append(f.twists, tw)
	return nil
}

func (f *fakeRobot) gripper() []float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]float64(nil), f.grips...)
}

func (f *fakeRobot) twisted() []Twist {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Twist(nil), f.twists...)
}

func (d *discardRobot) PublishGripper(float64) error { return nil }
func (d *discardRobot) PublishTwist(Twist) error     { return nil }

// commandsConfig is demoConfig with a gripper (output mg, 0.001 a step,
// range [0, 0.04]) and a differential base (wl, wr wheels at 0.1 rad a
// step; bl, ba velocities at 0.1 a step; r 0.05 m, s 0.4 m, |v| ≤ 1 m/s,
// |ω| ≤ 1 rad/s).
func commandsConfig(t *testing.T) Config {
	conf := demoConfig(t)
	for _, id := range []string{"mg", "wl", "wr", "bl", "ba"} {
		conf.Contract.IO.Outputs = append(conf.Contract.IO.Outputs, contract.Port{ID: id})
	}
	m := func(node, ch string, step float64) spikes.MappingEntry {
		e := spikes.NewMappingEntry(node, ch)
		e.PerStepMax = step
		return e
	}
	conf.Mapping = append(conf.Mapping, m("mg", "gripper", 0.001), m("wl", "wheel:left", 0.1), m("wr", "wheel:right", 0.1),
		m("bl", "base:linear", 0.1), m("ba", "base:angular", 0.1))
	conf.Gripper = &config.Gripper{Joint: "grip", Min: ptr(0), Max: ptr(0.04)}
	conf.Base = &config.Base{WheelRadius: 0.05, WheelSeparation: 0.4, MaxLinear: 1, MaxAngular: 1}
	return conf
}

// rows is n timesteps of one output spiking +1 (sign > 0) or −1.
func rows(id string, n, sign int) []any {
	var out []any
	for t := range n {
		b := bits(4, 1, 0)
		if sign < 0 {
			b = bits(4, 0, 1)
		}
		out = append(out, map[string]any{"t": float64(t), "id": id, "bits": b})
	}
	return out
}

func armAndGripper(grip float64) JointSample {
	return JointSample{Names: []string{"a", "b", "grip"}, Positions: []float64{0.1, 0.2, grip}}
}

// TestGripperIntegratesFromItsMeasuredPosition: a cycle's gripper deltas
// add to the last measured gripper position, one command per cycle that
// asks for a change, within gripper.min/max (clamps counted).
func TestGripperIntegratesFromItsMeasuredPosition(t *testing.T) {
	b, _, fr, done := started(t, commandsConfig(t))
	b.OnJointState(armAndGripper(0.02))
	b.OnCycle(brain.CycleUpdate{Cycle: 1, Outputs: rows("mg", 8, +1)})
	<-done
	require.Len(t, fr.gripper(), 1)
	assert.InDelta(t, 0.028, fr.gripper()[0], 1e-12, "0.02 measured + 8 × 0.001")

	b.OnCycle(movingCycle(2)) // the arm moves, the gripper is not asked to
	<-done
	assert.Len(t, fr.gripper(), 1, "no change asked: no command")

	b.OnJointState(armAndGripper(0.003))
	before := b.Stats().LimitClamps
	b.OnCycle(brain.CycleUpdate{Cycle: 3, Outputs: rows("mg", 8, -1)})
	<-done
	require.Len(t, fr.gripper(), 2)
	assert.Equal(t, 0.0, fr.gripper()[1], "0.003 − 0.008 is clamped to gripper.min")
	assert.Equal(t, before+1, b.Stats().LimitClamps)
	assert.Equal(t, int64(2), b.CommandStats().Gripper)
}

// TestGripperNeedsItsJointState: without the gripper joint in joint_states
// nothing is commanded (there is no position to integrate from).
func TestGripperNeedsItsJointState(t *testing.T) {
	b, _, fr, done := started(t, commandsConfig(t))
	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0, 0}})
	b.OnCycle(brain.CycleUpdate{Cycle: 1, Outputs: rows("mg", 8, +1)})
	<-done
	assert.Empty(t, fr.gripper())
}

// TestWheelsBecomeATwist: the wheels' rotation per cycle becomes a
// differential drive's linear and angular velocity; base channels add
// velocities directly; both are limited, clamps counted.
func TestWheelsBecomeATwist(t *testing.T) {
	conf := commandsConfig(t)
	b, _, fr, done := started(t, conf)
	b.OnJointState(armAndGripper(0.02))
	// Left 0.1 rad, right 0.2 rad in 40 ms: ωl 2.5, ωr 5 rad/s.
	out := append(rows("wl", 1, +1), rows("wr", 2, +1)...)
	b.OnCycle(brain.CycleUpdate{Cycle: 1, Outputs: out})
	<-done
	tw := fr.twisted()
	require.Len(t, tw, 1)
	assert.InDelta(t, 0.05*(2.5+5)/2, tw[0].Linear, 1e-9)
	assert.InDelta(t, 0.05*(5-2.5)/0.4, tw[0].Angular, 1e-9)

	// base:linear −0.3 m/s, base:angular +0.1 rad/s, directly.
	b.OnCycle(brain.CycleUpdate{Cycle: 2, Outputs: append(rows("bl", 3, -1), rows("ba", 1, +1)...)})
	<-done
	tw = fr.twisted()
	require.Len(t, tw, 2)
	assert.InDelta(t, -0.3, tw[1].Linear, 1e-9)
	assert.InDelta(t, 0.1, tw[1].Angular, 1e-9)

	// Both wheels 0.8 rad forward: 1 m/s is the limit; left 0.8 back and
	// right 0.8 forward: 5 rad/s, limited to 1.
	before := b.Stats().LimitClamps
	b.OnCycle(brain.CycleUpdate{Cycle: 3, Outputs: append(rows("wl", 8, +1), rows("wr", 8, +1)...)})
	<-done
	b.OnCycle(brain.CycleUpdate{Cycle: 4, Outputs: append(rows("wl", 8, -1), rows("wr", 8, +1)...)})
	<-done
	tw = fr.twisted()
	require.Len(t, tw, 4)
	assert.InDelta(t, 1.0, tw[2].Linear, 1e-9, "0.05 × 20 rad/s = 1 m/s: at the limit, not past it")
	assert.Equal(t, Twist{Linear: 0, Angular: 1}, tw[3])
	assert.Equal(t, before+1, b.Stats().LimitClamps, "the angular 5 rad/s was clamped")

	// A cycle that moves nothing still sends a (zero) twist: a base is
	// commanded every cycle, so its controller's timeout never fires mid-run.
	b.OnCycle(movingCycle(5))
	<-done
	assert.Equal(t, Twist{}, fr.twisted()[4])
}

// TestHoldsZeroTheBaseAndHoldTheGripper: pause, a lost brain and stale
// joint_states each publish a zero twist and the gripper's measured
// position; pause does so even before any arm joint was measured.
func TestHoldsZeroTheBaseAndHoldTheGripper(t *testing.T) {
	t.Run("pause before any joint_states", func(t *testing.T) {
		b, _, fr, _ := started(t, commandsConfig(t))
		b.Pause(context.Background())
		waitFor(t, func() bool { return len(fr.twisted()) == 1 })
		assert.Equal(t, Twist{}, fr.twisted()[0])
		assert.Empty(t, fr.gripper(), "no gripper position measured: nothing to hold it at")
	})
	t.Run("pause", func(t *testing.T) {
		b, _, fr, done := started(t, commandsConfig(t))
		b.OnJointState(armAndGripper(0.05)) // beyond max: held at max
		b.OnCycle(brain.CycleUpdate{Cycle: 1, Outputs: rows("wr", 8, +1)})
		<-done
		require.NotEqual(t, Twist{}, fr.twisted()[0])
		b.Pause(context.Background())
		waitFor(t, func() bool { return len(fr.twisted()) == 2 })
		assert.Equal(t, Twist{}, fr.twisted()[1])
		assert.Equal(t, []float64{0.04}, fr.gripper())
		b.OnCycle(brain.CycleUpdate{Cycle: 2, Outputs: rows("wr", 8, +1)})
		<-done
		assert.Len(t, fr.twisted(), 2, "no motion while paused")
	})
	t.Run("brain lost", func(t *testing.T) {
		b, _, fr, done := started(t, commandsConfig(t))
		b.OnJointState(armAndGripper(0.01))
		b.OnCycle(brain.CycleUpdate{Cycle: 1, Outputs: rows("bl", 8, +1)})
		<-done
		b.OnLink(brain.Link{Up: false, Reason: "test", At: time.Now()})
		// The hold publishes the twist, then the gripper: wait for both.
		waitFor(t, func() bool { return len(fr.twisted()) == 2 && len(fr.gripper()) == 1 })
		assert.Equal(t, Twist{}, fr.twisted()[1])
		assert.Equal(t, []float64{0.01}, fr.gripper())
	})
	t.Run("stale joint_states", func(t *testing.T) {
		conf := commandsConfig(t)
		conf.Trajectory.MaxStateAge = 20 * time.Millisecond
		b, _, fr, done := started(t, conf)
		b.OnJointState(armAndGripper(0.01))
		b.OnCycle(brain.CycleUpdate{Cycle: 1, Outputs: rows("bl", 8, +1)})
		<-done
		time.Sleep(2 * conf.Trajectory.MaxStateAge)
		b.OnCycle(brain.CycleUpdate{Cycle: 2, Outputs: rows("bl", 8, +1)})
		<-done
		tw := fr.twisted()
		require.Len(t, tw, 2)
		assert.Equal(t, Twist{}, tw[1])
	})
}

// TestPublishedChannelsAreNotReportedUnused: channels an output publishes
// leave the "decoded but not published" list; without their section they
// stay on it, and no publisher is asked for.
func TestPublishedChannelsAreNotReportedUnused(t *testing.T) {
	conf := commandsConfig(t)
	b, err := New(conf)
	require.NoError(t, err)
	assert.Empty(t, b.cmds.unpublished(b.shaper.unused))
	g, base := b.CommandOutputs()
	assert.True(t, g && base)

	conf.Gripper, conf.Base = nil, nil
	b, err = New(conf)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"gripper", "wheel:left", "wheel:right", "base:linear", "base:angular"}, b.cmds.unpublished(b.shaper.unused))
	g, base = b.CommandOutputs()
	assert.False(t, g || base)
}
