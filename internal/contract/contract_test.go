package contract

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseDefaultsAndStrings(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want Constants
	}{
		{"empty", `{"runId":"r"}`, Constants{64, 32, 128, 128}},
		{"strings", `{"runId":"r","constants":{"gamma":"48","outputWindowN":"16","feedbackN":" 64 "}}`, Constants{48, 16, 64, 128}},
		{"window T fallback", `{"runId":"r","constants":{"FEEDBACK_WINDOW_T":100}}`, Constants{64, 32, 128, 100}},
		{"feedbackT wins", `{"runId":"r","constants":{"FEEDBACK_WINDOW_T":100,"feedbackT":90}}`, Constants{64, 32, 128, 90}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseStart([]byte(tc.doc))
			require.NoError(t, err)
			assert.Equal(t, tc.want, c.Constants)
		})
	}
}

func TestParseIO(t *testing.T) {
	c, err := Parse([]byte(`{"runId":"r1","io":{
		"inputs":[{"id":"j0","kind":"Proprioception","lo":-3.14},{"id":"cam","kind":"Image"}],
		"outputs":[{"id":"V1"}],
		"feedback":[{"id":"fb","fromOutput":"V1"}],
		"stdp3":{"layers":["L1","L2"]}},
		"realtime":{"url":"http://x","namespace":"/n"}}`))
	require.NoError(t, err)
	assert.Equal(t, "r1", c.RunID)
	assert.Equal(t, []string{"j0"}, c.InputsOfKind(KindProprioception))
	assert.Equal(t, -3.14, c.IO.Inputs[0].Extra["lo"])
	assert.Equal(t, "V1", c.IO.Outputs[0].ID)
	assert.Equal(t, FeedbackPort{ID: "fb", N: 128, FromOutput: "V1"}, c.IO.Feedback[0])
	assert.Equal(t, []string{"L1", "L2"}, c.IO.STDP3)
	assert.Equal(t, Realtime{URL: "http://x", Namespace: "/n"}, c.Realtime)
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"not json", `{`, "contract:"},
		{"no run id", `{}`, "no runId"},
		{"bad constant", `{"runId":"r","constants":{"gamma":"lots"}}`, "gamma"},
		{"zero gamma", `{"runId":"r","constants":{"gamma":0}}`, "positive"},
		{"input not object", `{"runId":"r","io":{"inputs":[3]}}`, "io.inputs[0]"},
		{"input without id", `{"runId":"r","io":{"inputs":[{"kind":"Image"}]}}`, "has no id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseStart([]byte(tc.doc))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// FromMap takes documents decoded with DecodeDocument (json.Number) too.
func TestFromMapWithJSONNumbers(t *testing.T) {
	doc, err := DecodeDocument([]byte(`{"runId":"r","constants":{"gamma":48,"feedbackN":"64"},"io":{"feedback":[{"id":"fb","n":16}]}}`))
	require.NoError(t, err)
	c, err := FromMap(doc)
	require.NoError(t, err)
	assert.Equal(t, Constants{48, 32, 64, 128}, c.Constants)
	assert.Equal(t, 16, c.IO.Feedback[0].N)
}
