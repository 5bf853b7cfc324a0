package bridge

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/brain"
)

func ctxSecond(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	t.Cleanup(cancel)
	return ctx
}

func idleCycle(b *Bridge, n int64) {
	b.OnCycle(brain.CycleUpdate{Cycle: n, Outputs: []any{map[string]any{"t": 0.0, "id": "ma", "bits": bits(4, 1, 1)}}})
}

func TestSetPublishIdle(t *testing.T) {
	b, _, _, done := started(t, demoConfig(t)) // publish_idle true
	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0, 0}})
	idleCycle(b, 1)
	assert.True(t, (<-done).Published)

	require.NoError(t, b.SetPublishIdle(ctxSecond(t), false))
	idleCycle(b, 2)
	assert.False(t, (<-done).Published, "an idle cycle is skipped from then on")

	require.NoError(t, b.SetPublishIdle(ctxSecond(t), true))
	idleCycle(b, 3)
	assert.True(t, (<-done).Published)
}

// maxSpeed is the fastest joint a moves between points of a trajectory.
func maxSpeed(tr Trajectory, base float64) float64 {
	top, prev, at := 0.0, base, time.Duration(0)
	for _, p := range tr.Points {
		top = math.Max(top, math.Abs(p.Positions[0]-prev)/(p.TimeFromStart-at).Seconds())
		prev, at = p.Positions[0], p.TimeFromStart
	}
	return top
}

func TestSetJointLimits(t *testing.T) {
	b, _, fr, done := started(t, demoConfig(t))
	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0, 0}})
	move := func(n int64) Trajectory {
		t.Helper()
		var rows []any
		for s := range 8 {
			rows = append(rows, map[string]any{"t": float64(s), "id": "ma", "bits": bits(4, 1, 0)})
		}
		b.OnCycle(brain.CycleUpdate{Cycle: n, Outputs: rows})
		require.True(t, (<-done).Published)
		trs := fr.published()
		return trs[len(trs)-1]
	}
	// 8 steps of +0.1 within 40 ms is 20 rad/s unbounded.
	assert.Greater(t, maxSpeed(move(1), 0), 15.0)

	require.NoError(t, b.SetJointLimits(ctxSecond(t), "a", 2, 0))
	tr := move(2)
	assert.LessOrEqual(t, maxSpeed(tr, 0), 2+1e-6, "bounded by the new max_velocity")
	assert.Positive(t, b.Stats().LimitClamps)

	require.NoError(t, b.SetJointLimits(ctxSecond(t), "a", 0, 0))
	assert.Greater(t, maxSpeed(move(3), 0), 15.0, "0 is unlimited again")
}

func TestTuningOutlivesANewRun(t *testing.T) {
	b, _, _, done := started(t, demoConfig(t))
	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0, 0}})
	require.NoError(t, b.SetPublishIdle(ctxSecond(t), false))
	ct := demoContract()
	ct.RunID = "run2"
	require.NoError(t, b.Adopt(ctxSecond(t), ct, nil, nil))
	idleCycle(b, 1)
	assert.False(t, (<-done).Published, "the new run's shaper keeps publish_idle false")
}

func TestSetJointLimitsRefuses(t *testing.T) {
	b, _, _, _ := started(t, demoConfig(t))
	assert.ErrorContains(t, b.SetJointLimits(ctxSecond(t), "nope", 1, 1), "no joint")
	assert.Error(t, b.SetJointLimits(ctxSecond(t), "a", -1, 1))
	assert.Error(t, b.SetJointLimits(ctxSecond(t), "a", 1, math.NaN()))
}

func TestChangesWaitForTheBridgeGoroutineAtMostUntilCtxEnds(t *testing.T) {
	b, err := New(demoConfig(t)) // never run
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, b.SetPublishIdle(ctx, false), context.DeadlineExceeded)
}
