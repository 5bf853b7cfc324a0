package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// problems lists the "line: message" of each *Error in err.
func problemLines(t *testing.T, err error, file string) []string {
	t.Helper()
	require.Error(t, err)
	var out []string
	for _, line := range strings.Split(err.Error(), "\n") {
		require.True(t, strings.HasPrefix(line, file+":"), "every problem names the file: %q", line)
		out = append(out, strings.TrimPrefix(line, file+":"))
	}
	var pe *Error
	assert.True(t, errors.As(err, &pe), "problems are *Error")
	return out
}

// assertProblems checks that each want ("line: fragment") matches one problem.
func assertProblems(t *testing.T, got, want []string) {
	t.Helper()
	require.Len(t, got, len(want), "problems: %q", got)
	for i, w := range want {
		line, frag, _ := strings.Cut(w, ": ")
		assert.True(t, strings.HasPrefix(got[i], line+": "), "problem %d at line %s: %q", i, line, got[i])
		assert.Contains(t, got[i], frag)
	}
}

func TestRewardValidation(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"unknown top-level key", "global: {components: [{constant: {value: 0.5}}]}\nrewards: {}\n",
			[]string{`2: unknown key "rewards"`}},
		{"unknown key in a component", "global:\n  components:\n    - constant: {value: 0.5, vale: 1}\n",
			[]string{`3: unknown key "vale"`}},
		{"layer not in the contract", "layers:\n  motor: {components: [{constant: {value: 1}}]}\n  motr:\n    components: [{constant: {value: 1}}]\n",
			[]string{`3: layer "motr" is not an STDP3 layer of the contract (it has motor)`}},
		{"expression names an unknown signal", "signals: {q: {joint: shoulder}}\nglobal:\n  components:\n    - constant: {value: 0.5}\n    - expression: \"1 - abs(q - qq)\"\n",
			[]string{`5: global.components[1].expression: expression: unknown name qq (column 13)`}},
		{"expression error on the second line of a block", "global:\n  components:\n    - expression: |\n        0.5 +\n          * 2\n",
			[]string{`5: expression: unexpected token Operator("*")`}},
		{"expression is not a number", "global: {components: [{expression: \"cycle > 3\"}]}\n",
			[]string{`1: expected float64, but got bool`}},
		{"expression is empty", "global:\n  components:\n    - expression:\n",
			[]string{`3: global.components[0].expression: is empty`}},
		{"two kinds", "global:\n  components:\n    - constant: {value: 0.5}\n      topic: {topic: /x}\n",
			[]string{`3: has constant and topic: give exactly one kind`}},
		{"no kind", "global:\n  components:\n    - weight: 2\n",
			[]string{`3: needs one of constant, topic, joint_target, expression`}},
		{"no components", "global: {combine: max}\n", []string{`1: global.components: needs at least one component`}},
		{"bad combine and weight", "global:\n  combine: sum\n  components:\n    - constant: {value: 0.5}\n      weight: 0\n",
			[]string{`2: combine "sum" is not mean, min or max`, `5: weight must be positive`}},
		{"constant out of range", "global: {components: [{constant: {value: 1.5}}]}\n", []string{`1: 1.5 is not in [0, 1]`}},
		{"constant without value", "global:\n  components:\n    - constant: {}\n", []string{`3: global.components[0].constant: needs a value`}},
		{"topic type", "global:\n  components:\n    - topic: {topic: /x, type: std_msgs/Int32}\n", []string{`3: type "std_msgs/Int32" is not`}},
		{"one topic, two types", "signals:\n  a: {topic: /x}\nglobal:\n  components:\n    - topic:\n        topic: /x\n        type: std_msgs/Float32\n",
			[]string{`6: topic /x is read as std_msgs/Float32 here and as std_msgs/Float64 elsewhere`}},
		{"joint_target needs joints for a topic", "global:\n  components:\n    - joint_target: {target_topic: /goal}\n",
			[]string{`3: needs the joints to read from target_topic`}},
		{"joint_target joint without target", "global:\n  components:\n    - joint_target:\n        target: {a: 1}\n        joints: [a, b]\n",
			[]string{`5: joint "b" has no target`}},
		{"joint_target thresholds", "global:\n  components:\n    - joint_target:\n        target: {a: 1}\n        success_distance: -1\n        improved: 2\n",
			[]string{`5: -1 is not in [0, 1e+09]`, `6: 2 is not in [0, 1]`}},
		{"signal names", "signals:\n  abs: {joint: a}\n  cycle: {joint: a}\n  2x: {joint: a}\n",
			[]string{`2: signal name "abs"`, `3: signal name "cycle"`, `4: signal name "2x"`}},
		{"signal sources", "signals:\n  a: {}\n  b: {topic: /b, type: std_msgs/Float64MultiArray}\n  c: {topic: /c, type: sensor_msgs/JointState}\n  d: {joint: x, timeout: 1s}\n",
			[]string{`2: signal "a": needs a joint`, `3: for deviation policies only`, `4: needs the joint to read`, `5: type and timeout only apply to a topic`}},
		{"modulation", "modulation:\n  enabled: true\n  time_constant: 0s\n  gain: -1\n  baseline: 2\n",
			[]string{`3: time_constant must be positive`, `4: -1 is not in [0, 1e+06]`, `5: 2 is not in [0, 1]`}},
		{"wrong type", "global:\n  components:\n    - constant: {value: high}\n", []string{"3: cannot unmarshal !!str `high` into float64"}},
		{"syntax", "global:\n  combine: mean\n  x: : y\n", []string{`3: mapping values are not allowed`}},
		{"duplicate key", "global:\n  combine: mean\n  combine: max\n", []string{`3: mapping key "combine" already defined at line 2`}},
		{"two documents", "global: {components: [{constant: {value: 0.5}}]}\n---\nlayers: {}\n", []string{`2: a policy file holds one YAML document`}},
	}
	c := demoContract(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseReward("reward_policy.yaml", []byte(tc.yaml), c)
			assertProblems(t, problemLines(t, err, "reward_policy.yaml"), tc.want)
		})
	}
}

func TestDeviationValidation(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"feedback id not in the contract", "feedback:\n  shoulder_fb: {zero: {}}\n  elbow_fb:\n    zero: {}\n",
			[]string{`3: feedback id "elbow_fb" is not a feedback input of the contract (it has shoulder_fb)`}},
		{"unknown key", "feedback:\n  shoulder_fb:\n    joint_error: {joint: a, target: 0, range: 1, gain: 2}\n",
			[]string{`3: unknown key "gain"`}},
		{"zero takes no settings", "feedback:\n  shoulder_fb:\n    zero: {x: 1}\n", []string{`3: unknown key "x"`}},
		{"joint_error settings", "feedback:\n  shoulder_fb:\n    joint_error:\n      joint: a\n      range: -1\n      shape: sine\n",
			[]string{`3: needs a target`, `5: range must be a positive number`, `6: shape "sine" is not constant or ramp`}},
		{"joint_error needs range and joint", "feedback:\n  shoulder_fb:\n    joint_error: {target: 1}\n", []string{`3: feedback.shoulder_fb.joint_error: needs a joint`}},
		{"topic fit", "feedback:\n  shoulder_fb:\n    topic:\n      topic: /d\n      fit: stretch\n", []string{`5: fit "stretch" is not resample, hold or zeros`}},
		{"expression", "signals: {q: {joint: a}}\nfeedback:\n  shoulder_fb:\n    expression: \"q * t / T + gamma\"\n",
			[]string{`4: unknown name gamma`}},
		{"no kind", "feedback:\n  shoulder_fb: {}\n", []string{`2: needs one of zero, joint_error, topic, expression`}},
		{"null component", "feedback:\n  shoulder_fb:\n", []string{`2: needs one of zero`}},
		{"reward keys are not deviation keys", "global: {}\n", []string{`1: unknown key "global"`}},
	}
	c := demoContract(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseDeviation("deviation_policy.yaml", []byte(tc.yaml), c)
			assertProblems(t, problemLines(t, err, "deviation_policy.yaml"), tc.want)
		})
	}
}

func TestWithoutContractOnlySyntaxIsChecked(t *testing.T) {
	_, err := ParseReward("r.yaml", []byte("layers: {any: {components: [{constant: {value: 0.2}}]}}\n"), nil)
	assert.NoError(t, err)
	_, err = ParseDeviation("d.yaml", []byte("feedback: {any: {zero: {}}}\n"), nil)
	assert.NoError(t, err)
	_, err = ParseDeviation("d.yaml", []byte("feedback: {any: {zero: {}, topic: {topic: /x}}}\n"), nil)
	assert.ErrorContains(t, err, "d.yaml:1: feedback.any: has zero and topic")
}

func TestLoadMissingFile(t *testing.T) {
	_, err := LoadReward("testdata/nope.yaml", nil)
	assert.ErrorContains(t, err, "reward policy: open testdata/nope.yaml")
	_, err = LoadDeviation("testdata/nope.yaml", nil)
	assert.ErrorContains(t, err, "deviation policy: open testdata/nope.yaml")
}
