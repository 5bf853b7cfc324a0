package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The example configurations are documentation too: they must load, with
// the outputs they show.
func TestCommandExamplesLoad(t *testing.T) {
	cfg, err := Load("../../config/examples/arm_with_gripper.yaml")
	require.NoError(t, err)
	require.NotNil(t, cfg.Gripper)
	assert.Equal(t, "gripper", cfg.Gripper.Joint)
	assert.Equal(t, 0.0, *cfg.Gripper.Min)
	assert.Equal(t, 0.04, *cfg.Gripper.Max)
	assert.Nil(t, cfg.Base)
	assert.Equal(t, "gripper", cfg.Mapping[2].Channel)

	cfg, err = Load("../../config/examples/diff_drive.yaml")
	require.NoError(t, err)
	require.NotNil(t, cfg.Base)
	assert.Equal(t, Base{WheelRadius: 0.05, WheelSeparation: 0.3, MaxLinear: 0.02, MaxAngular: 0.5, FrameID: "base_link"}, *cfg.Base)
	assert.Nil(t, cfg.Gripper)
	assert.Equal(t, Reliable, cfg.TopicQoS("cmd_vel", RoleVelocity).Reliability)
	assert.Equal(t, Reliable, cfg.TopicQoS("gripper", RoleGripper).Reliability)
}

func TestBaseFrameDefault(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte("joints:\n  - name: a\nbase:\n  max_linear: 1\n  max_angular: 1\n"))
	require.NoError(t, err)
	assert.Equal(t, DefaultBaseFrame, cfg.Base.Frame())
}

// Each problem of the gripper and base sections, and each channel that
// needs a section it lacks, is reported at its file:line.
func TestInvalidCommandConfigs(t *testing.T) {
	head := "joints:\n  - name: a\n"
	grip := "gripper:\n  joint: g\n  min: 0\n  max: 0.04\n"
	base := "base:\n  wheel_radius: 0.05\n  wheel_separation: 0.3\n  max_linear: 1\n  max_angular: 1\n"
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"gripper channel without a section", head + "mapping:\n  - node_id: m\n    channel: gripper\n",
			[]string{`c.yaml:5: mapping channel "gripper": needs a gripper section`}},
		{"dg channel without a section", head + "mapping:\n  - node_id: m\n    channel: dg\n",
			[]string{`c.yaml:5: mapping channel "dg": needs a gripper section`}},
		{"wheel channel without a section", head + "mapping:\n  - node_id: m\n    channel: wheel:left\n",
			[]string{`c.yaml:5: mapping channel "wheel:left": needs a base section`}},
		{"base channel without a section", head + "mapping:\n  - node_id: m\n    channel: base:angular\n",
			[]string{`c.yaml:5: mapping channel "base:angular": needs a base section`}},
		{"wheel channel without the geometry", head + "base:\n  max_linear: 1\n  max_angular: 1\nmapping:\n  - node_id: m\n    channel: wheel:right\n",
			[]string{`c.yaml:8: mapping channel "wheel:right": needs base.wheel_radius and base.wheel_separation`}},
		{"unknown wheel and base channels", head + base + "mapping:\n  - node_id: m\n    channel: wheel:front\n  - node_id: n\n    channel: base:lateral\n",
			[]string{`c.yaml:10: mapping channel "wheel:front": is not wheel:left or wheel:right`,
				`c.yaml:12: mapping channel "base:lateral": is not base:linear or base:angular`}},
		{"gripper without joint and range", head + "gripper:\n  min: 0\n",
			[]string{`c.yaml:3: gripper.joint is required`, `c.yaml:3: gripper.min and gripper.max are required`}},
		{"gripper joint in the trajectory", head + "gripper:\n  joint: a\n  min: 0\n  max: 1\n",
			[]string{`c.yaml:4: gripper.joint "a" is one of joints`}},
		{"gripper range inverted", head + "gripper:\n  joint: g\n  min: 1\n  max: 0\n",
			[]string{`c.yaml:3: gripper.min 1 must be below gripper.max 0`}},
		{"base limits missing and bad", head + "base:\n  wheel_radius: -1\n  max_linear: .inf\n",
			[]string{`c.yaml:4: base.wheel_radius -1 must be positive`, `c.yaml:5: base.max_linear +Inf must be positive and finite`,
				`c.yaml:3: base.max_angular 0 must be positive and finite`}},
		{"unknown key", head + grip + "  force: 3\n", []string{`c.yaml:7: unknown key "force"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tc.yaml))
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}
