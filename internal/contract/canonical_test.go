package contract

import (
	"encoding/json"
	"math"
	"math/big"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Expected outputs below are what Python 3.12 writes for
// json.dumps(json.loads(literal), sort_keys=True, separators=(",", ":"),
// ensure_ascii=False).

func TestCanonicalFloatsAsPython(t *testing.T) {
	tests := []struct{ literal, want string }{
		{"1.0", "1.0"},
		{"3.14", "3.14"},
		{"1e-07", "1e-07"},
		{"1e16", "1e+16"},
		{"1e+16", "1e+16"},
		{"25000000000.0", "25000000000.0"},
		{"-0.0", "-0.0"},
		{"0.0", "0.0"},
		{"1e15", "1000000000000000.0"},
		{"9999999999999998.0", "9999999999999998.0"},
		{"0.0001", "0.0001"},
		{"0.00001", "1e-05"},
		{"0.001", "0.001"},
		{"1.5e-10", "1.5e-10"},
		{"123456.789", "123456.789"},
		{"1e22", "1e+22"},
		{"1e21", "1e+21"},
		{"1.7976931348623157e308", "1.7976931348623157e+308"},
		{"5e-324", "5e-324"},
		{"2.2250738585072014e-308", "2.2250738585072014e-308"},
		{"0.1", "0.1"},
		{"0.30000000000000004", "0.30000000000000004"},
		{"100.0", "100.0"},
		{"1e100", "1e+100"},
		{"-1.5e-5", "-1.5e-05"},
		{"1234567890123456.7", "1234567890123456.8"},
		{"12345678901234567.0", "1.2345678901234568e+16"},
		{"2.675", "2.675"},
		{"1E5", "100000.0"},
		{"1e-400", "0.0"},
		{"-1e-400", "-0.0"},
		{"1e400", "Infinity"},
		{"-1e400", "-Infinity"},
		{"0.000123", "0.000123"},
		{"9.999999999999999e-05", "9.999999999999999e-05"},
		{"1.0000000000000002", "1.0000000000000002"},
		{"123e-20", "1.23e-18"},
		{"0.5e1", "5.0"},
		{"-2.5E+3", "-2500.0"},
	}
	for _, tc := range tests {
		t.Run(tc.literal, func(t *testing.T) {
			got, err := CanonicalJSON(json.Number(tc.literal))
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got))
		})
	}
}

// pyReprShape is the form of Python's float repr: positional with a
// fraction, or one digit, an optional fraction and a signed exponent of at
// least two digits.
var pyReprShape = regexp.MustCompile(`^-?(\d+\.\d+|\d(\.\d+)?e[+-]\d{2,3})$`)

func TestPyFloatReprRoundTripsAndHasPythonShape(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 200000 {
		f := math.Float64frombits(rng.Uint64())
		if i%2 == 0 {
			f = rng.NormFloat64() * math.Pow10(rng.IntN(50)-25)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		s := string(appendPyFloat(nil, f))
		require.Regexp(t, pyReprShape, s)
		back, err := strconv.ParseFloat(s, 64)
		require.NoError(t, err, s)
		require.Equal(t, math.Float64bits(f), math.Float64bits(back), s)
		// Positional exactly from the double nearest 1e-4 up to 1e16: no
		// double lies between either bound and the decimal it stands for.
		a := math.Abs(f)
		assert.Equal(t, a == 0 || (a >= 1e-4 && a < 1e16), !strings.Contains(s, "e"), s)
	}
}

func TestCanonicalValues(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"null true false", []any{nil, true, false}, `[null,true,false]`},
		{"ints", []any{json.Number("0"), json.Number("-0"), json.Number("-12"), json.Number("123456789012345678901234567890")}, `[0,0,-12,123456789012345678901234567890]`},
		{"go ints", []any{7, int64(-8), big.NewInt(9)}, `[7,-8,9]`},
		{"keys sorted by code point", map[string]any{"b": 1, "a": 2, "é": 3, "Z": 4, "😀": 5, "\uffff": 6, "\ue000": 7, "": 8},
			`{"":8,"Z":4,"a":2,"b":1,"é":3,"` + "\ue000" + `":7,"` + "\uffff" + `":6,"😀":5}`},
		{"nested", map[string]any{"z": []any{map[string]any{"y": []any{}, "x": map[string]any{}}}}, `{"z":[{"x":{},"y":[]}]}`},
		{"escapes", "\"\\/\b\f\n\r\t\x00\x01\x1f\x7f\u2028\u2029<>&", `"\"\\/\b\f\n\r\t\u0000\u0001\u001f` + "\x7f\u2028\u2029" + `<>&"`},
		{"raw non-ASCII", "漢字 e\u0301 😀 👍🏽", `"漢字 e` + "\u0301" + ` 😀 👍🏽"`},
		{"object keeps order unless sorting", object{{"b", 1}, {"a", 2}}, `{"a":2,"b":1}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CanonicalJSON(tc.v)
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got))
		})
	}
}

func TestCanonicalRefusesWhatPythonCannotWrite(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"float64 lost its literal", map[string]any{"x": 1.0}, "lost its literal"},
		{"invalid UTF-8", []any{"\xff"}, "not valid UTF-8"},
		{"invalid UTF-8 key", map[string]any{"\xff": 1}, "not valid UTF-8"},
		{"lone surrogate", []any{"a\xed\xa0\x80"}, "lone surrogate U+D800"},
		{"unknown type", []any{struct{}{}}, "cannot write"},
		{"too many digits", json.Number(strings.Repeat("9", 4301)), "4301 digits"},
		{"not a number", json.Number("1x"), "not a JSON integer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CanonicalJSON(tc.v)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrNotPythonJSON)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// Expected: Python's json.dumps(value, indent=2, ensure_ascii=False).
func TestIndentedAsPython(t *testing.T) {
	v := object{
		{"b", []any{json.Number("1"), map[string]any{"y": nil, "x": "é"}, []any{}, map[string]any{}}},
		{"a", object{{"k", json.Number("2.50")}}},
	}
	got, err := indentedJSON(v)
	require.NoError(t, err)
	want := "{\n  \"b\": [\n    1,\n    {\n      \"x\": \"é\",\n      \"y\": null\n    },\n    [],\n    {}\n  ],\n  \"a\": {\n    \"k\": 2.5\n  }\n}"
	assert.Equal(t, want, string(got))
}

func BenchmarkDigest(b *testing.B) {
	doc, err := DecodeDocument(mustRead(b, "testdata/digest/protocol_example.json"))
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Digest(doc); err != nil {
			b.Fatal(err)
		}
	}
}
