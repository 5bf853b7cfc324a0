package integration

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/contract"
)

// digestParityCases is how many random contracts the SDK and the bridge
// both hash, besides the hand-written ones.
const digestParityCases = 600

// digestParitySeed fixes the random contracts, so a failure can be replayed.
const digestParitySeed = 20261124

// sdkDigest is the peer's answer for one contract (see
// test/peers/sdk_contract_digest.py).
type sdkDigest struct {
	Digest    *string `json:"digest"`
	Error     *string `json:"error"`
	SyncSHA   *string `json:"sync_sha"`
	SyncJSON  *string `json:"sync_json"`
	SyncError *string `json:"sync_error"`
}

// digestCase is one contract document as raw bytes. Sorted says every
// object inside the io lists has its keys in order in the document, so the
// SDK's _contract.json (which keeps the server's key order) must equal the
// bridge's (which sorts them).
type digestCase struct {
	name   string
	raw    []byte
	sorted bool
}

// handDigestCases are the edges named one by one: what PROTOCOL.md says,
// and what the SDK does where it says nothing.
func handDigestCases() []digestCase {
	docs := []struct{ name, doc string }{
		{"empty", `{}`},
		{"protocol example", `{"runId":"r1","constants":{"gamma":64,"outputWindowN":32,"feedbackN":128,"feedbackT":128},"io":{"inputs":[{"id":"cam_rgb","kind":"Image"}],"outputs":[{"id":"V1"}],"feedback":[{"id":"fbP1","n":128,"fromOutput":"P1","outputKind":"joint"}],"stdp3":{"layers":["L3"]}},"realtime":{"url":"http://x","namespace":"/ab"}}`},
		{"string constants", `{"constants":{"gamma":"48","outputWindowN":" 16 ","feedbackN":"+64","feedbackT":"4_8"}}`},
		{"arabic-indic digits", `{"constants":{"gamma":"\u0664\u0668","feedbackN":"\uff11\uff12"}}`},
		{"unicode spaces around", `{"constants":{"gamma":"\u00a048\u3000","feedbackN":"\u000b7\f"}}`},
		{"float constants truncate", `{"constants":{"gamma":48.9,"outputWindowN":-3.9,"feedbackN":1e3,"feedbackT":1e300}}`},
		{"bool constants", `{"constants":{"gamma":true,"outputWindowN":false}}`},
		{"window T fallback", `{"constants":{"FEEDBACK_WINDOW_T":"100"}}`},
		{"feedbackT wins", `{"constants":{"FEEDBACK_WINDOW_T":100,"feedbackT":90}}`},
		{"null feedbackT does not fall back", `{"constants":{"FEEDBACK_WINDOW_T":100,"feedbackT":null}}`},
		{"float string constant", `{"constants":{"gamma":"48.0"}}`},
		{"hex string constant", `{"constants":{"gamma":"0x10"}}`},
		{"null constant", `{"constants":{"gamma":null}}`},
		{"list constant", `{"constants":{"gamma":[48]}}`},
		{"infinite constant", `{"constants":{"gamma":1e400}}`},
		{"double underscore", `{"constants":{"gamma":"4__8"}}`},
		{"ascii file separator is not space", `{"constants":{"gamma":"\u001c48"}}`},
		{"4300 digits", `{"constants":{"gamma":"1` + strings.Repeat("_0", 4299) + `"}}`},
		{"4301 digits", `{"constants":{"gamma":"` + strings.Repeat("0", 4300) + `1"}}`},
		{"4301-digit literal", `{"runId":` + strings.Repeat("9", 4301) + `}`},
		{"constants falsy", `{"constants":0,"io":[]}`},
		{"constants empty string", `{"constants":"","io":""}`},
		{"constants truthy list", `{"constants":[1]}`},
		{"io truthy string", `{"io":"x"}`},
		{"stdp3 list", `{"io":{"stdp3":[1]}}`},
		{"stdp3 empty list", `{"io":{"stdp3":[]}}`},
		{"layers string", `{"io":{"stdp3":{"layers":"L\u00e91","other":2}}}`},
		{"inputs string", `{"io":{"inputs":"ab\ud83d\ude00"}}`},
		{"inputs number", `{"io":{"inputs":5}}`},
		{"inputs zero", `{"io":{"inputs":0,"outputs":0.0,"feedback":false}}`},
		{"inputs underflowing float", `{"io":{"inputs":1e-400}}`},
		{"io extra keys", `{"io":{"inputs":[],"other":{"x":1},"stdp3":{"layers":[],"x":[1]}}}`},
		{"entries of any type", `{"io":{"inputs":[1,null,"x",true,[1,2.5],{"z":1.0,"a":-0}]}}`},
		{"numbers", `{"io":{"inputs":[1e400,-1e400,1e-400,-1e-400,-0.0,-0,1E5,1e16,1e15,0.0001,0.00001,123456789012345678901234567890,25000000000.0,3.14,1e-7,9007199254740993,0.1,5e-324,1.7976931348623157e308]}}`},
		{"strings", `{"io":{"inputs":[{"id":"\"\\\/\b\f\n\r\t\u0000\u001f\u007f\u2028\u2029<>&","kind":"\u6f22\u5b57 \ud83d\udc4d\ud83c\udffd e\u0301"}]}}`},
		{"key order by code point", `{"io":{"inputs":[{"\ud83d\ude00":1,"\uffff":2,"\ue000":3,"\u00e9":4,"z":5,"Z":6,"":7}]}}`},
		{"feedback bad n", `{"io":{"feedback":[{"id":"f","n":"x"}]}}`},
		{"feedback null n", `{"io":{"feedback":[{"id":"f","n":null}]}}`},
		{"feedback float n", `{"io":{"feedback":[{"id":"f","n":12.7},{"id":"g","n":"8"},"h"]}}`},
		{"duplicate keys", `{"constants":{"gamma":1,"gamma":2},"io":{"inputs":[{"id":"a","id":"b"}]}}`},
		{"bom", "\xef\xbb\xbf" + `{"constants":{"gamma":3}}`},
		{"whitespace", " \t\n{ \"io\" :\r\n{\"inputs\"\t: [ 1 , 2 ] } }\n "},
		{"invalid utf-8", "{\"io\":{\"inputs\":[\"\xff\"]}}"},
		{"utf-8 encoded surrogate", "{\"io\":{\"inputs\":[\"\xed\xa0\x80\"]}}"},
		{"utf-8 encoded surrogate outside the view", "{\"realtime\":{\"url\":\"\xed\xbf\xbf\"},\"io\":{}}"},
		{"lone surrogate in a key outside the view", `{"io":{"inputs":[],"\udc80":1}}`},
		{"lone surrogate in a key", `{"io":{"inputs":[{"\udc80":1}]}}`},
		{"lone surrogate in a constant", `{"constants":{"gamma":"4\ud8008"}}`},
		{"surrogates pair after a lone one", `{"io":{"inputs":["\ud800\ud83d\ude00"]},"runId":"\ud800\ud83d\ude00"}`},
		{"lone high surrogate", `{"io":{"inputs":["\ud800"]}}`},
		{"lone low surrogate", `{"io":{"inputs":["\udc00x"]}}`},
		{"high surrogate then letter", `{"io":{"inputs":["\ud800\u0041"]}}`},
		{"lone surrogate outside the view", `{"runId":"\udfff"}`},
		{"escaped backslash before u", `{"io":{"inputs":["\\ud800"]}}`},
		{"top-level list", `[1]`},
		{"trailing data", `{} {}`},
		{"not json", `{"io":`},
	}
	out := make([]digestCase, len(docs))
	for i, d := range docs {
		out[i] = digestCase{name: d.name, raw: []byte(d.doc)}
	}
	return out
}

// knownDivergences are documents the SDK hashes and the bridge refuses, on
// purpose (see contract.DecodeDocument and contract.StableView).
var knownDivergences = []struct{ name, doc, want string }{
	{"NaN literal", `{"io":{"inputs":[NaN]}}`, "invalid character"},
	{"Infinity literal", `{"io":{"inputs":[-Infinity]}}`, "invalid character"},
	{"inputs as an object", `{"io":{"inputs":{"b":1,"a":2}}}`, "io.inputs is an object"},
	{"U+FDD0 to U+FDEF beside a lone surrogate", `{"runId":"\ud800","io":{"inputs":["` + allMarks() + `"]}}`, "U+FDD0"},
	{"nesting 600 deep", `{"io":{"inputs":[` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `]}}`, "deeper than 512"},
}

// allMarks is every character the bridge could stand a lone surrogate in
// with while decoding.
func allMarks() string {
	var b strings.Builder
	for r := rune(0xfdd0); r <= 0xfdef; r++ {
		b.WriteRune(r)
	}
	return b.String()
}

func TestContractDigestParityWithSDK(t *testing.T) {
	cases := handDigestCases()
	hand := len(cases)
	g := &contractGen{rng: rand.New(rand.NewPCG(digestParitySeed, 7))}
	for i := range digestParityCases {
		cases = append(cases, g.newCase(i))
	}
	for _, d := range knownDivergences {
		cases = append(cases, digestCase{name: "divergence " + d.name, raw: []byte(d.doc)})
	}
	for i := range cases {
		cases[i].sorted = entryKeysInOrder(cases[i].raw)
	}
	sdk := runSDKDigest(t, cases)

	var hashed, refused, prettyCompared, syncRefused int
	dir := t.TempDir()
	for i, c := range cases[:len(cases)-len(knownDivergences)] {
		want := sdk[i]
		got, goErr := contract.DigestJSON(c.raw)
		ok := assert.Equal(t, want.Error != nil, goErr != nil,
			"case %d %s: SDK error %v, bridge error %v\ndoc: %s", i, c.name, deref(want.Error), goErr, c.raw)
		if want.Error != nil {
			refused++
			continue
		}
		if !ok {
			continue
		}
		hashed++
		assert.Equal(t, *want.Digest, got, "case %d %s\ndoc: %s", i, c.name, c.raw)
		syncErr := syncBoth(t, filepath.Join(dir, strconv.Itoa(i)), c, want, &prettyCompared)
		if syncErr {
			syncRefused++
		}
	}
	for j, d := range knownDivergences {
		i := len(cases) - len(knownDivergences) + j
		require.Nil(t, sdk[i].Error, "the SDK now refuses %s: drop it from knownDivergences", d.name)
		_, err := contract.DigestJSON([]byte(d.doc))
		require.Error(t, err, d.name)
		assert.Contains(t, err.Error(), d.want, d.name)
	}
	t.Logf("%d contracts (%d hand-written, %d random): %d hashed alike, %d refused by both, "+
		"%d syncs refused by both, %d _contract.json compared byte for byte; %d known divergences checked",
		len(cases)-len(knownDivergences), hand, digestParityCases, hashed, refused, syncRefused, prettyCompared, len(knownDivergences))
	// The generator must reach both outcomes and the file comparison, or
	// this test proves little.
	assert.Greater(t, hashed, 300)
	assert.Greater(t, refused, 20)
	assert.Greater(t, syncRefused, 3)
	assert.Greater(t, prettyCompared, 200)
}

// syncBoth syncs the case with the bridge and compares the result with the
// SDK's sync; it reports whether both refused.
func syncBoth(t *testing.T, dir string, c digestCase, want sdkDigest, compared *int) bool {
	t.Helper()
	doc, err := contract.DecodeDocument(c.raw)
	require.NoError(t, err)
	rep, err := contract.Sync(dir, doc, map[string][]byte{"reward_policy.yaml": []byte("# user\n")})
	if !assert.Equal(t, want.SyncError != nil, err != nil, "%s: SDK sync error %v, bridge %v\ndoc: %s", c.name, deref(want.SyncError), err, c.raw) {
		return false
	}
	if err != nil {
		_, statErr := os.Stat(filepath.Join(dir, contract.ContractFile))
		assert.ErrorIs(t, statErr, os.ErrNotExist, "%s: a refused sync wrote files", c.name)
		return true
	}
	assert.Equal(t, *want.SyncSHA, rep.Digest, c.name)
	synced, err := contract.ReadSyncedDigest(dir)
	require.NoError(t, err)
	assert.Equal(t, *want.SyncSHA, synced, c.name)
	if c.sorted {
		got, err := os.ReadFile(filepath.Join(dir, contract.ContractFile))
		require.NoError(t, err)
		assert.Equal(t, *want.SyncJSON, string(got), "%s: _contract.json\ndoc: %s", c.name, c.raw)
		*compared++
	}
	return false
}

// entryKeysInOrder reads raw with encoding/json's tokenizer and says whether
// every object within io.inputs, io.outputs, io.feedback and
// io.stdp3.layers has its keys sorted, without repeats.
func entryKeysInOrder(raw []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))))
	dec.UseNumber()
	ok, err := keysInOrder(dec, nil)
	return err == nil && ok
}

func keysInOrder(dec *json.Decoder, path []string) (bool, error) {
	tok, err := dec.Token()
	if err != nil {
		return false, err
	}
	inView := len(path) >= 3 && path[0] == "io" &&
		(slices.Contains([]string{"inputs", "outputs", "feedback"}, path[1]) || path[1] == "stdp3" && path[2] == "layers")
	ordered := true
	switch tok {
	case json.Delim('{'):
		prev := ""
		for i := 0; dec.More(); i++ {
			k, err := dec.Token()
			if err != nil {
				return false, err
			}
			key, _ := k.(string)
			if inView && i > 0 && key <= prev {
				ordered = false
			}
			prev = key
			sub, err := keysInOrder(dec, append(slices.Clone(path), key))
			if err != nil {
				return false, err
			}
			ordered = ordered && sub
		}
		_, err = dec.Token()
	case json.Delim('['):
		for dec.More() {
			sub, err := keysInOrder(dec, append(slices.Clone(path), "[]"))
			if err != nil {
				return false, err
			}
			ordered = ordered && sub
		}
		_, err = dec.Token()
	}
	return ordered, err
}

func deref(s *string) string {
	if s == nil {
		return "<none>"
	}
	return *s
}

// runSDKDigest hands every case to the SDK peer at once.
func runSDKDigest(t *testing.T, cases []digestCase) []sdkDigest {
	t.Helper()
	var in bytes.Buffer
	for _, c := range cases {
		in.WriteString(base64.StdEncoding.EncodeToString(c.raw))
		in.WriteByte('\n')
	}
	out := runPeer(t, 2*time.Minute, in.Bytes(), venvPython(t), filepath.Join(repoRoot(t), "test", "peers", "sdk_contract_digest.py"))
	var answers []sdkDigest
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var a sdkDigest
		require.NoError(t, json.Unmarshal(sc.Bytes(), &a), "peer line: %s", sc.Text())
		answers = append(answers, a)
	}
	require.NoError(t, sc.Err())
	require.Len(t, answers, len(cases))
	return answers
}

// contractGen writes random contract documents as JSON text, choosing how
// each value is spelled (escapes, number forms, key order) as well as what
// it is.
type contractGen struct {
	rng *rand.Rand
	buf bytes.Buffer
}

func (g *contractGen) newCase(i int) digestCase {
	g.buf.Reset()
	if g.rng.IntN(40) == 0 {
		g.buf.WriteString("\xef\xbb\xbf")
	}
	members := []func(){}
	if g.rng.IntN(5) > 0 {
		members = append(members, func() { g.key("constants"); g.constants() })
	}
	if g.rng.IntN(8) > 0 {
		members = append(members, func() { g.key("io"); g.io() })
	}
	for _, k := range []string{"runId", "projectId", "realtime", "ok"} {
		if g.rng.IntN(2) == 0 {
			members = append(members, func() { g.key(k); g.any(2) })
		}
	}
	g.rng.Shuffle(len(members), func(a, b int) { members[a], members[b] = members[b], members[a] })
	g.object(members)
	return digestCase{name: fmt.Sprintf("random %d", i), raw: slices.Clone(g.buf.Bytes())}
}

// object writes the members in the order given, separated by random
// whitespace.
func (g *contractGen) object(members []func()) {
	g.buf.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			g.buf.WriteByte(',')
		}
		g.space()
		m()
	}
	g.buf.WriteByte('}')
}

func (g *contractGen) space() {
	if g.rng.IntN(10) == 0 {
		g.buf.WriteString([]string{" ", "\n", "\t ", "\r\n  "}[g.rng.IntN(4)])
	}
}

func (g *contractGen) key(k string) {
	g.str(k)
	g.space()
	g.buf.WriteByte(':')
	g.space()
}

func (g *contractGen) constants() {
	switch g.rng.IntN(12) {
	case 0:
		g.buf.WriteString([]string{"null", "{}", "0", "[]", `""`, "false"}[g.rng.IntN(6)])
		return
	case 1:
		g.buf.WriteString([]string{"[1]", "1", `"x"`, "true"}[g.rng.IntN(4)])
		return
	}
	var members []func()
	for _, k := range []string{"gamma", "outputWindowN", "feedbackN", "feedbackT", "FEEDBACK_WINDOW_T"} {
		if g.rng.IntN(3) > 0 {
			members = append(members, func() { g.key(k); g.constant() })
		}
	}
	if g.rng.IntN(4) == 0 {
		members = append(members, func() { g.key("other"); g.any(1) })
	}
	g.rng.Shuffle(len(members), func(a, b int) { members[a], members[b] = members[b], members[a] })
	g.object(members)
}

// constant is a constant's value: mostly what int() reads, sometimes what
// makes it raise.
func (g *contractGen) constant() {
	n := 1 + g.rng.IntN(256)
	switch g.rng.IntN(40) {
	case 0, 1, 2, 3, 4, 5, 6, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35:
		g.buf.WriteString(strconv.Itoa(n))
	case 7, 8:
		g.buf.WriteString(floatLiteral(strconv.FormatFloat(float64(n)+g.rng.Float64()*[]float64{1, -1}[g.rng.IntN(2)], 'f', -1, 64)))
	case 9:
		g.buf.WriteString(strconv.Itoa(n) + "e" + strconv.Itoa(g.rng.IntN(4)))
	case 10, 11, 12:
		g.str(strconv.Itoa(n))
	case 13:
		g.str([]string{" ", "\t", "\u00a0", "\u3000", "\n"}[g.rng.IntN(5)] + "+" + strconv.Itoa(n) + " ")
	case 14:
		s := strconv.Itoa(n)
		g.str(s[:1] + "_" + s[1:] + "0")
	case 15:
		g.str(string(rune(0x0660+n%10)) + string(rune(0xff10+n/10%10)))
	case 16:
		g.buf.WriteString([]string{"true", "false"}[g.rng.IntN(2)])
	case 17:
		g.str([]string{"48.0", "0x10", "", "4__8", "x", "1_"}[g.rng.IntN(6)])
	case 18:
		g.buf.WriteString([]string{"null", "[]", "{}", "1e400"}[g.rng.IntN(4)])
	default:
		g.buf.WriteString("-" + strconv.Itoa(n))
	}
}

func (g *contractGen) io() {
	switch g.rng.IntN(15) {
	case 0:
		g.buf.WriteString([]string{"null", "{}", "0", "[]"}[g.rng.IntN(4)])
		return
	case 1:
		g.buf.WriteString([]string{"[1]", `"io"`}[g.rng.IntN(2)])
		return
	}
	var members []func()
	for _, k := range []string{"inputs", "outputs", "feedback"} {
		if g.rng.IntN(6) > 0 {
			members = append(members, func() { g.key(k); g.ioList(k) })
		}
	}
	if g.rng.IntN(5) > 0 {
		members = append(members, func() { g.key("stdp3"); g.stdp3() })
	}
	if g.rng.IntN(5) == 0 {
		members = append(members, func() { g.key("extra"); g.any(2) })
	}
	g.rng.Shuffle(len(members), func(a, b int) { members[a], members[b] = members[b], members[a] })
	g.object(members)
}

func (g *contractGen) ioList(list string) {
	switch g.rng.IntN(25) {
	case 0:
		g.buf.WriteString([]string{"null", "[]", `""`, "0", "false", "0.0"}[g.rng.IntN(6)])
		return
	case 1:
		g.str(g.text(4))
		return
	case 2:
		g.buf.WriteString([]string{"5", "true"}[g.rng.IntN(2)])
		return
	}
	n := g.rng.IntN(5)
	g.buf.WriteByte('[')
	for i := range n {
		if i > 0 {
			g.buf.WriteByte(',')
		}
		g.space()
		if g.rng.IntN(15) == 0 {
			g.any(2)
			continue
		}
		g.entry(list)
	}
	g.buf.WriteByte(']')
}

// entry is an io entry: an object with an id and kind, extra fields of any
// shape, its keys sorted or not.
func (g *contractGen) entry(list string) {
	fields := map[string]func(){
		"id": func() { g.str(g.id()) },
	}
	if list == "inputs" || g.rng.IntN(4) == 0 {
		kinds := []string{"Image", "Audio", "Proprioception", "Feedback", "Lidar"}
		fields["kind"] = func() { g.str(kinds[g.rng.IntN(len(kinds))]) }
	}
	if list == "feedback" {
		if g.rng.IntN(2) == 0 {
			fields["n"] = func() { g.constant() }
		}
		fields["fromOutput"] = func() { g.str(g.id()) }
		fields["outputKind"] = func() { g.str([]string{"joint", "gripper", "wheel"}[g.rng.IntN(3)]) }
	}
	for range g.rng.IntN(4) {
		fields[g.text(3)] = func() { g.any(3) }
	}
	g.fields(fields)
}

// fields writes an object from named members, in sorted order or shuffled.
func (g *contractGen) fields(fields map[string]func()) {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if g.rng.IntN(5) == 0 {
		g.rng.Shuffle(len(keys), func(a, b int) { keys[a], keys[b] = keys[b], keys[a] })
	}
	members := make([]func(), len(keys))
	for i, k := range keys {
		members[i] = func() { g.key(k); fields[k]() }
	}
	g.object(members)
}

func (g *contractGen) stdp3() {
	switch g.rng.IntN(10) {
	case 0:
		g.buf.WriteString([]string{"null", "{}", "[]"}[g.rng.IntN(3)])
		return
	case 1:
		g.str(g.id())
		return
	}
	fields := map[string]func(){
		"layers": func() {
			if g.rng.IntN(10) == 0 {
				g.str(g.id())
				return
			}
			n := g.rng.IntN(4)
			g.buf.WriteByte('[')
			for i := range n {
				if i > 0 {
					g.buf.WriteByte(',')
				}
				g.str(g.id())
			}
			g.buf.WriteByte(']')
		},
	}
	if g.rng.IntN(4) == 0 {
		fields["rule"] = func() { g.any(1) }
	}
	g.fields(fields)
}

// any is a JSON value of any type, nesting at most depth more levels.
func (g *contractGen) any(depth int) {
	top := 7
	if depth > 0 {
		top = 9
	}
	switch g.rng.IntN(top) {
	case 0:
		g.buf.WriteString([]string{"null", "true", "false"}[g.rng.IntN(3)])
	case 1, 2:
		g.number()
	case 3:
		g.buf.WriteString(strconv.Itoa(g.rng.IntN(2000) - 1000))
	case 4, 5, 6:
		g.str(g.text(8))
	case 7:
		n := g.rng.IntN(4)
		g.buf.WriteByte('[')
		for i := range n {
			if i > 0 {
				g.buf.WriteByte(',')
			}
			g.any(depth - 1)
		}
		g.buf.WriteByte(']')
	default:
		fields := map[string]func(){}
		for range g.rng.IntN(4) {
			fields[g.text(3)] = func() { g.any(depth - 1) }
		}
		g.fields(fields)
	}
}

// number is a JSON number literal: integers of any size, floats of every
// magnitude spelled every way JSON allows.
func (g *contractGen) number() {
	b := &g.buf
	switch g.rng.IntN(12) {
	case 0:
		b.WriteString([]string{"0", "-0", "0.0", "-0.0", "1.0", "1E5", "1e+5", "1e-7", "1e16", "1e15", "1e400", "-1e400", "1e-400", "-1e-400", "5e-324", "1.7976931348623157e308", "25000000000.0", "0.0001", "0.00001", "9007199254740993", "123456789012345678901234567890", "-1.5e-10"}[g.rng.IntN(22)])
	case 1, 2, 3:
		f := math.Float64frombits(g.rng.Uint64())
		for math.IsNaN(f) || math.IsInf(f, 0) {
			f = math.Float64frombits(g.rng.Uint64())
		}
		b.WriteString(floatLiteral(strconv.FormatFloat(f, 'g', -1, 64)))
	case 4, 5:
		f := float64(g.rng.IntN(2000000)-1000000) / math.Pow10(g.rng.IntN(12))
		b.WriteString(floatLiteral(strconv.FormatFloat(f, []byte("gfe")[g.rng.IntN(3)], -1, 64)))
	case 6:
		// more digits than a double holds: read back correctly rounded
		b.WriteString(floatLiteral(strconv.FormatFloat(g.rng.NormFloat64()*math.Pow10(g.rng.IntN(40)-20), 'e', 17+g.rng.IntN(10), 64)))
	case 7:
		b.WriteString(strconv.Itoa(1+g.rng.IntN(9)) + "." + strconv.Itoa(g.rng.IntN(1000)) + "e" + strconv.Itoa(g.rng.IntN(60)-30))
	case 8:
		b.WriteString(strconv.FormatInt(g.rng.Int64()>>g.rng.IntN(63), 10))
	case 9:
		digits := make([]byte, 1+g.rng.IntN(60))
		for i := range digits {
			digits[i] = byte('0' + g.rng.IntN(10))
		}
		digits[0] = byte('1' + g.rng.IntN(9))
		b.WriteString("-"[:g.rng.IntN(2)] + string(digits))
	default:
		b.WriteString(strconv.FormatFloat(g.rng.Float64()*100, 'f', 1+g.rng.IntN(8), 64))
	}
}

// floatLiteral makes sure a Go-formatted float reads as a float in JSON.
func floatLiteral(s string) string {
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}

// fragments are what generated text is made of: every class of character
// Python's json escapes, or must not.
var fragments = []string{
	"a", "Zz", "id", "V1", "joint_0", "0", " ", "漢字", "ロボット", "😀", "👍🏽", "e\u0301", "é", "Ω",
	"\"", "\\", "/", "\n", "\r", "\t", "\b", "\f", "\x00", "\x01", "\x1f", "\x7f", "<>&",
	"\u2028", "\u2029", "\u00a0", "\ufeff", "\uffff", "\ue000", "\U0010ffff", "\U0001d7ce", "\ufdd0",
}

func (g *contractGen) text(max int) string {
	var s strings.Builder
	for range g.rng.IntN(max + 1) {
		s.WriteString(fragments[g.rng.IntN(len(fragments))])
	}
	return s.String()
}

func (g *contractGen) id() string {
	if g.rng.IntN(4) == 0 {
		return g.text(3)
	}
	return []string{"cam", "mic", "j0", "j1", "V1", "V2", "P1", "fbP1", "L3", "L4"}[g.rng.IntN(10)] + strconv.Itoa(g.rng.IntN(3))
}

// str writes s as a JSON string, each character raw or escaped at random,
// as different servers might spell the same text.
func (g *contractGen) str(s string) {
	b := &g.buf
	b.WriteByte('"')
	for _, r := range s {
		short := map[rune]string{'"': `\"`, '\\': `\\`, '\n': `\n`, '\r': `\r`, '\t': `\t`, '\b': `\b`, '\f': `\f`, '/': `\/`}
		switch esc, ok := short[r]; {
		case ok && (r < 0x20 || r == '"' || r == '\\' || g.rng.IntN(2) == 0):
			b.WriteString(esc)
		case r < 0x20 || g.rng.IntN(6) == 0:
			g.escape(r)
		default:
			b.WriteRune(r)
		}
	}
	if g.rng.IntN(400) == 0 {
		// a lone surrogate, as a JavaScript server writes one
		fmt.Fprintf(b, `\u%04x`, 0xd800+g.rng.IntN(0x800))
	}
	b.WriteByte('"')
}

func (g *contractGen) escape(r rune) {
	format := []string{`\u%04x`, `\u%04X`}[g.rng.IntN(2)]
	if r < 0x10000 {
		fmt.Fprintf(&g.buf, format, r)
		return
	}
	r -= 0x10000
	fmt.Fprintf(&g.buf, format+format, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
}
