package bridge

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/brain"
)

func (f *fakeRobot) published() []Trajectory {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Trajectory(nil), f.trajs...)
}

func movingCycle(cycle int64) brain.CycleUpdate {
	return brain.CycleUpdate{Cycle: cycle, Outputs: []any{map[string]any{"t": 0.0, "id": "ma", "bits": bits(4, 1, 0)}}}
}

// TestStaleJointStatesHoldOnce: a cycle whose joint_states are older than
// max_state_age publishes one hold at the last measured positions, later
// stale cycles nothing, and fresh joint_states bring motion back.
func TestStaleJointStatesHoldOnce(t *testing.T) {
	conf := demoConfig(t)
	conf.Trajectory.MaxStateAge = 30 * time.Millisecond
	b, _, fr, done := started(t, conf)
	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0.2, -0.3}})
	b.OnCycle(movingCycle(1))
	require.True(t, (<-done).Published)
	time.Sleep(2 * conf.Trajectory.MaxStateAge)
	for c := int64(2); c <= 4; c++ {
		b.OnCycle(movingCycle(c))
		assert.False(t, (<-done).Published, "cycle %d starts from stale joint_states", c)
	}
	trajs := fr.published()
	require.Len(t, trajs, 2, "one motion, then one hold")
	assert.Equal(t, []TrajectoryPoint{{Positions: []float64{0.2, -0.3}, Velocities: []float64{0, 0}, TimeFromStart: conf.Trajectory.CycleDuration}},
		trajs[1].Points, "the hold keeps the last measured positions, at rest")
	st := b.Stats()
	assert.Equal(t, int64(1), st.Holds)
	assert.Equal(t, int64(3), st.StaleJointStates)

	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0.25, -0.3}})
	b.OnCycle(movingCycle(5))
	require.True(t, (<-done).Published, "fresh joint_states: motion again")
	assert.Greater(t, fr.published()[2].Points[0].Positions[0], 0.25)
}

// TestLostBrainHoldsAndNothingStaleIsSentAfter: losing the link publishes
// one hold; cycles still queued from before are not turned into motion;
// after the link is back, needs are not answered from samples measured
// before it came back, and fresh samples flow again.
func TestLostBrainHoldsAndNothingStaleIsSentAfter(t *testing.T) {
	b, fb, fr, done := started(t, demoConfig(t))
	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0.1, 0.2}})
	b.OnCycle(movingCycle(1))
	require.True(t, (<-done).Published)

	b.OnLink(brain.Link{Run: "run1", Reason: "disconnected: transport close", At: time.Now()})
	waitFor(t, func() bool { return len(fr.published()) == 2 })
	assert.Equal(t, []float64{0.1, 0.2}, fr.published()[1].Points[0].Positions)
	assert.Equal(t, []float64{0, 0}, fr.published()[1].Points[0].Velocities)
	b.OnCycle(movingCycle(2))
	assert.False(t, (<-done).Published, "no motion while the brain is lost")

	b.OnLink(brain.Link{Up: true, Run: "run1", At: time.Now()})
	need := brain.Need{Cycle: 3, Needs: []brain.NeedItem{{ID: "a_pos", Kind: "Proprioception"}}}
	b.OnNeed(need)
	waitFor(t, func() bool { return b.Stats().StaleInputs == 1 })
	assert.Empty(t, fb.sent(), "the joint sample is from before the link came back")

	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0.15, 0.2}})
	b.OnNeed(need)
	waitFor(t, func() bool { return len(fb.sent()) == 1 })
	assert.Equal(t, 0.15, fb.sent()[0].Meta["rawTick"])
	b.OnCycle(movingCycle(4))
	assert.True(t, (<-done).Published, "fresh data after the link came back: motion")
	st := b.Stats()
	assert.Equal(t, int64(1), st.Holds)
	assert.Equal(t, int64(1), st.LinkLosses)
	assert.Equal(t, int64(1), st.CyclesWhileLost)
}

// TestNoRobotStateAfterAReconnectUntilTheBrainAsks: no robot:state goes
// out while the brain is lost, nor after the link is back until the brain
// asks for inputs: a restarted brain that forgot the run would get a state
// of it before its refusal of the join reaches the session (seen in
// test/faults_test.go against the local brain and python-socketio).
func TestNoRobotStateAfterAReconnectUntilTheBrainAsks(t *testing.T) {
	conf := demoConfig(t)
	conf.StateRate = 200
	b, fb, fr, _ := started(t, conf)
	states := func() int { fb.mu.Lock(); defer fb.mu.Unlock(); return len(fb.states) }
	sample := func() {
		b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0.1, 0.2}})
	}
	sample()
	waitFor(t, func() bool { return states() >= 2 })

	b.OnLink(brain.Link{Run: "run1", Reason: "disconnected: transport close", At: time.Now()})
	waitFor(t, func() bool { return len(fr.published()) == 1 }) // the hold: the loss is handled
	before := states()
	time.Sleep(30 * time.Millisecond)
	assert.Equal(t, before, states(), "no robot:state while the brain is lost")

	b.OnLink(brain.Link{Up: true, Run: "run1", At: time.Now()})
	time.Sleep(10 * time.Millisecond)
	sample()
	time.Sleep(50 * time.Millisecond) // ten state periods
	assert.Equal(t, before, states(), "no robot:state before the brain asked for inputs")

	b.OnNeed(brain.Need{Cycle: 1, Needs: []brain.NeedItem{{ID: "a_pos", Kind: "Proprioception"}}})
	waitFor(t, func() bool { return states() > before })
}
