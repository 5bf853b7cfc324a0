package localpolicy

import (
	"math"
	"testing"

	"github.com/abbridge/ab_bridge/internal/secret"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigDefaults(t *testing.T) {
	s, err := New(Config{PolicyID: "p", APIKey: secret.New("k")})
	require.NoError(t, err)
	st := s.Stats()
	assert.Equal(t, DefaultChunkLength, st.ChunkLength)
	assert.Equal(t, DefaultChunkLength, st.ActionSteps, "select_action plays the whole chunk")
	assert.Equal(t, DefaultRate, st.Rate)
	assert.Equal(t, make([]float64, DefaultStateDim), st.Target, "reach for zeros")
	assert.Equal(t, StatusHealthy, st.Status, "no deploy time")
}

func TestConfigRefusals(t *testing.T) {
	in, out := DefaultFeatures(2)
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no policy", func(c *Config) { c.PolicyID = "" }, "policy id"},
		{"policy with a space", func(c *Config) { c.PolicyID = "a b" }, "policy id"},
		{"no key", func(c *Config) { c.APIKey = secret.Secret{} }, "api key"},
		{"chunk", func(c *Config) { c.ChunkLength = 1001 }, "chunk length"},
		{"steps beyond the chunk", func(c *Config) { c.ChunkLength, c.ActionSteps = 4, 5 }, "action steps"},
		{"rate", func(c *Config) { c.Rate = -1 }, "rate"},
		{"gain", func(c *Config) { c.Gain = 2 }, "gain"},
		{"speed", func(c *Config) { c.MaxSpeed = math.Inf(1) }, "max speed"},
		{"target length", func(c *Config) { c.Target = []float64{1} }, "target: 1 values for an action of 2"},
		{"target NaN", func(c *Config) { c.Target = []float64{0, math.NaN()} }, "target[1]"},
		{"input not observation", func(c *Config) { c.Inputs = map[string]Feature{StateKey: in[StateKey], "state2": in[StateKey]} }, "state2: input keys begin with observation"},
		{"no state", func(c *Config) {
			c.Inputs = map[string]Feature{"observation.images.top": {Type: TypeVisual, Shape: []int{3, 8, 8}}}
		}, "want observation.state"},
		{"image not CHW", func(c *Config) { c.Inputs["observation.images.top"] = Feature{Type: TypeVisual, Shape: []int{8, 8}} }, "(channels, height, width)"},
		{"zero dimension", func(c *Config) { c.Inputs["observation.env"] = Feature{Type: TypeEnv, Shape: []int{0}} }, "dimensions from 1"},
		{"unknown type", func(c *Config) { c.Inputs["observation.x"] = Feature{Type: "AUDIO", Shape: []int{1}} }, `type "AUDIO"`},
		{"two outputs", func(c *Config) { c.Outputs = map[string]Feature{ActionKey: out[ActionKey], "reward": out[ActionKey]} }, "want exactly action"},
		{"action size", func(c *Config) { c.Outputs = map[string]Feature{ActionKey: {Type: TypeAction, Shape: []int{3}}} }, "3 dimensions for a state of 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, out := DefaultFeatures(2)
			c := Config{PolicyID: "p", APIKey: secret.New("k"), Inputs: in, Outputs: out}
			tc.edit(&c)
			_, err := New(c)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
