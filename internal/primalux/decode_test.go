package primalux

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func item(step int64, neurons ...[]string) Item {
	it := Item{Step: step}
	for i, n := range neurons {
		it.Outputs = append(it.Outputs, OutputStep{T: float64(i), Neurons: n})
	}
	return it
}

func TestParseMapping(t *testing.T) {
	got, err := ParseMapping([]byte(`[
		{"outputId":"m","channel":"joint:0"},
		{"output_id":"","nodeId":"g","controllerChannel":"dg","scheme":"addition","perStepMaxRad":0.5,"minStep":0.1,
		 "gain":2,"deadzone":0.01,"invert":1,"threshold":2.9,"limits":{"min":-1,"max":1},"n":6.5},
		{"node_id":"b","channel":"base:linear","per_step_max":null,"perStepMax":0.2,"clamp":[],"limits":[-0.1,0.1]}
	]`))
	require.NoError(t, err)
	three := 2
	assert.Equal(t, []MappingEntry{
		{OutputID: "m", Channel: "joint:0", Scheme: SchemeBipolarSplit, PerStepMax: 0.01, Gain: 1},
		{OutputID: "g", Channel: "dg", Scheme: SchemeAddition, PerStepMax: 0.5, Gain: 2, Deadzone: 0.01, MinStep: 0.1,
			Invert: true, Threshold: &three, Clamp: &[2]float64{-1, 1}, N: 6},
		{OutputID: "b", Channel: "base:linear", Scheme: SchemeBipolarSplit, PerStepMax: 0.2, Gain: 1, Clamp: &[2]float64{-0.1, 0.1}},
	}, got)

	for _, bad := range []struct{ in, err string }{
		{`{}`, "not a list of objects"},
		{`[1]`, "not a list of objects"},
		{`[{"channel":"x"}]`, "mapping[0]: needs an output id"},
		{`[{"outputId":"m"}]`, "needs an output id"},
		{`[{"outputId":5,"channel":"x"}]`, "outputId is 5, not text"},
		{`[{"outputId":"m","channel":"x","gain":"2"}]`, `gain is "2", not a number`},
		{`[{"outputId":"m","channel":"x","perStepMax":null}]`, "perStepMax is null, not a number"},
		{`[{"outputId":"m","channel":"x","clamp":[1]}]`, "clamp has 1 values"},
		{`[{"outputId":"m","channel":"x","clamp":{"min":1}}]`, "want numbers min and max"},
		{`[{"outputId":"m","channel":"x","clamp":"wide"}]`, "want [lo, hi] or {min, max}"},
	} {
		_, err := ParseMapping([]byte(bad.in))
		assert.ErrorContains(t, err, bad.err, bad.in)
	}
}

func TestSpikeDecoder(t *testing.T) {
	th := 3
	for _, tc := range []struct {
		name    string
		entries []MappingEntry
		item    Item
		want    map[string]float64
	}{
		{name: "bipolar split over the item's timesteps",
			entries: []MappingEntry{{OutputID: "m", Channel: "j0", Scheme: SchemeBipolarSplit, PerStepMax: 0.01, Gain: 1, N: 4}},
			item:    item(7, []string{"m:0", "m:2"}, []string{"m:1", " m:0 "}),
			want:    map[string]float64{"j0": 0.01}},
		{name: "width from the spikes when no n",
			entries: []MappingEntry{{OutputID: "m", Channel: "j0", Scheme: SchemeBipolarSplit, PerStepMax: 1, Gain: 1}},
			item:    item(1, []string{"m:5"}),
			want:    map[string]float64{"j0": -1}},
		{name: "a spike beyond n widens the population",
			entries: []MappingEntry{{OutputID: "m", Channel: "j0", Scheme: SchemeBipolarSplit, PerStepMax: 1, Gain: 1, N: 2}},
			item:    item(1, []string{"m:0", "m:2", "m:3"}),
			want:    map[string]float64{"j0": -1}},
		{name: "addition, gain and invert",
			entries: []MappingEntry{{OutputID: "g", Channel: "dg", Scheme: SchemeAddition, PerStepMax: 0.5, Gain: 2, Invert: true}},
			item:    item(1, []string{"g:0", "g:1", "g:1", "g:9"}),
			want:    map[string]float64{"dg": -3}},
		{name: "boolean threshold default is half",
			entries: []MappingEntry{{OutputID: "g", Channel: "grip", Scheme: SchemeBooleanThreshold, PerStepMax: 1, Gain: 1, N: 6}},
			item:    item(1, []string{"g:0", "g:4", "g:5"}),
			want:    map[string]float64{"grip": 1}},
		{name: "boolean threshold given",
			entries: []MappingEntry{{OutputID: "g", Channel: "grip", Scheme: SchemeBooleanThreshold, PerStepMax: 1, Gain: 1, N: 6, Threshold: &th}},
			item:    item(1, []string{"g:0", "g:4"}),
			want:    map[string]float64{}},
		{name: "bipolar scalar",
			entries: []MappingEntry{{OutputID: "m", Channel: "j", Scheme: SchemeBipolarScalar, PerStepMax: 0.25, Gain: 1, N: 4}},
			item:    item(1, []string{"m:2", "m:3", "m:0"}),
			want:    map[string]float64{"j": -0.25}},
		{name: "deadzone drops, min step raises, clamp bounds",
			entries: []MappingEntry{
				{OutputID: "a", Channel: "dz", Scheme: SchemeAddition, PerStepMax: 0.01, Gain: 1, Deadzone: 0.05},
				{OutputID: "a", Channel: "ms", Scheme: SchemeAddition, PerStepMax: 0.01, Gain: 1, MinStep: 0.05},
				{OutputID: "a", Channel: "cl", Scheme: SchemeAddition, PerStepMax: 1, Gain: 1, Clamp: &[2]float64{-0.5, 0.5}},
			},
			item: item(1, []string{"a:0", "a:1"}),
			want: map[string]float64{"ms": 0.05, "cl": 0.5}},
		{name: "a clamp above zero moves a silent population (as the SDK does)",
			entries: []MappingEntry{{OutputID: "a", Channel: "c", Scheme: SchemeAddition, PerStepMax: 1, Gain: 1, N: 3, Clamp: &[2]float64{0.1, 1}}},
			item:    item(1),
			want:    map[string]float64{"c": 0.1}},
		{name: "a population that neither spiked nor has n gives nothing",
			entries: []MappingEntry{{OutputID: "a", Channel: "c", Scheme: SchemeAddition, PerStepMax: 1, Gain: 1, Clamp: &[2]float64{0.1, 1}}},
			item:    item(1, []string{"b:0"}),
			want:    map[string]float64{}},
		{name: "channels shared by entries add up",
			entries: []MappingEntry{
				{OutputID: "a", Channel: "c", Scheme: SchemeAddition, PerStepMax: 1, Gain: 1},
				{OutputID: "b", Channel: "c", Scheme: SchemeAddition, PerStepMax: 1, Gain: -1},
			},
			item: item(1, []string{"a:0", "a:1", "b:0"}),
			want: map[string]float64{"c": 1}},
		{name: "Python's white space and decimal digits",
			entries: []MappingEntry{{OutputID: "a", Channel: "c", Scheme: SchemeBipolarSplit, PerStepMax: 1, Gain: 1, N: 4}},
			item:    item(1, []string{"\x1ca:\u0661\x1f", "\u00a0a:\U0001D7D8 "}), // Arabic-Indic 1, mathematical double-struck 0
			want:    map[string]float64{"c": 2}},
		{name: "unknown scheme is 0; bad ids skipped",
			entries: []MappingEntry{{OutputID: "a", Channel: "c", Scheme: "fancy", PerStepMax: 1, Gain: 1}},
			item:    item(1, []string{"a:0", "a", "a:x", "a:1:2", ":3", "a:-1", "a:99999999999999999999"}),
			want:    map[string]float64{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := NewSpikeDecoder(tc.entries).Decode(tc.item)
			assert.Equal(t, tc.item.Step, cmd.T)
			assert.Equal(t, tc.want, cmd.Deltas)
		})
	}
}

func TestActuationDecoder(t *testing.T) {
	entries, err := ParseActuationMapping([]byte(`{"left":{"motor":"wheel:left","gain":0.5},"right":{"motor":"wheel:right","gain":-1,"limit":[-2,2]},"boost":{"motor":"wheel:left","gain":1}}`))
	require.NoError(t, err)
	require.Len(t, entries, 3)
	assert.Equal(t, []string{"left", "right", "boost"}, []string{entries[0].Channel, entries[1].Channel, entries[2].Channel})
	d, err := NewActuationDecoder(entries)
	require.NoError(t, err)
	for _, tc := range []struct {
		name, act string
		want      map[string]float64
		err       string
	}{
		{name: "counts times gains, limited, summed per motor", act: `{"channels":{"left":4,"right":5,"boost":1,"other":9}}`,
			want: map[string]float64{"wheel:left": 3, "wheel:right": -2}},
		{name: "absent channels count 0", act: `{"channels":{}}`, want: map[string]float64{}},
		{name: "no actuation", act: ``, err: "no actuation.channels"},
		{name: "actuation without channels", act: `{"x":1}`, err: "no actuation.channels"},
		{name: "empty actuation", act: `{}`, err: "no actuation.channels"},
		{name: "actuation not an object", act: `[1]`, err: "actuation is not an object"},
		{name: "channels not an object", act: `{"channels":[1]}`, err: "actuation.channels is not an object"},
		{name: "count not a number", act: `{"channels":{"left":"4"}}`, err: `count for left is "4"`},
		{name: "count a boolean", act: `{"channels":{"right":true}}`, err: "count for right is true"},
		{name: "an unmapped bad count is ignored", act: `{"channels":{"other":"x"}}`, want: map[string]float64{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			it := Item{Step: 12}
			if tc.act != "" {
				it.Actuation = []byte(tc.act)
			}
			cmd, err := d.Decode(it)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				assert.Contains(t, err.Error(), "step 12")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, Command{T: 12, Deltas: tc.want}, cmd)
		})
	}
	for _, bad := range []struct {
		entries []ActuationEntry
		err     string
	}{
		{[]ActuationEntry{{Channel: "a", Gain: 1}}, "needs a channel and a motor"},
		{[]ActuationEntry{{Channel: "a", Motor: "m", Gain: inf(1)}}, "finite gain"},
		{[]ActuationEntry{{Channel: "a", Motor: "m", Gain: 1, Limit: &[2]float64{1, -1}}}, "limit must be [min, max]"},
	} {
		_, err := NewActuationDecoder(bad.entries)
		assert.ErrorContains(t, err, bad.err)
	}
	for _, bad := range []string{`[]`, `{"a":{"gain":1}}`, `{"a":{"motor":"m"}}`, `{"a":{"motor":"m","gain":1,"limit":[1]}}`} {
		_, err := ParseActuationMapping([]byte(bad))
		assert.Error(t, err, bad)
	}
}
