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

// sdkResult is the peer's answer for one case: steps, the SDK's error, or
// word that the SDK returned non-finite deltas.
type sdkResult struct {
	Steps     []sdkStep
	Error     string
	NonFinite bool
}

func (r *sdkResult) UnmarshalJSON(b []byte) error {
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
		var e struct {
			Error     string
			NonFinite bool
		}
		if err := json.Unmarshal(b, &e); err != nil {
			return err
		}
		r.Error, r.NonFinite = e.Error, e.NonFinite
		if r.Error == "" && !r.NonFinite {
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
// Left out on purpose, as documented differences (see spikes.ParseRows):
// bits strictly between -1 and 1 other than 0, t as a string, a fraction or
// a boolean, rows with a good t but a bad id or bits. The odd forms of
// mapping entries are TestSpikesParityEveryKey's.
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

// everyKeyCases is how many mappings with every key the SDK and the bridge
// both read and decode.
const everyKeyCases = 400

// keyCase is a mapping written with every key the SDK reads, and what the
// generator knows it must make of it.
type keyCase struct {
	Mapping []any `json:"mapping"`
	Rows    []any `json:"rows"`
	raises  bool  // a value the SDK cannot read: both refuse
	refused bool  // an unknown scheme or non-finite deltas: the SDK decodes, the bridge refuses
	warns   int   // warnings the bridge owes at least: one per key or entry the SDK ignores
}

// keyGen writes every key, under every alias, on every scheme, in the
// forms the SDK's str(), float(), int() and bool() read: numbers as
// floats, integers, booleans and strings with blanks; falsy values where
// the SDK falls through to the next alias; clamps as lists and maps, upside
// down, with extra keys or of a shape the SDK ignores.
type keyGen struct {
	caseGen
	c *keyCase
}

// keyPops are the populations; "7" and "2.5" are also named by the numbers
// 7 and 2.5, which the SDK turns into these strings.
var keyPops = []string{"P0", "P1", "7", "2.5"}

func (g keyGen) newCase() keyCase {
	g.c = &keyCase{}
	for range 1 + g.rng.IntN(6) {
		if g.chance(0.04) {
			g.c.Mapping = append(g.c.Mapping, []any{5, "x", []any{1}, nil}[g.rng.IntN(4)])
			g.c.warns++
			continue
		}
		g.c.Mapping = append(g.c.Mapping, g.entry())
	}
	g.c.Rows = g.rows()
	return *g.c
}

// number writes x in one of the forms float() reads as x.
func (g keyGen) number(x float64) any {
	switch g.rng.IntN(6) {
	case 0:
		return fmt.Sprintf(" %v\t", x)
	case 1:
		return fmt.Sprint(x)
	case 2:
		if x == math.Trunc(x) && math.Abs(x) < 1e6 {
			return int(x)
		}
	case 3:
		if x == 1 || x == 0 {
			return x == 1
		}
	}
	return x
}

func (g keyGen) small(lo, hi float64) float64 { return math.Round(g.between(lo, hi)*1e4) / 1e4 }

func (g keyGen) entry() map[string]any {
	m := map[string]any{}
	pop := keyPops[g.rng.IntN(len(keyPops))]
	var node any = pop
	switch pop {
	case "7":
		node = g.pick("7", "int")
		if node == "int" {
			node = 7
		}
	case "2.5":
		node = g.pick("2.5", "float")
		if node == "float" {
			node = 2.5
		}
	}
	kept := !g.chance(0.08)
	falsy := []any{nil, "", 0, false}
	switch {
	case !kept && g.chance(0.5): // no node id at all, or only falsy ones
		if g.chance(0.5) {
			m["node_id"], m["nodeId"] = falsy[g.rng.IntN(4)], falsy[g.rng.IntN(4)]
		}
		m[g.pick("channel", "controllerChannel")] = parityChannels[g.rng.IntN(len(parityChannels))]
	case !kept:
		m[g.pick("node_id", "nodeId")] = node
		m["channel"] = falsy[g.rng.IntN(4)]
	default:
		if g.chance(0.5) {
			m["node_id"], m["nodeId"] = node, "Q9" // node_id wins
		} else {
			m["node_id"], m["nodeId"] = falsy[g.rng.IntN(4)], node // falls through to nodeId
		}
		ch := parityChannels[g.rng.IntN(len(parityChannels))]
		if g.chance(0.5) {
			m["channel"], m["controllerChannel"] = ch, "joint:9"
		} else {
			m["channel"], m["controllerChannel"] = falsy[g.rng.IntN(4)], ch
		}
	}
	if !kept {
		g.c.warns++ // dropped: nothing else of it is read
		m["gain"] = "fast"
		return m
	}

	scheme := g.pick(spikes.SchemeBipolarSplit, spikes.SchemeAddition, spikes.SchemeBooleanThreshold, spikes.SchemeBipolarScalar)
	switch g.rng.IntN(8) {
	case 0:
		m["scheme"] = " " + scheme + "\t" // (yaml.v3 cannot write " x\n" back readably)
	case 1:
		m["scheme"], scheme = g.pick("", "null"), spikes.DefaultScheme
		if m["scheme"] == "null" {
			m["scheme"] = nil
		}
	case 2:
		if g.chance(0.15) {
			m["scheme"] = g.pick("bipolarsplit", "spiky", "  ")
			g.c.refused = true
			break
		}
		fallthrough
	default:
		m["scheme"] = scheme
	}

	// per_step_max beats perStepMax beats perStepMaxRad; a null per_step_max
	// falls through.
	psm := g.small(-0.01, 0.05)
	if g.chance(0.3) {
		m["per_step_max"] = nil
	} else {
		m["per_step_max"] = g.number(psm)
	}
	m["perStepMax"] = g.number(g.small(-0.01, 0.05))
	if g.chance(0.7) {
		m["perStepMaxRad"] = g.number(g.small(-0.01, 0.05))
	}
	gain := math.Round(g.between(-2, 3)*100) / 100
	if g.chance(0.1) {
		gain = 1
	}
	m["gain"] = g.number(gain)
	m["deadzone"] = g.number(g.small(-0.01, 0.04))
	if g.chance(0.3) {
		m["min_step"] = nil
	} else {
		m["min_step"] = g.number(g.small(-0.01, 0.03))
	}
	m["minStep"] = g.number(g.small(0, 0.03))
	m["minStepRad"] = g.number(g.small(0, 0.03))
	invert := []any{true, false, "false", "", 0, 1, nil}
	m["invert"] = invert[g.rng.IntN(len(invert))]

	thr := []any{3, -1, 0, 40, 2.7, "4", " 2 ", true, nil}
	t := thr[g.rng.IntN(len(thr))]
	m["threshold"] = t
	if t != nil && scheme != spikes.SchemeBooleanThreshold && !g.c.refused {
		g.c.warns++
	}

	lo, hi := g.small(-0.06, 0.02), g.small(-0.02, 0.06)
	clamps := []any{
		[]any{g.number(lo), g.number(hi)},
		map[string]any{"min": g.number(lo), "max": g.number(hi)},
		map[string]any{"max": hi, "min": lo, "step": 1},
		[]any{lo, hi, 0.5}, // ignored by the SDK
		"wide",             // ignored by the SDK
		[]any{},            // falsy: limits is used
		nil,
	}
	m["clamp"] = clamps[g.rng.IntN(len(clamps))]
	m["limits"] = clamps[g.rng.IntN(len(clamps))]

	if g.chance(0.3) {
		m[g.pick("gian", "comment", "perstepmax")] = 1
		g.c.warns++
	}
	// Rare, as a case has several entries.
	switch {
	case g.chance(0.015):
		m["deadzone"] = g.pick("lots", "1.0.0") // float() raises
		g.c.raises = true
	case g.chance(0.015):
		m["threshold"] = g.pick("2.5", "three") // int() raises, whatever the scheme
		g.c.raises = true
	case g.chance(0.015):
		m["gain"] = g.pick("inf", "-Infinity", "nan") // non-finite deltas
		g.c.refused = true
	}
	return m
}

// rows draws timesteps of rows of the populations, in both shapes.
func (g keyGen) rows() []any {
	rows := []any{}
	for range 1 + g.rng.IntN(8) {
		t := g.rng.IntN(50)
		for range 1 + g.rng.IntN(len(keyPops)+1) {
			id := keyPops[g.rng.IntN(len(keyPops))]
			if g.chance(0.5) {
				rows = append(rows, []any{t, id, g.bits()})
			} else {
				rows = append(rows, map[string]any{"t": t, "id": id, "bits": g.bits()})
			}
		}
	}
	return rows
}

// TestSpikesParityEveryKey writes mappings with every key and alias on
// every scheme, in every form the SDK reads, as JSON and YAML files, and
// requires of abctl decode and of the package (LoadMapping, NewDecoder)
// exactly the SDK's numbers, or a refusal where the SDK raises or where the
// bridge refuses on purpose (an unknown scheme, non-finite deltas); and a
// warning, naming file:line, for each key the SDK ignores.
func TestSpikesParityEveryKey(t *testing.T) {
	g := keyGen{caseGen: caseGen{rng: rand.New(rand.NewPCG(paritySeed, 2))}}
	cases := make([]keyCase, everyKeyCases)
	for i := range cases {
		cases[i] = g.newCase()
	}
	in, err := json.Marshal(map[string]any{"cases": cases})
	require.NoError(t, err)
	out := runPeer(t, 2*time.Minute, in, venvPython(t), filepath.Join(repoRoot(t), "test", "peers", "sdk_decode.py"))
	var answer struct{ Results []sdkResult }
	require.NoError(t, json.Unmarshal(out, &answer), "peer output: %s", out)
	require.Len(t, answer.Results, len(cases))
	abctl := goBinary(t, "cmd/abctl")
	dir := t.TempDir()

	var decoded, raised, refused, warned, deltas int
	for i, c := range cases {
		msg := fmt.Sprintf("case %d", i)
		sdk := answer.Results[i]
		asYAML := i%2 == 1
		mapping := writeAnyMapping(t, dir, i, c.Mapping, asYAML)
		rows := writeRows(t, dir, i, c.Rows, i%4 < 2)
		entries, warnings, loadErr := spikes.LoadMapping(mapping)
		stdout, stderr, cliErr := runAbctlDecode(abctl, mapping, rows)
		switch {
		case c.raises:
			require.NotEmpty(t, sdk.Error, "%s: the SDK must raise", msg)
			require.Error(t, loadErr, msg)
			require.Error(t, cliErr, msg)
			assert.Contains(t, loadErr.Error(), mapping+":", "%s: names file:line", msg)
			raised++
			continue
		case c.refused:
			require.Empty(t, sdk.Error, "%s: the SDK decodes it", msg)
			require.Error(t, loadErr, msg)
			require.Error(t, cliErr, msg)
			assert.Regexp(t, `unknown scheme|not finite`, loadErr.Error(), msg)
			assert.Contains(t, stderr, mapping+":", "%s: names file:line", msg)
			refused++
			continue
		}
		require.Empty(t, sdk.Error, msg)
		require.False(t, sdk.NonFinite, msg)
		require.NoError(t, loadErr, msg)
		require.NoError(t, cliErr, "%s: %s", msg, stderr)
		d, err := spikes.NewDecoder(entries)
		require.NoError(t, err, msg)
		parsed, _ := spikes.ParseRows(jsonRoundTrip(t, c.Rows))
		// Exactly: the same operations in the same order give the same bits.
		require.Equal(t, sdk.Steps, stepsOf(d.Decode(parsed)), "%s (package)\n%s", msg, mustJSON(t, c.Mapping))
		require.Equal(t, sdk.Steps, parseStepLines(t, stdout), "%s (abctl decode)", msg)

		assert.GreaterOrEqual(t, len(warnings), c.warns, "%s: warnings %v", msg, warnings)
		for _, w := range warnings {
			assert.True(t, strings.HasPrefix(w.Error(), mapping+":"), "%s: %v names file:line", msg, w)
			assert.Contains(t, stderr, w.Error(), msg)
		}
		warned += len(warnings)
		for _, s := range sdk.Steps {
			deltas += len(s.Deltas)
		}
		decoded++
	}
	t.Logf("%d cases: %d decoded alike (%d channel deltas, %d warnings), %d refused by both (the SDK raises), %d refused on purpose",
		len(cases), decoded, deltas, warned, raised, refused)
	assert.Greater(t, decoded, everyKeyCases*3/4)
	assert.Greater(t, deltas, everyKeyCases)
	assert.Positive(t, raised)
	assert.Positive(t, refused)
}

func writeAnyMapping(t *testing.T, dir string, i int, mapping []any, asYAML bool) string {
	t.Helper()
	name, marshal := fmt.Sprintf("keys%d.json", i), json.Marshal
	if asYAML {
		name, marshal = fmt.Sprintf("keys%d.yaml", i), yaml.Marshal
	}
	b, err := marshal(mapping)
	require.NoError(t, err)
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, b, 0o600))
	return p
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
