package spikes

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
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

// decodeBoth decodes an entry from YAML and from JSON and requires the two
// to agree, in value or in problems.
func decodeBoth(t *testing.T, keys []kv) (MappingEntry, []string) {
	t.Helper()
	y, j := entryTexts(keys)
	var fromYAML, fromJSON MappingEntry
	errY := yaml.Unmarshal([]byte(y), &fromYAML)
	errJ := json.Unmarshal([]byte(j), &fromJSON)
	if errY == nil || errJ == nil {
		require.NoError(t, errY, "YAML:\n%s", y)
		require.NoError(t, errJ, "JSON:\n%s", j)
		require.Equal(t, fromYAML, fromJSON)
		return fromYAML, nil
	}
	py, pj := problems(t, errY), problems(t, errJ)
	require.Equal(t, py, pj, "YAML and JSON report alike")
	return MappingEntry{}, py
}

func TestMappingEntryKeysAndAliases(t *testing.T) {
	def := NewMappingEntry("V2", "joint:3")
	with := func(mod func(*MappingEntry)) MappingEntry {
		e := def
		mod(&e)
		return e
	}
	req := []kv{{"node_id", `"V2"`}, {"channel", `"joint:3"`}}
	tests := []struct {
		name string
		keys []kv
		want MappingEntry
	}{
		{"defaults", req, def},
		{"nodeId and controllerChannel", []kv{{"nodeId", `"V2"`}, {"controllerChannel", `"joint:3"`}}, def},
		{"scheme", append(req, kv{"scheme", `"bipolarScalar"`}), with(func(e *MappingEntry) { e.Scheme = SchemeBipolarScalar })},
		{"scheme trimmed", append(req, kv{"scheme", `" addition "`}), with(func(e *MappingEntry) { e.Scheme = SchemeAddition })},
		{"scheme empty is the default", append(req, kv{"scheme", `""`}), def},
		{"scheme null is the default", append(req, kv{"scheme", `null`}), def},
		{"per_step_max", append(req, kv{"per_step_max", `0.003`}), with(func(e *MappingEntry) { e.PerStepMax = 0.003 })},
		{"perStepMax", append(req, kv{"perStepMax", `0.004`}), with(func(e *MappingEntry) { e.PerStepMax = 0.004 })},
		{"perStepMaxRad", append(req, kv{"perStepMaxRad", `-2`}), with(func(e *MappingEntry) { e.PerStepMax = -2 })},
		{"gain", append(req, kv{"gain", `0.5`}), with(func(e *MappingEntry) { e.Gain = 0.5 })},
		{"gain integer", append(req, kv{"gain", `3`}), with(func(e *MappingEntry) { e.Gain = 3 })},
		{"deadzone", append(req, kv{"deadzone", `0.001`}), with(func(e *MappingEntry) { e.Deadzone = 0.001 })},
		{"min_step", append(req, kv{"min_step", `0.002`}), with(func(e *MappingEntry) { e.MinStep = 0.002 })},
		{"minStep", append(req, kv{"minStep", `0.003`}), with(func(e *MappingEntry) { e.MinStep = 0.003 })},
		{"minStepRad", append(req, kv{"minStepRad", `0`}), def},
		{"invert", append(req, kv{"invert", `true`}), with(func(e *MappingEntry) { e.Invert = true })},
		{"threshold", append(req, kv{"scheme", `"booleanThreshold"`}, kv{"threshold", `3`}), with(func(e *MappingEntry) {
			e.Scheme, e.Threshold = SchemeBooleanThreshold, intp(3)
		})},
		{"threshold written as a float", append(req, kv{"scheme", `"booleanThreshold"`}, kv{"threshold", `3.0`}), with(func(e *MappingEntry) {
			e.Scheme, e.Threshold = SchemeBooleanThreshold, intp(3)
		})},
		{"threshold negative (clipped when decoding)", append(req, kv{"scheme", `"booleanThreshold"`}, kv{"threshold", `-1`}), with(func(e *MappingEntry) {
			e.Scheme, e.Threshold = SchemeBooleanThreshold, intp(-1)
		})},
		{"threshold null", append(req, kv{"threshold", `null`}), def},
		{"clamp as a list", append(req, kv{"clamp", `[-0.5, 0.25]`}), with(func(e *MappingEntry) { e.Clamp = &Range{-0.5, 0.25} })},
		{"clamp as a map", append(req, kv{"clamp", `{"min": -1, "max": 2}`}), with(func(e *MappingEntry) { e.Clamp = &Range{-1, 2} })},
		{"limits as a list", append(req, kv{"limits", `[0, 0]`}), with(func(e *MappingEntry) { e.Clamp = &Range{0, 0} })},
		{"limits as a map", append(req, kv{"limits", `{"max": 1.5, "min": 0.5}`}), with(func(e *MappingEntry) { e.Clamp = &Range{0.5, 1.5} })},
		{"clamp null", append(req, kv{"clamp", `null`}), def},
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
			got, probs := decodeBoth(t, tt.keys)
			require.Empty(t, probs)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestMappingEntryProblems(t *testing.T) {
	tests := []struct {
		name string
		keys []kv
		want []string
	}{
		{"unknown key", []kv{{"node_id", `"A"`}, {"channel", `"c"`}, {"gian", `1`}},
			[]string{`line 3: unknown mapping key "gian"`}},
		{"node_id not a string", []kv{{"node_id", `5`}, {"channel", `"c"`}},
			[]string{"line 1: node_id: must be a string, got a number"}},
		{"channel not a string", []kv{{"node_id", `"A"`}, {"controllerChannel", `["joint:0"]`}},
			[]string{"line 2: controllerChannel: must be a string, got a list"}},
		{"gain as a string", []kv{{"node_id", `"A"`}, {"channel", `"c"`}, {"gain", `"2"`}},
			[]string{"line 3: gain: must be a number, got a string"}},
		{"gain null", []kv{{"node_id", `"A"`}, {"channel", `"c"`}, {"gain", `null`}},
			[]string{"line 3: gain: must be a number, got null"}},
		{"per_step_max a boolean", []kv{{"node_id", `"A"`}, {"channel", `"c"`}, {"perStepMax", `true`}},
			[]string{"line 3: perStepMax: must be a number, got a boolean"}},
		{"invert as a string", []kv{{"node_id", `"A"`}, {"channel", `"c"`}, {"invert", `"false"`}},
			[]string{"line 3: invert: must be true or false, got a string"}},
		{"invert as a number", []kv{{"node_id", `"A"`}, {"channel", `"c"`}, {"invert", `1`}},
			[]string{"line 3: invert: must be true or false, got a number"}},
		{"field given under two aliases", []kv{{"node_id", `"A"`}, {"channel", `"c"`}, {"per_step_max", `1`}, {"perStepMaxRad", `2`}},
			[]string{"line 4: per_step_max given twice: as per_step_max (line 3) and as perStepMaxRad"}},
		{"node_id under both names", []kv{{"nodeId", `"A"`}, {"node_id", `"B"`}, {"channel", `"c"`}},
			[]string{"line 2: node_id given twice: as nodeId (line 1) and as node_id"}},
		{"clamp and limits", []kv{{"node_id", `"A"`}, {"channel", `"c"`}, {"limits", `[0, 1]`}, {"clamp", `[0, 1]`}},
			[]string{"line 4: clamp given twice: as limits (line 3) and as clamp"}},
		{"no node_id", []kv{{"channel", `"c"`}},
			[]string{"line 1: mapping entry has no node_id"}},
		{"no channel", []kv{{"nodeId", `"A"`}, {"gain", `2`}},
			[]string{"line 1: mapping entry has no channel"}},
		{"empty node_id", []kv{{"node_id", `""`}, {"channel", `"c"`}},
			[]string{"line 1: node_id is empty"}},
		{"node_id null", []kv{{"node_id", `null`}, {"channel", `"c"`}},
			[]string{"line 1: node_id: must be a string, got null"}},
		{"unknown scheme", []kv{{"node_id", `"A"`}, {"channel", `"c"`}, {"scheme", `"bipolarsplit"`}},
			[]string{`line 3: unknown scheme "bipolarsplit" (want bipolarSplit, addition, booleanThreshold or bipolarScalar)`}},
		{"scheme not a string", []kv{{"node_id", `"A"`}, {"channel", `"c"`}, {"scheme", `2`}},
			[]string{"line 3: scheme: must be a string, got a number"}},
		{"threshold on another scheme", []kv{{"node_id", `"A"`}, {"channel", `"c"`}, {"scheme", `"addition"`}, {"threshold", `3`}},
			[]string{"line 4: threshold applies to scheme booleanThreshold only, not addition"}},
		{"threshold on the default scheme", []kv{{"node_id", `"A"`}, {"channel", `"c"`}, {"threshold", `3`}},
			[]string{"line 3: threshold applies to scheme booleanThreshold only, not bipolarSplit"}},
		{"threshold fractional", []kv{{"node_id", `"A"`}, {"channel", `"c"`}, {"scheme", `"booleanThreshold"`}, {"threshold", `2.5`}},
			[]string{"line 4: threshold: must be an integer, got 2.5"}},
		{"threshold a string", []kv{{"node_id", `"A"`}, {"channel", `"c"`}, {"scheme", `"booleanThreshold"`}, {"threshold", `"3"`}},
			[]string{"line 4: threshold: must be an integer, got a string"}},
		{"threshold huge", []kv{{"node_id", `"A"`}, {"channel", `"c"`}, {"scheme", `"booleanThreshold"`}, {"threshold", `1e12`}},
			[]string{"line 4: threshold: must be an integer, got 1e+12"}},
		{"negative deadzone", []kv{{"node_id", `"A"`}, {"channel", `"c"`}, {"deadzone", `-0.1`}},
			[]string{"line 3: deadzone: must not be negative, got -0.1"}},
		{"negative minStepRad", []kv{{"node_id", `"A"`}, {"channel", `"c"`}, {"minStepRad", `-1`}},
			[]string{"line 3: minStepRad: must not be negative, got -1"}},
		{"clamp of one number", []kv{{"node_id", `"A"`}, {"channel", `"c"`}, {"clamp", `[1]`}},
			[]string{"line 3: clamp: must be [min, max], got 1 items"}},
		{"clamp without max", []kv{{"node_id", `"A"`}, {"channel", `"c"`}, {"clamp", `{"min": 1}`}},
			[]string{"line 3: clamp: must be {min: …, max: …} with exactly those two keys"}},
		{"clamp with an extra key", []kv{{"node_id", `"A"`}, {"channel", `"c"`}, {"limits", `{"min": 0, "max": 1, "step": 2}`}},
			[]string{"line 3: limits: must be {min: …, max: …} with exactly those two keys"}},
		{"clamp upside down", []kv{{"node_id", `"A"`}, {"channel", `"c"`}, {"limits", `[1, 0]`}},
			[]string{"line 3: limits: min 1 is above max 0"}},
		{"clamp of strings", []kv{{"node_id", `"A"`}, {"channel", `"c"`}, {"clamp", `["a", 1]`}},
			[]string{"line 3: clamp: min must be a number, got a string"}},
		{"clamp max null", []kv{{"node_id", `"A"`}, {"channel", `"c"`}, {"clamp", `{"min": 0, "max": null}`}},
			[]string{"line 3: clamp: max must be a number, got null"}},
		{"clamp a string", []kv{{"node_id", `"A"`}, {"channel", `"c"`}, {"clamp", `"wide"`}},
			[]string{"line 3: clamp: must be [min, max] or {min: …, max: …}, got a string"}},
		{"every problem is reported, in key order, then the entry's own", []kv{{"nodeId", `7`}, {"gian", `1`}, {"deadzone", `-1`}, {"scheme", `"x"`}},
			[]string{
				"line 1: nodeId: must be a string, got a number",
				`line 2: unknown mapping key "gian"`,
				"line 3: deadzone: must not be negative, got -1",
				"line 1: mapping entry has no channel",
				`line 4: unknown scheme "x" (want bipolarSplit, addition, booleanThreshold or bipolarScalar)`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, probs := decodeBoth(t, tt.keys)
			assert.Equal(t, tt.want, probs)
		})
	}
}

func TestMappingEntryYAMLOnly(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"NaN", "node_id: A\nchannel: c\ngain: .nan\n", []string{"line 3: gain: must be a finite number, got NaN"}},
		{"infinity", "node_id: A\nchannel: c\nper_step_max: -.inf\n", []string{"line 3: per_step_max: must be a finite number, got -Inf"}},
		{"not a map", "5\n", []string{"line 1: a mapping entry must be a map with node_id and channel, got the value 5"}},
		{"a list", "[1, 2]\n", []string{"line 1: a mapping entry must be a map with node_id and channel, got a list"}},
		{"unquoted channel with a colon", "node_id: A\nchannel: joint:2\nclamp: {min: -1, max: 1}\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e MappingEntry
			err := yaml.Unmarshal([]byte(tt.src), &e)
			if tt.want == nil {
				require.NoError(t, err)
				assert.Equal(t, "joint:2", e.Channel)
				assert.Equal(t, &Range{-1, 1}, e.Clamp)
				return
			}
			assert.Equal(t, tt.want, problems(t, err))
		})
	}
}

func TestMappingEntryJSONOnly(t *testing.T) {
	tests := []struct {
		name, src string
		want      string
	}{
		{"not an object", `[1]`, "line 1: a mapping entry must be an object with node_id and channel, got a list"},
		{"same key twice", "{\"node_id\": \"A\",\n\"channel\": \"c\",\n\"gain\": 1,\n\"gain\": 2}", "line 4: gain given twice: as gain (line 3) and as gain"},
		{"escapes in strings", `{"node_id": "A\/\u00e9", "channel": "c"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e MappingEntry
			err := json.Unmarshal([]byte(tt.src), &e)
			if tt.want == "" {
				require.NoError(t, err)
				assert.Equal(t, "A/é", e.NodeID)
				return
			}
			assert.EqualError(t, err, tt.want)
		})
	}
}

// TestMappingEntryInStrictConfig embeds entries the way the node's
// configuration does: problems come back with the document's lines, next
// to the configuration's own.
func TestMappingEntryInStrictConfig(t *testing.T) {
	type config struct {
		Name    string         `yaml:"name"`
		Mapping []MappingEntry `yaml:"mapping"`
	}
	src := `name: arm
mapping:
  - node_id: A
    channel: joint:0
  - node_id: B
    channel: joint:1
    gian: 2
  - channel: gripper
    deadzone: lots
colour: red
`
	dec := yaml.NewDecoder(strings.NewReader(src))
	dec.KnownFields(true)
	var c config
	err := dec.Decode(&c)
	assert.Equal(t, []string{
		`line 7: unknown mapping key "gian"`,
		"line 9: deadzone: must be a number, got a string",
		"line 8: mapping entry has no node_id",
		"line 10: field colour not found in type spikes.config",
	}, problems(t, err))

	var good config
	require.NoError(t, yaml.Unmarshal([]byte("mapping:\n  - {nodeId: A, controllerChannel: 'joint:0', perStepMaxRad: 0.5}\n"), &good))
	want := NewMappingEntry("A", "joint:0")
	want.PerStepMax = 0.5
	assert.Equal(t, []MappingEntry{want}, good.Mapping)
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
	}{
		{"YAML list", "m.yaml", "- node_id: A\n  channel: joint:0\n- nodeId: B\n  channel: gripper\n  scheme: addition\n  limits: [0, 1]\n", []MappingEntry{a, b}},
		{"YAML under mapping, .yml", "m.yml", "mapping:\n  - {node_id: A, channel: 'joint:0'}\n  - {node_id: B, channel: gripper, scheme: addition, clamp: {min: 0, max: 1}}\n", []MappingEntry{a, b}},
		{"JSON list", "m.json", `[{"node_id": "A", "channel": "joint:0"}, {"nodeId": "B", "controllerChannel": "gripper", "scheme": "addition", "clamp": [0, 1]}]`, []MappingEntry{a, b}},
		{"JSON under mapping, tabs, upper-case extension", "M.JSON", "{\"mapping\": [\n\t{\"node_id\": \"A\", \"channel\": \"joint:0\"}\n]}\n", []MappingEntry{a}},
		{"empty list", "m.json", "[]", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadMapping(writeFile(t, tt.file, tt.content))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestLoadMappingProblems(t *testing.T) {
	tests := []struct {
		name, file, content string
		want                []string // after the "mapping <path>: " prefix
	}{
		{"unknown key in YAML", "m.yaml", "- node_id: A\n  channel: c\n- node_id: B\n  channel: d\n  gian: 2\n",
			[]string{`line 5: unknown mapping key "gian"`}},
		{"unknown key in JSON", "m.json", "[\n  {\"node_id\": \"A\", \"channel\": \"c\"},\n  {\"node_id\": \"B\",\n   \"channel\": \"d\",\n   \"gian\": 2}\n]",
			[]string{`line 5: unknown mapping key "gian"`}},
		{"problems of several entries", "m.yaml", "- channel: c\n- node_id: B\n  channel: d\n  scheme: nope\n",
			[]string{"line 1: mapping entry has no node_id", `line 4: unknown scheme "nope" (want bipolarSplit, addition, booleanThreshold or bipolarScalar)`}},
		{"JSON entry not an object", "m.json", "[\n  {\"node_id\": \"A\", \"channel\": \"c\"},\n  7\n]",
			[]string{"line 3: a mapping entry must be an object with node_id and channel, got a number"}},
		{"JSON syntax", "m.json", "[\n  {\"node_id\": \"A\",\n   \"channel\": }\n]",
			[]string{"line 3: invalid JSON: invalid character '}' looking for beginning of value"}},
		{"JSON trailing data", "m.json", "[]\n[]", []string{"line 2: unexpected data after the mapping"}},
		{"JSON not a list", "m.json", `{"node_id": "A"}`, []string{`line 1: a mapping file is a list of entries, or an object with the one key "mapping"`}},
		{"JSON mapping beside other keys", "m.json", `{"mapping": [], "brain": {}}`, []string{`line 1: a mapping file is a list of entries, or an object with the one key "mapping"`}},
		{"JSON scalar", "m.json", `5`, []string{"line 1: the mapping must be a list of entries, got a number"}},
		{"JSON empty", "m.json", ``, []string{"the mapping file is empty"}},
		{"YAML empty", "m.yaml", "# nothing\n", []string{"the mapping file is empty"}},
		{"YAML syntax", "m.yaml", "- node_id: [A\n", []string{"invalid YAML: yaml: line 1: did not find expected ',' or ']'"}},
		{"YAML scalar", "m.yaml", "hello\n", []string{"line 1: the mapping must be a list of entries, got the value hello"}},
		{"YAML map of something else", "m.yaml", "brain: {}\nmapping: []\n", []string{`line 1: a mapping file is a list of entries, or a map with the one key "mapping"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.file, tt.content)
			got, err := LoadMapping(path)
			assert.Nil(t, got)
			require.Error(t, err)
			prefix := "mapping " + path + ": "
			require.True(t, strings.HasPrefix(err.Error(), prefix), err.Error())
			var me *MappingError
			assert.True(t, errors.As(err, &me), "a *MappingError is in the chain")
			assert.Equal(t, tt.want, strings.Split(strings.TrimPrefix(err.Error(), prefix), "\n"))
		})
	}
}

func TestLoadMappingFileErrors(t *testing.T) {
	_, err := LoadMapping(filepath.Join(t.TempDir(), "absent.yaml"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.ErrorContains(t, err, "read mapping: ")

	p := writeFile(t, "m.toml", "[]")
	_, err = LoadMapping(p)
	assert.EqualError(t, err, "mapping "+p+": unknown file type (want .json, .yaml or .yml)")
}
