package spikes

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// agrees checks the promise of ScanRows: what it takes, Parse reads into
// the same rows with none skipped.
func agrees(t *testing.T, text string) bool {
	t.Helper()
	rows, rest, ok := ScanRows([]byte(text + ` ,"x"`))
	if !ok {
		return false
	}
	assert.Equal(t, `,"x"`, strings.TrimSpace(string(rest)), "%s", text)
	var outputs []any
	require.NoError(t, json.Unmarshal([]byte(text), &outputs), "ScanRows took %s", text)
	want, skipped := ParseRows(outputs)
	require.Empty(t, skipped, "ScanRows took %s", text)
	require.Len(t, rows, len(want), "%s", text)
	for i := range want {
		assert.Equal(t, want[i].T, rows[i].T, "%s", text)
		assert.Equal(t, want[i].ID, rows[i].ID, "%s", text)
		assert.Equal(t, string(want[i].Bits), string(rows[i].Bits), "%s", text)
	}
	return true
}

func TestScanRowsTakesTheBrainsForms(t *testing.T) {
	for _, text := range []string{
		`[]`,
		`[{"t":0,"id":"shoulder_motor","bits":[0,1,1,0]}]`,
		`[{"bits":[1],"id":"a","t":12},{"t":-3,"id":"b","bits":[]}]`,                   // Go's sorted keys
		`[ {"t": 0, "id": "a", "bits": [0, 1]}, {"t": 1, "id": "a", "bits": [1, 0]} ]`, // Python's separators
		"[\n\t{\"t\" : 999999999999999 ,\r\n \"id\":\"x y\",\"bits\":[ 1 ]}]",
	} {
		assert.True(t, agrees(t, text), "%s refused", text)
	}
}

func TestScanRowsLeavesEveryOtherFormToParse(t *testing.T) {
	for _, text := range []string{
		`[{"t":0,"id":"a","bits":[0,1],"extra":1}]`,
		`[{"t":0,"id":"a"}]`,
		`[{"t":0,"t":1,"id":"a","bits":[0]}]`,
		`[{"t":0.0,"id":"a","bits":[0]}]`,
		`[{"t":1e2,"id":"a","bits":[0]}]`,
		`[{"t":01,"id":"a","bits":[0]}]`,
		`[{"t":1234567890123456,"id":"a","bits":[0]}]`,
		`[{"t":"1","id":"a","bits":[0]}]`,
		`[{"t":0,"id":"","bits":[0]}]`,
		`[{"t":0,"id":"\u0061","bits":[0]}]`,
		`[{"t":0,"id":"é","bits":[0]}]`,
		`[{"t":0,"id":"a","bits":[0,2]}]`,
		`[{"t":0,"id":"a","bits":[0,1.0]}]`,
		`[{"t":0,"id":"a","bits":[10]}]`,
		`[{"t":0,"id":"a","bits":[true]}]`,
		`[{"t":0,"id":"a","bits":[0,]}]`,
		`[{"t":0,"id":"a","bits":[0]},]`,
		`[[0,"a",[0]]]`,
		`[null]`,
		`{"t":0}`,
		`[{"t":0,"id":"a","bits":[0]}`,
		`[{"t":-,"id":"a","bits":[0]}]`,
	} {
		_, _, ok := ScanRows([]byte(text))
		assert.False(t, ok, "%s taken", text)
	}
}

// TestScanRowsAgreesOnMutations takes brain-like lists and breaks them at
// random: whatever ScanRows still takes, Parse must read the same.
func TestScanRowsAgreesOnMutations(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	alphabet := []string{"0", "1", "2", "-", ".", "e", ",", " ", "[", "]", "{", "}", `"`, ":", "t", "id", "bits", `\`, "9"}
	taken := 0
	for range 20000 {
		var b strings.Builder
		b.WriteString("[")
		for r := range rng.IntN(4) {
			if r > 0 {
				b.WriteString(",")
			}
			b.WriteString(`{"t":` + []string{"0", "7", "-2", "64"}[rng.IntN(4)] + `,"id":"p` + string(rune('a'+rng.IntN(3))) + `","bits":[`)
			for i := range rng.IntN(5) {
				if i > 0 {
					b.WriteString(",")
				}
				b.WriteString([]string{"0", "1"}[rng.IntN(2)])
			}
			b.WriteString("]}")
		}
		b.WriteString("]")
		text := []byte(b.String())
		for range rng.IntN(3) {
			i := rng.IntN(len(text) + 1)
			m := alphabet[rng.IntN(len(alphabet))]
			if rng.IntN(2) == 0 && i < len(text) {
				text = append(text[:i:i], append([]byte(m), text[i+1:]...)...)
			} else {
				text = append(text[:i:i], append([]byte(m), text[i:]...)...)
			}
		}
		if !json.Valid(text) {
			// Only a valid list may be taken, with whatever follows it.
			if _, rest, ok := ScanRows(text); ok {
				assert.True(t, json.Valid(text[:len(text)-len(rest)]), "ScanRows took invalid %s", text)
			}
			continue
		}
		if agrees(t, string(text)) {
			taken++
		}
	}
	assert.Greater(t, taken, 1000)
}

func BenchmarkScanRows(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("[")
	for t := range 64 {
		for p, id := range []string{"shoulder_motor", "elbow_motor"} {
			if t+p > 0 {
				sb.WriteString(",")
			}
			sb.WriteString(`{"bits":[0,1,0,0,0,1,0,0,0,0,0,0,1,0,0,0,0,1,0,0,0,0,0,0,0,1,0,0,0,0,0,0],"id":"` + id + `","t":` + string(rune('0'+t%10)) + `}`)
		}
	}
	sb.WriteString("]")
	text := []byte(sb.String())
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, ok := ScanRows(text); !ok {
			b.Fatal("refused")
		}
	}
}
