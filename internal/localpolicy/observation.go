package localpolicy

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"

	"github.com/abbridge/ab_bridge/internal/ndarray"
)

// observation is one checked request: the state the policy moves from,
// the task, and each image's mean (what tests read back).
type observation struct {
	state      []float64
	task       string
	imageMeans map[string]float64
	userAgent  string
}

// problem is one thing wrong with an observation, under its key.
type problem struct {
	key, msg string
}

// observationOf decodes and checks a body; a refusal is answered here:
// 400 for what is not a msgpack map, 422 naming every wrong key.
func (s *Server) observationOf(w http.ResponseWriter, body []byte) (observation, bool) {
	v, err := ndarray.Unmarshal(body)
	if err != nil {
		s.bump(func(c *Counters) { c.Malformed++ })
		writeError(w, http.StatusBadRequest, "The body is not a msgpack observation: "+err.Error())
		return observation{}, false
	}
	m, ok := v.(map[string]any)
	if !ok {
		s.bump(func(c *Counters) { c.Malformed++ })
		writeError(w, http.StatusBadRequest, fmt.Sprintf("The observation is a msgpack %s: want a map of feature keys.", kindOf(v)))
		return observation{}, false
	}
	obs, problems := s.check(m)
	if len(problems) == 0 {
		return obs, true
	}
	s.bump(func(c *Counters) { c.Rejected++ })
	msgs := make([]string, len(problems))
	detail := make([]map[string]any, len(problems))
	for i, p := range problems {
		msgs[i] = p.key + ": " + p.msg
		detail[i] = map[string]any{"loc": []string{"body", p.key}, "msg": msgs[i], "type": "value_error"}
	}
	s.conf.Logger.Info("refused: observation", "problems", strings.Join(msgs, "; "))
	// message for the SDK's error text, detail in FastAPI's validation form.
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": strings.Join(msgs, "; "), "detail": detail})
	return observation{}, false
}

// check holds the observation to the input features: every feature key
// present as a float array of exactly its shape, nothing else but the task.
func (s *Server) check(m map[string]any) (observation, []problem) {
	obs := observation{imageMeans: map[string]float64{}}
	var problems []problem
	for _, k := range sortedKeys(s.conf.Inputs) {
		f := s.conf.Inputs[k]
		raw, ok := m[k]
		if !ok {
			problems = append(problems, problem{k, fmt.Sprintf("missing: input_features want %s of shape %v", f.Type, f.Shape)})
			continue
		}
		vals, msg := values(raw, f)
		switch {
		case msg != "":
			problems = append(problems, problem{k, msg})
		case k == StateKey:
			obs.state = vals
		case f.Type == TypeVisual:
			obs.imageMeans[k] = mean(vals)
		}
	}
	for _, k := range sortedKeys(m) {
		if _, ok := s.conf.Inputs[k]; ok {
			continue
		}
		if k != TaskKey {
			problems = append(problems, problem{k, fmt.Sprintf("not an input feature (input_features: %s)", strings.Join(sortedKeys(s.conf.Inputs), ", "))})
			continue
		}
		task, ok := m[k].(string)
		if !ok {
			problems = append(problems, problem{k, fmt.Sprintf("a msgpack %s: the task is a string", kindOf(m[k]))})
		}
		obs.task = task
	}
	if _, ok := m[TaskKey]; !ok && !s.conf.NoTask {
		problems = append(problems, problem{TaskKey, "missing: the task is a string, the instruction the policy follows"})
	}
	return obs, problems
}

// values reads one feature's array: float dtype, the exact shape, finite,
// images within [0, 1] (float CHW, as LeRobot's policies take them).
func values(raw any, f Feature) ([]float64, string) {
	a, ok := raw.(ndarray.Array)
	if !ok {
		return nil, fmt.Sprintf("a msgpack %s: input_features want an array of shape %v", kindOf(raw), f.Shape)
	}
	if !slices.Equal(a.Shape, f.Shape) {
		return nil, fmt.Sprintf("shape %v sent, input_features say %v", a.Shape, f.Shape)
	}
	if len(a.DType) < 2 || a.DType[1] != 'f' {
		return nil, fmt.Sprintf("dtype %s sent: want floats (<f4)", a.DType)
	}
	vals, err := a.Float64s()
	if err != nil {
		return nil, err.Error()
	}
	for i, v := range vals {
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			return nil, fmt.Sprintf("element %d is %g", i, v)
		case f.Type == TypeVisual && (v < 0 || v > 1):
			return nil, fmt.Sprintf("element %d is %g: images are floats in [0, 1]", i, v)
		}
	}
	return vals, ""
}

func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "map"
	case []any:
		return "list"
	case string:
		return "string"
	case []byte:
		return "bytes"
	case ndarray.Array:
		return "array"
	case ndarray.Scalar:
		return "numpy scalar"
	case nil:
		return "nil"
	case bool:
		return "bool"
	}
	return "number"
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	sum := 0.0
	for _, x := range v {
		sum += x
	}
	return sum / float64(len(v))
}

// accepted counts an observation and keeps it as the last one.
func (s *Server) accepted(obs observation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counters.Observations++
	s.episode.Observations++
	s.last = LastObservation{State: obs.state, Task: obs.task, ImageMeans: obs.imageMeans, UserAgent: obs.userAgent}
}
