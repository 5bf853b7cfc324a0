package spikes

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/abbridge/ab_bridge/internal/yamlfile"
)

// kv is one key of an entry; value is JSON text, which is YAML too.
type kv struct{ key, value string }

// entryTexts writes the same entry as a YAML map and as a JSON object, each
// key i on line i+1 in both (JSON's "{" shares the first key's line).
func entryTexts(keys []kv) (yamlText, jsonText string) {
	var y, j strings.Builder
	j.WriteString("{")
	for i, k := range keys {
		fmt.Fprintf(&y, "%s: %s\n", k.key, k.value)
		if i > 0 {
			j.WriteString(",\n")
		}
		fmt.Fprintf(&j, "%q: %s", k.key, k.value)
	}
	j.WriteString("}")
	return y.String(), j.String()
}

// problems lists the messages of a decoding error, whichever decoder made it.
func problems(t *testing.T, err error) []string {
	t.Helper()
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return te.Errors
	}
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		var out []string
		for _, e := range joined.Unwrap() {
			out = append(out, e.Error())
		}
		return out
	}
	require.NotNil(t, err)
	return []string{err.Error()}
}

// readBoth reads an entry from YAML and from JSON and requires the two to
// agree: in value, in warnings and in problems.
func readBoth(t *testing.T, keys []kv) (p parsedEntry, warnings, probs []string) {
	t.Helper()
	y, j := entryTexts(keys)
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte(y), &doc), y)
	py, wy, ey := entryFromYAML(doc.Content[0])
	pj, wj, ej := entryFromJSON([]byte(j), 1)
	require.Equal(t, messages(ey), messages(ej), "YAML and JSON report alike:\n%s\n%s", y, j)
	require.Equal(t, messages(wy), messages(wj), "YAML and JSON warn alike:\n%s\n%s", y, j)
	if len(ey) == 0 {
		require.Equal(t, py.keep, pj.keep)
		require.Equal(t, entryText(py.entry), entryText(pj.entry))
	}
	return py, messages(wy), messages(ey)
}

// entryText spells an entry out, its clamp included, so that entries with
// NaN compare.
func entryText(e MappingEntry) string {
	clamp, thr := e.Clamp, e.Threshold
	e.Clamp, e.Threshold = nil, nil
	s := fmt.Sprintf("%+v", e)
	if e.Clamp = clamp; e.Clamp != nil {
		s += fmt.Sprintf(" clamp %+v", *e.Clamp)
	}
	if thr != nil {
		s += fmt.Sprintf(" threshold %d", *thr)
	}
	return s
}

func messages(errs []*MappingError) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

func TestMappingEntryReadAsTheSDKDoes(t *testing.T) {
	def := NewMappingEntry("V2", "joint:3")
	with := func(mod func(*MappingEntry)) MappingEntry {
		e := def
		mod(&e)
		return e
	}
	req := []kv{{"node_id", `"V2"`}, {"channel", `"joint:3"`}}
	keys := func(more ...kv) []kv { return append(append([]kv{}, req...), more...) }
	bt := kv{"scheme", `"booleanThreshold"`}
	tests := []struct {
		name string
		keys []kv
		want MappingEntry
	}{
		{"defaults", req, def},
		{"nodeId and controllerChannel", []kv{{"nodeId", `"V2"`}, {"controllerChannel", `"joint:3"`}}, def},
		{"scheme", keys(kv{"scheme", `"bipolarScalar"`}), with(func(e *MappingEntry) { e.Scheme = SchemeBipolarScalar })},
		{"scheme stripped", keys(kv{"scheme", `" addition\t"`}), with(func(e *MappingEntry) { e.Scheme = SchemeAddition })},
		{"scheme stripped of Python's blanks", keys(kv{"scheme", `"\u001faddition\u3000"`}), with(func(e *MappingEntry) { e.Scheme = SchemeAddition })},
		{"scheme empty is the default", keys(kv{"scheme", `""`}), def},
		{"scheme null is the default", keys(kv{"scheme", `null`}), def},
		{"scheme false is the default", keys(kv{"scheme", `false`}), def},
		{"per_step_max", keys(kv{"per_step_max", `0.003`}), with(func(e *MappingEntry) { e.PerStepMax = 0.003 })},
		{"perStepMax", keys(kv{"perStepMax", `0.004`}), with(func(e *MappingEntry) { e.PerStepMax = 0.004 })},
		{"perStepMaxRad", keys(kv{"perStepMaxRad", `-2`}), with(func(e *MappingEntry) { e.PerStepMax = -2 })},
		{"per_step_max null falls to perStepMaxRad", keys(kv{"per_step_max", `null`}, kv{"perStepMaxRad", `0.5`}), with(func(e *MappingEntry) { e.PerStepMax = 0.5 })},
		{"per_step_max null alone is the default", keys(kv{"per_step_max", `null`}), def},
		{"gain", keys(kv{"gain", `0.5`}), with(func(e *MappingEntry) { e.Gain = 0.5 })},
		{"gain integer", keys(kv{"gain", `3`}), with(func(e *MappingEntry) { e.Gain = 3 })},
		{"gain as a string", keys(kv{"gain", `" 2.5e-1 "`}), with(func(e *MappingEntry) { e.Gain = 0.25 })},
		{"gain with underscores", keys(kv{"gain", `"1_0.5"`}), with(func(e *MappingEntry) { e.Gain = 10.5 })},
		{"gain of Arabic-Indic digits", keys(kv{"gain", `"\u0663"`}), with(func(e *MappingEntry) { e.Gain = 3 })},
		{"gain true", keys(kv{"gain", `true`}), with(func(e *MappingEntry) { e.Gain = 1 })},
		{"gain a huge integer", keys(kv{"gain", `100000000000000000000000000000`}), with(func(e *MappingEntry) { e.Gain = 1e29 })},
		{"deadzone", keys(kv{"deadzone", `0.001`}), with(func(e *MappingEntry) { e.Deadzone = 0.001 })},
		{"deadzone negative", keys(kv{"deadzone", `-0.1`}), with(func(e *MappingEntry) { e.Deadzone = -0.1 })},
		{"deadzone infinite", keys(kv{"deadzone", `"Infinity"`}), with(func(e *MappingEntry) { e.Deadzone = math.Inf(1) })},
		{"min_step", keys(kv{"min_step", `0.002`}), with(func(e *MappingEntry) { e.MinStep = 0.002 })},
		{"minStep", keys(kv{"minStep", `0.003`}), with(func(e *MappingEntry) { e.MinStep = 0.003 })},
		{"minStepRad", keys(kv{"minStepRad", `0`}), def},
		{"min_step negative", keys(kv{"min_step", `-1`}), with(func(e *MappingEntry) { e.MinStep = -1 })},
		{"invert", keys(kv{"invert", `true`}), with(func(e *MappingEntry) { e.Invert = true })},
		{"invert null", keys(kv{"invert", `null`}), def},
		{"threshold", keys(bt, kv{"threshold", `3`}), with(func(e *MappingEntry) { e.Scheme, e.Threshold = SchemeBooleanThreshold, intp(3) })},
		{"threshold a float is truncated", keys(bt, kv{"threshold", `-2.9`}), with(func(e *MappingEntry) { e.Scheme, e.Threshold = SchemeBooleanThreshold, intp(-2) })},
		{"threshold a string", keys(bt, kv{"threshold", `" +3 "`}), with(func(e *MappingEntry) { e.Scheme, e.Threshold = SchemeBooleanThreshold, intp(3) })},
		{"threshold huge is saturated", keys(bt, kv{"threshold", `1e300`}), with(func(e *MappingEntry) { e.Scheme, e.Threshold = SchemeBooleanThreshold, intp(maxThreshold) })},
		{"threshold null", keys(bt, kv{"threshold", `null`}), with(func(e *MappingEntry) { e.Scheme = SchemeBooleanThreshold })},
		{"clamp as a list", keys(kv{"clamp", `[-0.5, 0.25]`}), with(func(e *MappingEntry) { e.Clamp = &Range{-0.5, 0.25} })},
		{"clamp as a map", keys(kv{"clamp", `{"min": -1, "max": 2}`}), with(func(e *MappingEntry) { e.Clamp = &Range{-1, 2} })},
		{"clamp of strings", keys(kv{"clamp", `["-1", "nan"]`}), with(func(e *MappingEntry) { e.Clamp = &Range{-1, math.NaN()} })},
		{"clamp upside down", keys(kv{"clamp", `[1, 0]`}), with(func(e *MappingEntry) { e.Clamp = &Range{1, 0} })},
		{"limits as a list", keys(kv{"limits", `[0, 0]`}), with(func(e *MappingEntry) { e.Clamp = &Range{0, 0} })},
		{"limits as a map", keys(kv{"limits", `{"max": 1.5, "min": 0.5}`}), with(func(e *MappingEntry) { e.Clamp = &Range{0.5, 1.5} })},
		{"clamp null", keys(kv{"clamp", `null`}), def},
		{"node_id a number", []kv{{"node_id", `5`}, {"channel", `"joint:3"`}}, with(func(e *MappingEntry) { e.NodeID = "5" })},
		{"node_id a float, as Python writes it", []kv{{"node_id", `1e16`}, {"channel", `2.0`}}, with(func(e *MappingEntry) { e.NodeID, e.Channel = "1e+16", "2.0" })},
		{"node_id true", []kv{{"node_id", `true`}, {"channel", `"joint:3"`}}, with(func(e *MappingEntry) { e.NodeID = "True" })},
		{"blanks in node_id are kept", []kv{{"node_id", `" V2"`}, {"channel", `"joint:3"`}}, with(func(e *MappingEntry) { e.NodeID = " V2" })},
		{"everything, camelCase", []kv{
			{"nodeId", `"P1"`}, {"controllerChannel", `"wheel:left"`}, {"scheme", `"booleanThreshold"`},
			{"perStepMaxRad", `0.02`}, {"gain", `-1.5`}, {"deadzone", `0.01`}, {"minStepRad", `0.005`},
			{"invert", `false`}, {"threshold", `7`}, {"limits", `{"min": -0.1, "max": 0.1}`},
		}, MappingEntry{
			NodeID: "P1", Channel: "wheel:left", Scheme: SchemeBooleanThreshold, PerStepMax: 0.02, Gain: -1.5,
			Deadzone: 0.01, MinStep: 0.005, Threshold: intp(7), Clamp: &Range{-0.1, 0.1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, warnings, probs := readBoth(t, tt.keys)
			require.Empty(t, probs)
			assert.Empty(t, warnings)
			require.True(t, p.keep)
			// NaN is not equal to itself: compare clamps as text.
			if tt.want.Clamp != nil {
				require.NotNil(t, p.entry.Clamp)
				assert.Equal(t, fmt.Sprint(*tt.want.Clamp), fmt.Sprint(*p.entry.Clamp))
			}
			tt.want.Clamp, p.entry.Clamp = nil, nil
			assert.Equal(t, tt.want, p.entry)
		})
	}
}

// What the SDK ignores loads, with one warning at its line.
func TestMappingEntryWarnings(t *testing.T) {
	req := []kv{{"node_id", `"A"`}, {"channel", `"c"`}}
	keys := func(more ...kv) []kv { return append(append([]kv{}, req...), more...) }
	tests := []struct {
		name string
		keys []kv
		want []string
		keep bool
	}{
		{"threshold on addition", keys(kv{"scheme", `"addition"`}, kv{"threshold", `3`}),
			[]string{"line 4: threshold is ignored: scheme addition does not use it (booleanThreshold only)"}, true},
		{"threshold on bipolarScalar", keys(kv{"scheme", `"bipolarScalar"`}, kv{"threshold", `"2"`}),
			[]string{"line 4: threshold is ignored: scheme bipolarScalar does not use it (booleanThreshold only)"}, true},
		{"threshold on the default scheme", keys(kv{"threshold", `2.5`}),
			[]string{"line 3: threshold is ignored: scheme bipolarSplit does not use it (booleanThreshold only)"}, true},
		{"unknown key", keys(kv{"gian", `1`}), []string{`line 3: unknown mapping key "gian" is ignored`}, true},
		{"alias shadowed", keys(kv{"perStepMaxRad", `2`}, kv{"per_step_max", `1`}),
			[]string{"line 3: perStepMaxRad is ignored: the SDK uses per_step_max (line 4)"}, true},
		{"perStepMax beats perStepMaxRad", keys(kv{"perStepMaxRad", `2`}, kv{"perStepMax", `1`}),
			[]string{"line 3: perStepMaxRad is ignored: the SDK uses perStepMax (line 4)"}, true},
		{"node_id beats nodeId", []kv{{"nodeId", `"B"`}, {"node_id", `"A"`}, {"channel", `"c"`}},
			[]string{"line 1: nodeId is ignored: the SDK uses node_id (line 2)"}, true},
		{"clamp beats limits", keys(kv{"limits", `[0, 1]`}, kv{"clamp", `[0, 2]`}),
			[]string{"line 3: limits is ignored: the SDK uses clamp (line 4)"}, true},
		{"empty node_id beside nodeId", []kv{{"node_id", `""`}, {"nodeId", `"A"`}, {"channel", `"c"`}},
			[]string{`line 1: node_id "" is ignored: the SDK uses nodeId (line 2)`}, true},
		{"clamp empty: limits is used", keys(kv{"clamp", `[]`}, kv{"limits", `[0, 1]`}),
			[]string{"line 3: clamp a list is ignored: the SDK uses limits (line 4)"}, true},
		{"clamp of three", keys(kv{"clamp", `[0, 1, 2]`}), []string{"line 3: clamp is ignored: the SDK uses [min, max], not a list of 3"}, true},
		{"clamp without max", keys(kv{"clamp", `{"min": 1}`}), []string{"line 3: clamp is ignored: the SDK needs both min and max"}, true},
		{"clamp a string", keys(kv{"limits", `"wide"`}), []string{`line 3: limits "wide" is ignored: the SDK uses [min, max] or {min: …, max: …}`}, true},
		{"clamp with an extra key", keys(kv{"clamp", `{"min": 0, "max": 1, "step": 2}`}), []string{`line 3: clamp key "step" is ignored`}, true},
		{"invert a string", keys(kv{"invert", `"false"`}), []string{`line 3: invert "false" is not true or false: the SDK takes it as true`}, true},
		{"invert a number", keys(kv{"invert", `0`}), []string{`line 3: invert 0 is not true or false: the SDK takes it as false`}, true},
		{"no node_id: dropped, nothing else read", []kv{{"channel", `"c"`}, {"gain", `"fast"`}, {"gian", `1`}},
			[]string{"line 1: mapping entry has no node_id: the SDK drops it"}, false},
		{"null channel: dropped", []kv{{"node_id", `"A"`}, {"channel", `null`}},
			[]string{"line 1: mapping entry has no channel: the SDK drops it"}, false},
		{"empty nodeId: dropped", []kv{{"nodeId", `""`}, {"channel", `"c"`}},
			[]string{"line 1: mapping entry has no node_id: the SDK drops it"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, warnings, probs := readBoth(t, tt.keys)
			require.Empty(t, probs)
			assert.Equal(t, tt.want, warnings)
			assert.Equal(t, tt.keep, p.keep)
		})
	}
}

// What the SDK cannot read (it raises) is refused, and so are the unknown
// scheme and the numbers that make non-finite deltas.
func TestMappingEntryProblems(t *testing.T) {
	req := []kv{{"node_id", `"A"`}, {"channel", `"c"`}}
	keys := func(more ...kv) []kv { return append(append([]kv{}, req...), more...) }
	tests := []struct {
		name string
		keys []kv
		want []string
	}{
		{"unknown scheme", keys(kv{"scheme", `"bipolarsplit"`}),
			[]string{`line 3: unknown scheme "bipolarsplit" (want bipolarSplit, addition, booleanThreshold or bipolarScalar): the SDK would decode it as 0`}},
		{"blank scheme is unknown", keys(kv{"scheme", `" "`}),
			[]string{`line 3: unknown scheme " " (want bipolarSplit, addition, booleanThreshold or bipolarScalar): the SDK would decode it as 0`}},
		{"scheme a number", keys(kv{"scheme", `2`}),
			[]string{`line 3: unknown scheme "2" (want bipolarSplit, addition, booleanThreshold or bipolarScalar): the SDK would decode it as 0`}},
		{"gain a word", keys(kv{"gain", `"fast"`}), []string{`line 3: gain: the string "fast" is not a number`}},
		{"gain null", keys(kv{"gain", `null`}), []string{"line 3: gain: must be a number, got null"}},
		{"perStepMax null", keys(kv{"perStepMax", `null`}), []string{"line 3: perStepMax: must be a number, got null"}},
		{"deadzone a list", keys(kv{"deadzone", `[1]`}), []string{"line 3: deadzone: must be a number, got a list"}},
		{"gain too large for a float", keys(kv{"gain", `1` + strings.Repeat("0", 400)}), []string{"line 3: gain: the integer 1" + strings.Repeat("0", 400) + " is too large for a float"}},
		{"threshold a fraction string, even on addition", keys(kv{"scheme", `"addition"`}, kv{"threshold", `"2.5"`}), []string{`line 4: threshold: the string "2.5" is not an integer`}},
		{"threshold NaN", keys(kv{"threshold", `"nan"`}), []string{`line 3: threshold: the string "nan" is not an integer`}},
		{"threshold a map", keys(kv{"threshold", `{}`}), []string{"line 3: threshold: must be an integer, got a map"}},
		{"clamp min a word", keys(kv{"clamp", `["low", 1]`}), []string{`line 3: clamp: min the string "low" is not a number`}},
		{"clamp max null", keys(kv{"limits", `{"min": 0, "max": null}`}), []string{"line 3: limits: max must be a number, got null"}},
		{"gain NaN", keys(kv{"gain", `"nan"`}), []string{"line 3: gain nan is not finite: the SDK would send non-finite deltas"}},
		{"per_step_max infinite", keys(kv{"minStep", `1`}, kv{"perStepMaxRad", `"-inf"`}), []string{"line 4: per_step_max -inf is not finite: the SDK would send non-finite deltas"}},
		{"min_step infinite", keys(kv{"minStepRad", `"inf"`}), []string{"line 3: min_step inf: the SDK would send infinite deltas"}},
		{"node_id a list", []kv{{"node_id", `["A"]`}, {"channel", `"c"`}}, []string{"line 1: node_id: must be a string or a number, got a list"}},
		{"every problem is reported", []kv{{"nodeId", `{"a": 1}`}, {"channel", `"c"`}, {"gain", `"x"`}, {"scheme", `"x"`}},
			[]string{
				"line 1: nodeId: must be a string or a number, got a map",
				`line 4: unknown scheme "x" (want bipolarSplit, addition, booleanThreshold or bipolarScalar): the SDK would decode it as 0`,
				`line 3: gain: the string "x" is not a number`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, probs := readBoth(t, tt.keys)
			assert.Equal(t, tt.want, probs)
		})
	}
}

func TestMappingEntryYAMLOnly(t *testing.T) {
	tests := []struct {
		name, src string
		want      MappingEntry
	}{
		{"NaN deadzone", "node_id: A\nchannel: c\ndeadzone: .nan\n", MappingEntry{Deadzone: math.NaN()}},
		{"hex and underscores", "node_id: 0x1_0\nchannel: c\ngain: 1_000\n", MappingEntry{NodeID: "16", Gain: 1000}},
		{"unquoted channel with a colon", "node_id: A\nchannel: joint:2\nclamp: {min: -1, max: 1}\n", MappingEntry{Channel: "joint:2", Clamp: &Range{-1, 1}}},
		{"merge key, own keys win", "d: &d {node_id: A, channel: c, gain: 2}\ne:\n  <<: *d\n  gain: 3\n", MappingEntry{Gain: 3}},
		{"last of a key given twice wins", "node_id: A\nchannel: c\ngain: 2\ngain: 4\n", MappingEntry{Gain: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc yaml.Node
			require.NoError(t, yaml.Unmarshal([]byte(tt.src), &doc))
			n := doc.Content[0]
			if n.Content[0].Value == "d" {
				n = n.Content[3]
			}
			p, _, probs := entryFromYAML(n)
			require.Empty(t, probs)
			require.True(t, p.keep)
			got := p.entry
			switch {
			case tt.want.NodeID != "":
				assert.Equal(t, tt.want.NodeID, got.NodeID)
				assert.Equal(t, tt.want.Gain, got.Gain)
			case tt.want.Channel != "":
				assert.Equal(t, tt.want.Channel, got.Channel)
				assert.Equal(t, tt.want.Clamp, got.Clamp)
			case tt.want.Gain != 0:
				assert.Equal(t, tt.want.Gain, got.Gain)
			default:
				assert.True(t, math.IsNaN(got.Deadzone))
			}
		})
	}
}

func TestMappingEntryUnmarshal(t *testing.T) {
	var e MappingEntry
	require.NoError(t, json.Unmarshal([]byte(`{"node_id": "A\/\u00e9", "channel": "c", "gain": 1, "gain": 2}`), &e))
	assert.Equal(t, "A/é", e.NodeID)
	assert.Equal(t, 2.0, e.Gain, "the last of a key given twice, as Python's json")
	require.NoError(t, yaml.Unmarshal([]byte("node_id: A\nchannel: c\nthreshold: 3\n"), &e), "a warning is not an error")

	assert.EqualError(t, json.Unmarshal([]byte(`{"channel": "c"}`), &e), "line 1: mapping entry has no node_id: the SDK drops it")
	assert.EqualError(t, json.Unmarshal([]byte(`[1]`), &e), "line 1: mapping entry is not a map with node_id and channel (got a list): the SDK skips it")
	assert.Equal(t, []string{"line 1: mapping entry is not a map with node_id and channel (got the value 5): the SDK skips it"},
		problems(t, yaml.Unmarshal([]byte("5\n"), &e)))
}

// TestMappingListInStrictConfig embeds a list the way the node's
// configuration does: problems come back with the document's lines, next
// to the configuration's own; warnings and lines stay with the list.
func TestMappingListInStrictConfig(t *testing.T) {
	type config struct {
		Name    string      `yaml:"name"`
		Mapping MappingList `yaml:"mapping"`
	}
	src := `name: arm
mapping:
  - node_id: A
    channel: joint:0
    threshold: 2
  - channel: gripper
  - node_id: B
    channel: joint:1
    deadzone: lots
colour: red
`
	dec := yaml.NewDecoder(strings.NewReader(src))
	dec.KnownFields(true)
	var c config
	assert.Equal(t, []string{
		`line 9: deadzone: the string "lots" is not a number`,
		"line 10: field colour not found in type spikes.config",
	}, problems(t, dec.Decode(&c)))

	var good config
	require.NoError(t, yaml.Unmarshal([]byte(strings.Replace(src, "lots", "0.5", 1)), &good))
	a, b := NewMappingEntry("A", "joint:0"), NewMappingEntry("B", "joint:1")
	b.Deadzone = 0.5
	assert.Equal(t, []MappingEntry{a, b}, good.Mapping.Entries)
	assert.Equal(t, []int{4, 8}, good.Mapping.ChannelLines)
	assert.Equal(t, []string{
		"line 5: threshold is ignored: scheme bipolarSplit does not use it (booleanThreshold only)",
		"line 6: mapping entry has no node_id: the SDK drops it",
	}, messages(good.Mapping.Warnings))
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

func TestLoadMapping(t *testing.T) {
	a := NewMappingEntry("A", "joint:0")
	b := NewMappingEntry("B", "gripper")
	b.Scheme, b.Clamp = SchemeAddition, &Range{0, 1}
	tests := []struct {
		name, file, content string
		want                []MappingEntry
		warnings            []string // after the path
	}{
		{"YAML list", "m.yaml", "- node_id: A\n  channel: joint:0\n- nodeId: B\n  channel: gripper\n  scheme: addition\n  limits: [0, 1]\n", []MappingEntry{a, b}, nil},
		{"YAML under mapping, .yml", "m.yml", "mapping:\n  - {node_id: A, channel: 'joint:0'}\n  - {node_id: B, channel: gripper, scheme: addition, clamp: {min: 0, max: 1}}\n", []MappingEntry{a, b}, nil},
		{"JSON list", "m.json", `[{"node_id": "A", "channel": "joint:0"}, {"nodeId": "B", "controllerChannel": "gripper", "scheme": "addition", "clamp": [0, 1]}]`, []MappingEntry{a, b}, nil},
		{"JSON under mapping, tabs, upper-case extension", "M.JSON", "{\"mapping\": [\n\t{\"node_id\": \"A\", \"channel\": \"joint:0\"}\n]}\n", []MappingEntry{a}, nil},
		{"empty list", "m.json", "[]", nil, nil},
		{"YAML: dropped and ignored, with lines", "m.yaml", "- channel: c\n- node_id: A\n  channel: joint:0\n  gian: 2\n- 7\n", []MappingEntry{a},
			[]string{":1: mapping entry has no node_id: the SDK drops it", `:4: unknown mapping key "gian" is ignored`,
				":5: mapping entry is not a map with node_id and channel (got the value 7): the SDK skips it"}},
		{"JSON: dropped and ignored, with lines", "m.json", "[\n  {\"channel\": \"c\"},\n  {\"node_id\": \"A\",\n   \"channel\": \"joint:0\",\n   \"threshold\": 2},\n  7\n]", []MappingEntry{a},
			[]string{":2: mapping entry has no node_id: the SDK drops it",
				":5: threshold is ignored: scheme bipolarSplit does not use it (booleanThreshold only)",
				":6: mapping entry is not a map with node_id and channel (got a number): the SDK skips it"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.file, tt.content)
			got, warnings, err := LoadMapping(path)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			var ws []string
			for _, w := range warnings {
				ws = append(ws, strings.TrimPrefix(w.Error(), path))
			}
			assert.Equal(t, tt.warnings, ws)
		})
	}
}

func TestLoadMappingProblems(t *testing.T) {
	tests := []struct {
		name, file, content string
		want                []string // after the path
	}{
		{"unknown scheme in YAML", "m.yaml", "- node_id: A\n  channel: c\n- node_id: B\n  channel: d\n  scheme: nope\n",
			[]string{`:5: unknown scheme "nope" (want bipolarSplit, addition, booleanThreshold or bipolarScalar): the SDK would decode it as 0`}},
		{"unknown scheme in JSON", "m.json", "[\n  {\"node_id\": \"A\", \"channel\": \"c\"},\n  {\"node_id\": \"B\",\n   \"channel\": \"d\",\n   \"scheme\": \"nope\"}\n]",
			[]string{`:5: unknown scheme "nope" (want bipolarSplit, addition, booleanThreshold or bipolarScalar): the SDK would decode it as 0`}},
		{"problems of several entries", "m.yaml", "- node_id: A\n  channel: c\n  gain: x\n- node_id: B\n  channel: d\n  scheme: nope\n",
			[]string{`:3: gain: the string "x" is not a number`, `:6: unknown scheme "nope" (want bipolarSplit, addition, booleanThreshold or bipolarScalar): the SDK would decode it as 0`}},
		{"JSON syntax", "m.json", "[\n  {\"node_id\": \"A\",\n   \"channel\": }\n]",
			[]string{":3: invalid JSON: invalid character '}' looking for beginning of value"}},
		{"JSON trailing data", "m.json", "[]\n[]", []string{":2: unexpected data after the mapping"}},
		{"JSON not a list", "m.json", `{"node_id": "A"}`, []string{`:1: a mapping file is a list of entries, or an object with the one key "mapping"`}},
		{"JSON mapping beside other keys", "m.json", `{"mapping": [], "brain": {}}`, []string{`:1: a mapping file is a list of entries, or an object with the one key "mapping"`}},
		{"JSON scalar", "m.json", `5`, []string{":1: the mapping must be a list of entries, got a number"}},
		{"JSON empty", "m.json", ``, []string{": the mapping file is empty"}},
		{"YAML empty", "m.yaml", "# nothing\n", []string{": the mapping file is empty"}},
		{"YAML syntax", "m.yaml", "- node_id: [A\n", []string{": invalid YAML: yaml: line 1: did not find expected ',' or ']'"}},
		{"YAML scalar", "m.yaml", "hello\n", []string{":1: the mapping must be a list of entries, got the value hello"}},
		{"YAML map of something else", "m.yaml", "brain: {}\nmapping: []\n", []string{`:1: a mapping file is a list of entries, or a map with the one key "mapping"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.file, tt.content)
			got, warnings, err := LoadMapping(path)
			assert.Nil(t, got)
			assert.Nil(t, warnings)
			require.Error(t, err)
			var ye *yamlfile.Error
			assert.True(t, errors.As(err, &ye), "a *yamlfile.Error is in the chain")
			var msgs []string
			for _, line := range strings.Split(err.Error(), "\n") {
				require.True(t, strings.HasPrefix(line, path), line)
				msgs = append(msgs, strings.TrimPrefix(line, path))
			}
			assert.Equal(t, tt.want, msgs)
		})
	}
}

func TestLoadMappingFileErrors(t *testing.T) {
	_, _, err := LoadMapping(filepath.Join(t.TempDir(), "absent.yaml"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.ErrorContains(t, err, "read mapping: ")

	p := writeFile(t, "m.toml", "[]")
	_, _, err = LoadMapping(p)
	assert.EqualError(t, err, "mapping "+p+": unknown file type (want .json, .yaml or .yml)")
}
