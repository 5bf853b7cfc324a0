package localbrain

import (
	"encoding/binary"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

func f32s(vals ...float32) []byte {
	b := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

// rawtick is a valid proprioception chunk payload for input id at q rad.
func rawtick(runID, id string, q float32) map[string]any {
	return map[string]any{
		"runId": runID, "inputId": id, "kind": "Proprioception", "seq": 1.0, "t": 1.7e9,
		"format": "rawtick_f32x3", "meta": map[string]any{"cycle": 1.0},
		"data": types.NewBytesBuffer(f32s(q, q, 0)),
	}
}

func with(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func TestDecodeChunk(t *testing.T) {
	p, err := demoProject()
	require.NoError(t, err)
	good := rawtick("r", "shoulder_pos", 0)
	dev := map[string]any{
		"runId": "r", "inputId": "shoulder_fb", "kind": "Feedback", "seq": 3.0, "t": 1.0,
		"format": "deviation_f32", "meta": map[string]any{"T": 64.0},
		"data": types.NewBytesBuffer(make([]byte, 64*4)),
	}
	cam := map[string]any{
		"runId": "r", "inputId": DemoCameraInput, "kind": "Image", "seq": 1.0, "t": 1.0,
		"format": "jpeg", "meta": map[string]any{"width": 1.0, "height": 1.0},
		"data": types.NewBytesBuffer(tinyJPEG(t, 255)),
	}
	tests := []struct {
		name    string
		payload map[string]any
		wantErr string
		wantPos float64 // checked when wantErr is empty and the chunk has a position
		hasPos  bool
	}{
		{"rawtick mid-range", good, "", 0.5, true},
		{"rawtick uses meta range", with(rawtick("r", "elbow_pos", 1024), "meta", map[string]any{"lo": 0.0, "hi": 4096.0}), "", 0.25, true},
		{"deviation", dev, "", 0, false},
		{"raster of meta size", with(dev, "format", "raster_f32", "meta", map[string]any{"T": 2.0, "N": 3.0}, "data", types.NewBytesBuffer(make([]byte, 24))), "the brain steps 64", 0, false},
		{"no data", with(good, "data", nil), "want a binary attachment", 0, false},
		{"data as text", with(good, "data", "AAAA"), "want a binary attachment", 0, false},
		{"unknown input", with(good, "inputId", "wrist_pos"), "unknown input", 0, false},
		{"kind mismatch", with(good, "kind", "Image"), "has kind Proprioception", 0, false},
		{"no format", with(good, "format", nil), "format", 0, false},
		{"seq not a number", with(good, "seq", "1"), "seq", 0, false},
		{"meta not an object", with(good, "meta", []any{1.0}), "meta", 0, false},
		{"short rawtick", with(good, "data", types.NewBytesBuffer(make([]byte, 8))), "needs 12 bytes", 0, false},
		{"NaN rawtick", with(good, "data", types.NewBytesBuffer(f32s(float32(math.NaN()), 0, 0))), "not finite", 0, false},
		{"short deviation", with(dev, "data", types.NewBytesBuffer(make([]byte, 10))), "needs 256 bytes", 0, false},
		{"camera jpeg", cam, "", 0, false},
		{"camera not a jpeg", with(cam, "data", types.NewBytesBuffer([]byte("PNG"))), "JPEG marker", 0, false},
		{"camera jpeg that does not decode", with(cam, "data", types.NewBytesBuffer([]byte{0xFF, 0xD8, 0xFF, 0xD9})), "does not decode", 0, false},
		{"rawtick on feedback", with(dev, "format", "rawtick_f32x3", "data", types.NewBytesBuffer(make([]byte, 12))), "on a Feedback input", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, enc, err := decodeChunk(p, tc.payload, time.Now(), nil)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			if tc.hasPos {
				require.Len(t, enc.drive, inputNeurons)
				// The neuron preferring the position is driven hardest.
				assert.InDelta(t, inputDrive, enc.drive[int(math.Round(tc.wantPos*(inputNeurons-1)))], 1e-6)
			}
			assert.Equal(t, len(c.Data), c.Len)
			assert.Equal(t, tc.payload["inputId"], c.InputID)
		})
	}
}

func TestDecodeState(t *testing.T) {
	tests := []struct {
		name    string
		payload map[string]any
		wantErr string
	}{
		{"full", map[string]any{"state": map[string]any{"q": []any{0.1, 0.2}, "dq": []any{0.0, 0.0}, "grip": map[string]any{"pos": 0.5}, "dt": 0.05}}, ""},
		{"empty state", map[string]any{"state": map[string]any{}}, ""},
		{"no state", map[string]any{}, "state is <nil>"},
		{"state not object", map[string]any{"state": "x"}, "state is string"},
		{"q not list", map[string]any{"state": map[string]any{"q": 1.0}}, "state.q"},
		{"q with text", map[string]any{"state": map[string]any{"q": []any{0.1, "a"}}}, "state.q[1]"},
		{"grip not object", map[string]any{"state": map[string]any{"grip": 1.0}}, "state.grip"},
		{"dt text", map[string]any{"state": map[string]any{"dt": "fast"}}, "dt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := decodeState(tc.payload, time.Now())
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			if st := tc.payload["state"].(map[string]any); st["q"] != nil {
				assert.Equal(t, []float64{0.1, 0.2}, s.Q)
				require.NotNil(t, s.GripPos)
				assert.Equal(t, 0.5, *s.GripPos)
			}
		})
	}
}

func TestDecodeReward(t *testing.T) {
	p, err := demoProject()
	require.NoError(t, err)
	tests := []struct {
		name    string
		payload map[string]any
		wantErr string
	}{
		{"sdk shape", map[string]any{"cycle": 4.0, "globalReward": 0.7, "byLayer": map[string]any{"motor": 0.7}}, ""},
		{"no layers", map[string]any{"globalReward": 0.5}, ""},
		{"no global", map[string]any{"byLayer": map[string]any{}}, "globalReward"},
		{"global too big", map[string]any{"globalReward": 1.5}, "outside [0, 1]"},
		{"layer unknown", map[string]any{"globalReward": 0.5, "byLayer": map[string]any{"L9": 0.5}}, "not an STDP3 layer"},
		{"layer negative", map[string]any{"globalReward": 0.5, "byLayer": map[string]any{"motor": -0.1}}, "outside [0, 1]"},
		{"layers not object", map[string]any{"globalReward": 0.5, "byLayer": []any{}}, "byLayer"},
		{"cycle text", map[string]any{"cycle": "4", "globalReward": 0.5}, "cycle"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := decodeReward(p, tc.payload, time.Now())
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.payload["globalReward"], r.Global)
		})
	}
}

func TestPayloadOf(t *testing.T) {
	_, _, err := payloadOf(nil)
	assert.ErrorIs(t, err, errNoPayload)
	_, _, err = payloadOf([]any{"garbage"})
	assert.ErrorIs(t, err, errNoPayload)
	m, run, err := payloadOf([]any{map[string]any{"runId": "r1"}})
	require.NoError(t, err)
	assert.Equal(t, "r1", run)
	assert.NotNil(t, m)
}

func TestDemoContract(t *testing.T) {
	p, err := demoProject()
	require.NoError(t, err)
	c := p.Contract
	assert.Equal(t, 64, c.Constants.Gamma)
	assert.Equal(t, 32, c.Constants.OutputWindowN)
	assert.Equal(t, 128, c.Constants.FeedbackN)
	assert.Equal(t, 64, c.Constants.FeedbackT)
	assert.Equal(t, []string{"shoulder_pos", "elbow_pos"}, c.InputsOfKind("Proprioception"))
	assert.Equal(t, []string{"shoulder_fb"}, c.InputsOfKind("Feedback"))
	assert.Equal(t, []string{DemoCameraInput}, c.InputsOfKind("Image"))
	assert.Equal(t, -3.14159, c.IO.Inputs[0].Extra["lo"])
	assert.Equal(t, 3.14159, c.IO.Inputs[1].Extra["hi"])
	require.Len(t, c.IO.Outputs, 2)
	assert.Equal(t, "shoulder_motor", c.IO.Outputs[0].ID)
	assert.Equal(t, "elbow_motor", c.IO.Outputs[1].ID)
	require.Len(t, c.IO.Feedback, 1)
	assert.Equal(t, "shoulder_fb", c.IO.Feedback[0].ID)
	assert.Equal(t, "shoulder_motor", c.IO.Feedback[0].FromOutput)
	assert.Equal(t, []string{"motor"}, c.IO.STDP3)
}

func TestSensorsContract(t *testing.T) {
	ps, err := builtinProjects()
	require.NoError(t, err)
	require.Len(t, ps, 2)
	p := ps[SensorsProjectID]
	require.NotNil(t, p)
	c := p.Contract
	assert.Equal(t, []string{DemoCameraInput, "cam", "depth", "cam_jpeg"}, c.InputsOfKind("Image"))
	assert.Equal(t, []string{"mic_bytes", "mic_samples"}, c.InputsOfKind("Audio"))
	demoNet := ps[DemoProjectID].networkConf(64, true, 1)
	net := p.networkConf(64, true, 1)
	assert.Equal(t, demoNet.Outputs, net.Outputs, "the demo arm's outputs")
	assert.Equal(t, demoNet.Feedback, net.Feedback)
	assert.Len(t, net.Sensors, len(demoNet.Sensors)+5, "one population per extra camera and microphone")

	pcm := map[string]any{
		"runId": "r", "inputId": "mic_bytes", "kind": "Audio", "seq": 1.0, "t": 1.0,
		"format": "pcm16", "meta": map[string]any{"sampleRate": 16000.0, "channels": 1.0},
		"data": types.NewBytesBuffer([]byte{1, 0, 2, 0}),
	}
	ch, _, err := decodeChunk(p, pcm, time.Now(), nil)
	require.NoError(t, err)
	assert.Equal(t, []byte{1, 0, 2, 0}, ch.Data)
	_, _, err = decodeChunk(p, with(pcm, "data", types.NewBytesBuffer([]byte{1, 0, 2})), time.Now(), nil)
	assert.ErrorContains(t, err, "even byte count")
}
