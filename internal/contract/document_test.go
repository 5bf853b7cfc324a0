package contract

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

func TestDecodeDocumentKeepsLiterals(t *testing.T) {
	doc, err := DecodeDocument([]byte("\xef\xbb\xbf" + `{"a":1,"b":1.0,"c":1e400,"d":123456789012345678901234567890,"e":"\ud83d\ude00"}`))
	require.NoError(t, err)
	assert.Equal(t, map[string]any{
		"a": json.Number("1"), "b": json.Number("1.0"), "c": json.Number("1e400"),
		"d": json.Number("123456789012345678901234567890"), "e": "😀",
	}, doc)
}

func TestDecodeDocumentRefuses(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"not json", `{"a":`, "unexpected EOF"},
		{"list", `[1]`, "want an object"},
		{"null", `null`, "want an object"},
		{"trailing data", `{} {}`, "data after"},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", "not valid UTF-8"},
		{"NaN", `{"a":NaN}`, "invalid character"},
		{"4301-digit integer", `{"a":-` + strings.Repeat("1", 4301) + `}`, "4301 digits"},
		{"too deep", strings.Repeat(`{"a":`, 600) + "1" + strings.Repeat("}", 600), "deeper than 512"},
		{"every mark taken", `{"a":"\ud800","b":"` + strings.Repeat("x", 0) + marksFrom(0xfdd0, 0xfdef) + `"}`, "U+FDD0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeDocument([]byte(tc.doc))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func marksFrom(first, last rune) string {
	var b strings.Builder
	for r := first; r <= last; r++ {
		b.WriteRune(r)
	}
	return b.String()
}

// Python keeps a lone surrogate in the string it loads and fails only when
// encoding it; the bridge keeps it as the surrogate's bytes.
func TestDecodeDocumentKeepsLoneSurrogates(t *testing.T) {
	tests := []struct{ name, doc, key, want string }{
		{"escaped high", `{"a":"x\ud800y"}`, "a", "x\xed\xa0\x80y"},
		{"escaped low", `{"a":"\uDC00"}`, "a", "\xed\xb0\x80"},
		{"high then letter", `{"a":"\ud800\u0041"}`, "a", "\xed\xa0\x80A"},
		{"lone then pair", `{"a":"\ud800\ud83d\ude00"}`, "a", "\xed\xa0\x80😀"},
		{"as UTF-8 bytes", "{\"a\":\"\xed\xbf\xbf\"}", "a", "\xed\xbf\xbf"},
		{"hex after it stays text", `{"a":"\ud800abcd"}`, "a", "\xed\xa0\x80abcd"},
		{"in a key", `{"\udc80":"v"}`, "\xed\xb2\x80", "v"},
		{"beside U+FDD0", `{"a":"\ufdd0\ud800","b":"` + "\ufdd1" + `"}`, "a", "\ufdd0\xed\xa0\x80"},
		{"escaped backslash is no escape", `{"a":"\\ud800"}`, "a", `\ud800`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := DecodeDocument([]byte(tc.doc))
			require.NoError(t, err)
			assert.Equal(t, tc.want, doc[tc.key])
		})
	}
}

func TestLoneSurrogateFailsOnlyInTheView(t *testing.T) {
	_, err := DigestJSON([]byte(`{"runId":"\ud800","realtime":{"\udfff":1},"io":{"inputs":[]}}`))
	require.NoError(t, err, "outside the view, the SDK hashes it")
	_, err = DigestJSON([]byte(`{"io":{"inputs":[{"id":"\ud800"}]}}`))
	require.ErrorIs(t, err, ErrNotPythonJSON)
	assert.Contains(t, err.Error(), "lone surrogate U+D800")
	_, err = DigestJSON([]byte(`{"io":{"stdp3":{"layers":"L\udbff"}}}`))
	require.ErrorIs(t, err, ErrNotPythonJSON)
}

func FuzzDecodeAndDigest(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"constants":{"gamma":"48"},"io":{"inputs":[{"id":"a","x":1.0}]}}`,
		`{"io":{"inputs":"ab"}}`, `{"a":"\ud800"}`, "{\"a\":\"\xed\xa0\x80\"}", `{"constants":1}`,
		`{"io":{"inputs":[1e400,-0,-0.0]}}`, `{"a":"\ud800\udc00\udc00"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		doc, err := DecodeDocument(raw)
		if err != nil {
			return
		}
		v, err := StableView(doc)
		if err != nil {
			return
		}
		b, err := v.Canonical()
		if err != nil {
			return
		}
		if strings.Contains(string(b), "Infinity") {
			return // Python writes what overflows a double so; JSON has no such literal
		}
		// what was written reads back and writes the same again
		again, err := DecodeDocument(b)
		require.NoError(t, err, "%q", b)
		b2, err := CanonicalJSON(again)
		require.NoError(t, err)
		require.Equal(t, string(b), string(b2))
	})
}
