package integration

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/primalux"
)

// primaluxSeed fixes the generated cases, so a failure can be replayed.
const primaluxSeed = 20261202

// Case counts per part; edge values are mixed into every part.
const (
	plxEncodeCases    = 480
	plxRewardCases    = 120
	plxSpikeCases     = 240
	plxActuationCases = 120
	plxSensorCases    = 80
	plxDesignCases    = 120
)

// plxTolerance is the largest difference allowed between the SDK's numbers
// and ours; they are computed in the same order, so it is met exactly.
const plxTolerance = 1e-9

// plxSDKPython is the interpreter of the venv holding SDK 0.4.0, which
// conflicts with the 0.1.6 SDK in .ros.
func plxSDKPython(t testing.TB) string {
	t.Helper()
	p := filepath.Join(repoRoot(t), ".cache", "sdk040", "bin", "python")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("no SDK 0.4.0 venv at .cache/sdk040 (%v): create it with .ros/bin/python -m venv .cache/sdk040 "+
			"and install artificialbrains-sdk==0.4.0 with its pinned dependencies (scripts/requirements-sdk040.txt)", err)
	}
	return p
}

// num is a float as the peer reads it: JSON cannot carry NaN or ±Inf.
type num float64

func (n num) MarshalJSON() ([]byte, error) {
	x := float64(n)
	switch {
	case math.IsNaN(x):
		return []byte(`"nan"`), nil
	case math.IsInf(x, 1):
		return []byte(`"inf"`), nil
	case math.IsInf(x, -1):
		return []byte(`"-inf"`), nil
	}
	return json.Marshal(x)
}

func (n *num) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"nan"`:
		*n = num(math.NaN())
	case `"inf"`:
		*n = num(math.Inf(1))
	case `"-inf"`:
		*n = num(math.Inf(-1))
	default:
		var x float64
		if err := json.Unmarshal(b, &x); err != nil {
			return err
		}
		*n = num(x)
	}
	return nil
}

type plxEncodeCase struct {
	Kind   string `json:"kind"`
	N      *int   `json:"n"`
	Mode   string `json:"mode"`
	Signal []num  `json:"signal"`
	Vmax   *num   `json:"vmax"`
	Vmin   *num   `json:"vmin"`
	Absmax *num   `json:"absmax"`
	Radius int    `json:"radius"`
}

type plxRewardCase struct {
	N         *int `json:"n"`
	Magnitude num  `json:"magnitude"`
}

type plxDecodeCase struct {
	Mapping json.RawMessage `json:"mapping"`
	Item    json.RawMessage `json:"item"`
}

type plxSensorCase struct {
	Channels map[string][]num `json:"channels"`
}

type plxCases struct {
	Encode    []plxEncodeCase `json:"encode"`
	Reward    []plxRewardCase `json:"reward"`
	Spike     []plxDecodeCase `json:"spike"`
	Actuation []plxDecodeCase `json:"actuation"`
	Sensors   []plxSensorCase `json:"sensors"`
	Design    []plxDesignCase `json:"design"`
}

type plxDesignCase struct {
	Design json.RawMessage `json:"design"`
}

type plxDigest struct {
	Digest    string `json:"digest"`
	Canonical string `json:"canonical"`
	Error     string `json:"error"`
}

type plxVector struct {
	Payload []num  `json:"payload"`
	Error   string `json:"error"`
}

type plxCommand struct {
	T      int64          `json:"t"`
	Deltas map[string]num `json:"deltas"`
	Error  string         `json:"error"`
}

type plxPosted struct {
	Posted map[string][]float64 `json:"posted"`
	Error  string               `json:"error"`
}

type plxAnswers struct {
	Encode    []plxVector  `json:"encode"`
	Reward    []plxVector  `json:"reward"`
	Spike     []plxCommand `json:"spike"`
	Actuation []plxCommand `json:"actuation"`
	Sensors   []plxPosted  `json:"sensors"`
	Design    []plxDigest  `json:"design"`
}

// plxGen draws cases; pick and coin keep the draws readable.
type plxGen struct{ r *rand.Rand }

func pick[T any](g plxGen, xs ...T) T { return xs[g.r.IntN(len(xs))] }
func (g plxGen) coin(p float64) bool  { return g.r.Float64() < p }

func intp(n int) *int { return &n }
func nump(x float64) *num {
	n := num(x)
	return &n
}

var plxModes = []string{"", "vector_f32", "binary_spikes", "positive_scalar_population",
	"positive_scalar_cumulative_population", "ranged_scalar_population", "signed_scalar_population", "reward_population"}

var plxKinds = []string{"proximity", "depth", "touch", "temperature", "gyro", "accelerometer", "proprioception",
	"image", "audio", "Input", "Unknown", "Reward"}

func (g plxGen) size() *int {
	if g.coin(0.1) {
		return nil
	}
	return intp(pick(g, 1, 2, 3, 5, 8, 10, 16, 32, 64, 100, 497, 498))
}

// scale draws a vmax, vmin or absmax: mostly ordinary, sometimes the values
// the SDK refuses (0, infinite), sometimes missing.
func (g plxGen) scale() *num {
	switch {
	case g.coin(0.06):
		return nil
	case g.coin(0.05):
		return nump(0)
	case g.coin(0.04):
		return nump(pick(g, math.Inf(1), math.Inf(-1), math.NaN()))
	}
	return nump(pick(g, 1, 100, 4095, 0.5, math.Pi, -2, 1e-3, g.r.Float64()*10, -g.r.Float64()*10))
}

// value draws a scalar around the scales, with edge values: bounds,
// quantisation boundaries, non-finite, huge.
func (g plxGen) value(n *int, c plxEncodeCase) float64 {
	width := 8
	if n != nil {
		width = max(*n, 1)
	}
	ref := 1.0
	for _, s := range []*num{c.Vmax, c.Absmax} {
		if s != nil && float64(*s) != 0 && !math.IsInf(float64(*s), 0) && !math.IsNaN(float64(*s)) {
			ref = float64(*s)
		}
	}
	switch g.r.IntN(10) {
	case 0:
		return pick(g, math.NaN(), math.Inf(1), math.Inf(-1))
	case 1:
		return pick(g, 1e308, -1e308, 5e-324, 0, math.Copysign(0, -1))
	case 2:
		return ref * float64(g.r.IntN(width+1)) / float64(width) // a boundary
	case 3:
		return pick(g, ref, -ref, 2*ref, -2*ref)
	}
	return (g.r.Float64()*2.4 - 1.2) * ref
}

func (g plxGen) encodeCase() plxEncodeCase {
	c := plxEncodeCase{Kind: pick(g, plxKinds...), N: g.size(), Mode: pick(g, plxModes...), Radius: pick(g, 1, 1, 1, 0, 2, 3, -1, 600),
		Signal: []num{}}
	c.Vmax, c.Vmin, c.Absmax = g.scale(), g.scale(), g.scale()
	if c.Mode == "ranged_scalar_population" && g.coin(0.05) && c.Vmax != nil {
		c.Vmin = c.Vmax // equal limits
	}
	vector := c.Mode == "vector_f32" || c.Mode == "binary_spikes" || (c.Mode == "" && primalux.DefaultMode(c.Kind) == primalux.ModeVector)
	if vector {
		l := g.r.IntN(12)
		if c.N != nil && g.coin(0.3) {
			l = *c.N + g.r.IntN(3)
		}
		for range l {
			c.Signal = append(c.Signal, num(pick(g, g.r.Float64(), -g.r.Float64(), 0, 1, 2.5, math.NaN())))
		}
		return c
	}
	if !g.coin(0.03) { // an empty signal is a 0
		c.Signal = []num{num(g.value(c.N, c))}
		if g.coin(0.1) {
			c.Signal = append(c.Signal, num(g.r.Float64()))
		}
	}
	return c
}

func (g plxGen) rewardCase() plxRewardCase {
	c := plxRewardCase{N: g.size()}
	width := 10
	if c.N != nil {
		width = max(*c.N, 1)
	}
	switch g.r.IntN(6) {
	case 0:
		c.Magnitude = num(pick(g, math.NaN(), math.Inf(1), math.Inf(-1), 0, -0.5, 1, 3))
	case 1:
		c.Magnitude = num((float64(g.r.IntN(width)) + 0.5) / float64(width)) // a rounding tie
	case 2:
		c.Magnitude = num(pick(g, 1e-9, 0.999999, 0.5/float64(width)))
	default:
		c.Magnitude = num(g.r.Float64()*1.4 - 0.2)
	}
	return c
}

var plxNeuronIDs = []string{"a:%d", "b:%d", "c:%d", " a:%d ", "d:%d"}

func (g plxGen) spikeCase() plxDecodeCase {
	var mapping []map[string]any
	for range 1 + g.r.IntN(4) {
		m := map[string]any{
			pick(g, "output_id", "outputId", "node_id", "nodeId"): pick(g, "a", "b", "c"),
			pick(g, "channel", "controllerChannel"):               pick(g, "joint:0", "joint:1", "dg"),
		}
		if g.coin(0.8) {
			m["scheme"] = pick(g, "bipolarSplit", "addition", "booleanThreshold", "bipolarScalar", " addition ", "fancy")
		}
		if g.coin(0.7) {
			m[pick(g, "per_step_max", "perStepMax", "perStepMaxRad")] = pick(g, 0.01, 0.05, 0.1, 1.0, 0.0173)
		}
		if g.coin(0.5) {
			m["gain"] = pick(g, 1.0, 2.0, 0.5, -1.5, 0.3)
		}
		if g.coin(0.3) {
			m["deadzone"] = pick(g, 0.001, 0.02, 0.05, -0.1)
		}
		if g.coin(0.3) {
			m[pick(g, "min_step", "minStep", "minStepRad")] = pick(g, 0.001, 0.03, 0.2, -0.1)
		}
		if g.coin(0.3) {
			m["invert"] = pick[any](g, true, false, 1, 0, "yes", "")
		}
		if g.coin(0.3) {
			m["threshold"] = pick[any](g, -1, 0, 1, 2, 3, 5, 2.7, 40)
		}
		if g.coin(0.3) {
			lo, hi := pick(g, -0.05, -1.0, 0.0, 0.02), pick(g, 0.05, 1.0, 0.0, -0.02)
			m[pick(g, "clamp", "limits")] = pick[any](g, []float64{lo, hi}, map[string]float64{"min": lo, "max": hi})
		}
		if g.coin(0.6) {
			m["n"] = pick(g, 0, 1, 2, 3, 4, 6, 8, 11, -2)
		}
		mapping = append(mapping, m)
	}
	outputs := []any{}
	for range g.r.IntN(5) {
		if g.coin(0.05) {
			outputs = append(outputs, "not an object")
			continue
		}
		var neurons []any
		for range g.r.IntN(9) {
			switch g.r.IntN(12) {
			case 0:
				neurons = append(neurons, pick[any](g, "a", "a:x", "a:-1", ":2", "a:1:2", "a: 3", 7, nil,
					"a:\u0661\u0662", "\x1cb:1\u00a0", "c:\U0001D7D9", "a:00003", "b:\u00b2"))
			default:
				neurons = append(neurons, fmt.Sprintf(pick(g, plxNeuronIDs...), g.r.IntN(14)))
			}
		}
		outputs = append(outputs, map[string]any{"t": g.r.IntN(20), "neurons": neurons})
	}
	return plxDecodeCase{Mapping: plxJSON(mapping), Item: plxJSON(map[string]any{"step": g.r.IntN(100000) - 5, "outputs": outputs})}
}

func (g plxGen) actuationCase() plxDecodeCase {
	var b strings.Builder
	b.WriteString("{")
	channels := []string{"left", "right", "lift", "grip"}
	g.r.Shuffle(len(channels), func(i, j int) { channels[i], channels[j] = channels[j], channels[i] })
	for i, ch := range channels[:1+g.r.IntN(3)] {
		if i > 0 {
			b.WriteString(",")
		}
		e := map[string]any{"motor": pick(g, "wheel:left", "wheel:right", "lift"), "gain": pick(g, 0.5, -1.0, 0.01, 2.0, 0.0, 1e-3)}
		if g.coin(0.4) {
			lo := pick(g, -2.0, -0.5, 0.0, 0.1)
			e["limit"] = []float64{lo, lo + pick(g, 0.0, 0.3, 1.0, 4.0)}
		}
		fmt.Fprintf(&b, "%q:%s", ch, plxJSON(e))
	}
	b.WriteString("}")
	item := map[string]any{"step": g.r.IntN(1000), "outputs": []any{}}
	switch g.r.IntN(10) {
	case 0:
	case 1:
		item["actuation"] = pick[any](g, nil, map[string]any{}, []any{1}, map[string]any{"channels": []any{}})
	default:
		counts := map[string]any{}
		for _, ch := range []string{"left", "right", "lift", "grip", "other"} {
			if g.coin(0.7) {
				counts[ch] = pick[any](g, g.r.IntN(20), g.r.IntN(20), float64(g.r.IntN(40))/4, 0, -3)
			}
		}
		if g.coin(0.08) {
			counts[pick(g, "left", "right", "other")] = pick[any](g, "3", true, nil)
		}
		item["actuation"] = map[string]any{"channels": counts}
	}
	return plxDecodeCase{Mapping: json.RawMessage(b.String()), Item: plxJSON(item)}
}

func (g plxGen) sensorCase() plxSensorCase {
	c := plxSensorCase{Channels: map[string][]num{}}
	count := 1 + g.r.IntN(4)
	switch {
	case g.coin(0.05):
		count = 0
	case g.coin(0.05):
		count = pick(g, 128, 129)
	}
	for i := range count {
		id := fmt.Sprintf("in%d", i)
		if g.coin(0.04) {
			id = pick(g, "", strings.Repeat("x", 128), strings.Repeat("é", 129))
		}
		l := pick(g, 1, 2, 8, 64)
		if g.coin(0.08) {
			l = pick(g, 0, 498, 499)
		}
		v := make([]num, l)
		for j := range v {
			v[j] = num(g.r.Float64())
		}
		if l > 0 && g.coin(0.25) {
			v[g.r.IntN(l)] = num(pick(g, 0, 1, math.Copysign(0, -1), 1.0000001, -1e-12, math.NaN(), math.Inf(1)))
		}
		c.Channels[id] = v
	}
	return c
}

// designCase draws a design: mostly valid (the digest is compared), with one
// field broken now and then (the refusal is compared).
func (g plxGen) designCase() plxDesignCase {
	names := []string{"SENSE", "REWARD", "Hub", "h2", "Motor_L", "grip", "Z9"}
	g.r.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	count := 2 + g.r.IntN(len(names)-1)
	kinds := map[string]string{}
	var nodes []any
	for i, name := range names[:count] {
		kind := pick(g, "input", "opu", "opu", "output")
		if i == 0 {
			kind = "input"
		}
		kinds[name] = kind
		n := map[string]any{"name": name, "kind": kind}
		if g.coin(0.7) {
			n["x"], n["y"] = pick[any](g, 160.0, 450, 12.34, 0), pick[any](g, 160.0, 310, 0.05)
		}
		switch kind {
		case "input":
			n["neurons"] = pick[any](g, 1, 8, 16, 64, 498)
		case "output":
			if g.coin(0.7) {
				n["neurons"] = pick[any](g, 1, 2, 8, 100)
			}
		case "opu":
			n["rhythm"] = pick(g, "high-gamma", "gamma", "beta", "alpha", "theta", "delta", "Beta", "HIGH-GAMMA")
			if strings.EqualFold(n["rhythm"].(string), "high-gamma") && g.coin(0.5) || g.coin(0.95) {
				n["tnorm"] = pick[any](g, 0, 1, 2.0, 2.01, 0.1, 9.99, 10, 3.5, 0.07)
			}
		}
		nodes = append(nodes, n)
	}
	edges := []any{}
	seen := map[[2]string]bool{}
	for range g.r.IntN(2 * count) {
		from, to := pick(g, names[:count]...), pick(g, names[:count]...)
		ok := kinds[to] == "opu" || kinds[to] == "output" && kinds[from] == "opu"
		if !ok || seen[[2]string{from, to}] {
			continue
		}
		seen[[2]string{from, to}] = true
		e := map[string]any{"from": from, "to": to}
		if g.coin(0.7) {
			e["type"] = pick(g, "exc", "exc", "inh")
		}
		if e["type"] == "inh" && g.coin(0.5) {
			e["strength"] = pick[any](g, 1, 1.0, 0.1, 2.5, 7)
		}
		if kinds[to] == "opu" && g.coin(0.25) {
			if kinds[from] != "input" && g.coin(0.5) {
				e["role"] = "feedback"
			} else {
				e["role"] = "operand"
				if g.coin(0.6) {
					e["units"] = pick[any](g, 1, 2.5, 0.25, 40)
				}
			}
		}
		edges = append(edges, e)
	}
	d := map[string]any{"schema": "artificial-brains/design/v1", "nodes": nodes, "connections": edges}
	if g.coin(0.8) {
		d["name"] = pick(g, "Arm", "Test Brain", "ünïcode brain", `quote " and \ backslash`, "x")
	}
	if g.coin(0.2) { // break one thing
		switch g.r.IntN(8) {
		case 0:
			d["name"] = pick(g, " padded", "", strings.Repeat("n", 81))
		case 1:
			nodes[0].(map[string]any)["neurons"] = pick[any](g, 0, 499, 8.0, true, "8")
		case 2:
			nodes[0].(map[string]any)["name"] = pick(g, "9lives", "a-b", "")
		case 3:
			d["schema"] = "artificial-brains/design/v2"
		case 4:
			nodes = append(nodes, map[string]any{"name": "Bad", "kind": "opu", "rhythm": "beta", "tnorm": pick[any](g, 2.015, -1, 11, nil, true)})
			d["nodes"] = nodes
		case 5:
			edges = append(edges, map[string]any{"from": names[0], "to": pick(g, names[:count]...), "type": pick(g, "exc", "inh", "mod"), "strength": 0.05})
			d["connections"] = edges
		case 6:
			nodes[0].(map[string]any)["x"] = pick[any](g, -1, nil, "1")
		case 7:
			edges = append(edges, map[string]any{"from": names[0], "to": "Nowhere"})
			d["connections"] = edges
		}
	}
	return plxDesignCase{Design: plxJSON(d)}
}

func plxJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func generatePrimaluxCases() plxCases {
	g := plxGen{rand.New(rand.NewPCG(primaluxSeed, primaluxSeed>>3))}
	var c plxCases
	for range plxEncodeCases {
		c.Encode = append(c.Encode, g.encodeCase())
	}
	for range plxRewardCases {
		c.Reward = append(c.Reward, g.rewardCase())
	}
	for range plxSpikeCases {
		c.Spike = append(c.Spike, g.spikeCase())
	}
	for range plxActuationCases {
		c.Actuation = append(c.Actuation, g.actuationCase())
	}
	for range plxSensorCases {
		c.Sensors = append(c.Sensors, g.sensorCase())
	}
	for range plxDesignCases {
		c.Design = append(c.Design, g.designCase())
	}
	return c
}

// plxDiff is the largest difference between two vectors; NaN matches NaN
// and an infinity only the same infinity.
func plxDiff(a, b []float64) float64 {
	d := 0.0
	for i := range a {
		x, y := a[i], b[i]
		switch {
		case math.IsNaN(x) && math.IsNaN(y), x == y:
		case math.IsNaN(x), math.IsNaN(y), math.IsInf(x, 0), math.IsInf(y, 0):
			return math.Inf(1)
		default:
			d = max(d, math.Abs(x-y))
		}
	}
	return d
}

func floats(v []num) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func optFloat(p *num) *float64 {
	if p == nil {
		return nil
	}
	x := float64(*p)
	return &x
}

func nOf(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// plxTally counts one part's cases and keeps its largest difference.
type plxTally struct {
	name                  string
	cases, errors, values int
	maxDiff               float64
}

func (t *plxTally) String() string {
	return fmt.Sprintf("%-9s %4d cases (%3d SDK errors, matched) %6d values, max abs diff %g", t.name, t.cases, t.errors, t.values, t.maxDiff)
}

// TestPrimaluxParity runs the same generated cases through SDK 0.4.0's own
// encoders, reward path, decoders and sensor checks and through
// internal/primalux, and requires the same vectors, deltas and refusals.
func TestPrimaluxParity(t *testing.T) {
	py := plxSDKPython(t)
	cases := generatePrimaluxCases()
	in, err := json.Marshal(cases)
	require.NoError(t, err)
	out := runPeer(t, 3*time.Minute, in, py, filepath.Join(repoRoot(t), "test", "peers", "primalux_sdk_parity.py"))
	var sdk plxAnswers
	require.NoError(t, json.Unmarshal(out, &sdk), "peer output: %.2000s", out)
	require.Len(t, sdk.Encode, len(cases.Encode))
	require.Len(t, sdk.Reward, len(cases.Reward))
	require.Len(t, sdk.Spike, len(cases.Spike))
	require.Len(t, sdk.Actuation, len(cases.Actuation))
	require.Len(t, sdk.Sensors, len(cases.Sensors))
	require.Len(t, sdk.Design, len(cases.Design))

	tallies := []*plxTally{{name: "encode"}, {name: "reward"}, {name: "spike"}, {name: "actuation"}, {name: "sensors"}, {name: "design"}}
	vector := func(tl *plxTally, i int, c any, want plxVector, got []float64, gerr error) {
		tl.cases++
		if want.Error != "" {
			tl.errors++
			assert.Error(t, gerr, "%s case %d %s: the SDK refused (%s)", tl.name, i, plxJSON(c), want.Error)
			return
		}
		if !assert.NoError(t, gerr, "%s case %d %s", tl.name, i, plxJSON(c)) || !assert.Len(t, got, len(want.Payload), "%s case %d %s", tl.name, i, plxJSON(c)) {
			return
		}
		d := plxDiff(floats(want.Payload), got)
		tl.values += len(got)
		tl.maxDiff = max(tl.maxDiff, d)
		assert.LessOrEqual(t, d, plxTolerance, "%s case %d %s: SDK %v, ours %v", tl.name, i, plxJSON(c), want.Payload, got)
	}
	for i, c := range cases.Encode {
		got, gerr := primalux.Encode(primalux.Input{ID: "in", Sensor: "in", Kind: c.Kind, N: nOf(c.N)}, floats(c.Signal),
			primalux.Mode(c.Mode), primalux.Scale{Vmax: optFloat(c.Vmax), Vmin: optFloat(c.Vmin), Absmax: optFloat(c.Absmax), Radius: c.Radius})
		vector(tallies[0], i, c, sdk.Encode[i], got, gerr)
	}
	for i, c := range cases.Reward {
		vector(tallies[1], i, c, sdk.Reward[i], primalux.RewardVector(float64(c.Magnitude), nOf(c.N)), nil)
	}
	command := func(tl *plxTally, i int, c plxDecodeCase, want plxCommand, got primalux.Command, gerr error) {
		tl.cases++
		if want.Error != "" {
			tl.errors++
			assert.Error(t, gerr, "%s case %d %s %s: the SDK refused (%s)", tl.name, i, c.Mapping, c.Item, want.Error)
			return
		}
		if !assert.NoError(t, gerr, "%s case %d %s %s", tl.name, i, c.Mapping, c.Item) {
			return
		}
		assert.Equal(t, want.T, got.T)
		keys := func(m map[string]float64) []string {
			var k []string
			for c := range m {
				k = append(k, c)
			}
			return k
		}
		wantDeltas := map[string]float64{}
		for k, v := range want.Deltas {
			wantDeltas[k] = float64(v)
		}
		assert.ElementsMatch(t, keys(wantDeltas), keys(got.Deltas), "%s case %d %s %s", tl.name, i, c.Mapping, c.Item)
		for k, w := range wantDeltas {
			d := plxDiff([]float64{w}, []float64{got.Deltas[k]})
			tl.values++
			tl.maxDiff = max(tl.maxDiff, d)
			assert.LessOrEqual(t, d, plxTolerance, "%s case %d channel %s: SDK %v, ours %v (%s %s)", tl.name, i, k, w, got.Deltas[k], c.Mapping, c.Item)
		}
	}
	for i, c := range cases.Spike {
		entries, err := primalux.ParseMapping(c.Mapping)
		require.NoError(t, err, "spike case %d mapping %s", i, c.Mapping)
		item, err := primalux.ParseItem(c.Item)
		require.NoError(t, err, "spike case %d item %s", i, c.Item)
		command(tallies[2], i, c, sdk.Spike[i], primalux.NewSpikeDecoder(entries).Decode(item), nil)
	}
	for i, c := range cases.Actuation {
		var got primalux.Command
		entries, gerr := primalux.ParseActuationMapping(c.Mapping)
		var dec *primalux.ActuationDecoder
		if gerr == nil {
			dec, gerr = primalux.NewActuationDecoder(entries)
		}
		if gerr == nil {
			var item primalux.Item
			item, gerr = primalux.ParseItem(c.Item)
			if gerr == nil {
				got, gerr = dec.Decode(item)
			}
		}
		command(tallies[3], i, c, sdk.Actuation[i], got, gerr)
	}
	for i, c := range cases.Sensors {
		tl := tallies[4]
		tl.cases++
		channels := map[string][]float64{}
		for k, v := range c.Channels {
			channels[k] = floats(v)
		}
		gerr := primalux.ValidateSensors(channels)
		want := sdk.Sensors[i]
		if want.Error != "" {
			tl.errors++
			assert.Error(t, gerr, "sensors case %d: the SDK refused (%s)", i, want.Error)
			continue
		}
		if !assert.NoError(t, gerr, "sensors case %d", i) {
			continue
		}
		body, err := json.Marshal(channels)
		require.NoError(t, err)
		var posted map[string][]float64
		require.NoError(t, json.Unmarshal(body, &posted))
		assert.Equal(t, want.Posted, posted, "sensors case %d: what is posted", i)
		for _, v := range posted {
			tl.values += len(v)
		}
	}
	for i, c := range cases.Design {
		tl := tallies[5]
		tl.cases++
		d, gerr := primalux.ParseDesign(c.Design)
		want := sdk.Design[i]
		if want.Error != "" {
			tl.errors++
			assert.Error(t, gerr, "design case %d %s: the SDK refused (%s)", i, c.Design, want.Error)
			continue
		}
		if assert.NoError(t, gerr, "design case %d %s", i, c.Design) {
			tl.values++
			assert.Equal(t, want.Canonical, string(d.Canonical), "design case %d %s", i, c.Design)
			assert.Equal(t, want.Digest, d.Digest, "design case %d", i)
		}
	}
	total := 0
	for _, tl := range tallies {
		t.Log(tl)
		total += tl.cases
	}
	t.Logf("%d cases against SDK 0.4.0 (seed %d)", total, primaluxSeed)
	// Every part must have compared values, and those with refusals (the
	// spike decoder and the reward path refuse nothing) met some.
	for _, tl := range tallies {
		assert.Positive(t, tl.values, "%s: no values compared", tl.name)
		if tl.name != "reward" && tl.name != "spike" {
			assert.Positive(t, tl.errors, "%s: no case the SDK refuses", tl.name)
		}
	}
}
