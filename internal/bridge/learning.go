package bridge

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/contract"
	"github.com/abbridge/ab_bridge/internal/policy"
)

// learning owns the learning signals of a run: after each cycle:update it
// runs the reward policy (one learn:reward) and the deviation policy, whose
// result answers the Feedback needs of the next cycle. Everything but the
// signal store and the counters belongs to the bridge goroutine.
//
// Why the deviation is computed per cycle rather than at need time: the
// brain asks for cycle k's inputs before it sends cycle k's update, so the
// deviation sent for cycle k is the one computed when cycle k−1's update
// arrived, from the same robot state as that cycle's reward. A policy then
// runs once per cycle whatever the number of feedback inputs, and the
// reward and deviation statistics count the same cycles. Needs that come
// before the first update get zeros, the neutral deviation.
type learning struct {
	reward    *policy.RewardPolicy
	deviation *policy.DeviationPolicy
	layers    []string // the run contract's STDP3 layers
	joints    []string // configured joint names, in the joint store's order
	gamma     int
	signals   *signalStore
	in        policy.Inputs
	devs      map[string][]float64 // last cycle's deviation per feedback id
	feedbackN map[string]int       // neurons of each feedback population
	data      map[string][]byte    // chunk buffer per feedback input, reused
	stats     *learningCounters
}

type learningCounters struct {
	rewards, failedRewards, badSignals, feedbackRepaired atomic.Int64
}

// LearningStats is a snapshot of the learning signals sent so far.
type LearningStats struct {
	Rewards          int64 // learn:reward sent
	FailedRewards    int64 // learn:reward not sent (brain disconnected)
	BadSignals       int64 // policy topic messages rejected as malformed
	FeedbackRepaired int64 // deviation values padded, cut or clamped on the way into a chunk
	Reward           policy.Stats
	Deviation        policy.Stats
}

// neutralPolicy is the text of a policy that sends the neutral signal: a
// global reward of 0.5 to every layer, zeros to every feedback input.
var neutralPolicy = []byte("{}")

func newLearning(conf Config) (*learning, error) {
	ct := conf.Contract
	l := &learning{
		reward: conf.Reward, deviation: conf.Deviation,
		layers: slices.Clone(ct.IO.STDP3), gamma: ct.Constants.Gamma,
		devs: map[string][]float64{}, feedbackN: map[string]int{}, data: map[string][]byte{},
		stats: &learningCounters{},
	}
	for _, j := range conf.Joints {
		l.joints = append(l.joints, j.Name)
	}
	if l.gamma < 1 {
		return nil, fmt.Errorf("bridge: the contract's gamma is %d, want at least 1", l.gamma)
	}
	var err error
	if l.reward == nil {
		if l.reward, err = policy.ParseReward("(neutral reward)", neutralPolicy, ct); err != nil {
			return nil, fmt.Errorf("bridge: neutral reward: %w", err)
		}
	}
	if l.deviation == nil {
		if l.deviation, err = policy.ParseDeviation("(neutral deviation)", neutralPolicy, ct); err != nil {
			return nil, fmt.Errorf("bridge: neutral deviation: %w", err)
		}
	}
	if err := l.checkAgainst(ct); err != nil {
		return nil, err
	}
	for _, fb := range ct.IO.Feedback {
		l.feedbackN[fb.ID] = fb.N
	}
	for _, in := range conf.Inputs {
		if in.Kind != contract.KindFeedback {
			continue
		}
		if _, fed := l.feedbackN[in.ID]; !fed {
			conf.Logger.Warn("feedback input is not a feedback population of the contract: it will send zeros",
				"input", in.ID, "contract_feedback", slices.Collect(maps.Keys(l.feedbackN)))
		}
		if in.Format == "raster_f32" && l.rasterN(in.ID, ct.Constants) < 2 {
			return nil, fmt.Errorf("bridge: feedback input %q: a raster_f32 needs a population of at least 2 neurons, the contract has %d",
				in.ID, l.rasterN(in.ID, ct.Constants))
		}
	}
	specs, err := mergeTopics(l.reward.Topics(), l.deviation.Topics())
	if err != nil {
		return nil, err
	}
	l.signals = newSignalStore(specs)
	l.in = l.signals.inputs(len(conf.Joints))
	return l, nil
}

// checkAgainst refuses policies validated against another contract than the
// run's: the brain must only hear of its own layers and feedback ids.
func (l *learning) checkAgainst(ct *contract.Contract) error {
	for _, name := range l.reward.Layers() {
		if !slices.Contains(ct.IO.STDP3, name) {
			return fmt.Errorf("bridge: the reward policy names layer %q, not an STDP3 layer of the run's contract", name)
		}
	}
	for _, id := range l.deviation.FeedbackIDs() {
		if !slices.ContainsFunc(ct.IO.Feedback, func(f contract.FeedbackPort) bool { return f.ID == id }) {
			return fmt.Errorf("bridge: the deviation policy names feedback %q, not a feedback input of the run's contract", id)
		}
	}
	return nil
}

// rasterN is the size of a feedback population: the contract's entry for
// it, else the contract's feedbackN.
func (l *learning) rasterN(id string, k contract.Constants) int {
	if n := l.feedbackN[id]; n > 0 {
		return n
	}
	return k.FeedbackN
}

// mergeTopics lists the topics both policies read, each once; a topic read
// as two message types cannot be subscribed and is an error.
func mergeTopics(lists ...[]policy.TopicSpec) ([]policy.TopicSpec, error) {
	byName := map[string]string{}
	var out []policy.TopicSpec
	for _, list := range lists {
		for _, s := range list {
			if typ, seen := byName[s.Name]; seen {
				if typ != s.Type {
					return nil, fmt.Errorf("bridge: the policies read topic %q as %s and as %s", s.Name, typ, s.Type)
				}
				continue
			}
			byName[s.Name] = s.Type
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b policy.TopicSpec) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return out, nil
}

// learn sends the cycle's reward and keeps its deviations for the next
// needs; it returns the global reward. It runs on the bridge goroutine
// after the cycle is handled.
func (b *Bridge) learn(c *brain.CycleUpdate) float64 {
	l := b.learning
	l.fill(b.joints, b.clk.Now())
	l.in.Cycle = c.Cycle
	r := l.reward.Compute(l.in)
	for _, name := range l.layers {
		if _, ok := r.ByLayer[name]; !ok {
			r.ByLayer[name] = r.Global // PROTOCOL.md §5: a missing layer gets the global reward
		}
	}
	if err := b.brain.SendReward(brain.Reward{Cycle: c.Cycle, Global: r.Global, ByLayer: r.ByLayer}); err != nil {
		l.stats.failedRewards.Add(1)
		b.warnf("send_reward", "learn:reward not sent", "cycle", c.Cycle, "err", err)
	} else {
		l.stats.rewards.Add(1)
	}
	l.devs = l.deviation.Compute(l.in, l.gamma)
	return r.Global
}

// fill brings the policy inputs up to date: joint positions and velocities
// of every configured joint seen so far, and the latest sample of every
// policy topic.
// now is the bridge's clock: the policies' topic timeouts compare it with
// the samples' receipt times, which are on that clock too.
func (l *learning) fill(joints *jointStore, now time.Time) {
	l.in.Time = now
	clear(l.in.Positions)
	clear(l.in.Velocities)
	for i, name := range l.joints {
		if sl := joints.joint(i); sl.valid {
			l.in.Positions[name] = sl.pos
			l.in.Velocities[name] = sl.velocity()
		}
	}
	l.signals.copyInto(&l.in)
}

// LearningStats returns the learning counters so far, with the policies'
// own (component failures, fallbacks, clamps).
func (b *Bridge) LearningStats() LearningStats {
	l := b.learnNow.Load() // not b.learning: a new run swaps that on the bridge goroutine
	return LearningStats{
		Rewards: l.stats.rewards.Load(), FailedRewards: l.stats.failedRewards.Load(),
		BadSignals: l.stats.badSignals.Load(), FeedbackRepaired: l.stats.feedbackRepaired.Load(),
		Reward: l.reward.Stats(), Deviation: l.deviation.Stats(),
	}
}

// PolicyTopics lists the topics the policies read, beside joint_states:
// the node subscribes each and hands its samples to OnSignal*.
func (b *Bridge) PolicyTopics() []policy.TopicSpec {
	return slices.Clone(b.learnNow.Load().signals.specs)
}

// OnSignalScalar takes a sample of a std_msgs/Float64 or Float32 policy
// topic. Called on the ROS executor: it only waits on a short lock.
func (b *Bridge) OnSignalScalar(topic string, v float64) {
	if now, ok := b.received(); ok {
		b.learnNow.Load().signals.setScalar(topic, v, now)
	}
}

// OnSignalArray takes a sample of a std_msgs/Float64MultiArray policy
// topic; data is copied. Called on the ROS executor.
func (b *Bridge) OnSignalArray(topic string, data []float64) {
	if now, ok := b.received(); ok {
		b.learnNow.Load().signals.setArray(topic, data, now)
	}
}

// OnSignalJointState takes a sample of a sensor_msgs/JointState policy
// topic (a target posture). Called on the ROS executor.
func (b *Bridge) OnSignalJointState(topic string, m JointSample) {
	now, ok := b.received()
	if !ok {
		return
	}
	l := b.learnNow.Load()
	if err := l.signals.setJointState(topic, m, now); err != nil {
		l.stats.badSignals.Add(1)
		b.warnf("bad_signal:"+topic, "policy topic sample rejected", "topic", topic, "err", err)
	}
}

// signalStore keeps the latest sample of each policy topic. The ROS
// executor writes, the bridge goroutine copies out; each holds the lock
// only to copy.
type signalStore struct {
	specs   []policy.TopicSpec
	mu      sync.Mutex
	scalars map[string]*policy.Scalar
	arrays  map[string]*policy.Array
	states  map[string]*policy.JointStateSample
}

func newSignalStore(specs []policy.TopicSpec) *signalStore {
	s := &signalStore{specs: specs, scalars: map[string]*policy.Scalar{}, arrays: map[string]*policy.Array{},
		states: map[string]*policy.JointStateSample{}}
	for _, sp := range specs {
		switch sp.Type {
		case policy.TypeFloat64, policy.TypeFloat32:
			s.scalars[sp.Name] = &policy.Scalar{}
		case policy.TypeFloat64MultiArray:
			s.arrays[sp.Name] = &policy.Array{}
		case policy.TypeJointState:
			s.states[sp.Name] = &policy.JointStateSample{Positions: map[string]float64{}, Velocities: map[string]float64{}}
		}
	}
	return s
}

// inputs builds the Inputs the store copies into, with a slot for every
// topic so that copying allocates nothing once the buffers have grown.
func (s *signalStore) inputs(joints int) policy.Inputs {
	in := policy.Inputs{
		Positions: make(map[string]float64, joints), Velocities: make(map[string]float64, joints),
		Scalars: map[string]policy.Scalar{}, Arrays: map[string]policy.Array{}, JointStates: map[string]policy.JointStateSample{},
	}
	for name := range s.states {
		in.JointStates[name] = policy.JointStateSample{Positions: map[string]float64{}, Velocities: map[string]float64{}}
	}
	return in
}

// Topics nobody declared are not stored: only subscriptions made from the
// store's specs call these.
func (s *signalStore) setScalar(topic string, v float64, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sl, ok := s.scalars[topic]; ok {
		sl.Value, sl.At = v, now
	}
}

func (s *signalStore) setArray(topic string, data []float64, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sl, ok := s.arrays[topic]; ok {
		sl.Values, sl.At = append(sl.Values[:0], data...), now
	}
}

func (s *signalStore) setJointState(topic string, m JointSample, now time.Time) error {
	if len(m.Positions) != len(m.Names) {
		return fmt.Errorf("%d names but %d positions", len(m.Names), len(m.Positions))
	}
	if len(m.Velocities) != 0 && len(m.Velocities) != len(m.Names) {
		return fmt.Errorf("%d names but %d velocities", len(m.Names), len(m.Velocities))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sl, ok := s.states[topic]
	if !ok {
		return nil
	}
	clear(sl.Positions)
	clear(sl.Velocities)
	for i, n := range m.Names {
		sl.Positions[n] = m.Positions[i]
		if len(m.Velocities) > 0 {
			sl.Velocities[n] = m.Velocities[i]
		}
	}
	sl.At = now
	return nil
}

// copyInto copies every topic's latest sample into in, reusing in's buffers.
func (s *signalStore) copyInto(in *policy.Inputs) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, sl := range s.scalars {
		in.Scalars[name] = *sl
	}
	for name, sl := range s.arrays {
		a := in.Arrays[name]
		a.Values, a.At = append(a.Values[:0], sl.Values...), sl.At
		in.Arrays[name] = a
	}
	for name, sl := range s.states {
		js := in.JointStates[name]
		clear(js.Positions)
		clear(js.Velocities)
		maps.Copy(js.Positions, sl.Positions)
		maps.Copy(js.Velocities, sl.Velocities)
		js.At = sl.At
		in.JointStates[name] = js
	}
}
