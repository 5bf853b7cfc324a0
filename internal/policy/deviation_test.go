package policy

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func repeat(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func TestDeviationDefaultIsZerosForEveryFeedbackID(t *testing.T) {
	for _, y := range []string{"", "feedback:\n  fbA:\n    zero: {}\n"} {
		p := deviation(t, twoLayers(t), y)
		assert.Equal(t, map[string][]float64{"fbA": make([]float64, 8), "fbB": make([]float64, 8)}, p.Compute(at(0, nil), 8))
		assert.Equal(t, []string{"fbA", "fbB"}, p.FeedbackIDs())
	}
}

func TestDeviationJointError(t *testing.T) {
	tests := []struct {
		name    string
		conf    string
		pos     []float64 // shoulder position per cycle
		want    [][]float64
		clamped uint64
	}{
		{"constant, normalised by range", "range: 2", []float64{0.2}, [][]float64{repeat(-0.2, 4)}, 0},
		{"below target is negative", "range: 1", []float64{-0.3}, [][]float64{repeat(-0.9, 4)}, 0},
		{"above target is positive", "range: 1", []float64{0.9}, [][]float64{repeat(0.3, 4)}, 0},
		{"invert", "range: 1\n      invert: true", []float64{0.9}, [][]float64{repeat(-0.3, 4)}, 0},
		{"clamped and counted", "range: 0.1", []float64{0.9, 0.55}, [][]float64{repeat(1, 4), repeat(-0.5, 4)}, 4},
		{"ramp from zero, then from the previous error", "range: 1\n      shape: ramp", []float64{0.2, 0.6},
			[][]float64{{-0.1, -0.2, -0.3, -0.4}, {-0.3, -0.2, -0.1, 0}}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := deviation(t, nil, "feedback:\n  fb:\n    joint_error:\n      joint: shoulder\n      target: 0.6\n      "+tc.conf+"\n")
			for k, pos := range tc.pos {
				got := p.Compute(at(int64(k), map[string]float64{"shoulder": pos}), 4)
				require.Len(t, got["fb"], 4)
				assert.InDeltaSlice(t, tc.want[k], got["fb"], 1e-12, "cycle %d", k)
			}
			assert.Equal(t, tc.clamped, p.Stats().Clamped)
			assert.Zero(t, p.Stats().Errors)
		})
	}
}

func TestDeviationJointErrorTargetTopicAndMissingJoint(t *testing.T) {
	p := deviation(t, nil, `
feedback:
  fb:
    joint_error: {joint: shoulder, target_topic: /goal, range: 1, timeout: 100ms}
`)
	assert.Equal(t, []TopicSpec{{"/goal", TypeJointState}}, p.Topics())
	in := at(0, map[string]float64{"shoulder": 0.1})
	in.JointStates = map[string]JointStateSample{"/goal": {Positions: map[string]float64{"shoulder": 0.3}, At: in.Time}}
	assert.InDeltaSlice(t, repeat(-0.2, 3), p.Compute(in, 3)["fb"], 1e-12)

	in.Time = in.Time.Add(time.Second)
	assert.Equal(t, repeat(0, 3), p.Compute(in, 3)["fb"], "stale target and no fixed one: zeros")
	assert.Equal(t, uint64(1), p.Stats().Errors)

	in = at(2, map[string]float64{"elbow": 0})
	assert.Equal(t, repeat(0, 3), p.Compute(in, 3)["fb"], "joint missing: zeros")
	assert.Equal(t, uint64(2), p.Stats().Errors)
}

func TestDeviationTopic(t *testing.T) {
	now := t0.Add(time.Minute)
	tests := []struct {
		name      string
		fit       string
		arrays    map[string]Array
		want      []float64
		fallbacks uint64
		errs      uint64
	}{
		{"same length", "", map[string]Array{"/dev": {Values: []float64{0.1, 0.2, 0.3, 0.4, 0.5}, At: now}}, []float64{0.1, 0.2, 0.3, 0.4, 0.5}, 0, 0},
		{"resample up", "resample", map[string]Array{"/dev": {Values: []float64{0, 1}, At: now}}, []float64{0, 0.25, 0.5, 0.75, 1}, 0, 0},
		{"resample down", "resample", map[string]Array{"/dev": {Values: []float64{0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8}, At: now}}, []float64{0, 0.2, 0.4, 0.6, 0.8}, 0, 0},
		{"single value", "resample", map[string]Array{"/dev": {Values: []float64{-0.5}, At: now}}, repeat(-0.5, 5), 0, 0},
		{"hold pads with the last", "hold", map[string]Array{"/dev": {Values: []float64{0.1, 0.2}, At: now}}, []float64{0.1, 0.2, 0.2, 0.2, 0.2}, 0, 0},
		{"zeros pads with zero", "zeros", map[string]Array{"/dev": {Values: []float64{0.1, 0.2}, At: now}}, []float64{0.1, 0.2, 0, 0, 0}, 0, 0},
		{"pad truncates", "hold", map[string]Array{"/dev": {Values: []float64{1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4}, At: now}}, []float64{1, 0.9, 0.8, 0.7, 0.6}, 0, 0},
		{"clamped", "", map[string]Array{"/dev": {Values: []float64{-3, 3}, At: now}}, []float64{-1, -1, 0, 1, 1}, 0, 0},
		{"stale: zeros", "", map[string]Array{"/dev": {Values: []float64{1}, At: now.Add(-2 * time.Second)}}, repeat(0, 5), 1, 0},
		{"missing: zeros", "", nil, repeat(0, 5), 1, 0},
		{"empty array: zeros, an error", "", map[string]Array{"/dev": {At: now}}, repeat(0, 5), 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			y := "feedback:\n  fb:\n    topic:\n      topic: /dev\n      timeout: 1s\n"
			if tc.fit != "" {
				y += "      fit: " + tc.fit + "\n"
			}
			p := deviation(t, nil, y)
			got := p.Compute(Inputs{Time: now, Arrays: tc.arrays}, 5)["fb"]
			assert.InDeltaSlice(t, tc.want, got, 1e-12)
			assert.Equal(t, tc.fallbacks, p.Stats().Fallbacks)
			assert.Equal(t, tc.errs, p.Stats().Errors)
		})
	}
	p := deviation(t, nil, "feedback: {fb: {topic: {topic: /dev}}}")
	assert.Equal(t, []TopicSpec{{"/dev", TypeFloat64MultiArray}}, p.Topics())
}

func TestDeviationExpressionPerTimestep(t *testing.T) {
	p := deviation(t, nil, `
signals:
  q: {joint: shoulder}
  plan: {topic: /plan, type: std_msgs/Float64MultiArray, fallback: 0}
feedback:
  fb:
    expression: "(0.6 - q) * (t + 1) / T + plan"
`)
	in := at(0, map[string]float64{"shoulder": 0.2})
	in.Arrays = map[string]Array{"/plan": {Values: []float64{0, 0.3}, At: in.Time}}
	assert.InDeltaSlice(t, []float64{0.1, 0.2 + 0.1, 0.3 + 0.2, 0.4 + 0.3}, p.Compute(in, 4)["fb"], 1e-12)
	in.Arrays = nil
	assert.InDeltaSlice(t, []float64{0.1, 0.2, 0.3, 0.4}, p.Compute(in, 4)["fb"], 1e-12, "plan falls back to 0")
	assert.Equal(t, uint64(1), p.Stats().Fallbacks)
}

func TestDeviationBadValuesAreZerosAndCounted(t *testing.T) {
	tests := []struct {
		name       string
		expr       string
		pos        float64
		errs, nonf uint64
	}{
		{"NaN at one step", "t == 2 ? sqrt(-1) : 0.5", 0, 0, 1},
		{"Inf", "1 / (q - q)", 0, 0, 1},
		{"runtime error", "[0.5, 0.5][t]", 0, 1, 0},
		{"NaN input", "q", math.NaN(), 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logger, logs := logBuffer()
			p, err := ParseDeviation("d.yaml", []byte("signals: {q: {joint: j}}\nfeedback:\n  fb:\n    expression: \""+tc.expr+"\"\n"), nil, WithLogger(logger))
			require.NoError(t, err)
			for k := int64(0); k < 3; k++ {
				assert.Equal(t, repeat(0, 4), p.Compute(at(k, map[string]float64{"j": tc.pos}), 4)["fb"])
			}
			assert.Equal(t, 3*tc.errs, p.Stats().Errors)
			assert.Equal(t, 3*tc.nonf, p.Stats().NonFinite)
			assert.Equal(t, 1, strings.Count(logs.String(), "policy component failed"))
			assert.Contains(t, logs.String(), "component=feedback.fb.expression")
		})
	}
}

func TestDeviationTOutOfRangeUsesGamma(t *testing.T) {
	p := deviation(t, twoLayers(t), "")
	for _, T := range []int{0, -3, maxT + 1} {
		got := p.Compute(at(0, nil), T)
		assert.Len(t, got["fbA"], 8, "T=%d", T)
	}
	assert.Equal(t, uint64(3), p.Stats().Errors)
}
