package bridge

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/abbridge/ab_bridge/internal/testsupport"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/contract"
	"github.com/abbridge/ab_bridge/internal/policy"
	"github.com/abbridge/ab_bridge/internal/sensor"
)

// learningContract is demoContract with two STDP3 layers and a feedback
// population of 16 neurons watching output ma.
func learningContract() *contract.Contract {
	ct := demoContract()
	ct.IO.STDP3 = []string{"L1", "L2"}
	ct.IO.Feedback = []contract.FeedbackPort{{ID: "fb", N: 16, FromOutput: "ma", OutputKind: "Motor"}}
	return ct
}

const targetReward = `
global:
  components:
    - joint_target:
        target: {a: 0.5}
        success_distance: 0.05
layers:
  L2:
    components:
      - constant: {value: 0.9}
`

const errorDeviation = `
feedback:
  fb:
    joint_error: {joint: a, target: 0.5, range: 1.0}
`

func mustReward(t *testing.T, src string, ct *contract.Contract) *policy.RewardPolicy {
	t.Helper()
	p, err := policy.ParseReward("reward_policy.yaml", []byte(src), ct, policy.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	return p
}

func mustDeviation(t *testing.T, src string, ct *contract.Contract) *policy.DeviationPolicy {
	t.Helper()
	p, err := policy.ParseDeviation("deviation_policy.yaml", []byte(src), ct, policy.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	return p
}

func learningConfig(t *testing.T, reward, deviation string) Config {
	t.Helper()
	conf := demoConfig(t)
	conf.Contract = learningContract()
	if reward != "" {
		conf.Reward = mustReward(t, reward, conf.Contract)
	}
	if deviation != "" {
		conf.Deviation = mustDeviation(t, deviation, conf.Contract)
	}
	return conf
}

func (f *fakeBrain) sentRewards() []brain.Reward {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]brain.Reward(nil), f.rewards...)
}

// cycle runs one cycle:update with no spikes and waits until its reward
// went out (or failed).
func cycle(t *testing.T, b *Bridge, n int64) {
	t.Helper()
	before := b.LearningStats()
	b.OnCycle(brain.CycleUpdate{Cycle: n})
	waitFor(t, func() bool {
		st := b.LearningStats()
		return st.Rewards+st.FailedRewards > before.Rewards+before.FailedRewards
	})
}

// feedback asks for the fb input and returns its chunk.
func feedback(t *testing.T, b *Bridge, fb *fakeBrain, n int64) brain.Chunk {
	t.Helper()
	before := len(fb.sent())
	b.OnNeed(brain.Need{Cycle: n, Needs: []brain.NeedItem{{ID: "fb", Kind: "Feedback"}}})
	waitFor(t, func() bool { return len(fb.sent()) > before })
	return fb.sent()[before]
}

func TestRewardOncePerCycleAsThePolicySaysWithEveryLayer(t *testing.T) {
	b, fb, _, _ := started(t, learningConfig(t, targetReward, ""))
	steps := []struct {
		pos    float64
		global float64
	}{
		{-0.5, 0.4}, // first cycle: no previous distance, "otherwise"
		{-0.2, 0.6}, // closer: "improved"
		{-0.2, 0.4}, // not closer
		{0.48, 1.0}, // within success_distance
	}
	for i, s := range steps {
		b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{s.pos, 0}})
		cycle(t, b, int64(10+i))
	}
	got := fb.sentRewards()
	require.Len(t, got, len(steps))
	for i, s := range steps {
		assert.Equal(t, int64(10+i), got[i].Cycle)
		assert.InDelta(t, s.global, got[i].Global, 1e-12, "cycle %d", i)
		assert.Equal(t, map[string]float64{"L1": got[i].Global, "L2": 0.9}, got[i].ByLayer,
			"L1 has no override and gets the global reward; only the contract's layers")
	}
	st := b.LearningStats()
	assert.Equal(t, int64(4), st.Rewards)
	assert.Equal(t, uint64(4), st.Reward.Cycles)
	assert.Equal(t, uint64(4), st.Deviation.Cycles, "the deviation runs on the same cycles")
	assert.Zero(t, st.Reward.Errors)
}

func TestFeedbackCarriesTheLastCyclesDeviation(t *testing.T) {
	b, fb, _, _ := started(t, learningConfig(t, "", errorDeviation))
	zeros := make([]float32, 8)

	c := feedback(t, b, fb, 1)
	assert.Equal(t, "deviation_f32", c.Format)
	assert.Equal(t, zeros, f32s(c.Data), "before the first cycle: the neutral deviation")

	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0.1, 0}})
	cycle(t, b, 1)
	c = feedback(t, b, fb, 2)
	assert.Equal(t, map[string]any{"T": 8, "cycle": int64(2)}, c.Meta)
	for i, v := range f32s(c.Data) {
		assert.InDelta(t, -0.4, v, 1e-6, "t=%d: (0.1 − 0.5)/1.0: below target is negative", i)
	}

	// The next need without a new cycle sends the same deviation; a new
	// cycle brings the new position's.
	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{2.0, 0}})
	assert.InDelta(t, -0.4, f32s(feedback(t, b, fb, 3).Data)[0], 1e-6)
	cycle(t, b, 2)
	assert.InDelta(t, 1.0, f32s(feedback(t, b, fb, 4).Data)[7], 1e-6, "clamped to [-1, 1]")
	assert.Zero(t, b.LearningStats().FeedbackRepaired, "the policy clamps; nothing left to repair")
}

func TestFeedbackAsRaster(t *testing.T) {
	conf := learningConfig(t, "", errorDeviation)
	conf.Inputs[2].Format = "raster_f32"
	b, fb, _, _ := started(t, conf)
	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0.25, 0}})
	cycle(t, b, 1)
	c := feedback(t, b, fb, 2)
	assert.Equal(t, "raster_f32", c.Format)
	assert.Equal(t, map[string]any{"T": 8, "N": 16, "cycle": int64(2)}, c.Meta, "N: the feedback population's size")
	dev := make([]float64, 8)
	for i := range dev {
		dev[i] = -0.25
	}
	want, _, err := sensor.AppendRaster(nil, dev, 8, 16)
	require.NoError(t, err)
	assert.Equal(t, f32s(want), f32s(c.Data))
}

func TestNeutralSignalsWithoutPolicies(t *testing.T) {
	b, fb, _, _ := started(t, learningConfig(t, "", ""))
	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0.1, 0}})
	cycle(t, b, 5)
	assert.Equal(t, []brain.Reward{{Cycle: 5, Global: 0.5, ByLayer: map[string]float64{"L1": 0.5, "L2": 0.5}}}, fb.sentRewards())
	assert.Equal(t, make([]float32, 8), f32s(feedback(t, b, fb, 6).Data))
	assert.Empty(t, b.PolicyTopics())
}

// A policy checked without a contract names only its overrides; the run's
// other layers still get the global reward.
func TestMissingLayersGetTheGlobalReward(t *testing.T) {
	conf := learningConfig(t, "", "")
	conf.Reward = mustReward(t, "global:\n  components: [{constant: {value: 0.7}}]\nlayers:\n  L2: {components: [{constant: {value: 0.2}}]}\n", nil)
	b, fb, _, _ := started(t, conf)
	cycle(t, b, 1)
	require.Len(t, fb.sentRewards(), 1)
	assert.Equal(t, map[string]float64{"L1": 0.7, "L2": 0.2}, fb.sentRewards()[0].ByLayer)
}

func TestPolicyTopicsFeedThePolicies(t *testing.T) {
	reward := `
global:
  components:
    - topic: {topic: task/score, timeout: 200ms, fallback: 0.3}
layers:
  L2:
    components:
      - joint_target: {target_topic: goal, joints: [a], success_distance: 0.01}
`
	deviation := `
feedback:
  fb:
    topic: {topic: task/error, fit: hold}
`
	b, fb, _, _ := started(t, learningConfig(t, reward, deviation))
	assert.Equal(t, []policy.TopicSpec{
		{Name: "goal", Type: policy.TypeJointState},
		{Name: "task/error", Type: policy.TypeFloat64MultiArray},
		{Name: "task/score", Type: policy.TypeFloat64},
	}, b.PolicyTopics())

	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0.3, 0}})
	b.OnSignalScalar("task/score", 0.8)
	data := []float64{0.1, -0.2}
	b.OnSignalArray("task/error", data)
	data[0] = 99 // the store keeps its own copy
	b.OnSignalJointState("goal", JointSample{Names: []string{"b", "a"}, Positions: []float64{0, 0.3}})
	cycle(t, b, 1)
	r := fb.sentRewards()[0]
	assert.InDelta(t, 0.8, r.Global, 1e-12)
	assert.InDelta(t, 1.0, r.ByLayer["L2"], 1e-12, "a is at the goal topic's target")
	dev := f32s(feedback(t, b, fb, 2).Data)
	assert.InDelta(t, 0.1, dev[0], 1e-6)
	assert.InDelta(t, -0.2, dev[7], 1e-6, "fit: hold repeats the last value")

	// Once the score is older than its timeout the fallback answers.
	time.Sleep(250 * time.Millisecond)
	cycle(t, b, 2)
	assert.InDelta(t, 0.3, fb.sentRewards()[1].Global, 1e-12)
	assert.Equal(t, uint64(1), b.LearningStats().Reward.Fallbacks)

	b.OnSignalJointState("goal", JointSample{Names: []string{"a"}, Positions: []float64{1, 2}})
	assert.Equal(t, int64(1), b.LearningStats().BadSignals, "malformed samples are counted, not stored")
}

func TestPolicyFailuresAndSendFailuresAreCounted(t *testing.T) {
	var logs testsupport.SyncBuffer
	ct := learningContract()
	conf := learningConfig(t, "", "")
	conf.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	conf.Reward = mustReward(t, "global:\n  components: [{joint_target: {target: {wrist: 1.0}}}]\n", ct)
	b, fb, _, _ := started(t, conf)
	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0, 0}})
	cycle(t, b, 1)
	assert.InDelta(t, 0.5, fb.sentRewards()[0].Global, 1e-12, "a failing component sends the neutral reward")
	assert.Equal(t, uint64(1), b.LearningStats().Reward.Errors)

	fb.mu.Lock()
	fb.down = true
	fb.mu.Unlock()
	cycle(t, b, 2)
	assert.Equal(t, int64(1), b.LearningStats().FailedRewards)
	waitFor(t, func() bool { return strings.Contains(logs.String(), "learn:reward not sent") })
}

func TestNewRefusesPoliciesThatDoNotFitTheRun(t *testing.T) {
	wider := learningContract()
	wider.IO.STDP3 = append(wider.IO.STDP3, "L3")
	wider.IO.Feedback = append(wider.IO.Feedback, contract.FeedbackPort{ID: "fb2", N: 4})
	tests := []struct {
		name string
		edit func(t *testing.T, c *Config)
		want string
	}{
		{"layer of another contract", func(t *testing.T, c *Config) {
			c.Reward = mustReward(t, "layers:\n  L3: {components: [{constant: {value: 1}}]}\n", wider)
		}, `reward policy names layer "L3"`},
		{"feedback of another contract", func(t *testing.T, c *Config) {
			c.Deviation = mustDeviation(t, "feedback:\n  fb2: {zero: {}}\n", wider)
		}, `deviation policy names feedback "fb2"`},
		{"topic read as two types", func(t *testing.T, c *Config) {
			c.Reward = mustReward(t, "global:\n  components: [{topic: {topic: x}}]\n", c.Contract)
			c.Deviation = mustDeviation(t, "feedback:\n  fb: {topic: {topic: x}}\n", c.Contract)
		}, `topic "x" as std_msgs/Float64 and as std_msgs/Float64MultiArray`},
		{"raster of one neuron", func(t *testing.T, c *Config) {
			c.Contract.IO.Feedback[0].N = 1
			c.Inputs[2].Format = "raster_f32"
		}, "at least 2 neurons"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := learningConfig(t, "", "")
			tc.edit(t, &c)
			_, err := New(c)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestFeedbackInputTheContractDoesNotFeedIsWarnedAbout(t *testing.T) {
	var logs bytes.Buffer
	conf := demoConfig(t) // input fb is a Feedback input, but no feedback population
	conf.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	_, err := New(conf)
	require.NoError(t, err)
	assert.Contains(t, logs.String(), "feedback input is not a feedback population of the contract")
	assert.Contains(t, logs.String(), "input=fb")
}

// The demo policies shipped in config/policies against the local brain's
// contract shape: the reward follows joint_target, the deviation
// joint_error on the shoulder.
func TestShippedDemoPolicies(t *testing.T) {
	ct := &contract.Contract{
		RunID:     "r",
		Constants: contract.Constants{Gamma: 4, OutputWindowN: 4, FeedbackN: 8, FeedbackT: 4},
		IO: contract.IO{
			Inputs:   []contract.Port{{ID: "shoulder_fb", Kind: "Feedback"}},
			Outputs:  []contract.Port{{ID: "shoulder_motor"}},
			Feedback: []contract.FeedbackPort{{ID: "shoulder_fb", N: 8, FromOutput: "shoulder_motor"}},
			STDP3:    []string{"motor"},
		},
	}
	rw, err := policy.LoadReward("../../config/policies/reward_policy.yaml", ct)
	require.NoError(t, err)
	dv, err := policy.LoadDeviation("../../config/policies/deviation_policy.yaml", ct)
	require.NoError(t, err)
	conf := Config{
		Joints:     []config.Joint{{Name: "shoulder"}, {Name: "elbow"}},
		Inputs:     []config.Input{{ID: "shoulder_fb", Kind: "Feedback"}},
		Trajectory: config.Trajectory{CycleDuration: 40 * time.Millisecond, MaxPoints: 4},
		Contract:   ct, Reward: rw, Deviation: dv,
	}
	b, fb, _, _ := started(t, conf)
	var globals []float64
	var devs []float32
	for i, q := range [][2]float64{{-0.3, 0.3}, {-0.3, 0.3}, {0.2, -0.1}, {0.6, -0.4}} {
		b.OnJointState(JointSample{Names: []string{"shoulder", "elbow"}, Positions: q[:]})
		cycle(t, b, int64(i))
		globals = append(globals, fb.sentRewards()[i].Global)
		b.OnNeed(brain.Need{Cycle: int64(i + 1), Needs: []brain.NeedItem{{ID: "shoulder_fb"}}})
		waitFor(t, func() bool { return len(fb.sent()) == i+1 })
		devs = append(devs, f32s(fb.sent()[i].Data)[0])
	}
	assert.Equal(t, []float64{0.4, 0.4, 0.6, 1.0}, globals, "otherwise, otherwise, improved, success")
	assert.InDeltaSlice(t, []float32{-0.9, -0.9, -0.4, 0}, devs, 1e-6)
	assert.Equal(t, map[string]float64{"motor": 1.0}, fb.sentRewards()[3].ByLayer)
}

// BenchmarkLearn is what the learning signals add to a cycle: the inputs
// filled from the joint store and a policy topic, the reward policy (a
// joint_target over 6 joints and a topic), the reward handed to the brain
// port, and the deviation policy (joint_error, T=64) for one feedback id.
func BenchmarkLearn(b *testing.B) {
	ct := &contract.Contract{
		Constants: contract.Constants{Gamma: 64, OutputWindowN: 32, FeedbackN: 128, FeedbackT: 64},
		IO: contract.IO{
			Feedback: []contract.FeedbackPort{{ID: "fb", N: 128}},
			STDP3:    []string{"L1", "L2"},
		},
	}
	var joints []config.Joint
	names := make([]string, 6)
	target := "{"
	for i := range names {
		names[i] = fmt.Sprintf("j%d", i)
		joints = append(joints, config.Joint{Name: names[i]})
		target += fmt.Sprintf("j%d: 0.5, ", i)
	}
	target = strings.TrimSuffix(target, ", ") + "}"
	quiet := policy.WithLogger(slog.New(slog.DiscardHandler))
	rw, err := policy.ParseReward("r.yaml", []byte("global:\n  components:\n    - joint_target: {target: "+target+"}\n"+
		"    - topic: {topic: score}\n"), ct, quiet)
	if err != nil {
		b.Fatal(err)
	}
	dv, err := policy.ParseDeviation("d.yaml", []byte("feedback:\n  fb: {joint_error: {joint: j0, target: 0.5, range: 1.0, shape: ramp}}\n"), ct, quiet)
	if err != nil {
		b.Fatal(err)
	}
	br, err := New(Config{Joints: joints, Contract: ct, Reward: rw, Deviation: dv,
		Trajectory: config.Trajectory{CycleDuration: 50 * time.Millisecond, MaxPoints: 8}})
	if err != nil {
		b.Fatal(err)
	}
	sink := &fakeBrain{}
	br.brain = sink
	br.OnJointState(JointSample{Names: names, Positions: make([]float64, 6)})
	br.OnSignalScalar("score", 0.7)
	update := &brain.CycleUpdate{Cycle: 1}
	b.ReportAllocs()
	for b.Loop() {
		br.learn(update)
		sink.rewards = sink.rewards[:0]
	}
	if br.LearningStats().Rewards == 0 {
		b.Fatal("no reward was sent")
	}
}
