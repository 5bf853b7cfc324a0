package bridge

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/config"
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

func TestDeviceSamples(t *testing.T) {
	r := startSensors(t, sensorConfig(
		config.Input{ID: "cam", Kind: "Image"},
		config.Input{ID: "mic", Kind: "Audio", SampleRate: 16000, Channels: 2},
	))
	cam, err := r.b.ImageSink("cam")
	require.NoError(t, err)
	mic, err := r.b.AudioSamplesSink("mic")
	require.NoError(t, err)
	ctx := context.Background()
	samples := []DeviceSample{{ID: "cam"}, {ID: "mic"}, {ID: "nope"}}

	require.NoError(t, r.b.DeviceSamples(ctx, samples))
	assert.ErrorContains(t, samples[0].Err, "no camera frame yet")
	assert.ErrorContains(t, samples[1].Err, "no audio yet")
	assert.ErrorContains(t, samples[2].Err, `no input "nope"`)

	cam(solidFrame("rgb8", 8, 8, 24, []byte{200, 100, 50}))
	mic([]int16{1, -1, 2, -2})
	require.Eventually(t, func() bool {
		require.NoError(t, r.b.DeviceSamples(ctx, samples))
		return samples[0].Err == nil
	}, 5*time.Second, 5*time.Millisecond, "the frame is encoded")
	assert.Equal(t, []byte{0xff, 0xd8}, samples[0].Data[:2], "a JPEG")
	require.NoError(t, samples[1].Err)
	assert.Equal(t, 2, samples[1].Channels)

	mic([]int16{7, 8})
	require.NoError(t, r.b.DeviceSamples(ctx, samples))
	assert.Equal(t, []byte{7, 0, 8, 0}, samples[1].Data, "only what was heard since the previous take")
	assert.Zero(t, r.stats(t, "cam").Sent, "taken is not sent: the device has not accepted it yet")
	assert.Positive(t, r.stats(t, "mic").Stale)

	idle, err := New(sensorConfig(config.Input{ID: "cam", Kind: "Image"}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = idle.Close() })
	cctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	assert.Error(t, idle.DeviceSamples(cctx, samples[:1]), "a bridge that does not run: bounded by the context")
}

// TestDeviceInputCounts: on the device path an input's Sent is the sensor
// frames the device accepted with it, joints as well as cameras and
// microphones; a joint sample left out of a frame (not measured) is stale.
// The steps run in order, each on what the previous left.
func TestDeviceInputCounts(t *testing.T) {
	conf := sensorConfig(
		config.Input{ID: "pos", Kind: "Proprioception", Joint: "a"},
		config.Input{ID: "cam", Kind: "Image"},
		config.Input{ID: "mic", Kind: "Audio", SampleRate: 16000},
	)
	conf.Trajectory.MaxStateAge = time.Minute
	r := startSensors(t, conf)
	mic, err := r.b.AudioSamplesSink("mic")
	require.NoError(t, err)
	ctx := context.Background()
	q := make([]float64, 1)
	type counts map[string][2]int64 // id → sent, stale
	steps := []struct {
		name string
		do   func(t *testing.T)
		want counts
	}{
		{"joints not measured: left out, stale", func(t *testing.T) {
			_, ok := r.b.SensedJoints(q)
			require.False(t, ok)
		}, counts{"pos": {0, 1}, "cam": {0, 0}, "mic": {0, 0}}},
		{"measured and taken: not sent before the device accepts it", func(t *testing.T) {
			r.b.OnJointState(JointSample{Names: []string{"a"}, Positions: []float64{0.25}})
			why, ok := r.b.SensedJoints(q)
			require.True(t, ok, why)
			mic([]int16{1, 2})
			samples := []DeviceSample{{ID: "cam"}, {ID: "mic"}}
			require.NoError(t, r.b.DeviceSamples(ctx, samples))
			require.Error(t, samples[0].Err, "no camera frame yet")
			require.NoError(t, samples[1].Err)
		}, counts{"pos": {0, 1}, "cam": {0, 1}, "mic": {0, 0}}},
		{"a frame with the joint and the microphone accepted", func(*testing.T) {
			r.b.DeviceAccepted([]string{"pos", "mic", "REWARD"}) // the reward population is no input
		}, counts{"pos": {1, 1}, "cam": {0, 1}, "mic": {1, 0}}},
		{"two more with all three", func(*testing.T) {
			r.b.DeviceAccepted([]string{"pos", "cam", "mic"})
			r.b.DeviceAccepted([]string{"pos", "cam", "mic"})
		}, counts{"pos": {3, 1}, "cam": {2, 1}, "mic": {3, 0}}},
	}
	for _, st := range steps {
		st.do(t)
		got := counts{}
		for _, s := range r.b.InputStats() {
			got[s.ID] = [2]int64{s.Sent, s.Stale}
		}
		assert.Equal(t, st.want, got, "after: %s", st.name)
	}
}
