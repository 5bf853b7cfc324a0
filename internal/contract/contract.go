package contract

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Protocol defaults for constants a contract may leave out.
const (
	DefaultGamma         = 64
	DefaultOutputWindowN = 32
	DefaultFeedbackN     = 128
	DefaultFeedbackT     = 128
	DefaultNamespace     = "/ab"
)

// Input kinds the protocol names. Others may appear; they are carried by name.
const (
	KindImage          = "Image"
	KindAudio          = "Audio"
	KindProprioception = "Proprioception"
	KindFeedback       = "Feedback"
)

// Contract is a run contract: the answer of start, or of the contract endpoint
// (which has no RunID).
type Contract struct {
	RunID     string
	ProjectID string
	Constants Constants
	IO        IO
	Realtime  Realtime
}

// Constants are the brain's timing and population sizes.
type Constants struct {
	Gamma         int // timesteps per cycle
	OutputWindowN int // neurons per output population
	FeedbackN     int // neurons per feedback population
	FeedbackT     int // timesteps of a feedback raster
}

// IO lists what the brain reads and writes.
type IO struct {
	Inputs   []Port
	Outputs  []Port
	Feedback []FeedbackPort
	STDP3    []string // learning layers that take a reward
}

// Port is one input or output population. Extra holds every other field the
// server sent, so nothing in a contract is lost on the way through.
type Port struct {
	ID    string
	Kind  string
	Extra map[string]any
}

// FeedbackPort is a feedback population fed by the deviation policy.
type FeedbackPort struct {
	ID         string
	N          int
	FromOutput string
	OutputKind string
}

// Realtime says where the Socket.IO endpoint is. Empty fields mean "derive it".
type Realtime struct {
	URL       string
	Namespace string
}

// InputsOfKind returns the ids of inputs of the given kind, in contract order.
func (c *Contract) InputsOfKind(kind string) []string {
	var ids []string
	for _, in := range c.IO.Inputs {
		if in.Kind == kind {
			ids = append(ids, in.ID)
		}
	}
	return ids
}

// ErrNoRunID is returned by ParseStart when a start answer carries no runId.
var ErrNoRunID = errors.New("contract: start answer has no runId")

// ParseStart parses the answer of a start call; a runId is required.
func ParseStart(raw []byte) (*Contract, error) {
	c, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	if c.RunID == "" {
		return nil, ErrNoRunID
	}
	return c, nil
}

// Parse reads a contract document, applying the protocol's defaults.
func Parse(raw []byte) (*Contract, error) {
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("contract: %w", err)
	}
	return FromMap(doc)
}

// FromMap builds a contract from a decoded JSON object.
func FromMap(doc map[string]any) (*Contract, error) {
	c := &Contract{
		RunID:     str(doc["runId"]),
		ProjectID: str(doc["projectId"]),
	}
	var err error
	if c.Constants, err = parseConstants(asMap(doc["constants"])); err != nil {
		return nil, err
	}
	io := asMap(doc["io"])
	if c.IO.Inputs, err = parsePorts("io.inputs", io["inputs"]); err != nil {
		return nil, err
	}
	if c.IO.Outputs, err = parsePorts("io.outputs", io["outputs"]); err != nil {
		return nil, err
	}
	if c.IO.Feedback, err = parseFeedback(io["feedback"], c.Constants.FeedbackN); err != nil {
		return nil, err
	}
	for _, l := range asList(asMap(io["stdp3"])["layers"]) {
		c.IO.STDP3 = append(c.IO.STDP3, str(l))
	}
	rt := asMap(doc["realtime"])
	c.Realtime = Realtime{URL: str(rt["url"]), Namespace: str(rt["namespace"])}
	return c, nil
}

func parseConstants(m map[string]any) (Constants, error) {
	k := Constants{}
	var err error
	if k.Gamma, err = intConst(m, "gamma", DefaultGamma); err != nil {
		return k, err
	}
	if k.OutputWindowN, err = intConst(m, "outputWindowN", DefaultOutputWindowN); err != nil {
		return k, err
	}
	if k.FeedbackN, err = intConst(m, "feedbackN", DefaultFeedbackN); err != nil {
		return k, err
	}
	fbT := DefaultFeedbackT
	if _, ok := m["FEEDBACK_WINDOW_T"]; ok {
		if fbT, err = intConst(m, "FEEDBACK_WINDOW_T", DefaultFeedbackT); err != nil {
			return k, err
		}
	}
	if k.FeedbackT, err = intConst(m, "feedbackT", fbT); err != nil {
		return k, err
	}
	if k.Gamma <= 0 || k.OutputWindowN <= 0 || k.FeedbackN <= 0 || k.FeedbackT <= 0 {
		return k, fmt.Errorf("contract: constants must be positive, got %+v", k)
	}
	return k, nil
}

// intConst reads an integer constant that may arrive as a number or a string.
func intConst(m map[string]any, key string, def int) (int, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return def, nil
	}
	switch x := v.(type) {
	case float64:
		return int(x), nil
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return int(n), nil
		}
		if f, err := x.Float64(); err == nil {
			return int(f), nil
		}
		return 0, fmt.Errorf("contract: constant %s=%s is not a number", key, x)
	case string:
		s := strings.TrimSpace(x)
		if n, err := strconv.Atoi(s); err == nil {
			return n, nil
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return int(f), nil
		}
		return 0, fmt.Errorf("contract: constant %s=%q is not a number", key, x)
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	}
	return 0, fmt.Errorf("contract: constant %s has type %T, want a number", key, v)
}

func parsePorts(where string, v any) ([]Port, error) {
	var ports []Port
	for i, item := range asList(v) {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("contract: %s[%d] is %T, want an object", where, i, item)
		}
		p := Port{ID: str(m["id"]), Kind: str(m["kind"]), Extra: map[string]any{}}
		if p.ID == "" {
			return nil, fmt.Errorf("contract: %s[%d] has no id", where, i)
		}
		for k, x := range m {
			if k != "id" && k != "kind" {
				p.Extra[k] = x
			}
		}
		ports = append(ports, p)
	}
	return ports, nil
}

func parseFeedback(v any, defN int) ([]FeedbackPort, error) {
	var out []FeedbackPort
	for i, item := range asList(v) {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("contract: io.feedback[%d] is %T, want an object", i, item)
		}
		n, err := intConst(m, "n", defN)
		if err != nil {
			return nil, err
		}
		fb := FeedbackPort{ID: str(m["id"]), N: n, FromOutput: str(m["fromOutput"]), OutputKind: str(m["outputKind"])}
		if fb.ID == "" {
			return nil, fmt.Errorf("contract: io.feedback[%d] has no id", i)
		}
		out = append(out, fb)
	}
	return out, nil
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		return x.String()
	}
	return ""
}
