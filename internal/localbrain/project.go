package localbrain

import (
	"encoding/json"
	"fmt"

	"github.com/abbridge/ab_bridge/internal/contract"
)

// DemoProjectID names the built-in project: a 2-joint planar arm with an
// overhead camera.
const DemoProjectID = "demo"

// SensorsProjectID names the demo arm with one input of every sensor
// message type the bridge takes: what the integration tests stream.
const SensorsProjectID = "sensors"

// DemoCameraInput is the demo's Image input: the arm seen from above.
const DemoCameraInput = "overhead_cam"

// Range of the demo arm's joints, in radians. The network knows no target
// posture: the reaching target is the reward policy's, picked at run time.
const (
	demoJointLo = -3.14159
	demoJointHi = 3.14159
)

// project is a brain the server can run: its contract as served, from
// which its network is built.
type project struct {
	ID        string
	Constants map[string]any // served as is; never mutated
	IO        map[string]any // served as is; never mutated
	Contract  *contract.Contract
}

// builtinProjects are the projects every server serves.
func builtinProjects() (map[string]*project, error) {
	out := map[string]*project{}
	for _, build := range []func() (*project, error){demoProject, sensorsProject} {
		p, err := build()
		if err != nil {
			return nil, err
		}
		out[p.ID] = p
	}
	return out, nil
}

// demoProject is the 2-joint arm: proprioception for shoulder and elbow, an
// overhead camera, a motor population per joint, a shoulder feedback
// population and one STDP3 layer. The network steps on the joints only; the
// camera's chunks are checked and recorded.
func demoProject() (*project, error) {
	return armProject(DemoProjectID, sensorInput(DemoCameraInput, contract.KindImage))
}

// sensorsProject is the demo arm with a camera for raw frames (any
// encoding), one for depth, one for compressed frames, and microphones for
// PCM bytes and for samples.
func sensorsProject() (*project, error) {
	return armProject(SensorsProjectID,
		sensorInput(DemoCameraInput, contract.KindImage),
		sensorInput("cam", contract.KindImage),
		sensorInput("depth", contract.KindImage),
		sensorInput("cam_jpeg", contract.KindImage),
		sensorInput("mic_bytes", contract.KindAudio),
		sensorInput("mic_samples", contract.KindAudio),
	)
}

func sensorInput(id, kind string) map[string]any {
	return map[string]any{"id": id, "kind": kind}
}

// armProject is the demo arm's network with the given extra inputs.
func armProject(id string, extra ...map[string]any) (*project, error) {
	proprio := func(id string) map[string]any {
		return map[string]any{"id": id, "kind": contract.KindProprioception, "lo": demoJointLo, "hi": demoJointHi}
	}
	feedback := map[string]any{"id": "shoulder_fb", "kind": contract.KindFeedback, "n": 128, "fromOutput": "shoulder_motor", "outputKind": "Motor"}
	inputs := []any{proprio("shoulder_pos"), proprio("elbow_pos"), feedback}
	for _, in := range extra {
		inputs = append(inputs, in)
	}
	p := &project{
		ID:        id,
		Constants: map[string]any{"gamma": 64, "outputWindowN": 32, "feedbackN": 128, "feedbackT": 64},
		IO: map[string]any{
			"inputs": inputs,
			"outputs": []any{
				map[string]any{"id": "shoulder_motor", "kind": "Motor", "n": 32},
				map[string]any{"id": "elbow_motor", "kind": "Motor", "n": 32},
			},
			"feedback": []any{feedback},
			"stdp3":    map[string]any{"layers": []any{"motor"}},
		},
	}
	if err := p.parse(); err != nil {
		return nil, err
	}
	return p, nil
}

// networkConf is the network of one run of p: a sensory population per
// Proprioception, Image and Audio input, an output population per output,
// a feedback population per feedback input, the motor weights as the
// contract's first STDP3 layer.
func (p *project) networkConf(gamma int, learning bool, seed uint64) networkConf {
	c := networkConf{Gamma: gamma, Learning: learning, Seed: seed}
	for _, in := range p.Contract.IO.Inputs {
		switch in.Kind {
		case contract.KindProprioception:
			c.Sensors = append(c.Sensors, sensorPort{ID: in.ID, Kind: in.Kind, N: inputNeurons})
		case contract.KindImage:
			c.Sensors = append(c.Sensors, sensorPort{ID: in.ID, Kind: in.Kind, N: imageSide * imageSide})
		case contract.KindAudio:
			c.Sensors = append(c.Sensors, sensorPort{ID: in.ID, Kind: in.Kind, N: audioBands})
		}
	}
	for _, out := range p.Contract.IO.Outputs {
		n := p.Contract.Constants.OutputWindowN
		if v, ok := out.Extra["n"].(float64); ok && v >= 2 && v <= 4096 {
			n = int(v)
		}
		c.Outputs = append(c.Outputs, outputPort{ID: out.ID, N: n})
	}
	for _, fb := range p.Contract.IO.Feedback {
		n := fb.N
		if n <= 0 {
			n = p.Contract.Constants.FeedbackN
		}
		c.Feedback = append(c.Feedback, feedbackPort{ID: fb.ID, N: n, FromOutput: fb.FromOutput})
	}
	if len(p.Contract.IO.STDP3) > 0 {
		c.Layer = p.Contract.IO.STDP3[0]
	}
	return c
}

// parse reads the served document back through the contract package, so the
// server works from exactly what clients will parse.
func (p *project) parse() error {
	raw, err := json.Marshal(map[string]any{"projectId": p.ID, "constants": p.Constants, "io": p.IO})
	if err != nil {
		return fmt.Errorf("project %s: %w", p.ID, err)
	}
	c, err := contract.Parse(raw)
	if err != nil {
		return fmt.Errorf("project %s: %w", p.ID, err)
	}
	p.Contract = c
	return nil
}

// input returns the contract port of an input id.
func (p *project) input(id string) (contract.Port, bool) {
	for _, in := range p.Contract.IO.Inputs {
		if in.ID == id {
			return in, true
		}
	}
	return contract.Port{}, false
}

// isLayer reports whether name is one of the project's STDP3 layers.
func (p *project) isLayer(name string) bool {
	for _, l := range p.Contract.IO.STDP3 {
		if l == name {
			return true
		}
	}
	return false
}

// rangeOf returns an input's lo/hi, or the unit interval when it has none.
func rangeOf(in contract.Port) (lo, hi float64) {
	lo, okLo := in.Extra["lo"].(float64)
	hi, okHi := in.Extra["hi"].(float64)
	if !okLo || !okHi || !(hi > lo) {
		return 0, 1
	}
	return lo, hi
}
