package policy

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/abbridge/ab_bridge/internal/yamlfile"

	"github.com/abbridge/ab_bridge/internal/contract"
)

// maxT bounds the timesteps of one deviation; a larger T is a caller's bug
// and must not turn into a huge allocation.
const maxT = 1 << 16

// DeviationPolicy computes per-feedback deviations from deviation_policy.yaml.
// Compute and Stats are safe for concurrent use.
type DeviationPolicy struct {
	mu       sync.Mutex
	ids      []string // every feedback id the deviation goes to
	comps    map[string]*feedbackEntry
	defaultT int
	topics   []TopicSpec
	stats    Stats
	problems *problems
	start    time.Time
}

type feedbackEntry struct {
	where string
	comp  deviationComponent
}

// LoadDeviation reads and validates a deviation policy file. With a
// contract, the feedback ids it names must be the contract's, and Compute
// reports every contract feedback id (zeros for those not configured);
// without one (offline syntax checks) only the configured ids.
func LoadDeviation(path string, c *contract.Contract, opts ...Option) (*DeviationPolicy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("deviation policy: %w", err)
	}
	return ParseDeviation(path, data, c, opts...)
}

// ParseDeviation is LoadDeviation for bytes already read; file names them in errors.
func ParseDeviation(file string, data []byte, c *contract.Contract, opts ...Option) (*DeviationPolicy, error) {
	var f deviationFile
	root, err := decodeStrict(file, data, &f)
	if err != nil {
		return nil, err
	}
	l := &located{File: file, Root: root}
	b := &builder{l: l, perStep: true}
	b.sigs = buildSignals(l, yamlfile.MapKeys(root, "signals"), f.Signals, true, &b.topics)

	p := &DeviationPolicy{comps: map[string]*feedbackEntry{}, defaultT: contract.DefaultGamma}
	var known []string
	if c != nil {
		p.defaultT = c.Constants.Gamma
		for _, fb := range c.IO.Feedback {
			known = append(known, fb.ID)
		}
	}
	for _, id := range yamlfile.MapKeys(root, "feedback") {
		if c != nil && !slices.Contains(known, id) {
			l.AddAt(yamlfile.LineOf(root, "feedback", id), fmt.Sprintf("feedback id %q is not a feedback input of the contract (%s)", id, listOrNone(known)))
		}
		if comp, where, ok := b.deviationComponent(f.Feedback[id], []any{"feedback", id}); ok {
			p.comps[id] = &feedbackEntry{where: where, comp: comp}
		}
	}
	if err := l.Err(); err != nil {
		return nil, err
	}
	if c != nil {
		p.ids = known
	} else {
		for id := range p.comps {
			p.ids = append(p.ids, id)
		}
		sort.Strings(p.ids)
	}
	p.topics = b.topics.specs()
	o := buildOptions(opts)
	p.problems = newProblems("deviation", o.log, &p.stats)
	return p, nil
}

// Topics lists the topics the node must subscribe for this policy, sorted by
// name. Joint positions come from the node's joint_states and are not listed.
func (p *DeviationPolicy) Topics() []TopicSpec { return slices.Clone(p.topics) }

// FeedbackIDs lists the ids Compute reports.
func (p *DeviationPolicy) FeedbackIDs() []string { return slices.Clone(p.ids) }

// Stats returns the policy's counters so far.
func (p *DeviationPolicy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Compute gives T deviations in [-1, 1] for every feedback id. T outside
// 1..65536 is counted as an error and replaced by the contract's gamma.
// Never panics; a failing component sends zeros.
func (p *DeviationPolicy) Compute(in Inputs, T int) map[string][]float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.Cycles++
	if T < 1 || T > maxT {
		p.problems.report(in.Time, "Compute", problemError, fmt.Errorf("feedback length T=%d is not in 1..%d, using %d", T, maxT, p.defaultT))
		T = p.defaultT
	}
	if p.start.IsZero() {
		p.start = in.Time
	}
	cs := &cycleState{in: &in, stats: &p.stats}
	if !in.Time.IsZero() {
		cs.elapsed = in.Time.Sub(p.start).Seconds()
	}
	out := make(map[string][]float64, len(p.ids))
	for _, id := range p.ids {
		dev := make([]float64, T)
		if e, ok := p.comps[id]; ok {
			p.fill(cs, e, dev)
		}
		out[id] = dev
	}
	return out
}

// fill runs one component into dev, falling back to zeros on any problem,
// then clamps to [-1, 1].
func (p *DeviationPolicy) fill(cs *cycleState, e *feedbackEntry, dev []float64) {
	if err := e.comp.deviation(cs, dev); err != nil {
		p.problems.report(cs.in.Time, e.where, problemError, err)
		clear(dev)
		return
	}
	for t, v := range dev {
		if !finite(v) {
			p.problems.report(cs.in.Time, e.where, problemNonFinite, fmt.Errorf("value %v at t=%d", v, t))
			clear(dev)
			return
		}
	}
	for t, v := range dev {
		dev[t] = clampCount(v, -1, 1, &p.stats.Clamped)
	}
}
