package policybridge

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/bridge"
	"github.com/abbridge/ab_bridge/internal/ndarray"
	"github.com/abbridge/ab_bridge/internal/roboactions"
)

// fakeRobot records what the runner hands the bridge.
type fakeRobot struct {
	mu      sync.Mutex
	joints  []float64
	why     string
	gripper *float64
	targets [][]map[string]float64
	deltas  [][]map[string]float64
	holds   []string
}

func (f *fakeRobot) SensedJoints(dst []float64) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.why != "" {
		return f.why, false
	}
	copy(dst, f.joints)
	return "", true
}

func (f *fakeRobot) SensedGripper() (float64, bool) {
	if f.gripper == nil {
		return 0, false
	}
	return *f.gripper, true
}

func (f *fakeRobot) DeviceSamples(context.Context, []bridge.DeviceSample) error { return nil }

func (f *fakeRobot) DeviceAccepted([]string) {}

func (f *fakeRobot) OnDeviceTargets(_ int64, steps []map[string]float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.targets = append(f.targets, steps)
}

func (f *fakeRobot) OnDeviceSteps(_ int64, steps []map[string]float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deltas = append(f.deltas, steps)
}

func (f *fakeRobot) OnDeviceHold(why string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.holds = append(f.holds, why)
}

func (f *fakeRobot) played() (targets []float64, holds int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.targets {
		for _, st := range c {
			targets = append(targets, st["joint:0"])
		}
	}
	return targets, len(f.holds)
}

// fakePolicy answers chunks that count up from the state it was shown.
type fakePolicy struct {
	mu    sync.Mutex
	obs   []map[string]any
	errs  []error // answered in turn before chunks
	chunk int
	dim   int
}

func (p *fakePolicy) PredictActionChunk(_ context.Context, obs map[string]any) (any, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.obs = append(p.obs, obs)
	if len(p.errs) > 0 {
		err := p.errs[0]
		p.errs = p.errs[1:]
		return nil, err
	}
	n := len(p.obs)
	v := make([]float32, p.chunk*p.dim)
	for i := range v {
		v[i] = float32(100*n + i/p.dim)
	}
	return ndarray.FromFloat32([]int{1, p.chunk, p.dim}, v), nil
}

func (p *fakePolicy) SelectAction(ctx context.Context, obs map[string]any) (any, error) {
	return p.PredictActionChunk(ctx, obs)
}

func (p *fakePolicy) Reset(context.Context) error { return nil }

func (p *fakePolicy) requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.obs)
}

func newRunner(t *testing.T, pol Policy, tweak ...func(*Config)) *Runner {
	t.Helper()
	c := Config{Policy: pol, Plan: Plan{StateKey: "observation.state", StateJoints: []string{"a", "b", "grip"}, ActionKey: "action",
		ActionDims: []string{"a", "", "grip"}}, Joints: []string{"a", "b"}, Gripper: "grip", FPS: 200, StepsPerCycle: 1,
		Threshold: 0.5, BlendOld: 0.3, Absolute: true, Task: "stack"}
	for _, f := range tweak {
		f(&c)
	}
	r, err := New(c)
	require.NoError(t, err)
	return r
}

func runFor(t *testing.T, r *Runner, robot Robot, until func() bool) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, robot) }()
	deadline := time.Now().Add(5 * time.Second)
	for !until() && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		require.True(t, until(), "condition not reached in 5 s")
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not end")
		return nil
	}
}

// TestRunnerPlaysChunksInOrder: the observation carries the state in the
// configured order (the gripper last) and the task; actions play one per
// cycle as targets on the channels the dims name; the next chunk is asked
// for while the current one still plays, so the arm is never starved.
func TestRunnerPlaysChunksInOrder(t *testing.T) {
	grip := 0.02
	robot := &fakeRobot{joints: []float64{0.1, 0.2}, gripper: &grip}
	pol := &fakePolicy{chunk: 8, dim: 3}
	r := newRunner(t, pol)
	require.NoError(t, runFor(t, r, robot, func() bool { got, _ := robot.played(); return len(got) >= 30 }))

	first := pol.obs[0]
	assert.Equal(t, "stack", first["task"])
	st, err := first["observation.state"].(ndarray.Array).Float64s()
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{0.1, 0.2, 0.02}, st, 1e-6)

	robot.mu.Lock()
	step := robot.targets[0][0]
	robot.mu.Unlock()
	assert.Equal(t, map[string]float64{"joint:0": 100, "gripper": 100}, step, "dim 1 is ignored, dim 2 drives the gripper")
	got, holds := robot.played()
	assert.Zero(t, holds)
	// Chunk n counts up from 100·n, and a newer chunk outweighs the older
	// where they overlap: played in order, the targets never go back.
	for i := 1; i < len(got); i++ {
		assert.GreaterOrEqual(t, got[i], got[i-1], "target %d after %d", i, i-1)
	}
	s := r.Stats()
	assert.GreaterOrEqual(t, s.Chunks, int64(3))
	assert.Greater(t, s.Blended, int64(0), "chunks overlap: asked for at half the chunk")
	assert.Greater(t, s.LatencyCount, int64(0))
	assert.Less(t, s.Starved, s.Actions, "mostly playing")
}

// TestRunnerHoldsWhileThePolicyServerFails: a failure after the client's
// retries holds the arm once and drops what was queued; answers bring
// motion back.
func TestRunnerHoldsWhileThePolicyServerFails(t *testing.T) {
	robot := &fakeRobot{joints: []float64{0, 0}, gripper: new(float64)}
	pol := &fakePolicy{chunk: 4, dim: 3, errs: []error{errors.New("connection refused"), &roboactions.APIError{Status: 503}, errors.New("again")}}
	r := newRunner(t, pol)
	require.NoError(t, runFor(t, r, robot, func() bool { got, _ := robot.played(); return len(got) >= 4 }))
	_, holds := robot.played()
	assert.Equal(t, 1, holds, "one hold per outage")
	s := r.Stats()
	assert.Equal(t, int64(3), s.Failures)
	assert.False(t, s.Lost)
}

func TestRunnerEndsOnAFatalAnswer(t *testing.T) {
	robot := &fakeRobot{joints: []float64{0, 0}, gripper: new(float64)}
	pol := &fakePolicy{chunk: 4, dim: 3, errs: []error{&roboactions.APIError{Endpoint: "/v1/policy/predict_action_chunk", Status: 401, Message: "bad key"}}}
	r := newRunner(t, pol)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := r.Run(ctx, robot)
	require.ErrorContains(t, err, "401 bad key")
	assert.True(t, roboactions.IsFatal(err))
}

// TestRunnerWaitsForFreshJoints: no observation goes out while the joints
// are stale; nothing plays.
func TestRunnerWaitsForFreshJoints(t *testing.T) {
	robot := &fakeRobot{why: "joint_states are 2s old"}
	pol := &fakePolicy{chunk: 4, dim: 3}
	r := newRunner(t, pol)
	require.NoError(t, runFor(t, r, robot, func() bool { return r.Stats().NotReady >= 3 }))
	assert.Zero(t, pol.requests())
	got, _ := robot.played()
	assert.Empty(t, got)
}

func TestRunnerDropsMalformedAnswers(t *testing.T) {
	robot := &fakeRobot{joints: []float64{0, 0}, gripper: new(float64)}
	pol := &fakePolicy{chunk: 4, dim: 2} // two values per action, three dims configured
	r := newRunner(t, pol)
	require.NoError(t, runFor(t, r, robot, func() bool { return r.Stats().Malformed >= 2 }))
	got, _ := robot.played()
	assert.Empty(t, got)
}

func TestRunnerDeltas(t *testing.T) {
	robot := &fakeRobot{joints: []float64{0, 0}, gripper: new(float64)}
	r := newRunner(t, &fakePolicy{chunk: 4, dim: 3}, func(c *Config) { c.Absolute = false })
	require.NoError(t, runFor(t, r, robot, func() bool { robot.mu.Lock(); defer robot.mu.Unlock(); return len(robot.deltas) >= 2 }))
	robot.mu.Lock()
	defer robot.mu.Unlock()
	assert.Empty(t, robot.targets)
}

// TestRunnerCapsTheRequestRate: select_action answers one action, so the
// queue is low every cycle; at most 20 requests a second go out, not 200.
func TestRunnerCapsTheRequestRate(t *testing.T) {
	robot := &fakeRobot{joints: []float64{0, 0}, gripper: new(float64)}
	pol := &fakePolicy{chunk: 1, dim: 3}
	r := newRunner(t, pol, func(c *Config) { c.SelectAction, c.MinInterval = true, 50*time.Millisecond })
	start := time.Now()
	require.NoError(t, runFor(t, r, robot, func() bool { return pol.requests() >= 6 }))
	assert.GreaterOrEqual(t, time.Since(start), 250*time.Millisecond, "six requests at least 50 ms apart")
	assert.Greater(t, r.Stats().Starved, int64(0), "200 cycles a second, 20 actions a second")
}

func TestTakeDropsWhatWasDueWhileThePolicyThought(t *testing.T) {
	r := newRunner(t, &fakePolicy{})
	now := time.Now()
	r.take([][]float64{{1, 0, 0}, {2, 0, 0}, {3, 0, 0}, {4, 0, 0}, {5, 0, 0}, {6, 0, 0}}, now.Add(-12*time.Millisecond), now) // 200 fps: 2.4 steps
	assert.Equal(t, [][]float64{{3, 0, 0}, {4, 0, 0}, {5, 0, 0}, {6, 0, 0}}, values(&r.q))
	assert.Equal(t, int64(2), r.Stats().Stale)
}

// TestRunnerPlaysAChunkAtOnceWhenIdle: with a 10 s cycle, the first chunk
// plays when it arrives, not at the first tick (runFor gives up after 5 s).
func TestRunnerPlaysAChunkAtOnceWhenIdle(t *testing.T) {
	robot := &fakeRobot{joints: []float64{0, 0}, gripper: new(float64)}
	r := newRunner(t, &fakePolicy{chunk: 4, dim: 3}, func(c *Config) { c.FPS = 0.1 })
	require.NoError(t, runFor(t, r, robot, func() bool { got, _ := robot.played(); return len(got) >= 1 }))
	assert.Less(t, r.Stats().LatencyMax, r.Cycle()/2)
}

// TestRequestsLandJustBeforeTheTick: once answers are known to take about
// 20 ms, an observation waits until 20 ms plus a margin before the next
// tick; not while the arm is idle, not before the first answer.
func TestRequestsLandJustBeforeTheTick(t *testing.T) {
	r := newRunner(t, &fakePolicy{}, func(c *Config) { c.FPS = 10 })
	now := time.Now()
	r.nextTick.Store(now.Add(80 * time.Millisecond).UnixNano())
	r.idle = false
	assert.Zero(t, r.untilSend(now), "no answer time learned yet")
	for range 20 {
		r.answered(20 * time.Millisecond)
	}
	wait := r.untilSend(now)
	assert.InDelta(t, float64(80*time.Millisecond-20*time.Millisecond-answerMargin), float64(wait), float64(2*time.Millisecond))
	r.idle = true
	assert.Zero(t, r.untilSend(now), "idle: a chunk plays when it comes")
	r.idle = false
	r.nextTick.Store(now.Add(-time.Second).UnixNano())
	assert.Zero(t, r.untilSend(now), "a tick in the past: at once")
	for range 5 {
		r.answered(r.Cycle()) // what request learns from slow answers: at most a cycle
	}
	r.nextTick.Store(now.Add(80 * time.Millisecond).UnixNano())
	assert.Zero(t, r.untilSend(now), "slow answers widen the lead")
}
