package policy

import (
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/abbridge/ab_bridge/internal/yamlfile"

	"github.com/abbridge/ab_bridge/internal/contract"
)

// Reward is one cycle's learning reward: global and per STDP3 layer, each in
// [0, 1], 0.5 neutral.
type Reward struct {
	Global  float64
	ByLayer map[string]float64
}

// How a reward stream combines its components.
const (
	combineMean = "mean" // weighted mean
	combineMin  = "min"
	combineMax  = "max"
)

// RewardPolicy computes the reward of each cycle from reward_policy.yaml.
// Compute and Stats are safe for concurrent use.
type RewardPolicy struct {
	mu        sync.Mutex
	layers    []string // every layer the reward goes to
	global    *stream
	overrides map[string]*stream
	topics    []TopicSpec
	stats     Stats
	problems  *problems
	start     time.Time
}

// LoadReward reads and validates a reward policy file. With a contract, the
// layers it names must be the contract's STDP3 layers, and Compute reports
// every contract layer; without one (offline syntax checks) only the
// overridden layers are reported.
func LoadReward(path string, c *contract.Contract, opts ...Option) (*RewardPolicy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reward policy: %w", err)
	}
	return ParseReward(path, data, c, opts...)
}

// ParseReward is LoadReward for bytes already read; file names them in errors.
func ParseReward(file string, data []byte, c *contract.Contract, opts ...Option) (*RewardPolicy, error) {
	var f rewardFile
	root, err := decodeStrict(file, data, &f)
	if err != nil {
		return nil, err
	}
	l := &located{File: file, Root: root}
	b := &builder{l: l}
	b.sigs = buildSignals(l, yamlfile.MapKeys(root, "signals"), f.Signals, false, &b.topics)
	newMod := b.modulation(f.Modulation)

	p := &RewardPolicy{overrides: map[string]*stream{}}
	if f.Global == nil {
		p.global = neutralStream()
	} else {
		p.global = b.stream(*f.Global, []any{"global"})
	}
	p.global.mod = newMod()
	for _, name := range yamlfile.MapKeys(root, "layers") {
		if c != nil && !slices.Contains(c.IO.STDP3, name) {
			l.AddAt(yamlfile.LineOf(root, "layers", name), fmt.Sprintf("layer %q is not an STDP3 layer of the contract (%s)", name, listOrNone(c.IO.STDP3)))
		}
		s := b.stream(f.Layers[name], []any{"layers", name})
		s.mod = newMod()
		p.overrides[name] = s
	}
	if err := l.Err(); err != nil {
		return nil, err
	}
	if c != nil {
		p.layers = slices.Clone(c.IO.STDP3)
	} else {
		for name := range p.overrides {
			p.layers = append(p.layers, name)
		}
		sort.Strings(p.layers)
	}
	p.topics = b.topics.specs()
	o := buildOptions(opts)
	p.problems = newProblems("reward", o.log, &p.stats)
	return p, nil
}

func listOrNone(ids []string) string {
	if len(ids) == 0 {
		return "it has none"
	}
	return "it has " + strings.Join(ids, ", ")
}

// Topics lists the topics the node must subscribe for this policy, sorted by
// name. Joint positions come from the node's joint_states and are not listed.
func (p *RewardPolicy) Topics() []TopicSpec { return slices.Clone(p.topics) }

// Layers lists the layers Compute reports.
func (p *RewardPolicy) Layers() []string { return slices.Clone(p.layers) }

// Stats returns the policy's counters so far.
func (p *RewardPolicy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Compute gives the cycle's reward. Every layer is present; a layer without
// an override gets the global value. Never panics, never out of [0, 1].
func (p *RewardPolicy) Compute(in Inputs) Reward {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.Cycles++
	cs := p.cycle(&in)
	out := Reward{Global: p.global.compute(cs, p.problems), ByLayer: make(map[string]float64, len(p.layers))}
	for _, name := range p.layers {
		if s, ok := p.overrides[name]; ok {
			out.ByLayer[name] = s.compute(cs, p.problems)
		} else {
			out.ByLayer[name] = out.Global
		}
	}
	return out
}

func (p *RewardPolicy) cycle(in *Inputs) *cycleState {
	if p.start.IsZero() {
		p.start = in.Time
	}
	cs := &cycleState{in: in, stats: &p.stats}
	if !in.Time.IsZero() {
		cs.elapsed = in.Time.Sub(p.start).Seconds()
	}
	return cs
}

// stream is one reward (global or a layer's): components, their
// combination, and its own modulator.
type stream struct {
	where   string
	combine string
	parts   []part
	vals    []float64
	mod     *modulator
}

type part struct {
	where  string
	weight float64
	comp   rewardComponent
}

func neutralStream() *stream {
	return &stream{
		where:   "global",
		combine: combineMean,
		parts:   []part{{where: "global (default)", weight: 1, comp: constant{value: NeutralReward}}},
		vals:    make([]float64, 1),
	}
}

func (s *stream) compute(cs *cycleState, pr *problems) float64 {
	for i, pt := range s.parts {
		v, err := pt.comp.reward(cs)
		switch {
		case err != nil:
			pr.report(cs.in.Time, pt.where, problemError, err)
			v = NeutralReward
		case !finite(v):
			pr.report(cs.in.Time, pt.where, problemNonFinite, fmt.Errorf("component gave %v", v))
			v = NeutralReward
		}
		s.vals[i] = v
	}
	r := s.combined()
	if !finite(r) {
		pr.report(cs.in.Time, s.where, problemNonFinite, fmt.Errorf("combined reward is %v", r))
		r = NeutralReward
	}
	r = clampCount(r, 0, 1, &cs.stats.Clamped)
	if s.mod != nil {
		var clamped bool
		if r, clamped = s.mod.apply(r, cs.in.Time); clamped {
			cs.stats.ModulationClamped++
		}
	}
	return r
}

func (s *stream) combined() float64 {
	switch s.combine {
	case combineMin:
		return slices.Min(s.vals)
	case combineMax:
		return slices.Max(s.vals)
	}
	sum, wsum := 0.0, 0.0
	for i, pt := range s.parts {
		sum += pt.weight * s.vals[i]
		wsum += pt.weight
	}
	if wsum == 0 {
		return math.NaN()
	}
	return sum / wsum
}
