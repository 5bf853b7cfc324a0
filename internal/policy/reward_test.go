package policy

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRewardDefaultIsNeutralForEveryLayer(t *testing.T) {
	p := reward(t, twoLayers(t), "")
	r := p.Compute(at(0, nil))
	assert.Equal(t, Reward{Global: 0.5, ByLayer: map[string]float64{"L1": 0.5, "L2": 0.5}}, r)
	assert.Equal(t, Stats{Cycles: 1}, p.Stats())
}

func TestRewardConstantAndCombine(t *testing.T) {
	tests := []struct {
		name, combine string
		want          float64
	}{
		{"weighted mean", "mean", (0.2*1 + 0.8*3) / 4},
		{"default is mean", "", (0.2*1 + 0.8*3) / 4},
		{"min", "min", 0.2},
		{"max", "max", 0.8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			y := "global:\n"
			if tc.combine != "" {
				y += "  combine: " + tc.combine + "\n"
			}
			y += "  components:\n    - constant: {value: 0.2}\n    - constant: {value: 0.8}\n      weight: 3\n"
			r := reward(t, nil, y).Compute(at(0, nil))
			assert.InDelta(t, tc.want, r.Global, 1e-12)
			assert.Empty(t, r.ByLayer, "no contract, no overrides: no layers")
		})
	}
}

func TestRewardTopic(t *testing.T) {
	const y = `
global:
  components:
    - topic: {topic: /score, type: std_msgs/Float32, timeout: 500ms, fallback: 0.3}
`
	now := t0.Add(10 * time.Second)
	tests := []struct {
		name      string
		scalars   map[string]Scalar
		want      float64
		fallbacks uint64
	}{
		{"fresh", map[string]Scalar{"/score": {Value: 0.9, At: now.Add(-100 * time.Millisecond)}}, 0.9, 0},
		{"exactly at timeout is fresh", map[string]Scalar{"/score": {Value: 0.9, At: now.Add(-500 * time.Millisecond)}}, 0.9, 0},
		{"stale", map[string]Scalar{"/score": {Value: 0.9, At: now.Add(-501 * time.Millisecond)}}, 0.3, 1},
		{"missing", nil, 0.3, 1},
		{"never received (zero time)", map[string]Scalar{"/score": {Value: 0.9}}, 0.3, 1},
		{"out of range is clamped", map[string]Scalar{"/score": {Value: 7, At: now}}, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := reward(t, nil, y)
			r := p.Compute(Inputs{Time: now, Scalars: tc.scalars})
			assert.Equal(t, tc.want, r.Global)
			assert.Equal(t, tc.fallbacks, p.Stats().Fallbacks)
		})
	}
	assert.Equal(t, []TopicSpec{{Name: "/score", Type: TypeFloat32}}, reward(t, nil, y).Topics())
}

func TestRewardTopicDefaults(t *testing.T) {
	p := reward(t, nil, "global: {components: [{topic: {topic: /r}}]}")
	assert.Equal(t, []TopicSpec{{Name: "/r", Type: TypeFloat64}}, p.Topics())
	now := t0.Add(time.Minute)
	fresh := p.Compute(Inputs{Time: now, Scalars: map[string]Scalar{"/r": {Value: 0.1, At: now.Add(-time.Second)}}})
	stale := p.Compute(Inputs{Time: now, Scalars: map[string]Scalar{"/r": {Value: 0.1, At: now.Add(-1001 * time.Millisecond)}}})
	assert.Equal(t, 0.1, fresh.Global, "default timeout 1s")
	assert.Equal(t, 0.5, stale.Global, "default fallback is neutral")
}

func TestRewardJointTarget(t *testing.T) {
	const y = `
global:
  components:
    - joint_target:
        target: {shoulder: 0.6, elbow: -0.4}
        success_distance: 0.1
        min_improvement: 0.01
`
	// Each case is a sequence of shoulder positions (elbow on target), one per cycle.
	tests := []struct {
		name     string
		shoulder []float64
		want     []float64
	}{
		{"first cycle far: otherwise", []float64{0}, []float64{0.4}},
		{"first cycle on target: success", []float64{0.55}, []float64{1}},
		{"success at the threshold", []float64{0.5}, []float64{1}},
		{"approaching: improved", []float64{0, 0.2, 0.4}, []float64{0.4, 0.6, 0.6}},
		{"drop not above min_improvement: otherwise", []float64{0, 0.005}, []float64{0.4, 0.4}},
		{"moving away: otherwise", []float64{0.3, 0.1}, []float64{0.4, 0.4}},
		{"standing still: otherwise", []float64{0.3, 0.3}, []float64{0.4, 0.4}},
		{"arrival wins over improved", []float64{0, 0.58}, []float64{0.4, 1}},
		{"overshoot beyond the target still improves", []float64{0, 0.9}, []float64{0.4, 0.6}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := reward(t, nil, y)
			for k, s := range tc.shoulder {
				r := p.Compute(at(int64(k), map[string]float64{"shoulder": s, "elbow": -0.4}))
				assert.Equal(t, tc.want[k], r.Global, "cycle %d", k)
			}
			assert.Zero(t, p.Stats().Errors)
		})
	}
}

func TestRewardJointTargetValuesAndDistanceOverJoints(t *testing.T) {
	p := reward(t, nil, `
global:
  components:
    - joint_target:
        target: {a: 0, b: 0}
        success_distance: 0.5
        success: 0.9
        improved: 0.7
        otherwise: 0.1
`)
	// Each joint is within 0.5 but the Euclidean distance (0.566) is not.
	assert.Equal(t, 0.1, p.Compute(at(0, map[string]float64{"a": 0.4, "b": 0.4})).Global)
	assert.Equal(t, 0.7, p.Compute(at(1, map[string]float64{"a": 0.4, "b": 0.35})).Global)
	assert.Equal(t, 0.9, p.Compute(at(2, map[string]float64{"a": 0.3, "b": 0.3})).Global)
}

func TestRewardJointTargetFromTopic(t *testing.T) {
	p := reward(t, nil, `
global:
  components:
    - joint_target:
        target_topic: /goal
        joints: [shoulder]
        target: {shoulder: 0.0}
        timeout: 200ms
`)
	assert.Equal(t, []TopicSpec{{Name: "/goal", Type: TypeJointState}}, p.Topics())
	in := at(0, map[string]float64{"shoulder": 1.0})
	in.JointStates = map[string]JointStateSample{"/goal": {Positions: map[string]float64{"shoulder": 1.02}, At: in.Time}}
	assert.Equal(t, 1.0, p.Compute(in).Global, "the topic's target is used while fresh")
	in.Time = in.Time.Add(time.Second)
	assert.Equal(t, 0.4, p.Compute(in).Global, "stale topic: the fixed target 0.0 is used")
	assert.Equal(t, uint64(1), p.Stats().Fallbacks)
}

func TestRewardJointTargetMissingJointIsNeutralAndCounted(t *testing.T) {
	p := reward(t, nil, "global: {components: [{joint_target: {target: {shoulder: 0.6}}}]}")
	r := p.Compute(at(0, map[string]float64{"elbow": 0}))
	assert.Equal(t, 0.5, r.Global)
	assert.Equal(t, uint64(1), p.Stats().Errors)
}

func TestRewardExpression(t *testing.T) {
	const y = `
signals:
  q: {joint: shoulder}
  dq: {joint: shoulder, velocity: true}
  score: {topic: /score, fallback: 0.25}
  goal: {topic: /goal, type: sensor_msgs/JointState, joint: shoulder}
global:
  components:
    - expression: "clamp(1 - abs(goal - q) - 0.1 * abs(dq), 0, 1) * score / 0.5"
`
	now := t0.Add(time.Second)
	in := Inputs{
		Time:        now,
		Positions:   map[string]float64{"shoulder": 0.5},
		Velocities:  map[string]float64{"shoulder": -1},
		Scalars:     map[string]Scalar{"/score": {Value: 0.5, At: now}},
		JointStates: map[string]JointStateSample{"/goal": {Positions: map[string]float64{"shoulder": 0.6}, At: now}},
	}
	p := reward(t, nil, y)
	assert.InDelta(t, 1-0.1-0.1, p.Compute(in).Global, 1e-12)
	in.Scalars = nil
	assert.InDelta(t, (1-0.1-0.1)*0.25/0.5, p.Compute(in).Global, 1e-12, "score falls back to 0.25")
	assert.Equal(t, uint64(1), p.Stats().Fallbacks)
	assert.Equal(t, []TopicSpec{{"/goal", TypeJointState}, {"/score", TypeFloat64}}, p.Topics())

	in.JointStates = nil
	assert.Equal(t, 0.5, p.Compute(in).Global, "goal has no fallback: neutral")
	assert.Equal(t, uint64(1), p.Stats().Errors)
}

func TestRewardExpressionBuiltins(t *testing.T) {
	p := reward(t, nil, `global: {components: [{expression: "cycle >= 2 ? min(elapsed, 1) : 0.25"}]}`)
	assert.Equal(t, 0.25, p.Compute(Inputs{Cycle: 0, Time: t0}).Global)
	assert.Equal(t, 0.25, p.Compute(Inputs{Cycle: 1, Time: t0.Add(300 * time.Millisecond)}).Global)
	assert.Equal(t, 0.6, p.Compute(Inputs{Cycle: 2, Time: t0.Add(600 * time.Millisecond)}).Global)
	assert.Equal(t, 1.0, p.Compute(Inputs{Cycle: 3, Time: t0.Add(5 * time.Second)}).Global)
}

func TestRewardBadValuesAreNeutralAndCounted(t *testing.T) {
	tests := []struct {
		name           string
		expr           string
		errs, nonFinit uint64
	}{
		{"runtime error", `[0.1, 0.2][cycle]`, 1, 0},
		{"NaN", `sqrt(-1 - cycle)`, 0, 1},
		{"+Inf", `1 / (cycle - cycle)`, 0, 1},
		{"-Inf", `log(0 * cycle)`, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logger, logs := logBuffer()
			p, err := ParseReward("r.yaml", []byte("global:\n  components:\n    - constant: {value: 1}\n    - expression: \""+tc.expr+"\"\n"), nil, WithLogger(logger))
			require.NoError(t, err)
			for k := int64(5); k < 15; k++ {
				r := p.Compute(Inputs{Cycle: k, Time: t0.Add(time.Duration(k) * time.Second)})
				assert.Equal(t, 0.75, r.Global, "the failing component counts as 0.5 in the mean")
			}
			s := p.Stats()
			assert.Equal(t, 10*tc.errs, s.Errors)
			assert.Equal(t, 10*tc.nonFinit, s.NonFinite)
			assert.Equal(t, 1, strings.Count(logs.String(), "policy component failed"), "logged once: %s", logs)
			assert.Contains(t, logs.String(), "component=global.components[1]")
		})
	}
}

func TestRewardProblemLogIsRateLimited(t *testing.T) {
	logger, logs := logBuffer()
	p, err := ParseReward("r.yaml", []byte(`global: {components: [{expression: "[0.0][cycle]"}]}`), nil, WithLogger(logger))
	require.NoError(t, err)
	for k := int64(1); k <= 130; k++ { // one cycle a second for 130 s
		p.Compute(Inputs{Cycle: k, Time: t0.Add(time.Duration(k) * time.Second)})
	}
	assert.Equal(t, 3, strings.Count(logs.String(), "policy component failed"), "at 1 s, 61 s, 121 s: %s", logs)
	assert.Contains(t, logs.String(), "unlogged=59")
	assert.Equal(t, uint64(130), p.Stats().Errors)
}

func TestRewardClampIsCounted(t *testing.T) {
	p := reward(t, nil, `global: {components: [{expression: "cycle - 1"}]}`)
	assert.Equal(t, 0.0, p.Compute(Inputs{Cycle: 0}).Global)
	assert.Equal(t, 0.0, p.Compute(Inputs{Cycle: 1}).Global)
	assert.Equal(t, 1.0, p.Compute(Inputs{Cycle: 3}).Global)
	assert.Equal(t, uint64(2), p.Stats().Clamped)
}

func TestRewardLayerOverrides(t *testing.T) {
	c := twoLayers(t)
	p := reward(t, c, `
global:
  components:
    - constant: {value: 0.7}
layers:
  L2:
    combine: max
    components:
      - joint_target: {target: {j: 0}}
      - constant: {value: 0.45}
`)
	assert.Equal(t, []string{"L1", "L2"}, p.Layers())
	r := p.Compute(at(0, map[string]float64{"j": 0}))
	assert.Equal(t, Reward{Global: 0.7, ByLayer: map[string]float64{"L1": 0.7, "L2": 1}}, r)
	r = p.Compute(at(1, map[string]float64{"j": 2}))
	assert.Equal(t, Reward{Global: 0.7, ByLayer: map[string]float64{"L1": 0.7, "L2": 0.45}}, r)
}

func TestRewardWithoutContractReportsOverriddenLayers(t *testing.T) {
	p := reward(t, nil, "layers:\n  anything: {components: [{constant: {value: 0.1}}]}\n")
	assert.Equal(t, Reward{Global: 0.5, ByLayer: map[string]float64{"anything": 0.1}}, p.Compute(Inputs{}))
}

func TestRewardNeverLeavesRange(t *testing.T) {
	p := reward(t, twoLayers(t), `
signals: {x: {joint: j}}
global: {components: [{expression: "x * 1e308 * 10"}, {expression: "-x"}]}
layers: {L1: {components: [{expression: "x"}]}}
`)
	for _, x := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), -5, 5, 1e308, 0.3} {
		r := p.Compute(at(0, map[string]float64{"j": x}))
		for _, v := range append([]float64{r.Global}, r.ByLayer["L1"], r.ByLayer["L2"]) {
			assert.True(t, v >= 0 && v <= 1, "x=%v gave %v", x, v)
		}
	}
}
