package localdevice

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// designDigest is what the SDK 0.4.0's design_sha256 gives for
// testdata/brain.abdesign.json (the file its designer saved).
const designDigest = "5b315c0bbabca5e284df5a9c799335f1f7a921ddecd49e9bb09b12e423f8e367"

func TestLoadBrainFromDesign(t *testing.T) {
	b, err := LoadBrain(filepath.Join("testdata", "brain.abdesign.json"), []string{"REWARD"})
	require.NoError(t, err)
	assert.Equal(t, "Test Brain", b.Name)
	assert.Equal(t, []Population{{ID: "SENSE", N: 16}, {ID: "REWARD", N: 8, Reward: true}}, b.Inputs)
	assert.Equal(t, []Population{{ID: "MOTOR", N: 8}}, b.Outputs)
	assert.Equal(t, designDigest, b.DesignSHA256, "the SDK's digest of the design")
	assert.Len(t, b.SHA256, 64)
}

func TestDesignDigestIgnoresLayoutAndOrder(t *testing.T) {
	a := `{"schema":"artificial-brains/design/v1","name":"B","nodes":[
		{"name":"Z","kind":"output","x":1.0,"y":2.0,"neurons":2},
		{"name":"A","kind":"input","x":5.0,"y":2.0,"neurons":3}],
		"connections":[{"from":"b","to":"c","type":"exc"},{"from":"a","to":"c","type":"inh"}]}`
	b := `{"schema":"artificial-brains/design/v1","name":"B","nodes":[
		{"name":"A","kind":"input","x":99.0,"y":7.0,"neurons":3},
		{"name":"Z","kind":"output","neurons":2}],
		"connections":[{"from":"a","to":"c","type":"inh"},{"from":"b","to":"c","type":"exc"}]}`
	ba, err := ParseBrain([]byte(a), nil)
	require.NoError(t, err)
	bb, err := ParseBrain([]byte(b), nil)
	require.NoError(t, err)
	assert.Equal(t, ba.DesignSHA256, bb.DesignSHA256)
	assert.NotEqual(t, ba.SHA256, bb.SHA256, "the file digest is of the bytes")
}

func TestParseBrainFromContract(t *testing.T) {
	raw := `{"inputs":[{"id":"ps0","kind":"Proximity","n":10},{"id":"reward","kind":"Reward","n":4}],
		"outputs":[{"id":"left","n":6}]}`
	b, err := ParseBrain([]byte(raw), nil)
	require.NoError(t, err)
	assert.Equal(t, []Population{{ID: "ps0", N: 10}, {ID: "reward", N: 4, Reward: true}}, b.Inputs)
	assert.Equal(t, []Population{{ID: "left", N: 6}}, b.Outputs)
	assert.Empty(t, b.DesignSHA256)
}

func TestParseBrainRefusesWhatTheDeviceCannotInstall(t *testing.T) {
	for _, tc := range []struct {
		name    string
		raw     string
		rewards []string
		want    string
	}{
		{"not json", `{`, nil, "not a JSON object"},
		{"wrong schema", `{"schema":"x","nodes":[]}`, nil, `design schema "x"`},
		{"no outputs", `{"inputs":[{"id":"a","n":1}],"outputs":[]}`, nil, "no output population"},
		{"no lists", `{"inputs":{}}`, nil, "contract inputs is not a list"},
		{"bad name", `{"inputs":[{"id":"1a","n":1}],"outputs":[{"id":"b","n":1}]}`, nil, `id "1a" is not a population name`},
		{"too many neurons", `{"inputs":[{"id":"a","n":499}],"outputs":[{"id":"b","n":1}]}`, nil, "a: n 499, want a whole number from 1 to 498"},
		{"fractional size", `{"inputs":[{"id":"a","n":1.5}],"outputs":[{"id":"b","n":1}]}`, nil, "a: n 1.5"},
		{"twice", `{"inputs":[{"id":"a","n":1}],"outputs":[{"id":"a","n":1}]}`, nil, `population "a" twice`},
		{"unknown reward", `{"inputs":[{"id":"a","n":1}],"outputs":[{"id":"b","n":1}]}`, []string{"r"}, `reward population "r" is not an input (inputs: a)`},
		{"design node size", `{"schema":"artificial-brains/design/v1","name":"B","nodes":[{"name":"A","kind":"input","neurons":0}]}`, nil, "design node 1: A: neurons 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseBrain([]byte(tc.raw), tc.rewards)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
