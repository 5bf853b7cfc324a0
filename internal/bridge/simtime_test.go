package bridge

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/clock"
	"github.com/abbridge/ab_bridge/internal/testsupport"
)

var sim0 = time.Unix(1000, 0) // a sim time far from the wall's

// TestStalenessFollowsTheClock: max_state_age and an input's max_age are
// measured on the bridge's clock, not the wall: a sim clock that jumps
// past them makes the samples stale with no wall time gone by, and one
// that stands still keeps them fresh however long the wall waits.
func TestStalenessFollowsTheClock(t *testing.T) {
	tests := []struct {
		name      string
		simGap    time.Duration // sim time between the sample and the cycle
		wallGap   time.Duration // wall time between them
		wantMoved bool
		wantHolds int64
	}{
		{name: "sim gap over max_state_age, no wall time: stale", simGap: 300 * time.Millisecond, wantMoved: false, wantHolds: 1},
		{name: "wall gap over max_state_age, sim stood still: fresh", wallGap: 150 * time.Millisecond, wantMoved: true},
		{name: "sim gap under max_state_age: fresh", simGap: 50 * time.Millisecond, wantMoved: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := &clock.Sim{}
			sim.Set(sim0)
			conf := demoConfig(t)
			conf.Clock = sim
			conf.Trajectory.MaxStateAge = 100 * time.Millisecond
			conf.Inputs[0].MaxAge = 100 * time.Millisecond
			b, fb, fr, done := started(t, conf)
			b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0.2, -0.3}, Stamp: sim0})
			time.Sleep(tt.wallGap)
			sim.Set(sim0.Add(tt.simGap))

			b.OnNeed(brain.Need{Cycle: 1, Needs: []brain.NeedItem{{ID: "a_pos", Kind: "Proprioception"}}})
			b.OnCycle(movingCycle(1))
			assert.Equal(t, tt.wantMoved, (<-done).Published)
			assert.Equal(t, tt.wantHolds, b.Stats().Holds)
			if tt.wantMoved {
				assert.Len(t, fb.sent(), 1, "the joint sample is fresh on the sim clock")
				assert.Len(t, fr.published(), 1)
			} else {
				assert.Empty(t, fb.sent(), "the joint sample is past max_age on the sim clock")
			}
		})
	}
}

// TestNoSimTimeNoMotion: before the first /clock nothing is measured and
// nothing commanded (not even a hold: there is nothing to hold at), and
// the log says so once; the first /clock lets samples in.
func TestNoSimTimeNoMotion(t *testing.T) {
	var logs testsupport.SyncBuffer
	sim := &clock.Sim{}
	conf := demoConfig(t)
	conf.Clock = sim
	conf.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	b, _, fr, done := started(t, conf)
	for c := int64(1); c <= 3; c++ {
		b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0.2, -0.3}})
		b.OnCycle(movingCycle(c))
		assert.False(t, (<-done).Published, "cycle %d: sim time unknown", c)
	}
	assert.Empty(t, fr.published(), "no motion and no hold")
	assert.Equal(t, 1, strings.Count(logs.String(), "sim time unknown"), "said once")

	sim.Set(time.Unix(0, 0)) // simulators start at 0
	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0.2, -0.3}})
	b.OnCycle(movingCycle(4))
	require.True(t, (<-done).Published, "the first /clock: motion")
}

// TestStateDTFollowsTheClock: robot:state's dt is the sim time between
// two states, whatever the ticker's wall period.
func TestStateDTFollowsTheClock(t *testing.T) {
	sim := &clock.Sim{}
	sim.Set(sim0)
	conf := demoConfig(t)
	conf.Clock = sim
	conf.StateRate = 1 // the ticker does not fire during the test: sendState is called here
	b, err := New(conf)
	require.NoError(t, err)
	fb := &fakeBrain{}
	b.brain = fb
	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0.1, 0.2}})
	b.sendState()
	sim.Set(sim0.Add(250 * time.Millisecond)) // a quarter of the nominal period: sim at 0.25×
	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0.1, 0.2}})
	b.sendState()
	require.Len(t, fb.states, 2)
	assert.InDelta(t, 1.0, fb.states[0].DT, 1e-12, "the first: the nominal period")
	assert.InDelta(t, 0.25, fb.states[1].DT, 1e-9, "then the sim time between the two")
}
