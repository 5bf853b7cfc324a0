package primalux

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseContract(t *testing.T) {
	t.Run("maps win over the lists", func(t *testing.T) {
		c, err := ParseContract([]byte(`{"inputs":[{"id":"ignored"}],"outputs":[],
			"maps":{"input_sensor_map":[{"inputId":"ps0","sensor":"front","kind":"proximity","n":8},{"input_id":"cam","name":"camera","kind":"image"},{"inputId":"rw","n":4,"kind":"Reward"}],
			        "output_motor_map":[{"outputId":"lm","motor":"wheel:left","motorId":"L"},{"output_id":"rm"}]}}`))
		require.NoError(t, err)
		assert.Equal(t, []Input{{ID: "ps0", Sensor: "front", Kind: "proximity", N: 8}, {ID: "cam", Sensor: "camera", Kind: "image"}, {ID: "rw", Sensor: "rw", Kind: "Reward", N: 4}}, c.Inputs)
		assert.Equal(t, []Output{{ID: "lm", Motor: "wheel:left", MotorID: "L"}, {ID: "rm", Motor: "rm"}}, c.Outputs)
		in, ok := c.Input("front")
		assert.True(t, ok)
		assert.Equal(t, "ps0", in.ID)
		_, ok = c.Input("ps0")
		assert.False(t, ok, "found by sensor name")
	})
	t.Run("the lists when no maps", func(t *testing.T) {
		c, err := ParseContract([]byte(`{"inputs":[{"id":"joints","kind":"proprioception","n":32},{"inputId":"fb"}],"outputs":[{"id":"arm"}],"maps":{"input_sensor_map":[]}}`))
		require.NoError(t, err)
		assert.Equal(t, []Input{{ID: "joints", Sensor: "joints", Kind: "proprioception", N: 32}, {ID: "fb", Sensor: "fb", Kind: "Unknown"}}, c.Inputs)
		assert.Equal(t, []Output{{ID: "arm", Motor: "arm"}}, c.Outputs)
	})
	for _, bad := range []struct{ in, err string }{
		{`[]`, "not a JSON object"},
		{`{"inputs":[]}`, "outputs is missing or not a list"},
		{`{"inputs":{},"outputs":[]}`, "inputs is missing or not a list"},
		{`{"inputs":[{"kind":"x"}],"outputs":[]}`, "inputs[0]: no id or inputId"},
		{`{"inputs":[{"id":"a"},{"id":"a"}],"outputs":[]}`, "inputs[1]: duplicate input id a"},
		{`{"inputs":[],"outputs":[],"maps":{"input_sensor_map":[{"inputId":"a","sensor":"s"},{"inputId":"b","sensor":"s"}]}}`, "duplicate sensor s"},
		{`{"inputs":[{"id":"a","n":0}],"outputs":[]}`, "inputs[0] (a): n is 0"},
		{`{"inputs":[{"id":"a","n":499}],"outputs":[]}`, "n is 499"},
		{`{"inputs":[{"id":"a","n":2.5}],"outputs":[]}`, "n is 2.5"},
		{`{"inputs":[{"id":"a","n":"8"}],"outputs":[]}`, "n is 8"},
		{`{"inputs":[{"id":7}],"outputs":[]}`, "id is 7, not text"},
		{`{"inputs":[],"outputs":[],"maps":{"output_motor_map":[{"outputId":"a"},{"outputId":"b","motor":"a"}]}}`, "output_motor_map[1]: duplicate motor a"},
	} {
		_, err := ParseContract([]byte(bad.in))
		assert.ErrorContains(t, err, bad.err, bad.in)
	}
}

func TestContractFromDesign(t *testing.T) {
	design := `{"schema":"artificial-brains/design/v1","name":"arm","nodes":[
		{"name":"joints","kind":"input","neurons":64,"x":1,"y":2},
		{"name":"core","kind":"opu","rhythm":"beta"},
		{"name":"elbow","kind":"output","neurons":8},
		{"name":"grip","kind":"output"},
		{"name":"reward","kind":"input","neurons":10}],"connections":[]}`
	c, err := ContractFromDesign([]byte(design))
	require.NoError(t, err)
	assert.Equal(t, Contract{
		Inputs:  []Input{{ID: "joints", Sensor: "joints", Kind: "Input", N: 64}, {ID: "reward", Sensor: "reward", Kind: "Input", N: 10}},
		Outputs: []Output{{ID: "elbow", Motor: "elbow", N: 8}, {ID: "grip", Motor: "grip", N: 1}},
	}, c)

	dir := t.TempDir()
	for name, text := range map[string]string{"brain.abdesign.json": design, "contract.json": `{"inputs":[{"id":"a"}],"outputs":[]}`, "broken.json": `{"inputs":`} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600))
	}
	got, err := LoadContract(filepath.Join(dir, "brain.abdesign.json"))
	require.NoError(t, err)
	assert.Equal(t, c, got)
	got, err = LoadContract(filepath.Join(dir, "contract.json"))
	require.NoError(t, err)
	assert.Equal(t, []Input{{ID: "a", Sensor: "a", Kind: "Unknown"}}, got.Inputs)
	_, err = LoadContract(filepath.Join(dir, "broken.json"))
	assert.ErrorContains(t, err, "broken.json: contract is not a JSON object")
	_, err = LoadContract(filepath.Join(dir, "absent.json"))
	assert.Error(t, err)

	for _, bad := range []struct{ in, err string }{
		{`{"schema":"artificial-brains/design/v2","nodes":[]}`, `design format "artificial-brains/design/v2"`},
		{`{"nodes":null}`, "no list of nodes"},
		{`{"nodes":[{"name":"1st","kind":"input","neurons":3}]}`, "name 1st"},
		{`{"nodes":[{"name":"a","kind":"input","neurons":3},{"name":"a","kind":"output"}]}`, "duplicate node name a"},
		{`{"nodes":[{"name":"a","kind":"sensor"}]}`, "kind sensor"},
		{`{"nodes":[{"name":"a","kind":"input"}]}`, "neurons <nil>"},
		{`{"nodes":[{"name":"a","kind":"input","neurons":499}]}`, "neurons 499"},
		{`{"nodes":[{"name":"a","kind":"output","neurons":0}]}`, "neurons 0"},
	} {
		_, err := ContractFromDesign([]byte(bad.in))
		assert.ErrorContains(t, err, bad.err, bad.in)
	}
}
