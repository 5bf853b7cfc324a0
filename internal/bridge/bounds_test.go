package bridge

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/brain"
)

func TestSetJointBoundsClampsPointsFromTheNextCycle(t *testing.T) {
	b, _, fr, done := started(t, demoConfig(t)) // a: [-1, 1], unbounded speed
	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0, 0}})
	up := func(n int64) Trajectory {
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
	top := func(tr Trajectory) float64 {
		m := math.Inf(-1)
		for _, p := range tr.Points {
			m = math.Max(m, p.Positions[0])
		}
		return m
	}
	assert.Greater(t, top(up(1)), 0.5, "8 steps of +0.1 pass 0.5 within [-1, 1]")

	require.NoError(t, b.SetJointBounds(ctxSecond(t), "a", -1, 0.2, 2, math.Inf(1)))
	tr := up(2)
	// 40 ms at 2 rad/s, then the even stop over stop_time (40 ms at 1 rad/s
	// on average): 0.12, short of the new max 0.2.
	assert.InDelta(t, 0.12, top(tr), 1e-9)
	assert.LessOrEqual(t, maxSpeed(tr, 0), 2+1e-6)
	assert.Positive(t, b.Stats().LimitClamps)

	require.NoError(t, b.SetJointBounds(ctxSecond(t), "a", -1, 0.05, 0, 0))
	assert.InDelta(t, 0.05, top(up(3)), 1e-9, "the position bound, speed unbounded again")
}

func TestSetJointBoundsClampsHolds(t *testing.T) {
	b, _, fr, done := started(t, demoConfig(t)) // publish_idle: an idle cycle holds
	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0.8, 0}})
	require.NoError(t, b.SetJointBounds(ctxSecond(t), "a", math.Inf(-1), 0.3, 0, 0))
	idleCycle(b, 1)
	require.True(t, (<-done).Published)
	trs := fr.published()
	hold := trs[len(trs)-1]
	require.Len(t, hold.Points, 1)
	assert.Equal(t, 0.3, hold.Points[0].Positions[0], "held within the new max, not at the measured 0.8")
}

func TestSetJointBoundsRefuses(t *testing.T) {
	b, _, _, _ := started(t, demoConfig(t))
	assert.ErrorContains(t, b.SetJointBounds(ctxSecond(t), "nope", -1, 1, 0, 0), "no joint")
	assert.ErrorContains(t, b.SetJointBounds(ctxSecond(t), "a", 1, 1, 0, 0), "empty")
	assert.ErrorContains(t, b.SetJointBounds(ctxSecond(t), "a", math.NaN(), 1, 0, 0), "empty")
	assert.Error(t, b.SetJointBounds(ctxSecond(t), "a", -1, 1, -1, 0))
	assert.Error(t, b.SetJointBounds(ctxSecond(t), "a", -1, 1, 0, math.NaN()))
}
