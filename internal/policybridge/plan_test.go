package policybridge

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/roboactions"
)

func TestCheckFitsTheLayoutToTheFeatures(t *testing.T) {
	in := roboactions.Features{"observation.state": {Type: "STATE", Shape: []int{3}},
		"observation.images.top": {Type: "VISUAL", Shape: []int{3, 96, 128}}}
	out := roboactions.Features{"action": {Type: "ACTION", Shape: []int{3}}}
	good := Layout{StateKey: "observation.state", StateJoints: []string{"a", "b", "g"},
		Images: map[string]string{"observation.images.top": "CAM"}, ActionKey: "action", ActionDims: []string{"a", "b", "g"}}
	p, err := Check(good, in, out)
	require.NoError(t, err)
	assert.Equal(t, []ImagePlan{{Key: "observation.images.top", Input: "CAM", C: 3, H: 96, W: 128}}, p.Images)

	for _, tc := range []struct {
		name   string
		change func(l *Layout, in, out roboactions.Features)
		want   string
	}{
		{"state size", func(l *Layout, _, _ roboactions.Features) { l.StateJoints = l.StateJoints[:2] },
			`input feature "observation.state" has shape [3]; observation.state_joints gives 2 values (a, b)`},
		{"state key", func(l *Layout, _, _ roboactions.Features) { l.StateKey = "observation.joints" },
			`observation.state_key "observation.joints": the policy has no such input feature (it has observation.images.top, observation.state)`},
		{"an input nothing provides", func(l *Layout, _, _ roboactions.Features) { l.Images = nil },
			`input feature "observation.images.top" (VISUAL, shape [3 96 128]): nothing in roboactions.observation provides it`},
		{"image shape", func(_ *Layout, in, _ roboactions.Features) {
			in["observation.images.top"] = roboactions.Feature{Shape: []int{96, 128, 3}}
		}, `input feature "observation.images.top" has shape [96 128 3]; an image is sent as (3, H, W) or (1, H, W)`},
		{"unusable shape", func(_ *Layout, in, _ roboactions.Features) {
			in["observation.state"] = roboactions.Feature{Problem: "no shape"}
		}, `input feature "observation.state": no shape`},
		{"action size", func(l *Layout, _, _ roboactions.Features) { l.ActionDims = []string{"a"} },
			`output feature "action" has shape [3] (3 values per action); action.dims names 1`},
		{"action key", func(l *Layout, _, _ roboactions.Features) { l.ActionKey = "act" },
			`action.key "act": the policy has no such output feature (it has action)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := good
			l.StateJoints = append([]string(nil), good.StateJoints...)
			inC, outC := roboactions.Features{}, roboactions.Features{}
			for k, v := range in {
				inC[k] = v
			}
			for k, v := range out {
				outC[k] = v
			}
			tc.change(&l, inC, outC)
			_, err := Check(l, inC, outC)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
