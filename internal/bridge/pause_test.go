package bridge

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/brain"
)

// TestPauseHoldsWithoutStoppingTheRun: Pause publishes one hold at the last
// measured positions at once; cycles then command nothing while needs are
// still answered and rewards still sent; Resume brings motion back.
func TestPauseHoldsWithoutStoppingTheRun(t *testing.T) {
	b, fb, fr, done := started(t, demoConfig(t))
	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0.3, -0.1}})
	b.OnCycle(movingCycle(1))
	require.True(t, (<-done).Published)

	assert.True(t, b.Pause(context.Background()))
	require.Len(t, fr.published(), 2, "the hold is out when Pause returns")
	assert.False(t, b.Pause(context.Background()), "already paused")
	assert.True(t, b.Paused())
	assert.Equal(t, []TrajectoryPoint{{Positions: []float64{0.3, -0.1}, Velocities: []float64{0, 0},
		TimeFromStart: demoConfig(t).Trajectory.CycleDuration}}, fr.published()[1].Points, "one hold at rest")

	b.OnNeed(brain.Need{Cycle: 2, Needs: []brain.NeedItem{{ID: "a_pos", Kind: "Proprioception"}}})
	b.OnCycle(movingCycle(2))
	assert.False(t, (<-done).Published, "no motion while paused")
	waitFor(t, func() bool { return len(fb.sent()) == 1 })
	fb.mu.Lock()
	rewards := len(fb.rewards)
	fb.mu.Unlock()
	assert.Equal(t, 2, rewards, "the run goes on: a reward per cycle")
	assert.Len(t, fr.published(), 2)

	assert.True(t, b.Resume())
	assert.False(t, b.Resume(), "not paused any more")
	b.OnCycle(movingCycle(3))
	assert.True(t, (<-done).Published)
	st := b.Stats()
	assert.Equal(t, int64(1), st.Holds)
	assert.Equal(t, int64(1), st.CyclesWhilePaused)
}

// TestPauseWithTheBridgeBusy: when the bridge goroutine does not take the
// hold before ctx ends, Pause still pauses and answers, and the hold is
// published at the goroutine's next turn.
func TestPauseWithTheBridgeBusy(t *testing.T) {
	b, _, fr, _ := started(t, demoConfig(t))
	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0.3, -0.1}})
	release := make(chan struct{})
	require.NoError(t, b.hand(context.Background(), func() { <-release }))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	assert.True(t, b.Pause(ctx))
	assert.True(t, b.Paused())
	assert.Empty(t, fr.published(), "the goroutine is busy")
	close(release)
	waitFor(t, func() bool { return len(fr.published()) == 1 })
}
