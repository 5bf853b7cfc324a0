package brain

import (
	"fmt"
	"math"
)

// Chunk is one io:chunk: the answer to one need of one input.
type Chunk struct {
	InputID string
	Kind    string
	Seq     int64   // counts per input id from 1
	T       float64 // Unix time in seconds
	Format  string
	Meta    map[string]any // carries "cycle" besides the encoder's own keys
	Data    []byte         // sent as a binary attachment; may be reused once SendChunk returns
}

// RobotState is one robot:state sample. Nil fields are left out.
type RobotState struct {
	Q, DQ []float64
	Grip  *float64 // gripper position
	DT    float64  // seconds since the previous sample
}

// Reward is one learn:reward. Values are clamped to [0, 1] before sending
// (NaN becomes the neutral 0.5); which layers to send is the caller's job.
type Reward struct {
	Cycle   int64
	Global  float64
	ByLayer map[string]float64
}

// NeutralReward is the reward that teaches nothing.
const NeutralReward = 0.5

// chunkPayload builds the io:chunk payload. It must be a map[string]any:
// the Socket.IO encoder only turns []byte into a binary attachment there.
func chunkPayload(runID string, c Chunk) (map[string]any, error) {
	if c.InputID == "" {
		return nil, fmt.Errorf("brain: chunk has no input id")
	}
	if c.Format == "" {
		return nil, fmt.Errorf("brain: chunk of %q has no format", c.InputID)
	}
	if !finite(c.T) {
		return nil, fmt.Errorf("brain: chunk of %q has time %v", c.InputID, c.T)
	}
	if err := checkJSONValue(c.Meta, "meta"); err != nil {
		return nil, fmt.Errorf("brain: chunk of %q: %w", c.InputID, err)
	}
	meta := c.Meta
	if meta == nil {
		meta = map[string]any{}
	}
	data := c.Data
	if data == nil {
		data = []byte{}
	}
	return map[string]any{
		"runId":   runID,
		"inputId": c.InputID,
		"kind":    c.Kind,
		"seq":     c.Seq,
		"t":       c.T,
		"format":  c.Format,
		"meta":    meta,
		"data":    data,
	}, nil
}

// statePayload builds the robot:state payload.
func statePayload(runID string, st RobotState) (map[string]any, error) {
	state := make(map[string]any, 4)
	if st.Q != nil {
		if err := checkFinite("q", st.Q); err != nil {
			return nil, err
		}
		state["q"] = st.Q
	}
	if st.DQ != nil {
		if err := checkFinite("dq", st.DQ); err != nil {
			return nil, err
		}
		state["dq"] = st.DQ
	}
	if st.Grip != nil {
		if !finite(*st.Grip) {
			return nil, fmt.Errorf("brain: robot state grip is %v", *st.Grip)
		}
		state["grip"] = map[string]any{"pos": *st.Grip}
	}
	if !finite(st.DT) || st.DT < 0 {
		return nil, fmt.Errorf("brain: robot state dt is %v", st.DT)
	}
	state["dt"] = st.DT
	return map[string]any{"runId": runID, "state": state}, nil
}

// rewardPayload builds the learn:reward payload with every value clamped
// to [0, 1]; it reports how many values needed clamping.
func rewardPayload(runID string, r Reward) (map[string]any, int, error) {
	if r.Cycle < 0 {
		return nil, 0, fmt.Errorf("brain: reward cycle %d is negative", r.Cycle)
	}
	clamps := 0
	global, clamped := clampReward(r.Global)
	if clamped {
		clamps++
	}
	layers := make(map[string]any, len(r.ByLayer))
	for id, v := range r.ByLayer {
		if id == "" {
			return nil, 0, fmt.Errorf("brain: reward has a layer without id")
		}
		c, clamped := clampReward(v)
		if clamped {
			clamps++
		}
		layers[id] = c
	}
	return map[string]any{
		"runId":        runID,
		"cycle":        r.Cycle,
		"globalReward": global,
		"byLayer":      layers,
	}, clamps, nil
}

// clampReward keeps a reward in [0, 1]; NaN means "no opinion": neutral.
func clampReward(v float64) (float64, bool) {
	switch {
	case math.IsNaN(v):
		return NeutralReward, true
	case v < 0:
		return 0, true
	case v > 1:
		return 1, true
	}
	return v, false
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func checkFinite(name string, xs []float64) error {
	for i, x := range xs {
		if !finite(x) {
			return fmt.Errorf("brain: robot state %s[%d] is %v", name, i, x)
		}
	}
	return nil
}

// checkJSONValue refuses what encoding/json cannot write. The Socket.IO
// encoder drops a packet's whole payload, silently, when marshalling fails,
// so a NaN in meta must be caught here.
func checkJSONValue(v any, path string) error {
	switch x := v.(type) {
	case nil, string, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return nil
	case float64:
		if !finite(x) {
			return fmt.Errorf("%s is %v", path, x)
		}
	case float32:
		if !finite(float64(x)) {
			return fmt.Errorf("%s is %v", path, x)
		}
	case map[string]any:
		for k, e := range x {
			if err := checkJSONValue(e, path+"."+k); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range x {
			if err := checkJSONValue(e, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case []float64:
		for i, e := range x {
			if !finite(e) {
				return fmt.Errorf("%s[%d] is %v", path, i, e)
			}
		}
	case []int, []int64, []string:
		return nil
	default:
		return fmt.Errorf("%s has type %T, which the chunk encoder does not send", path, v)
	}
	return nil
}
