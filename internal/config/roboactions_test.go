package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// policyBase puts roboactions: at line 11.
const policyBase = `joints:
  - name: shoulder
  - name: elbow
gripper: {joint: finger, min: 0, max: 0.04}
inputs:
  - id: CAM
    kind: Image
    topic: camera/image_raw
brain:
  kind: roboactions
roboactions:
  policy_id: pol-1
  task: pick the cube
`

func TestRoboActionsSection(t *testing.T) {
	cfg, err := Parse("k.yaml", []byte(policyBase+`  fps: 15
  observation:
    images: {observation.images.top: CAM}
  action:
    dims: [shoulder, elbow, finger]
`))
	require.NoError(t, err)
	assert.True(t, cfg.IsRoboActions())
	r := cfg.RoboActions
	assert.Equal(t, "pol-1", r.PolicyID)
	assert.Equal(t, 15.0, r.FPS)
	assert.Equal(t, "observation.state", r.Observation.StateKey)
	assert.Equal(t, []string{"shoulder", "elbow", "finger"}, cfg.StateJointNames(), "every joint, the gripper last")
	assert.Equal(t, ActionAbsolute, r.Action.Mode)
	assert.Equal(t, "action", r.Action.Key)
	assert.Equal(t, "predict_action_chunk", r.Endpoint)
	assert.Equal(t, 5*time.Second, r.Timeout)
	assert.Equal(t, "ROBOACTIONS_API_KEY", r.KeySource().Env)
}

func TestInvalidRoboActions(t *testing.T) {
	dims := "  action:\n    dims: [shoulder]\n"
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"no policy", "joints:\n  - name: a\nbrain:\n  kind: roboactions\nroboactions:\n  task: x\n  action: {dims: [a]}\n",
			[]string{"k.yaml:5: roboactions.policy_id is required"}},
		{"no task", "joints:\n  - name: a\nbrain:\n  kind: roboactions\nroboactions:\n  policy_id: p\n  action: {dims: [a]}\n",
			[]string{"roboactions.task is empty and no task_topic is set"}},
		{"fps", policyBase + "  fps: 0\n" + dims, []string{"k.yaml:14: roboactions.fps 0 is not within (0, 1000]"}},
		{"threshold", policyBase + "  chunk_threshold: 1.5\n" + dims, []string{"k.yaml:14: roboactions.chunk_threshold 1.5"}},
		{"blend", policyBase + "  blend_old: -1\n" + dims, []string{"k.yaml:14: roboactions.blend_old -1"}},
		{"request rate", policyBase + "  request_rate_hz: -2\n" + dims, []string{"k.yaml:14: roboactions.request_rate_hz -2 is not within [0, 1000]"}},
		{"endpoint", policyBase + "  endpoint: act\n" + dims, []string{`k.yaml:14: roboactions.endpoint "act" is not predict_action_chunk or select_action`}},
		{"base url", policyBase + "  base_url: api.example\n" + dims, []string{`k.yaml:14: roboactions.base_url "api.example" is not an http(s) URL`}},
		{"unknown joint in dims", policyBase + "  action:\n    dims: [shoulder, wrist]\n", []string{`k.yaml:15: roboactions.action.dims[1] "wrist" is not a configured joint`}},
		{"joint twice", policyBase + "  action:\n    dims: [shoulder, shoulder]\n", []string{`roboactions.action.dims[1] "shoulder" is driven twice`}},
		{"no dims", policyBase, []string{"roboactions.action.dims is empty"}},
		{"mode", policyBase + "  action:\n    dims: [shoulder]\n    mode: velocity\n", []string{`k.yaml:16: roboactions.action.mode "velocity" is not absolute or delta`}},
		{"image of no camera", policyBase + "  observation:\n    images: {observation.images.top: MIC}\n" + dims,
			[]string{`k.yaml:15: roboactions.observation.images "observation.images.top": "MIC" is not an Image input`}},
		{"image key", policyBase + "  observation:\n    images: {top: CAM}\n" + dims, []string{`"top" is not an observation feature`}},
		{"state joint", policyBase + "  observation:\n    state_joints: [elbow, knee]\n" + dims,
			[]string{`k.yaml:15: roboactions.observation.state_joints[1] "knee" is not a configured joint`}},
		{"audio input", "joints:\n  - name: a\ninputs:\n  - id: MIC\n    kind: Audio\nbrain:\n  kind: roboactions\nroboactions:\n  policy_id: p\n  task: t\n  action: {dims: [a]}\n",
			[]string{`k.yaml:5: input "MIC": Audio inputs are not sent to a RoboActions policy`}},
		{"unknown key", policyBase + "  polcy: x\n" + dims, []string{"k.yaml:14", "polcy"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("k.yaml", []byte(tc.yaml))
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestRoboActionsSectionIgnoredByOtherBackends(t *testing.T) {
	_, err := Parse("k.yaml", []byte("joints:\n  - name: a\nroboactions:\n  fps: 0\n"))
	require.NoError(t, err)
}
