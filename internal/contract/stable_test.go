package contract

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// defaults is the canonical view of an empty contract, as the SDK hashes it.
const defaults = `{"constants":{"feedbackN":128,"feedbackT":128,"gamma":64,"outputWindowN":32},"io":{"feedback":[],"inputs":[],"outputs":[],"stdp3":{"layers":[]}}}`

// withIO is the canonical view with default constants and the given io.
func withIO(io string) string {
	return `{"constants":{"feedbackN":128,"feedbackT":128,"gamma":64,"outputWindowN":32},"io":` + io + `}`
}

func withConstants(c string) string {
	return `{"constants":` + c + `,"io":{"feedback":[],"inputs":[],"outputs":[],"stdp3":{"layers":[]}}}`
}

// Expected views are the SDK's _json_bytes(_stable_contract_view(doc)).
func TestStableViewAsSDK(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"empty", `{}`, defaults},
		{"run fields dropped", `{"runId":"r","ok":true,"projectId":"p","realtime":{"url":"u"},"extra":{"a":1}}`, defaults},
		{"string constants", `{"constants":{"gamma":"48","outputWindowN":" 16 ","feedbackN":"+64","feedbackT":"4_8"}}`,
			withConstants(`{"feedbackN":64,"feedbackT":48,"gamma":48,"outputWindowN":16}`)},
		{"float constants", `{"constants":{"gamma":48.5,"outputWindowN":-48.9,"feedbackN":1e2}}`,
			withConstants(`{"feedbackN":100,"feedbackT":128,"gamma":48,"outputWindowN":-48}`)},
		{"bool constants", `{"constants":{"gamma":true,"feedbackN":false}}`,
			withConstants(`{"feedbackN":0,"feedbackT":128,"gamma":1,"outputWindowN":32}`)},
		{"window T", `{"constants":{"FEEDBACK_WINDOW_T":"7"}}`,
			withConstants(`{"feedbackN":128,"feedbackT":7,"gamma":64,"outputWindowN":32}`)},
		{"feedbackT wins", `{"constants":{"FEEDBACK_WINDOW_T":100,"feedbackT":90}}`,
			withConstants(`{"feedbackN":128,"feedbackT":90,"gamma":64,"outputWindowN":32}`)},
		{"falsy constants and io", `{"constants":0,"io":[]}`, defaults},
		{"falsy strings", `{"constants":"","io":""}`, defaults},
		{"falsy lists", `{"io":{"inputs":0,"outputs":0.0,"feedback":false,"stdp3":null}}`, defaults},
		{"underflow is falsy", `{"io":{"inputs":1e-400}}`, defaults},
		{"empty stdp3 list", `{"io":{"stdp3":[]}}`, defaults},
		{"string list is its characters", `{"io":{"inputs":"ab\u00e9\ud83d\ude00"}}`,
			withIO(`{"feedback":[],"inputs":["a","b","é","😀"],"outputs":[],"stdp3":{"layers":[]}}`)},
		{"layers string", `{"io":{"stdp3":{"layers":"L1","x":1}}}`,
			withIO(`{"feedback":[],"inputs":[],"outputs":[],"stdp3":{"layers":["L","1"]}}`)},
		{"entries kept whole", `{"io":{"extra":1,"inputs":[1,null,"x",{"z":1.0,"a":-0,"n":{"k":[1e16]}}]}}`,
			withIO(`{"feedback":[],"inputs":[1,null,"x",{"a":0,"n":{"k":[1e+16]},"z":1.0}],"outputs":[],"stdp3":{"layers":[]}}`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := DecodeDocument([]byte(tc.doc))
			require.NoError(t, err)
			v, err := StableView(doc)
			require.NoError(t, err)
			got, err := v.Canonical()
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got))
		})
	}
}

// Each of these but the last makes the SDK raise; the bridge says why
// instead. The last is a documented difference.
func TestStableViewRefusesWhereSDKRaises(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"null constant", `{"constants":{"gamma":null}}`, "constants.gamma: null"},
		{"null feedbackT does not fall back", `{"constants":{"feedbackT":null,"FEEDBACK_WINDOW_T":5}}`, "constants.feedbackT"},
		{"float string", `{"constants":{"gamma":"48.0"}}`, `"48.0" is not an integer literal`},
		{"list constant", `{"constants":{"outputWindowN":[1]}}`, "constants.outputWindowN: a list"},
		{"infinite constant", `{"constants":{"feedbackN":1e400}}`, "no integer value"},
		{"constants a list", `{"constants":[1]}`, "constants is a list, want an object"},
		{"io a number", `{"io":1}`, "io is a number"},
		{"stdp3 a list", `{"io":{"stdp3":[1]}}`, "io.stdp3 is a list"},
		{"inputs a number", `{"io":{"inputs":5}}`, "io.inputs is a number, want a list"},
		{"outputs true", `{"io":{"outputs":true}}`, "io.outputs is a boolean"},
		{"lone surrogate in an entry", `{"io":{"feedback":[{"id":"\udfff"}]}}`, "lone surrogate"},
		{"lone surrogate in a list string", `{"io":{"inputs":"a\ud800"}}`, "io.inputs"},
		// The SDK would hash the keys in document order; a Go map has none.
		{"inputs an object", `{"io":{"inputs":{"b":1}}}`, "io.inputs is an object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := DecodeDocument([]byte(tc.doc))
			require.NoError(t, err)
			_, err = Digest(doc)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrNotPythonJSON)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestStableViewDoesNotShareLists(t *testing.T) {
	doc, err := DecodeDocument([]byte(`{"io":{"inputs":[{"id":"a"}]}}`))
	require.NoError(t, err)
	v, err := StableView(doc)
	require.NoError(t, err)
	v.Inputs[0] = "changed"
	assert.Equal(t, map[string]any{"id": "a"}, doc["io"].(map[string]any)["inputs"].([]any)[0])
}

// testdata/digest holds contracts and the digests the reference SDK
// computed for them (see its README.md).
func TestDigestGoldens(t *testing.T) {
	f, err := os.Open("testdata/digest/sdk_digests.txt")
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	checked := 0
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		name, want, ok := strings.Cut(line, " ")
		require.True(t, ok, line)
		t.Run(name, func(t *testing.T) {
			got, err := DigestJSON(mustRead(t, filepath.Join("testdata", "digest", name+".json")))
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
		checked++
	}
	require.NoError(t, sc.Err())
	files, err := filepath.Glob("testdata/digest/*.json")
	require.NoError(t, err)
	assert.Equal(t, len(files), checked, "every contract in testdata/digest has an SDK digest")
}
