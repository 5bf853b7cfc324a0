package policy

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestModulationOffPassesTheRewardThrough(t *testing.T) {
	for _, y := range []string{
		"global: {components: [{constant: {value: 0.9}}]}",
		"global: {components: [{constant: {value: 0.9}}]}\nmodulation: {enabled: false, gain: 5}",
	} {
		p := reward(t, nil, y)
		for k := int64(0); k < 5; k++ {
			assert.Equal(t, 0.9, p.Compute(at(k, nil)).Global)
		}
	}
	assert.Equal(t, 0.5, reward(t, nil, "").Compute(at(0, nil)).Global, "the default policy is neutral")
}

func TestModulationFormula(t *testing.T) {
	// gain 2, tau 1 s, baseline 0.5, cycles 1 s apart; the reward steps 0.5 -> 1 at cycle 1.
	p := reward(t, nil, `
signals: {r: {joint: r}}
global: {components: [{expression: "r"}]}
modulation: {enabled: true, gain: 2, time_constant: 1s, baseline: 0.5}
`)
	a := 1 - math.Exp(-1) // fraction of the gap the baseline closes in 1 s
	b2 := 0.5 + a*(1-0.5) // baseline at cycle 2, after 1 s of reward 1
	b3 := b2 + a*(1-b2)
	want := []struct {
		r, out float64
	}{
		{0.5, 0.5},              // r = b0
		{1, 1},                  // baseline still 0.5 (reward 0.5 held): 0.5 + 2·0.5, clamped
		{1, 0.5 + 2*(1-b2)},     // 0.868
		{0.8, 0.5 + 2*(0.8-b3)}, // 0.236: worse than expected
	}
	for k, w := range want {
		got := p.Compute(Inputs{Cycle: int64(k), Time: t0.Add(time.Duration(k) * time.Second), Positions: map[string]float64{"r": w.r}})
		assert.InDelta(t, w.out, got.Global, 1e-12, "cycle %d", k)
	}
	assert.Equal(t, uint64(1), p.Stats().ModulationClamped)
	assert.Zero(t, p.Stats().Clamped, "the raw rewards were in range")
}

func TestModulationTracksASteadyRewardBackToNeutral(t *testing.T) {
	p := reward(t, nil, `
global: {components: [{constant: {value: 0.9}}]}
modulation: {enabled: true, time_constant: 500ms}
`)
	first := p.Compute(at(0, nil)).Global
	assert.InDelta(t, 0.9, first, 1e-12, "gain 1, baseline 0.5: the first prediction error is the reward itself")
	var last float64
	for k := int64(1); k <= 200; k++ { // 10 s at 50 ms, 20 time constants
		v := p.Compute(at(k, nil)).Global
		assert.Less(t, v, first)
		if k > 1 {
			assert.LessOrEqual(t, v, last, "decays monotonically")
		}
		last = v
	}
	assert.InDelta(t, 0.5, last, 1e-6)
}

func TestModulationPerStream(t *testing.T) {
	p := reward(t, twoLayers(t), `
global: {components: [{constant: {value: 1}}]}
layers: {L2: {components: [{constant: {value: 0}}]}}
modulation: {enabled: true, gain: 0.5, time_constant: 1s}
`)
	r := p.Compute(at(0, nil))
	assert.Equal(t, Reward{Global: 0.75, ByLayer: map[string]float64{"L1": 0.75, "L2": 0.25}}, r)
	r = p.Compute(Inputs{Time: t0.Add(time.Second)})
	e := (1 - math.Exp(-1)) * 0.5
	assert.InDelta(t, 0.5+0.5*(1-(0.5+e)), r.Global, 1e-12)
	assert.InDelta(t, 0.5+0.5*(0-(0.5-e)), r.ByLayer["L2"], 1e-12)
	assert.Equal(t, r.Global, r.ByLayer["L1"], "a layer without override gets the modulated global")
}
