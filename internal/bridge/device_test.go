package bridge

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDeviceSteps(t *testing.T) {
	tests := []struct {
		name       string
		steps      []map[string]float64
		published  bool
		wantTarget []float64 // last point's positions
	}{
		{"both joints move", []map[string]float64{{"joint:0": 0.1, "joint:1": -0.2}, {"joint:0": 0.1}}, true, []float64{0.2, -0.2}},
		{"a limit clamps", []map[string]float64{{"joint:0": 0.6}, {"joint:0": 0.6}}, true, []float64{1, 0}},
		{"an unmapped channel is ignored", []map[string]float64{{"wheel:left": 3}}, true, []float64{0, 0}},
		{"idle steps publish a hold (publish_idle)", []map[string]float64{{}, {}}, true, []float64{0, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, fb, fr, done := started(t, demoConfig(t))
			b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0, 0}})
			b.OnDeviceSteps(3, tc.steps)
			r := <-done
			assert.Equal(t, int64(3), r.Cycle)
			assert.Equal(t, tc.published, r.Published)
			trajs := fr.published()
			require.Len(t, trajs, 1)
			last := trajs[0].Points[len(trajs[0].Points)-1]
			assert.InDeltaSlice(t, tc.wantTarget, last.Positions, 1e-9)
			assert.Equal(t, []float64{0, 0}, last.Velocities, "the last point is at rest")
			fb.mu.Lock()
			defer fb.mu.Unlock()
			require.Len(t, fb.rewards, 1, "one reward per device cycle")
			assert.Equal(t, 0.5, fb.rewards[0].Global, "neutral without a policy")
		})
	}
}

func TestDeviceStepsHoldOnStaleJoints(t *testing.T) {
	conf := demoConfig(t)
	conf.Trajectory.MaxStateAge = 5 * time.Millisecond
	b, _, fr, done := started(t, conf)
	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0.3, 0.4}})
	time.Sleep(10 * time.Millisecond)
	why, ok := b.SensedJoints(make([]float64, 2))
	assert.False(t, ok)
	assert.Contains(t, why, "max_state_age")
	b.OnDeviceSteps(1, []map[string]float64{{"joint:0": 0.1}})
	r := <-done
	assert.False(t, r.Published)
	trajs := fr.published()
	require.Len(t, trajs, 1, "one hold")
	require.Len(t, trajs[0].Points, 1)
	assert.Equal(t, []float64{0.3, 0.4}, trajs[0].Points[0].Positions)
	assert.Equal(t, int64(1), b.Stats().StaleJointStates)
	assert.Equal(t, int64(1), b.Stats().Holds)
}

func TestDeviceHoldThenResume(t *testing.T) {
	b, _, fr, done := started(t, demoConfig(t))
	dst := make([]float64, 2)
	_, ok := b.SensedJoints(dst)
	assert.False(t, ok, "nothing measured yet")
	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0.1, 0.2}})
	why, ok := b.SensedJoints(dst)
	require.True(t, ok, why)
	assert.Equal(t, []float64{0.1, 0.2}, dst)

	b.OnDeviceHold("gap: 3 frames missed")
	waitFor(t, func() bool { return b.Stats().Holds == 1 })
	b.OnDeviceSteps(1, []map[string]float64{{"joint:1": 0.1}})
	r := <-done
	assert.True(t, r.Published, "motion resumes with the next steps")
	assert.Equal(t, int64(1), b.Stats().Holds)
	assert.Equal(t, int64(0), b.Stats().LinkLosses, "a hold is no lost link")
	trajs := fr.published()
	require.Len(t, trajs, 2)
	assert.Equal(t, []float64{0.1, 0.2}, trajs[0].Points[0].Positions)
	assert.InDelta(t, 0.3, trajs[1].Points[len(trajs[1].Points)-1].Positions[1], 1e-9)
}
