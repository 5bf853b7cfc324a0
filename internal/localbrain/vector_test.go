package localbrain

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func vectorConf(learning bool, seed uint64) VectorConfig {
	return VectorConfig{
		Steps:    10,
		Sensors:  []Population{{ID: "SENSE", N: 16}},
		Outputs:  []Population{{ID: "MOTOR", N: 8}},
		Learning: learning,
		Seed:     seed,
	}
}

func TestNewVectorNetRefusesBadShapes(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*VectorConfig)
		want string
	}{
		{"no steps", func(c *VectorConfig) { c.Steps = 0 }, "timesteps"},
		{"no outputs", func(c *VectorConfig) { c.Outputs = nil }, "no output"},
		{"empty population", func(c *VectorConfig) { c.Sensors[0].N = 0 }, `"SENSE" of 0`},
		{"duplicate name", func(c *VectorConfig) { c.Outputs[0].ID = "SENSE" }, "twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := vectorConf(true, 1)
			tc.edit(&c)
			_, err := NewVectorNet(c)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestVectorNetSenseChecksPopulation(t *testing.T) {
	v, err := NewVectorNet(vectorConf(true, 1))
	require.NoError(t, err)
	require.ErrorContains(t, v.Sense("NOPE", make([]float64, 16)), `no sensory population "NOPE"`)
	require.ErrorContains(t, v.Sense("SENSE", make([]float64, 3)), "3 values")
	require.NoError(t, v.Sense("SENSE", make([]float64, 16)))
}

// spikes counts the output spikes of frames steps on values.
func vectorSpikes(t *testing.T, v *VectorNet, value float64, steps int, rewards []float64) (int, []VectorRow) {
	t.Helper()
	values := make([]float64, 16)
	for i := range values {
		values[i] = value
	}
	require.NoError(t, v.Sense("SENSE", values))
	var count int
	var all []VectorRow
	for range steps {
		rows := v.Step(rewards)
		for _, r := range rows {
			require.Equal(t, "MOTOR", r.ID)
			require.True(t, r.T >= 0 && r.T < 10, "t %d", r.T)
			require.NotEmpty(t, r.Spiking)
			count += len(r.Spiking)
		}
		all = append(all, rows...)
	}
	return count, all
}

func TestVectorNetIsSeededAndSpikes(t *testing.T) {
	a, err := NewVectorNet(vectorConf(true, 7))
	require.NoError(t, err)
	b, err := NewVectorNet(vectorConf(true, 7))
	require.NoError(t, err)
	c, err := NewVectorNet(vectorConf(true, 8))
	require.NoError(t, err)
	na, ra := vectorSpikes(t, a, 1, 20, nil)
	_, rb := vectorSpikes(t, b, 1, 20, nil)
	_, rc := vectorSpikes(t, c, 1, 20, nil)
	assert.Positive(t, na, "output noise alone makes the outputs fire")
	assert.Equal(t, ra, rb, "same seed, same spikes")
	assert.NotEqual(t, ra, rc, "another seed, other spikes")
}

func TestVectorNetRewardsMoveWeightsOnlyWhenLearning(t *testing.T) {
	for _, tc := range []struct {
		name     string
		learning bool
		rewards  []float64
		moved    bool
	}{
		{"learning, rewarded", true, []float64{1}, true},
		{"learning, punished", true, []float64{0}, true},
		{"learning, neutral", true, []float64{0.5}, false},
		{"frozen, rewarded", false, []float64{1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := NewVectorNet(vectorConf(tc.learning, 3))
			require.NoError(t, err)
			vectorSpikes(t, v, 1, 30, tc.rewards)
			s := v.Stats()
			assert.Positive(t, s.Rewards, "rewards credited")
			if tc.moved {
				assert.Positive(t, s.WeightChange)
			} else {
				assert.Zero(t, s.WeightChange)
			}
		})
	}
}
