package localpolicy

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/abbridge/ab_bridge/internal/secret"
)

// Feature is one entry of a LeRobot-style feature map: the type and the
// shape of what the policy takes (observation.*) or gives (action).
type Feature struct {
	Type  string `json:"type"`
	Shape []int  `json:"shape"`
}

// Feature types, as LeRobot's FeatureType names them.
const (
	TypeState  = "STATE"
	TypeVisual = "VISUAL"
	TypeEnv    = "ENV"
	TypeAction = "ACTION"
)

// The names the policy's features go by: the reach policy reads the joint
// state and answers one action vector of the same length.
const (
	StateKey  = "observation.state"
	ActionKey = "action"
	TaskKey   = "task"
)

// Health states of /v1/healthz, the SDK's PolicyStatus values.
const (
	StatusHealthy   = "HEALTHY"
	StatusDeploying = "DEPLOYING"
	StatusUnhealthy = "UNHEALTHY"
	StatusStopped   = "STOPPED"
	StatusNotFound  = "NOT_FOUND"
)

// Defaults: ACT-like chunks at a LeRobot dataset's usual 30 fps, a joint
// speed an arm can follow, and a cap on bodies that fits several cameras.
const (
	DefaultChunkLength = 50
	DefaultRate        = 30.0
	DefaultMaxSpeed    = 0.5
	DefaultGain        = 0.25
	DefaultMaxBody     = 16 << 20
	DefaultStateDim    = 7
)

// Config is one served policy.
type Config struct {
	// Addr is where Serve listens (default 127.0.0.1:0, a free port).
	Addr string
	// PolicyID is the id clients send as x-policy-id.
	PolicyID string
	// APIKey is the one bearer key accepted (never logged).
	APIKey secret.Secret
	// Inputs and Outputs are the feature maps; default a 7-joint state in
	// and a 7-dimensional action out. Inputs must hold observation.state
	// (STATE, 1-D) and Outputs exactly action (ACTION, the same length).
	Inputs  map[string]Feature
	Outputs map[string]Feature
	// WrapInputs answers input_features as {"input_features": {...}}, the
	// other form the SDK's observation_shapes accepts.
	WrapInputs bool
	// ChunkLength is the number of actions per chunk; ActionSteps how many
	// of them select_action plays before predicting again (LeRobot's
	// n_action_steps; default the whole chunk).
	ChunkLength int
	ActionSteps int
	// Rate is the policy's control rate in actions per second: one action
	// is one step of 1/Rate s.
	Rate float64
	// Target is the pose the policy reaches for (default all zeros); Gain
	// the share of the remaining distance covered per step, MaxSpeed the
	// speed cap in state units per second.
	Target   []float64
	Gain     float64
	MaxSpeed float64
	// DeployTime keeps the policy DEPLOYING this long after New.
	DeployTime time.Duration
	// Latency delays every inference answer, as a model's forward pass does.
	Latency time.Duration
	// TensorAnswers answers __torch_tensor__ maps (on TensorDevice, default
	// cpu) instead of __ndarray__ ones.
	TensorAnswers bool
	TensorDevice  string
	// NoTask accepts observations without a task string.
	NoTask bool
	// MaxBody caps a request body in bytes (413 beyond).
	MaxBody int64
	// Faults serves the fault knobs under /standin/.
	Faults bool
	Logger *slog.Logger
}

// DefaultFeatures are a 7-joint arm's features: state in, action out.
func DefaultFeatures(dim int) (inputs, outputs map[string]Feature) {
	return map[string]Feature{StateKey: {Type: TypeState, Shape: []int{dim}}},
		map[string]Feature{ActionKey: {Type: TypeAction, Shape: []int{dim}}}
}

// withDefaults fills what was left zero and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:0"
	}
	if c.Inputs == nil && c.Outputs == nil {
		c.Inputs, c.Outputs = DefaultFeatures(DefaultStateDim)
	}
	if c.ChunkLength == 0 {
		c.ChunkLength = DefaultChunkLength
	}
	if c.ActionSteps == 0 {
		c.ActionSteps = c.ChunkLength
	}
	if c.Rate == 0 {
		c.Rate = DefaultRate
	}
	if c.Gain == 0 {
		c.Gain = DefaultGain
	}
	if c.MaxSpeed == 0 {
		c.MaxSpeed = DefaultMaxSpeed
	}
	if c.TensorDevice == "" {
		c.TensorDevice = "cpu"
	}
	if c.MaxBody == 0 {
		c.MaxBody = DefaultMaxBody
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if err := c.check(); err != nil {
		return c, err
	}
	if c.Target == nil {
		c.Target = make([]float64, c.Outputs[ActionKey].Shape[0])
	}
	return c, nil
}

func (c Config) check() error {
	switch {
	case c.PolicyID == "" || strings.IndexFunc(c.PolicyID, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return fmt.Errorf("policy id %q: want a non-empty id without spaces", c.PolicyID)
	case c.APIKey.Reveal() == "" || strings.IndexFunc(c.APIKey.Reveal(), unicode.IsSpace) >= 0:
		return errors.New("api key: want a non-empty key without spaces")
	case c.ChunkLength < 1 || c.ChunkLength > 1000:
		return fmt.Errorf("chunk length %d: want 1 to 1000", c.ChunkLength)
	case c.ActionSteps < 1 || c.ActionSteps > c.ChunkLength:
		return fmt.Errorf("action steps %d: want 1 to the chunk length %d", c.ActionSteps, c.ChunkLength)
	case !(c.Rate > 0 && c.Rate <= 1000):
		return fmt.Errorf("rate %g: want more than 0 and at most 1000 actions per second", c.Rate)
	case !(c.Gain > 0 && c.Gain <= 1):
		return fmt.Errorf("gain %g: want more than 0 and at most 1", c.Gain)
	case !(c.MaxSpeed > 0) || math.IsInf(c.MaxSpeed, 0):
		return fmt.Errorf("max speed %g: want a positive speed", c.MaxSpeed)
	case c.DeployTime < 0 || c.Latency < 0:
		return errors.New("deploy time and latency cannot be negative")
	case c.MaxBody < 1024:
		return fmt.Errorf("max body %d: want at least 1024 bytes", c.MaxBody)
	}
	if err := checkInputs(c.Inputs); err != nil {
		return fmt.Errorf("input features: %w", err)
	}
	if err := checkOutputs(c.Outputs, c.Inputs[StateKey].Shape[0]); err != nil {
		return fmt.Errorf("output features: %w", err)
	}
	if c.Target != nil {
		if n := c.Outputs[ActionKey].Shape[0]; len(c.Target) != n {
			return fmt.Errorf("target: %d values for an action of %d", len(c.Target), n)
		}
		for i, v := range c.Target {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("target[%d] is %g", i, v)
			}
		}
	}
	return nil
}

func checkInputs(in map[string]Feature) error {
	for _, k := range sortedKeys(in) {
		f := in[k]
		switch {
		case !strings.HasPrefix(k, "observation"):
			// The SDK's observation_shapes skips any other key.
			return fmt.Errorf("%s: input keys begin with observation", k)
		case !slices.Contains([]string{TypeState, TypeVisual, TypeEnv}, f.Type):
			return fmt.Errorf("%s: type %q, want STATE, VISUAL or ENV", k, f.Type)
		case f.Type == TypeVisual && len(f.Shape) != 3:
			return fmt.Errorf("%s: a VISUAL feature is (channels, height, width), got %v", k, f.Shape)
		}
		if err := checkShape(f.Shape); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	st, ok := in[StateKey]
	if !ok || st.Type != TypeState || len(st.Shape) != 1 {
		return fmt.Errorf("want %s of type STATE and shape [n]: the reach policy moves the state", StateKey)
	}
	return nil
}

func checkOutputs(out map[string]Feature, stateDim int) error {
	a, ok := out[ActionKey]
	switch {
	case len(out) != 1 || !ok:
		return fmt.Errorf("want exactly %s, got %v", ActionKey, sortedKeys(out))
	case a.Type != TypeAction || len(a.Shape) != 1:
		return fmt.Errorf("%s: want type ACTION and shape [n], got %s %v", ActionKey, a.Type, a.Shape)
	case a.Shape[0] != stateDim:
		return fmt.Errorf("%s: %d dimensions for a state of %d: the reach policy answers absolute states", ActionKey, a.Shape[0], stateDim)
	}
	return checkShape(a.Shape)
}

func checkShape(shape []int) error {
	n := 1
	for _, d := range shape {
		if d < 1 || d > 1<<16 {
			return fmt.Errorf("shape %v: dimensions from 1 to 65536", shape)
		}
		if n *= d; n > 1<<26 {
			return fmt.Errorf("shape %v: more than 2^26 elements", shape)
		}
	}
	if len(shape) == 0 {
		return errors.New("empty shape")
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
