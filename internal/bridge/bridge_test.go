package bridge

import (
	"context"
	"encoding/binary"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/contract"
	"github.com/abbridge/ab_bridge/internal/spikes"
)

type fakeBrain struct {
	mu      sync.Mutex
	chunks  []brain.Chunk
	states  []brain.RobotState
	rewards []brain.Reward
	down    bool
}

var _ Brain = (*fakeBrain)(nil)

func (f *fakeBrain) SendChunk(c brain.Chunk) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return brain.ErrDisconnected
	}
	c.Data = append([]byte(nil), c.Data...) // the bridge may reuse it once SendChunk returns
	f.chunks = append(f.chunks, c)
	return nil
}

func (f *fakeBrain) SendReward(r brain.Reward) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return brain.ErrDisconnected
	}
	f.rewards = append(f.rewards, r)
	return nil
}

func (f *fakeBrain) SendState(s brain.RobotState) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.states = append(f.states, s)
	return nil
}

func (f *fakeBrain) sent() []brain.Chunk {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]brain.Chunk(nil), f.chunks...)
}

type fakeRobot struct {
	mu     sync.Mutex
	trajs  []Trajectory
	grips  []float64 // commands_test.go
	twists []Twist
}

var _ Commander = (*fakeRobot)(nil)

// PublishTrajectory copies, as the port's contract asks.
func (f *fakeRobot) PublishTrajectory(t *Trajectory) error {
	c := Trajectory{JointNames: append([]string(nil), t.JointNames...)}
	for _, p := range t.Points {
		c.Points = append(c.Points, TrajectoryPoint{
			Positions:     append([]float64(nil), p.Positions...),
			Velocities:    append([]float64(nil), p.Velocities...),
			TimeFromStart: p.TimeFromStart,
		})
	}
	f.mu.Lock()
	f.trajs = append(f.trajs, c)
	f.mu.Unlock()
	return nil
}

func ptr(f float64) *float64 { return &f }

func demoContract() *contract.Contract {
	return &contract.Contract{
		RunID:     "run1",
		Constants: contract.Constants{Gamma: 8, OutputWindowN: 4, FeedbackN: 16, FeedbackT: 8},
		IO: contract.IO{
			Inputs: []contract.Port{
				{ID: "a_pos", Kind: "Proprioception", Extra: map[string]any{"lo": -1.0, "hi": 1.0}},
				{ID: "b_pos", Kind: "Proprioception"},
				{ID: "fb", Kind: "Feedback"},
			},
			Outputs: []contract.Port{{ID: "ma"}, {ID: "mb"}},
		},
	}
}

func demoConfig(t *testing.T) Config {
	m := func(node, ch string) spikes.MappingEntry {
		e := spikes.NewMappingEntry(node, ch)
		e.PerStepMax = 0.1
		return e
	}
	return Config{
		Joints: []config.Joint{{Name: "a", Min: ptr(-1), Max: ptr(1)}, {Name: "b"}},
		Inputs: []config.Input{
			{ID: "a_pos", Kind: "Proprioception", Joint: "a"},
			{ID: "b_pos", Kind: "Proprioception", Joint: "b", Lo: ptr(-2), Hi: ptr(2)},
			{ID: "fb", Kind: "Feedback"},
		},
		Mapping: []spikes.MappingEntry{m("ma", "joint:0"), m("mb", "joint:1")},
		Trajectory: config.Trajectory{CycleDuration: 40 * time.Millisecond, MaxPoints: 4, PublishIdle: true,
			StopTime: 40 * time.Millisecond, MaxStateAge: time.Second},
		Contract: demoContract(),
	}
}

// started runs a bridge and returns it with its fakes; the test's end stops it.
func started(t *testing.T, conf Config) (*Bridge, *fakeBrain, *fakeRobot, chan CycleReport) {
	t.Helper()
	done := make(chan CycleReport, 16)
	conf.OnCycleDone = func(r CycleReport) { done <- r }
	b, err := New(conf)
	require.NoError(t, err)
	fb, fr := &fakeBrain{}, &fakeRobot{}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { _ = b.Run(ctx, fb, fr); close(stopped) }()
	t.Cleanup(func() { cancel(); <-stopped })
	return b, fb, fr, done
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 2*time.Second, time.Millisecond)
}

func f32s(data []byte) []float32 {
	out := make([]float32, len(data)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return out
}

func TestNeedAnsweredWithProprioceptionAndFeedback(t *testing.T) {
	b, fb, _, _ := started(t, demoConfig(t))
	t0 := time.Unix(100, 0)
	b.OnJointState(JointSample{Names: []string{"b", "a"}, Positions: []float64{0.5, 0.25}, Stamp: t0})
	b.OnJointState(JointSample{Names: []string{"b", "a"}, Positions: []float64{0.7, 0.25}, Velocities: []float64{2, 3}, Stamp: t0.Add(100 * time.Millisecond)})
	b.OnNeed(brain.Need{Cycle: 7, Needs: []brain.NeedItem{{ID: "a_pos", Kind: "Proprioception"}, {ID: "b_pos", Kind: "Proprioception"}, {ID: "fb", Kind: "Feedback"}}})
	waitFor(t, func() bool { return len(fb.sent()) == 3 })

	c := fb.sent()
	a, bb, f := c[0], c[1], c[2]
	assert.Equal(t, "a_pos", a.InputID)
	assert.Equal(t, "rawtick_f32x3", a.Format)
	assert.Equal(t, int64(1), a.Seq)
	assert.Equal(t, []float32{0.25, 0.25, 3}, f32s(a.Data), "reported velocity wins")
	assert.Equal(t, map[string]any{"cycle": int64(7), "lo": -1.0, "hi": 1.0, "rawTick": 0.25, "prevRawTick": 0.25, "velTickPerS": 3.0}, a.Meta, "lo/hi from the contract")
	assert.Equal(t, -2.0, bb.Meta["lo"], "configured lo wins over the contract")
	assert.Equal(t, "deviation_f32", f.Format)
	assert.Equal(t, make([]byte, 4*8), f.Data)
	assert.Equal(t, 8, f.Meta["T"])

	// The second need carries the previous tick; velocity from stamps when none is reported.
	b.OnJointState(JointSample{Names: []string{"a"}, Positions: []float64{0.35}, Stamp: t0.Add(200 * time.Millisecond)})
	b.OnNeed(brain.Need{Cycle: 8, Needs: []brain.NeedItem{{ID: "a_pos", Kind: "Proprioception"}}})
	waitFor(t, func() bool { return len(fb.sent()) == 4 })
	a2 := fb.sent()[3]
	assert.Equal(t, int64(2), a2.Seq)
	got := f32s(a2.Data)
	assert.InDelta(t, 0.35, got[0], 1e-6)
	assert.InDelta(t, 0.25, got[1], 1e-6)
	assert.InDelta(t, 1.0, got[2], 1e-4, "finite difference over the stamps: 0.1 rad / 0.1 s")
}

func TestNeedProblemsAreCountedNotSent(t *testing.T) {
	conf := demoConfig(t)
	conf.Inputs[0].MaxAge = time.Millisecond
	b, fb, _, _ := started(t, conf)
	b.OnNeed(brain.Need{Cycle: 1, Needs: []brain.NeedItem{{ID: "a_pos"}, {ID: "unknown", Kind: "Smell"}}})
	waitFor(t, func() bool { return b.Stats().Needs == 1 })
	st := b.Stats()
	assert.Equal(t, int64(1), st.StaleInputs, "no joint sample yet")
	assert.Equal(t, int64(1), st.MissingProvider)

	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0, 0}})
	time.Sleep(5 * time.Millisecond) // older than max_age
	b.OnNeed(brain.Need{Cycle: 2, Needs: []brain.NeedItem{{ID: "a_pos"}}})
	waitFor(t, func() bool { return b.Stats().Needs == 2 })
	assert.Equal(t, int64(2), b.Stats().StaleInputs)
	assert.Empty(t, fb.sent(), "stale data is never sent silently")

	fb.mu.Lock()
	fb.down = true
	fb.mu.Unlock()
	b.OnNeed(brain.Need{Cycle: 3, Needs: []brain.NeedItem{{ID: "fb"}}})
	waitFor(t, func() bool { return b.Stats().FailedChunks == 1 })
}

func TestBadJointStatesRejected(t *testing.T) {
	b, _, _, _ := started(t, demoConfig(t))
	tests := []JointSample{
		{Names: []string{"a", "b"}, Positions: []float64{math.NaN(), 0}},
		{Names: []string{"a", "b"}, Positions: []float64{0, math.Inf(1)}},
		{Names: []string{"a", "b"}, Positions: []float64{0}},
		{Names: []string{"a", "b"}, Positions: []float64{0, 0}, Velocities: []float64{1}},
	}
	for _, m := range tests {
		b.OnJointState(m)
	}
	assert.Equal(t, int64(len(tests)), b.Stats().BadJointStates)
	q := make([]float64, 2)
	assert.False(t, b.joints.positions(q), "nothing of a rejected message is stored")
	b.OnJointState(JointSample{Names: []string{"x", "a", "b"}, Positions: []float64{math.NaN(), 1, 2}})
	assert.True(t, b.joints.positions(q), "NaN in a joint we do not drive is no reason to reject")
	assert.Equal(t, []float64{1, 2}, q)
}

// bits builds a row of n bits with pos spikes in the first half and neg in the second.
func bits(n, pos, neg int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = 0.0
	}
	for i := 0; i < pos; i++ {
		out[i] = 1.0
	}
	for i := 0; i < neg; i++ {
		out[n/2+i] = 1.0
	}
	return out
}

func TestCycleBecomesTrajectory(t *testing.T) {
	b, _, fr, done := started(t, demoConfig(t))
	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0.5, -0.5}})
	// Joint a: +1 spike difference at each of the 8 timesteps (+0.1 each);
	// joint b: -2 at timestep 3 only. Rows come unordered and as both shapes.
	var rows []any
	for t := 7; t >= 0; t-- {
		rows = append(rows, map[string]any{"t": float64(t), "id": "ma", "bits": bits(4, 1, 0)})
	}
	rows = append(rows, []any{3.0, "mb", bits(4, 0, 2)}, "garbage", map[string]any{"t": 1.0})
	b.OnCycle(brain.CycleUpdate{Cycle: 4, Outputs: rows})
	r := <-done
	require.True(t, r.Published)
	require.Len(t, fr.trajs, 1)
	tr := fr.trajs[0]
	assert.Equal(t, []string{"a", "b"}, tr.JointNames)
	require.Len(t, tr.Points, 4, "8 timesteps resampled to 3 moving points, then one at rest: max_points")
	wantA := []float64{0.7, 1.0, 1.0, 1.0} // clamped at max 1
	wantB := []float64{-0.5, -0.7, -0.7, -0.7}
	wantT := []time.Duration{13333333, 26666666, 40 * time.Millisecond, 80 * time.Millisecond}
	for i, p := range tr.Points {
		assert.InDelta(t, wantA[i], p.Positions[0], 1e-9, "point %d", i)
		assert.InDelta(t, wantB[i], p.Positions[1], 1e-9, "point %d", i)
		assert.Equal(t, wantT[i], p.TimeFromStart, "point %d", i)
		require.Len(t, p.Velocities, 2)
	}
	assert.InDelta(t, 18.75, tr.Points[0].Velocities[0], 1e-6, "0.5 rad from base to point 1, over two steps of 13.3 ms")
	assert.InDelta(t, 0, tr.Points[1].Velocities[0], 1e-9, "at its limit a joint does not head further out")
	assert.Equal(t, []float64{0, 0}, tr.Points[3].Velocities, "the last point is at rest")
	assert.Equal(t, int64(2), b.Stats().MalformedRows)
	assert.Equal(t, []float64{1.0, -0.7}, r.Target)
}

func TestIdleCycleHoldsOrIsSkipped(t *testing.T) {
	for _, idle := range []bool{true, false} {
		conf := demoConfig(t)
		conf.Trajectory.PublishIdle = idle
		b, _, fr, done := started(t, conf)
		b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{2, 0.1}})
		b.OnCycle(brain.CycleUpdate{Cycle: 1, Outputs: []any{map[string]any{"t": 0.0, "id": "ma", "bits": bits(4, 1, 1)}}})
		r := <-done
		assert.Equal(t, idle, r.Published)
		if idle {
			require.Len(t, fr.trajs, 1)
			assert.Equal(t, []TrajectoryPoint{{Positions: []float64{1, 0.1}, Velocities: []float64{0, 0}, TimeFromStart: 40 * time.Millisecond}}, fr.trajs[0].Points, "hold, clamped into limits")
		} else {
			assert.Empty(t, fr.trajs)
		}
	}
}

func TestCycleWithoutJointStateIsNotPublished(t *testing.T) {
	b, _, fr, done := started(t, demoConfig(t))
	b.OnCycle(brain.CycleUpdate{Cycle: 1})
	r := <-done
	assert.False(t, r.Published)
	assert.Empty(t, fr.trajs)
	assert.Equal(t, int64(1), b.Stats().NoJointState)
}

func TestNewRejectsConfigTheContractLacks(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"input not in contract", func(c *Config) { c.Inputs[0].ID = "nope" }, `input "nope" is not in the brain's contract`},
		{"kind mismatch", func(c *Config) { c.Inputs[2].Kind = "Proprioception" }, "Proprioception in config but Feedback"},
		{"unknown output", func(c *Config) { c.Mapping[0].NodeID = "zz" }, `mapping node_id "zz"`},
		{"no contract", func(c *Config) { c.Contract = nil }, "no contract"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := demoConfig(t)
			tc.edit(&c)
			_, err := New(c)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestStateStream(t *testing.T) {
	conf := demoConfig(t)
	conf.StateRate = 200
	b, fb, _, _ := started(t, conf)
	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0.1, 0.2}, Velocities: []float64{1, 2}})
	waitFor(t, func() bool { fb.mu.Lock(); defer fb.mu.Unlock(); return len(fb.states) >= 2 })
	fb.mu.Lock()
	s := fb.states[0]
	fb.mu.Unlock()
	assert.Equal(t, []float64{0.1, 0.2}, s.Q)
	assert.Equal(t, []float64{1, 2}, s.DQ)
	assert.InDelta(t, 0.005, s.DT, 1e-12)
}
