package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/abbridge/ab_bridge/internal/primalux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const deviceBase = `joints:
  - name: shoulder
inputs:
  - id: SENSE
    kind: Proprioception
    joint: shoulder
brain:
  kind: primalux
`

// deviceMapped is deviceBase with one output mapped (lines 9 to 11).
const deviceMapped = deviceBase + `mapping:
  - node_id: MOTOR
    channel: joint:0
`

// TestPrimaLuxActuation: the SDK's mapping form, read in the file's order
// (the SDK adds one motor's deltas in that order).
func TestPrimaLuxActuation(t *testing.T) {
	cfg, err := Parse("k.yaml", []byte(deviceMapped+`primalux:
  actuation:
    MOTOR_B: {motor: joint:0, gain: -0.5, limit: [-0.02, 0.02]}
    MOTOR: {motor: joint:0, gain: 0.001}
`))
	require.NoError(t, err)
	lim := [2]float64{-0.02, 0.02}
	assert.Equal(t, []primalux.ActuationEntry{{Channel: "MOTOR_B", Motor: "joint:0", Gain: -0.5, Limit: &lim},
		{Channel: "MOTOR", Motor: "joint:0", Gain: 0.001}}, cfg.PrimaLux.ActuationEntries())
	_, err = primalux.NewActuationDecoder(cfg.PrimaLux.ActuationEntries())
	require.NoError(t, err, "what the config takes, the SDK's decoder takes")

	cfg, err = Parse("k.yaml", []byte(deviceMapped))
	require.NoError(t, err)
	assert.Nil(t, cfg.PrimaLux.ActuationEntries(), "none configured: the spike decoder")
}

func TestBrainKindDefaultsToTheCloudProtocol(t *testing.T) {
	cfg, err := Parse("k.yaml", []byte("joints:\n  - name: a\n"))
	require.NoError(t, err)
	assert.Equal(t, KindArtificialBrains, cfg.Brain.Kind)
	assert.False(t, cfg.IsPrimaLux())
	assert.Equal(t, primalux.KeyEnv, cfg.PrimaLux.APIKeyEnv)
	assert.Equal(t, DefaultDeviceStopTimeout, cfg.PrimaLux.StopTimeout)
	assert.Equal(t, 20.0, cfg.PrimaLux.FrameRateHz)
}

func TestPrimaLuxSection(t *testing.T) {
	cfg, err := Parse(filepath.Join("cfg", "d.yaml"), []byte(deviceBase+`primalux:
  url: http://127.0.0.1:8080
  api_key_file: /run/secrets/plx
  contract: brain.abdesign.json
  timeout: 5s
  stop_timeout: 10s
  frame_rate_hz: 25
  reward_input: REWARD
  encoding:
    SENSE: {mode: ranged_scalar_population, vmin: -1.5, vmax: 1.5, radius: 2}
    REWARD: {mode: reward_population}
`))
	require.NoError(t, err)
	require.True(t, cfg.IsPrimaLux())
	p := cfg.PrimaLux
	assert.Equal(t, "http://127.0.0.1:8080", p.URL)
	assert.Equal(t, "/run/secrets/plx", p.APIKeyFile)
	assert.Equal(t, primalux.KeyEnv, p.APIKeyEnv, "default kept")
	assert.Equal(t, 5*time.Second, p.Timeout)
	assert.Equal(t, 10*time.Second, p.StopTimeout)
	assert.Equal(t, 25.0, p.FrameRateHz)
	assert.Equal(t, "REWARD", p.RewardInput)
	sc := p.Encoding["SENSE"].Scale()
	require.NotNil(t, sc.Vmin)
	assert.Equal(t, -1.5, *sc.Vmin)
	assert.Equal(t, 2, sc.Radius)
	assert.Equal(t, primalux.DefaultRadius, p.Encoding["REWARD"].Scale().Radius, "the SDK's radius by default")
	assert.Equal(t, filepath.Join("cfg", "brain.abdesign.json"), cfg.DeviceSettings().Contract, "relative to the config file")
}

func TestInvalidPrimaLux(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown kind", "joints:\n  - name: a\nbrain:\n  kind: primalix\n",
			[]string{`k.yaml:4: brain.kind "primalix" is not artificial_brains`}},
		{"unknown key", deviceBase + "primalux:\n  adress: x\n",
			[]string{"k.yaml:10", "adress"}},
		{"plain http to a public host", deviceBase + "primalux:\n  url: http://example.com:8080\n",
			[]string{"k.yaml:10: primalux.url:"}},
		{"frame rate", deviceBase + "primalux:\n  frame_rate_hz: 0\n",
			[]string{"k.yaml:10: primalux.frame_rate_hz 0 is not within (0, 1000]"}},
		{"stop timeout", deviceBase + "primalux:\n  stop_timeout: 0s\n",
			[]string{"k.yaml:10: primalux.stop_timeout must be positive"}},
		{"feedback input", "joints:\n  - name: a\nbrain:\n  kind: primalux\ninputs:\n  - id: fb\n    kind: Feedback\n",
			[]string{`k.yaml:7: input "fb": Feedback inputs are not sent to a Prima-Lux device`}},
		{"a scalar mode for a camera", "joints:\n  - name: a\nbrain:\n  kind: primalux\ninputs:\n  - id: cam\n    kind: Image\nprimalux:\n  encoding:\n    cam: {mode: positive_scalar_population, vmax: 1}\n",
			[]string{`k.yaml:10: primalux.encoding "cam": mode positive_scalar_population encodes one number; Image inputs are vectors`}},
		{"colour for a joint", deviceBase + "primalux:\n  encoding:\n    SENSE: {mode: signed_scalar_population, absmax: 3, colour: true}\n",
			[]string{`primalux.encoding "SENSE": colour is read for Image inputs only`}},
		{"encoding of no input", deviceBase + "primalux:\n  encoding:\n    NOPE: {mode: vector_f32}\n",
			[]string{`k.yaml:11: primalux.encoding "NOPE" is neither an input id nor the reward_input`}},
		{"unknown mode", deviceBase + "primalux:\n  encoding:\n    SENSE: {mode: jpeg}\n",
			[]string{`k.yaml:11: primalux.encoding "SENSE": mode "jpeg" is not one of the SDK's encoder modes`}},
		{"ranged without its range", deviceBase + "primalux:\n  encoding:\n    SENSE: {mode: ranged_scalar_population, vmin: 1, vmax: 1}\n",
			[]string{"vmin and vmax must be finite and differ"}},
		{"a parameter the mode ignores", deviceBase + "primalux:\n  encoding:\n    SENSE: {mode: signed_scalar_population, absmax: 3.2, vmax: 1}\n",
			[]string{"vmax is not read by mode signed_scalar_population"}},
		{"negative radius", deviceBase + "primalux:\n  encoding:\n    SENSE: {mode: positive_scalar_population, vmax: 1, radius: -1}\n",
			[]string{"radius must not be negative"}},
		{"reward input is a sensor", deviceBase + "primalux:\n  reward_input: SENSE\n",
			[]string{`k.yaml:10: primalux.reward_input "SENSE" is also a sensor input`}},
		{"actuation without a gain", deviceMapped + "primalux:\n  actuation:\n    MOTOR:\n      motor: joint:0\n",
			[]string{`k.yaml:14: primalux.actuation "MOTOR": explicit finite gain required`}},
		{"actuation gain not finite", deviceMapped + "primalux:\n  actuation:\n    MOTOR:\n      motor: joint:0\n      gain: .inf\n",
			[]string{`k.yaml:16: primalux.actuation "MOTOR": explicit finite gain required`}},
		{"actuation motor not mapped", deviceMapped + "primalux:\n  actuation:\n    MOTOR:\n      motor: joint:3\n      gain: 1\n",
			[]string{`k.yaml:15: primalux.actuation "MOTOR": motor "joint:3" is not a channel of the mapping`}},
		{"actuation without a motor", deviceMapped + "primalux:\n  actuation:\n    MOTOR: {gain: 1}\n",
			[]string{`k.yaml:14: primalux.actuation "MOTOR": needs a motor`}},
		{"actuation limit reversed", deviceMapped + "primalux:\n  actuation:\n    MOTOR:\n      motor: joint:0\n      gain: 1\n      limit: [1, -1]\n",
			[]string{`k.yaml:17: primalux.actuation "MOTOR": limit must be [min, max]`}},
		{"actuation limit of one number", deviceMapped + "primalux:\n  actuation:\n    MOTOR: {motor: joint:0, gain: 1, limit: [1]}\n",
			[]string{`k.yaml:14: primalux.actuation "MOTOR": limit must be [min, max]`}},
		{"actuation unknown key", deviceMapped + "primalux:\n  actuation:\n    MOTOR: {motor: joint:0, gain: 1, gian: 2}\n",
			[]string{"k.yaml:14", "gian"}},
		{"actuation gain a boolean", deviceMapped + "primalux:\n  actuation:\n    MOTOR: {motor: joint:0, gain: true}\n",
			[]string{"k.yaml:14"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("k.yaml", []byte(tc.yaml))
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// The device section is checked only when it is the backend: a file may
// keep it while running against the cloud.
func TestPrimaLuxSectionIgnoredByTheCloudBackend(t *testing.T) {
	_, err := Parse("k.yaml", []byte("joints:\n  - name: a\nprimalux:\n  frame_rate_hz: 0\n"))
	require.NoError(t, err)
}

// The shipped example is a valid device configuration whose contract is
// the design beside it.
func TestShippedPrimaLuxExample(t *testing.T) {
	cfg, err := Load("../../config/bridge_primalux.yaml")
	require.NoError(t, err)
	require.True(t, cfg.IsPrimaLux())
	assert.FileExists(t, cfg.DeviceSettings().Contract)
	assert.Equal(t, "REWARD", cfg.PrimaLux.RewardInput)
	assert.Len(t, cfg.Mapping, 2)
}

func TestPrimaLuxCameraAndMicrophone(t *testing.T) {
	cfg, err := Parse("k.yaml", []byte(`joints:
  - name: a
brain:
  kind: primalux
inputs:
  - {id: CAM, kind: Image, topic: camera/image_raw, resize: {max_side: 64}}
  - {id: MIC, kind: Audio, sample_rate: 16000}
primalux:
  encoding:
    CAM: {colour: true}
    MIC: {mode: binary_spikes}
`))
	require.NoError(t, err)
	require.NotNil(t, cfg.PrimaLux.Encoding["CAM"].Colour)
	assert.True(t, *cfg.PrimaLux.Encoding["CAM"].Colour)
	assert.Equal(t, "binary_spikes", cfg.PrimaLux.Encoding["MIC"].Mode)
}

// buildFiles writes a design, a contract JSON and a design the designer
// refuses beside a configuration file; the configuration's path is returned.
func buildFiles(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"brain.abdesign.json": `{"schema":"artificial-brains/design/v1","name":"B","nodes":[{"name":"SENSE","kind":"input","neurons":4},` +
			`{"name":"HUB","kind":"opu","rhythm":"beta","tnorm":2},{"name":"MOTOR","kind":"output","neurons":4}],` +
			`"connections":[{"from":"SENSE","to":"HUB"},{"from":"HUB","to":"MOTOR"}]}`,
		"contract.json": `{"inputs":[{"id":"SENSE","n":4}],"outputs":[{"id":"MOTOR","n":4}]}`,
		"bad.abdesign.json": `{"schema":"artificial-brains/design/v1","nodes":[{"name":"SENSE","kind":"input","neurons":4},` +
			`{"name":"SENSE","kind":"output","neurons":4}],"connections":[]}`,
	}
	for name, body := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600))
	}
	return filepath.Join(dir, "k.yaml")
}

// primalux.build builds the design primalux.contract names, relative to the
// configuration; off by default, with a bounded wait.
func TestPrimaLuxBuild(t *testing.T) {
	file := buildFiles(t)
	for _, tc := range []struct {
		name, yaml string
		build      bool
		timeout    time.Duration
	}{
		{"off by default", deviceBase, false, DefaultBuildTimeout},
		{"a design", deviceBase + "primalux:\n  contract: brain.abdesign.json\n  build: true\n", true, DefaultBuildTimeout},
		{"a design and a timeout", deviceBase + "primalux:\n  contract: brain.abdesign.json\n  build: true\n  build_timeout: 90s\n", true, 90 * time.Second},
		{"the contract left to the environment", deviceBase + "primalux:\n  build: true\n", true, DefaultBuildTimeout},
		{"off: a contract JSON is fine", deviceBase + "primalux:\n  contract: contract.json\n", false, DefaultBuildTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse(file, []byte(tc.yaml))
			require.NoError(t, err)
			assert.Equal(t, tc.build, cfg.PrimaLux.Build)
			assert.Equal(t, tc.timeout, cfg.PrimaLux.BuildTimeout)
		})
	}
}

func TestInvalidPrimaLuxBuild(t *testing.T) {
	file := buildFiles(t)
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"a contract JSON", deviceBase + "primalux:\n  contract: contract.json\n  build: true\n",
			[]string{"k.yaml:11: primalux.build: primalux.contract: ", "contract.json is a contract JSON, not a design file"}},
		{"a missing design", deviceBase + "primalux:\n  contract: nope.abdesign.json\n  build: true\n",
			[]string{"k.yaml:11: primalux.build: primalux.contract: open ", "nope.abdesign.json: no such file"}},
		{"a design the designer refuses", deviceBase + "primalux:\n  contract: bad.abdesign.json\n  build: true\n",
			[]string{"k.yaml:11: primalux.build: primalux.contract: ", "bad.abdesign.json: duplicate node name: SENSE"}},
		{"a build timeout of zero", deviceBase + "primalux:\n  contract: brain.abdesign.json\n  build: true\n  build_timeout: 0s\n",
			[]string{"k.yaml:12: primalux.build_timeout must be positive"}},
		{"build not a boolean", deviceBase + "primalux:\n  build: yes please\n",
			[]string{"k.yaml:10"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(file, []byte(tc.yaml))
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}
