package roboactions

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseFeatures(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       Features
		err        string
	}{
		{"flat", `{"observation.state":{"type":"STATE","shape":[7]},"observation.images.front":{"type":"VISUAL","shape":[3,96,96]}}`,
			Features{"observation.state": {Type: "STATE", Shape: []int{7}}, "observation.images.front": {Type: "VISUAL", Shape: []int{3, 96, 96}}}, ""},
		{"wrapped", `{"input_features":{"observation.state":{"type":"FeatureType.STATE","shape":[2]}}}`,
			Features{"observation.state": {Type: "STATE", Shape: []int{2}}}, ""},
		{"non-objects skipped", `{"note":"x","observation.state":{"shape":[2]}}`, Features{"observation.state": {Shape: []int{2}}}, ""},
		{"bad shape kept with its problem", `{"observation.state":{"shape":["7"]}}`,
			Features{"observation.state": {Problem: `shape ["7"] is not a list of integers`}}, ""},
		{"zero dimension", `{"action":{"shape":[0]}}`, Features{"action": {Problem: "shape [0] is not a list of positive integers"}}, ""},
		{"no shape", `{"action":{"type":"ACTION"}}`, Features{"action": {Type: "ACTION", Problem: "no shape"}}, ""},
		{"empty", `{}`, nil, "no features"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var raw map[string]json.RawMessage
			require.NoError(t, json.Unmarshal([]byte(tc.body), &raw))
			got, err := ParseFeatures(raw, "input_features")
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}
