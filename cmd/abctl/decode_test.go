package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const decodeMappingYAML = `- node_id: A
  channel: joint:0
  scheme: addition
  per_step_max: 0.25
- nodeId: B
  controllerChannel: gripper
  scheme: bipolarSplit
  perStepMaxRad: 0.5
  invert: true
`

func decodeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

// readSteps parses abctl decode's output lines.
func readSteps(t *testing.T, out string) []decodedStep {
	t.Helper()
	steps := []decodedStep{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var s decodedStep
		require.NoError(t, json.Unmarshal(sc.Bytes(), &s), "line %q", sc.Text())
		steps = append(steps, s)
	}
	return steps
}

func TestDecodeCommand(t *testing.T) {
	mapping := decodeFile(t, "mapping.yaml", decodeMappingYAML)
	tests := []struct {
		name, rows string
		want       []decodedStep
		stderr     []string
	}{
		{
			name: "array of object rows",
			rows: `[{"t": 11, "id": "A", "bits": [1, 1, 0]}, {"t": 10, "id": "B", "bits": [0, 0, 1, 1]}]`,
			want: []decodedStep{{T: 10, Deltas: map[string]float64{"gripper": 1}}, {T: 11, Deltas: map[string]float64{"joint:0": 0.5}}},
		},
		{
			name: "cycle:update object with triples",
			rows: `{"runId": "r1", "cycle": 3, "outputs": [[5, "A", [1]], [5, "B", [1, 0]], [6, "Z", [1]]]}`,
			want: []decodedStep{{T: 5, Deltas: map[string]float64{"joint:0": 0.25, "gripper": -0.5}}, {T: 6, Deltas: map[string]float64{}}},
		},
		{
			name: "JSON lines of cycle:updates, each decoded on its own",
			rows: "{\"cycle\": 1, \"outputs\": [[1, \"A\", [1]]]}\n{\"cycle\": 2, \"outputs\": [[0, \"A\", [1, 1]]]}\n",
			want: []decodedStep{{T: 1, Deltas: map[string]float64{"joint:0": 0.25}}, {T: 0, Deltas: map[string]float64{"joint:0": 0.5}}},
		},
		{
			name:   "malformed rows are reported and skipped",
			rows:   `[[1, "A", [1]], [1.5, "A", [1]], {"t": 2, "id": "A"}]`,
			want:   []decodedStep{{T: 1, Deltas: map[string]float64{"joint:0": 0.25}}},
			stderr: []string{"value 1: skipped output row 1: t must be an integer, got 1.5", `value 1: skipped output row 2: no "bits"`, "skipped 2 malformed of 3 rows"},
		},
		{
			name: "no rows",
			rows: `[]`,
			want: []decodedStep{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := run(context.Background(), []string{"decode", "--mapping", mapping, "--rows", decodeFile(t, "rows.json", tt.rows)}, &out, &errb)
			require.NoError(t, err, errb.String())
			assert.Equal(t, tt.want, readSteps(t, out.String()))
			for _, s := range tt.stderr {
				assert.Contains(t, errb.String(), s)
			}
			if tt.stderr == nil {
				assert.Empty(t, errb.String())
			}
		})
	}
}

func TestDecodeCommandJSONMapping(t *testing.T) {
	mapping := decodeFile(t, "m.json", `[{"node_id": "P", "channel": "wheel:left", "scheme": "booleanThreshold", "threshold": 2, "per_step_max": 1, "clamp": {"min": -1, "max": 0.5}}]`)
	rows := decodeFile(t, "rows.json", `[[0, "P", [1, 1, 0]], [1, "P", [1, 0, 0]]]`)
	var out, errb bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"decode", "--mapping", mapping, "--rows", rows}, &out, &errb))
	assert.Equal(t, []decodedStep{{T: 0, Deltas: map[string]float64{"wheel:left": 0.5}}, {T: 1, Deltas: map[string]float64{}}}, readSteps(t, out.String()))
}

// What the SDK ignores decodes as in the SDK, with one warning per key on
// stderr naming file:line.
func TestDecodeCommandWarns(t *testing.T) {
	mapping := decodeFile(t, "m.yaml", `- node_id: A
  channel: joint:0
  scheme: addition
  threshold: 5
  per_step_max: "0.25"
- channel: gripper
- nodeId: B
  controllerChannel: gripper
  scheme: bipolarScalar
  threshold: 1
  gian: 2
`)
	rows := decodeFile(t, "rows.json", `[[0, "A", [1, 1]], [0, "B", [0, 1]]]`)
	var out, errb bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"decode", "--mapping", mapping, "--rows", rows}, &out, &errb))
	assert.Equal(t, []decodedStep{{T: 0, Deltas: map[string]float64{"joint:0": 0.5, "gripper": -0.01}}}, readSteps(t, out.String()))
	assert.Equal(t, []string{
		"abctl decode: warning: " + mapping + ":4: threshold is ignored: scheme addition does not use it (booleanThreshold only)",
		"abctl decode: warning: " + mapping + ":6: mapping entry has no node_id: the SDK drops it",
		"abctl decode: warning: " + mapping + ":10: threshold is ignored: scheme bipolarScalar does not use it (booleanThreshold only)",
		"abctl decode: warning: " + mapping + `:11: unknown mapping key "gian" is ignored`,
	}, strings.Split(strings.TrimSpace(errb.String()), "\n"))
}

func TestDecodeCommandFails(t *testing.T) {
	dir := t.TempDir()
	goodMapping := decodeFile(t, "mapping.yaml", decodeMappingYAML)
	goodRows := decodeFile(t, "rows.json", `[]`)
	tests := []struct {
		name  string
		args  func() []string
		usage bool
		want  string
	}{
		{"no flags", func() []string { return nil }, true, "decode needs --mapping FILE and --rows FILE"},
		{"no rows", func() []string { return []string{"--mapping", goodMapping} }, true, "decode needs --mapping FILE and --rows FILE"},
		{"stray argument", func() []string { return []string{"--mapping", goodMapping, "--rows", goodRows, "extra"} }, true, "and nothing else"},
		{"unknown flag", func() []string { return []string{"--mapings", goodMapping} }, true, "flag provided but not defined: -mapings"},
		{"mapping missing", func() []string { return []string{"--mapping", filepath.Join(dir, "none.yaml"), "--rows", goodRows} }, false, "no such file"},
		{"mapping invalid", func() []string {
			return []string{"--mapping", decodeFile(t, "bad.yaml", "- node_id: A\n  channel: c\n  gain: fast\n"), "--rows", goodRows}
		}, false, `bad.yaml:3: gain: the string "fast" is not a number`},
		{"mapping with an unknown scheme", func() []string {
			return []string{"--mapping", decodeFile(t, "bad.yaml", "- node_id: A\n  channel: c\n  scheme: bipolarsplit\n"), "--rows", goodRows}
		}, false, `bad.yaml:3: unknown scheme "bipolarsplit"`},
		{"rows missing", func() []string { return []string{"--mapping", goodMapping, "--rows", filepath.Join(dir, "none.json")} }, false, "no such file"},
		{"rows not JSON", func() []string {
			return []string{"--mapping", goodMapping, "--rows", decodeFile(t, "r.json", "t,id,bits\n")}
		}, false, "value 1: invalid character"},
		{"rows empty", func() []string { return []string{"--mapping", goodMapping, "--rows", decodeFile(t, "r.json", "")} }, false, "no JSON value in the file"},
		{"rows a scalar", func() []string { return []string{"--mapping", goodMapping, "--rows", decodeFile(t, "r.json", "42")} }, false, "value 1: want a list of rows or a cycle:update object"},
		{"object without outputs", func() []string {
			return []string{"--mapping", goodMapping, "--rows", decodeFile(t, "r.json", `{"cycle": 1}`)}
		}, false, `value 1: an object must be a cycle:update with "outputs"`},
		{"outputs not a list", func() []string {
			return []string{"--mapping", goodMapping, "--rows", decodeFile(t, "r.json", "[]\n{\"outputs\": 3}")}
		}, false, `value 2: "outputs" must be a list of rows`},
		{"truncated JSON line", func() []string {
			return []string{"--mapping", goodMapping, "--rows", decodeFile(t, "r.json", "[]\n[[1, \"A\"")}
		}, false, "value 2: unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := run(context.Background(), append([]string{"decode"}, tt.args()...), &out, &errb)
			require.Error(t, err)
			assert.ErrorContains(t, err, tt.want)
			assert.Equal(t, tt.usage, errors.Is(err, errUsage))
		})
	}
}

func TestDecodeCommandStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	err := run(ctx, []string{"decode", "--mapping", decodeFile(t, "m.yaml", decodeMappingYAML), "--rows", decodeFile(t, "r.json", "[]")}, &out, &errb)
	assert.ErrorIs(t, err, context.Canceled)
}
