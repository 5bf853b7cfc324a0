package policy

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// One cycle of the demo reward policy (joint_target over two joints).
func BenchmarkRewardJointTarget(b *testing.B) {
	p, err := LoadReward("../../config/policies/"+RewardFileName, nil)
	require.NoError(b, err)
	in := Inputs{Time: t0, Positions: map[string]float64{"shoulder": 0.3, "elbow": -0.1}}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		in.Cycle, in.Time = int64(i), in.Time.Add(50*time.Millisecond)
		p.Compute(in)
	}
}

// One cycle of an expression reward over two signals, with modulation.
func BenchmarkRewardExpression(b *testing.B) {
	p, err := ParseReward("r.yaml", []byte(`
signals: {q: {joint: shoulder}, dq: {joint: shoulder, velocity: true}}
global: {components: [{expression: "clamp(1 - abs(0.6 - q) - 0.1 * abs(dq), 0, 1)"}]}
modulation: {enabled: true}
`), nil)
	require.NoError(b, err)
	in := Inputs{Time: t0, Positions: map[string]float64{"shoulder": 0.3}, Velocities: map[string]float64{"shoulder": 0.2}}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		in.Cycle, in.Time = int64(i), in.Time.Add(50*time.Millisecond)
		p.Compute(in)
	}
}

// One cycle of the demo deviation policy (joint_error, T = 64).
func BenchmarkDeviationJointError(b *testing.B) {
	p, err := LoadDeviation("../../config/policies/"+DeviationFileName, nil)
	require.NoError(b, err)
	in := Inputs{Time: t0, Positions: map[string]float64{"shoulder": 0.3}}
	b.ReportAllocs()
	for b.Loop() {
		p.Compute(in, 64)
	}
}

// One cycle of a per-timestep expression (64 evaluations).
func BenchmarkDeviationExpression(b *testing.B) {
	p, err := ParseDeviation("d.yaml", []byte(`
signals: {q: {joint: shoulder}}
feedback: {fb: {expression: "(0.6 - q) * (t + 1) / T"}}
`), nil)
	require.NoError(b, err)
	in := Inputs{Time: t0, Positions: map[string]float64{"shoulder": 0.3}}
	b.ReportAllocs()
	for b.Loop() {
		p.Compute(in, 64)
	}
}
