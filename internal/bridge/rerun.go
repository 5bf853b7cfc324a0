package bridge

import (
	"context"
	"fmt"
	"math"

	"github.com/abbridge/ab_bridge/internal/contract"
	"github.com/abbridge/ab_bridge/internal/policy"
)

// runParts is what a run's contract decides in the bridge.
type runParts struct {
	conf     Config
	shaper   *shaper
	learning *learning
	ranges   map[string][2]float64 // Proprioception input id → lo, hi
}

// Adopt makes the bridge serve a new run (after a brain restart forgot the
// old one). It checks the configuration and the policies against the new
// run's contract exactly as New does, and changes nothing when they do not
// fit; else the bridge goroutine switches to it before its next event, with
// fresh learning state and chunk sequences counted from 1 again. Nil
// policies send the neutral signals.
func (b *Bridge) Adopt(ctx context.Context, ct *contract.Contract, reward *policy.RewardPolicy, deviation *policy.DeviationPolicy) error {
	conf := b.base // not b.conf: the bridge goroutine owns that
	conf.Contract, conf.Reward, conf.Deviation = ct, reward, deviation
	names := make([]string, len(conf.Joints))
	for i, j := range conf.Joints {
		names[i] = j.Name
	}
	parts := &runParts{conf: conf, ranges: map[string][2]float64{}}
	var err error
	if parts.learning, err = newLearning(conf); err != nil {
		return err
	}
	if parts.shaper, err = newShaper(conf, names); err != nil {
		return err
	}
	ports := map[string]contract.Port{}
	for _, p := range ct.IO.Inputs {
		ports[p.ID] = p
	}
	for _, in := range conf.Inputs {
		port, ok := ports[in.ID]
		switch {
		case !ok:
			return fmt.Errorf("bridge: input %q is not in the new run's contract", in.ID)
		case port.Kind != "" && port.Kind != in.Kind:
			return fmt.Errorf("bridge: input %q is %s in config but %s in the new run's contract", in.ID, in.Kind, port.Kind)
		}
		parts.ranges[in.ID] = [2]float64{rangeOf(in.Lo, port.Extra["lo"], -math.Pi), rangeOf(in.Hi, port.Extra["hi"], math.Pi)}
	}
	b.handOvers.Add(1)
	select {
	case b.adopt <- parts:
		return nil
	case <-ctx.Done():
		b.handOvers.Add(-1)
		return ctx.Err()
	}
}

// switchRun runs on the bridge goroutine.
func (b *Bridge) switchRun(p *runParts) {
	// The policy topics were subscribed at start and keep feeding the same
	// store; the counters go on from where they were (statistics are totals).
	p.learning.signals, p.learning.stats = b.learning.signals, b.learning.stats
	b.conf, b.shaper, b.learning = p.conf, p.shaper, p.learning
	b.learnNow.Store(p.learning)
	b.tuned.apply(b.shaper) // the new run's shaper starts from base: keep what was set live
	for id, in := range b.inputs {
		in.seq, in.hasPrev = 0, false
		if r, ok := p.ranges[id]; ok && in.conf.kind == contract.KindProprioception {
			in.conf.lo, in.conf.hi = r[0], r[1]
		}
	}
	b.log.Info("bridge serves the new run", "run", p.conf.Contract.RunID)
}
