package policy

import (
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/contract"
)

func TestTemplatesLoadAgainstTheirContract(t *testing.T) {
	weird, err := contract.Parse([]byte(`{"io":{
		"feedback":[{"id":"fb one"},{"id":"true"},{"id":"ä:\"x\""}],
		"stdp3":{"layers":["L 1","null","#x","- y"]}}}`))
	require.NoError(t, err)
	empty, err := contract.Parse([]byte(`{}`))
	require.NoError(t, err)
	tests := []struct {
		name string
		c    *contract.Contract
	}{
		{"demo", demoContract(t)},
		{"two layers", twoLayers(t)},
		{"no layers, no feedback", empty},
		{"ids that need quoting", weird},
		{"no contract", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt, dt := RewardTemplate(tc.c), DeviationTemplate(tc.c)
			rp, err := ParseReward(RewardFileName, rt, tc.c)
			require.NoError(t, err, "%s", rt)
			dp, err := ParseDeviation(DeviationFileName, dt, tc.c)
			require.NoError(t, err, "%s", dt)
			assert.Empty(t, rp.Topics())
			assert.Empty(t, dp.Topics())

			r := rp.Compute(at(0, nil))
			assert.Equal(t, 0.5, r.Global)
			var layers []string
			var ids []string
			if tc.c != nil {
				layers = tc.c.IO.STDP3
				for _, fb := range tc.c.IO.Feedback {
					ids = append(ids, fb.ID)
				}
			}
			require.Len(t, r.ByLayer, len(layers))
			for _, l := range layers {
				assert.Equal(t, 0.5, r.ByLayer[l], "layer %q", l)
				assert.Contains(t, string(rt), l, "the template names layer %q", l)
			}
			d := dp.Compute(at(0, nil), 16)
			require.Len(t, d, len(ids))
			for _, id := range ids {
				assert.Equal(t, make([]float64, 16), d[id], "feedback %q", id)
			}
			assert.Equal(t, ids, dp.FeedbackIDs())
		})
	}
}

func TestTemplateFeedbackIDsAreConfiguredExplicitly(t *testing.T) {
	dp, err := ParseDeviation(DeviationFileName, DeviationTemplate(demoContract(t)), nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"shoulder_fb"}, dp.FeedbackIDs(), "the template lists each id, so it works without a contract too")
}

// Every key of the schema is documented in the templates.
func TestTemplatesDocumentEveryKey(t *testing.T) {
	rt, dt := string(RewardTemplate(nil)), string(DeviationTemplate(nil))
	for _, tc := range []struct {
		text string
		v    any
	}{
		{rt, rewardFile{}}, {rt, streamConf{}}, {rt, rewardCompConf{}}, {rt, constantConf{}},
		{rt, scalarTopicConf{}}, {rt, jointTargetConf{}}, {rt, modulationConf{}}, {rt, signalConf{}},
		{dt, deviationFile{}}, {dt, deviationCompConf{}}, {dt, jointErrorConf{}}, {dt, arrayTopicConf{}}, {dt, signalConf{}},
	} {
		typ := reflect.TypeOf(tc.v)
		for i := range typ.NumField() {
			key := strings.Split(typ.Field(i).Tag.Get("yaml"), ",")[0]
			assert.Regexp(t, `(^|[\s{,])`+key+`:`, tc.text, "%s.%s (%s) is documented", typ.Name(), typ.Field(i).Name, key)
		}
	}
}

func TestShippedDemoPolicies(t *testing.T) {
	c := demoContract(t)
	rp, err := LoadReward("../../config/policies/"+RewardFileName, c)
	require.NoError(t, err)
	dp, err := LoadDeviation("../../config/policies/"+DeviationFileName, c)
	require.NoError(t, err)
	assert.Empty(t, rp.Topics())
	assert.Empty(t, dp.Topics())

	// The arm approaches the demo posture (shoulder 0.6, elbow -0.4).
	steps := []struct {
		shoulder, elbow, want float64
	}{
		{0, 0, 0.4},
		{0.2, -0.1, 0.6},
		{0.2, -0.1, 0.4},
		{0.58, -0.39, 1},
	}
	for k, s := range steps {
		r := rp.Compute(at(int64(k), map[string]float64{"shoulder": s.shoulder, "elbow": s.elbow}))
		assert.Equal(t, Reward{Global: s.want, ByLayer: map[string]float64{"motor": s.want}}, r, "step %d", k)
	}

	d := dp.Compute(at(0, map[string]float64{"shoulder": 0.1, "elbow": 0}), c.Constants.Gamma)
	assert.InDeltaSlice(t, repeat(-0.5, 64), d["shoulder_fb"], 1e-12)
	d = dp.Compute(at(1, map[string]float64{"shoulder": 2.5, "elbow": 0}), c.Constants.Gamma)
	assert.Equal(t, repeat(1, 64), d["shoulder_fb"])
	assert.Equal(t, uint64(64), dp.Stats().Clamped)
}
