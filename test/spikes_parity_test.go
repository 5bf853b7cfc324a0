package integration

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/abbridge/ab_bridge/internal/spikes"
	"github.com/abbridge/ab_bridge/internal/spikes/spikestest"
)

// parityCases is how many random cases the SDK and the bridge both decode.
const parityCases = 240

// paritySeed fixes the cases, so a failure can be replayed.
const paritySeed = 20261123

// sdkStep is one timestep as decode_stream_rows and abctl decode write it.
type sdkStep struct {
	T      int                `json:"t"`
	Deltas map[string]float64 `json:"deltas"`
}

// sdkResult is the peer's answer for one case: steps, or the SDK's error.
type sdkResult struct {
	Steps []sdkStep
	Error string
}

func (r *sdkResult) UnmarshalJSON(b []byte) error {
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
		var e struct{ Error string }
		if err := json.Unmarshal(b, &e); err != nil {
			return err
		}
		r.Error = e.Error
		if r.Error == "" {
			r.Error = "peer answered an object without error: " + string(b)
		}
		return nil
	}
	return json.Unmarshal(b, &r.Steps)
}

// parityCase is one mapping and one batch of rows. Entries are the truth
// the generator built; Mapping is the same written the SDK's way, with
// aliases picked at random.
type parityCase struct {
	Entries []spikes.MappingEntry `json:"-"`
	Strict  bool                  `json:"-"` // a strict loader accepts Mapping (no unknown scheme)
	Mapping []map[string]any      `json:"mapping"`
	Rows    []any                 `json:"rows"` // as written to the SDK and to rows files
	wire    []any                 // Rows as encoding/json decodes them, as the bridge gets them
}

// caseGen draws cases within what the bridge and the SDK define alike.
// Left out on purpose, as documented differences (see spikes.ParseRows and
// spikes.MappingEntry): bits strictly between -1 and 1 other than 0, t as a
// string, a fraction or a boolean, rows with a good t but a bad id or bits,
// entries without node_id or channel, a field under two aliases, and what
// the strict loader refuses beyond unknown schemes.
type caseGen struct{ rng *rand.Rand }

func (g caseGen) pick(options ...string) string { return options[g.rng.IntN(len(options))] }
func (g caseGen) chance(p float64) bool         { return g.rng.Float64() < p }
func (g caseGen) between(lo, hi float64) float64 {
	return lo + g.rng.Float64()*(hi-lo)
}

var parityChannels = []string{"joint:0", "joint:1", "joint:2", "gripper", "dg", "wheel:left"}

func (g caseGen) newCase(unknownScheme bool) parityCase {
	pops := 1 + g.rng.IntN(5)
	c := parityCase{Strict: !unknownScheme}
	for range 1 + g.rng.IntN(6) {
		e, m := g.entry(fmt.Sprintf("P%d", g.rng.IntN(pops)))
		c.Entries = append(c.Entries, e)
		c.Mapping = append(c.Mapping, m)
	}
	if unknownScheme {
		i := g.rng.IntN(len(c.Entries))
		name := g.pick("spiky", "BipolarSplit", "bipolar_split", "threshold")
		c.Entries[i].Scheme, c.Entries[i].Threshold = name, nil
		c.Mapping[i]["scheme"] = name
		delete(c.Mapping[i], "threshold")
	}
	c.Rows = g.rows(pops)
	return c
}

// entry draws one mapping entry, as Go truth and as the SDK's dict.
func (g caseGen) entry(node string) (spikes.MappingEntry, map[string]any) {
	e := spikes.NewMappingEntry(node, parityChannels[g.rng.IntN(len(parityChannels))])
	m := map[string]any{g.pick("node_id", "nodeId"): e.NodeID, g.pick("channel", "controllerChannel"): e.Channel}
	switch g.rng.IntN(7) {
	case 0: // absent: the default
	case 1: // written oddly: null, empty, blanks around
		switch name := g.pick("null", "", " addition ", "bipolarScalar "); name {
		case "null":
			m["scheme"] = nil
		default:
			m["scheme"] = name
			e.Scheme = strings.TrimSpace(name)
		}
	default:
		e.Scheme = g.pick(spikes.SchemeBipolarSplit, spikes.SchemeAddition, spikes.SchemeBooleanThreshold, spikes.SchemeBipolarScalar)
		m["scheme"] = e.Scheme
	}
	if e.Scheme == "" {
		e.Scheme = spikes.DefaultScheme
	}
	if g.chance(0.8) {
		e.PerStepMax = math.Round(g.between(-0.01, 0.05)*1e4) / 1e4
		m[g.pick("per_step_max", "perStepMax", "perStepMaxRad")] = e.PerStepMax
	}
	if g.chance(0.6) {
		e.Gain = math.Round(g.between(-2, 3)*100) / 100
		m["gain"] = e.Gain
	}
	if g.chance(0.35) {
		e.Deadzone = g.threshold(e, 0.05)
		m["deadzone"] = e.Deadzone
	}
	if g.chance(0.35) {
		e.MinStep = g.threshold(e, 0.03)
		m[g.pick("min_step", "minStep", "minStepRad")] = e.MinStep
	}
	if g.chance(0.4) {
		e.Invert = g.chance(0.5)
		m["invert"] = e.Invert
	}
	if e.Scheme == spikes.SchemeBooleanThreshold && g.chance(0.7) {
		thr := g.rng.IntN(44) - 3
		e.Threshold = &thr
		m["threshold"] = thr
	} else if g.chance(0.1) {
		m["threshold"] = nil
	}
	if g.chance(0.4) {
		lo := math.Round(g.between(-0.06, 0.02)*1e4) / 1e4
		hi := lo + math.Round(g.between(0, 0.06)*1e4)/1e4
		e.Clamp = &spikes.Range{Min: lo, Max: hi}
		key := g.pick("clamp", "limits")
		if g.chance(0.5) {
			m[key] = []any{lo, hi}
		} else {
			m[key] = map[string]any{"min": lo, "max": hi}
		}
	} else if g.chance(0.1) {
		m["clamp"] = nil
	}
	return e, m
}

// threshold draws a deadzone or min_step: at times exactly the size of the
// delta of a value of 1 to 3, to pin down how the edge itself is treated.
func (g caseGen) threshold(e spikes.MappingEntry, upTo float64) float64 {
	if g.chance(0.3) {
		return math.Abs(float64(1+g.rng.IntN(3)) * e.PerStepMax * e.Gain)
	}
	return math.Round(g.between(0, upTo)*1e4) / 1e4
}

// oddBits are spike values both sides read alike: JSON numbers, integral or
// beyond ±1, and booleans.
var oddBits = []json.RawMessage{
	json.RawMessage("0"), json.RawMessage("1"), json.RawMessage("2"), json.RawMessage("-1"),
	json.RawMessage("1.5"), json.RawMessage("-2.5"), json.RawMessage("3.0"), json.RawMessage("0.0"),
	json.RawMessage("-0.0"), json.RawMessage("1e3"), json.RawMessage("true"), json.RawMessage("false"),
}

func (g caseGen) bits() []any {
	n := g.rng.IntN(41)
	if g.chance(0.25) {
		n = g.rng.IntN(4) // short rows: n < 2 and odd n
	}
	odd := g.chance(0.3)
	p := g.between(0.05, 0.6)
	bits := make([]any, n)
	for i := range bits {
		switch {
		case odd && g.chance(0.3):
			bits[i] = oddBits[g.rng.IntN(len(oddBits))]
		case g.chance(p):
			bits[i] = 1
		default:
			bits[i] = 0
		}
	}
	return bits
}

// rows draws timesteps in any order, repeated at times, each with rows of
// mapped and unmapped populations in both shapes, and a few rows both sides
// skip.
func (g caseGen) rows(pops int) []any {
	ts := make([]int, 1+g.rng.IntN(10))
	for i := range ts {
		ts[i] = g.rng.IntN(204) - 3
	}
	rows := []any{}
	for _, t := range ts {
		for range g.rng.IntN(pops + 2) {
			id := fmt.Sprintf("P%d", g.rng.IntN(pops))
			if g.chance(0.1) {
				id = "Q9" // mapped by no entry
			}
			if g.chance(0.5) {
				rows = append(rows, []any{t, id, g.bits()})
				continue
			}
			row := map[string]any{"t": t, "id": id, "bits": g.bits()}
			if g.chance(0.2) {
				row["cycle"] = 7
			}
			rows = append(rows, row)
		}
	}
	for range g.rng.IntN(3) {
		bad := []any{
			map[string]any{"id": "P0", "bits": []any{1}},
			map[string]any{"t": nil, "id": "P0", "bits": []any{1}},
			map[string]any{"t": "x", "id": "P0", "bits": []any{1}},
			[]any{1, "P0"},
			[]any{1, "P0", []any{1}, 4},
			[]any{"x", "P0", []any{1}},
			5, "row", nil,
		}
		at := g.rng.IntN(len(rows) + 1)
		rows = slices.Insert(rows, at, bad[g.rng.IntN(len(bad))])
	}
	return rows
}

// runSDKDecode decodes every case with the reference SDK, in one process.
func runSDKDecode(t *testing.T, cases []parityCase) []sdkResult {
	t.Helper()
	in, err := json.Marshal(map[string]any{"cases": cases})
	require.NoError(t, err)
	out := runPeer(t, 2*time.Minute, in, venvPython(t), filepath.Join(repoRoot(t), "test", "peers", "sdk_decode.py"))
	var answer struct{ Results []sdkResult }
	require.NoError(t, json.Unmarshal(out, &answer), "peer output: %s", out)
	require.Len(t, answer.Results, len(cases))
	return answer.Results
}

// runPeer runs a one-shot process in its own group with stdin, killing the
// group if it outlives timeout, and returns its stdout.
func runPeer(t testing.TB, timeout time.Duration, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s", filepath.Base(name), filepath.Base(strings.Join(args, " ")), err, stderr.String())
	}
	return stdout.Bytes()
}

// jsonRoundTrip turns Go values into what encoding/json decodes, as the
// bridge receives them off the wire.
func jsonRoundTrip(t *testing.T, v any) []any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out []any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

func stepsOf(steps []spikes.Step) []sdkStep {
	out := make([]sdkStep, len(steps))
	for i, s := range steps {
		out[i] = sdkStep{T: s.T, Deltas: s.Map()}
	}
	return out
}

// sameSteps compares two decodings as numbers, within 1e-9.
func sameSteps(t *testing.T, want, got []sdkStep, msg string) {
	t.Helper()
	require.Equal(t, len(want), len(got), "%s: number of timesteps", msg)
	for i := range want {
		require.Equal(t, want[i].T, got[i].T, "%s: timestep %d", msg, i)
		require.ElementsMatch(t, keys(want[i].Deltas), keys(got[i].Deltas), "%s: channels at t=%d", msg, want[i].T)
		for ch, w := range want[i].Deltas {
			g := got[i].Deltas[ch]
			tol := 1e-9 * max(1, math.Abs(w), math.Abs(g))
			require.InDelta(t, w, g, tol, "%s: t=%d %s", msg, want[i].T, ch)
		}
	}
}

func keys(m map[string]float64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestSpikesParityWithSDK decodes random cases with the reference SDK's
// decode_stream_rows and with the bridge, both through the package and
// through abctl decode (mapping files in YAML and JSON, rows files as a list
// and as a cycle:update), and requires the same numbers.
func TestSpikesParityWithSDK(t *testing.T) {
	g := caseGen{rng: rand.New(rand.NewPCG(paritySeed, 1))}
	cases := make([]parityCase, parityCases)
	for i := range cases {
		cases[i] = g.newCase(i%10 == 9)
		cases[i].wire = jsonRoundTrip(t, cases[i].Rows)
	}
	sdk := runSDKDecode(t, cases)
	abctl := goBinary(t, "cmd/abctl")
	dir := t.TempDir()

	var nonEmpty, deltas, viaCLI int
	for i, c := range cases {
		msg := fmt.Sprintf("case %d", i)
		require.Empty(t, sdk[i].Error, "%s: the SDK failed", msg)
		for _, s := range sdk[i].Steps {
			if len(s.Deltas) > 0 {
				nonEmpty++
			}
			deltas += len(s.Deltas)
		}

		d, err := spikes.NewDecoder(c.Entries)
		require.NoError(t, err, msg)
		rows, _ := spikes.ParseRows(c.wire)
		sameSteps(t, sdk[i].Steps, stepsOf(d.Decode(rows)), msg+" (package)")

		mappingFile := writeMapping(t, dir, i, c.Mapping, g.chance(0.5))
		rowsFile := writeRows(t, dir, i, c.Rows, g.chance(0.5))
		out, stderr, err := runAbctlDecode(abctl, mappingFile, rowsFile)
		if !c.Strict {
			require.Error(t, err, "%s: abctl decode must refuse an unknown scheme", msg)
			assert.Contains(t, stderr, "unknown scheme", msg)
			continue
		}
		require.NoError(t, err, "%s: abctl decode: %s", msg, stderr)
		sameSteps(t, sdk[i].Steps, parseStepLines(t, out), msg+" (abctl decode)")
		viaCLI++
	}
	// The cases must exercise something: most timesteps move an actuator.
	t.Logf("%d cases (%d through abctl decode), %d non-empty timesteps, %d channel deltas", len(cases), viaCLI, nonEmpty, deltas)
	assert.Greater(t, nonEmpty, parityCases)
	assert.Greater(t, viaCLI, parityCases*8/10)
}

func writeMapping(t *testing.T, dir string, i int, mapping []map[string]any, asYAML bool) string {
	t.Helper()
	name, marshal := fmt.Sprintf("mapping%d.json", i), json.Marshal
	if asYAML {
		name, marshal = fmt.Sprintf("mapping%d.yaml", i), yaml.Marshal
	}
	b, err := marshal(mapping)
	require.NoError(t, err)
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, b, 0o600))
	return p
}

func writeRows(t *testing.T, dir string, i int, rows []any, asUpdate bool) string {
	t.Helper()
	var v any = rows
	if asUpdate {
		v = map[string]any{"runId": "parity", "cycle": i, "outputs": rows}
	}
	b, err := json.Marshal(v)
	require.NoError(t, err)
	p := filepath.Join(dir, fmt.Sprintf("rows%d.json", i))
	require.NoError(t, os.WriteFile(p, b, 0o600))
	return p
}

func runAbctlDecode(abctl, mapping, rows string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, abctl, "decode", "--mapping", mapping, "--rows", rows)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

func parseStepLines(t *testing.T, out string) []sdkStep {
	t.Helper()
	steps := []sdkStep{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var s sdkStep
		require.NoError(t, json.Unmarshal(sc.Bytes(), &s), "line %q", sc.Text())
		steps = append(steps, s)
	}
	return steps
}

// sdkBench is the SDK's time for the benchmark cycle, measured once per
// test binary however often the benchmark function is called.
var sdkBench struct {
	once sync.Once
	ns   float64
	err  error
}

// BenchmarkDecodeCycleVsSDK decodes the cycle of spikes.BenchmarkDecodeCycle
// (64 timesteps × 8 populations × 32 bits) in Go, from the decoded JSON as
// a cycle:update hands it over and from parsed rows, and reports beside
// each the reference SDK's time for decode_stream_rows on the same cycle
// (sdk-ns/op) and how many times faster Go is (x-faster).
func BenchmarkDecodeCycleVsSDK(b *testing.B) {
	c := spikestest.NewCycle(64, 8, 32, 1)
	sdkBench.once.Do(func() {
		in, err := json.Marshal(map[string]any{"mapping": c.MappingJSON, "rows": c.Outputs, "repeat": 5})
		if err != nil {
			sdkBench.err = err
			return
		}
		out := runPeer(b, 5*time.Minute, in, venvPython(b), filepath.Join(repoRoot(b), "test", "peers", "bench_sdk_decode.py"))
		var res struct {
			NsPerOp float64 `json:"ns_per_op"`
		}
		sdkBench.err = json.Unmarshal(out, &res)
		sdkBench.ns = res.NsPerOp
	})
	if sdkBench.err != nil || sdkBench.ns <= 0 {
		b.Fatalf("SDK benchmark: %v (ns/op %v)", sdkBench.err, sdkBench.ns)
	}
	d, err := spikes.NewDecoder(c.Mapping)
	if err != nil {
		b.Fatal(err)
	}
	report := func(b *testing.B) {
		goNs := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		b.ReportMetric(sdkBench.ns, "sdk-ns/op")
		b.ReportMetric(sdkBench.ns/goNs, "x-faster")
	}
	b.Run("parse+decode", func(b *testing.B) {
		b.ReportAllocs()
		var (
			rb  spikes.RowBuffer
			buf spikes.Buffer
		)
		for b.Loop() {
			rows, _ := rb.Parse(c.Outputs)
			d.DecodeInto(&buf, rows)
		}
		report(b)
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		rows, skipped := spikes.ParseRows(c.Outputs)
		if len(skipped) > 0 {
			b.Fatal(skipped)
		}
		var buf spikes.Buffer
		for b.Loop() {
			d.DecodeInto(&buf, rows)
		}
		report(b)
	})
}
