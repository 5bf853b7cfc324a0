package config

import (
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"time"

	"github.com/abbridge/ab_bridge/internal/primalux"
	"github.com/abbridge/ab_bridge/internal/yamlfile"

	"gopkg.in/yaml.v3"
)

// Brain kinds: which backend brain.kind selects.
const (
	// KindArtificialBrains is the 0.1 cloud protocol (REST + Socket.IO),
	// or the embedded local brain that speaks it: the default.
	KindArtificialBrains = "artificial_brains"
	// KindPrimaLux is a Prima-Lux device as SDK 0.4.0 reaches it (HTTP +
	// server-sent events), configured by the primalux section.
	KindPrimaLux = "primalux"
)

// PrimaLux configures the device backend (brain.kind: primalux). The
// device's address, key sources, contract and timeouts are the SDK's
// settings (primalux.Settings; empty ones fall back to its AB_DEVICE_*
// variables when the node starts); the rest is how the node feeds it.
type PrimaLux struct {
	primalux.Settings `yaml:",inline"`
	// FrameRateHz is how many sensor frames a second are posted, and how
	// many output frames a second the node expects back (one trajectory
	// carries cycle_duration's worth of them). Defaults to 20, the
	// device's and the stand-in's tick.
	FrameRateHz float64 `yaml:"frame_rate_hz"`
	// RewardInput is the input population that carries the reward
	// policy's value as the SDK's reward population; "" sends no reward.
	RewardInput string `yaml:"reward_input"`
	// Encoding sets, per input id, the SDK's encoder mode and its
	// parameters; an input without an entry gets its kind's default (a
	// joint: ranged over its lo/hi, else signed over ±π; a camera: a gray
	// retina as vector_f32; a microphone: its loudness envelope as
	// vector_f32).
	Encoding map[string]Encoding `yaml:"encoding"`
	// Actuation, when set, decodes the device's outputs as the SDK's
	// ActuationChannelDecoder does, instead of its GenericSpikeDecoder:
	// per native channel (the key), each frame item's actuation.channels
	// count times gain, limited to limit, is a delta of motor, a channel
	// of the mapping. For devices that report channel counts rather than
	// neuron ids (an item without actuation.channels is then an error,
	// counted, no motion for that step). The mapping still names the
	// channels and the joints they drive; its schemes are not read then.
	Actuation map[string]ActuationChannel `yaml:"actuation"`
	// Build, when true, has the device build and install the design that
	// primalux.contract names before the node starts the brain, as the
	// SDK's `ab build brain` does (design_submit.build_on_device): the design
	// is uploaded, its build polled until installed and READY, and a failed
	// build (with the device's reason) ends the node. The contract must then
	// be a design file, not the contract JSON. Defaults to false: the brain
	// the device has installed is run.
	Build bool `yaml:"build"`
	// BuildTimeout bounds the build, requests through lost answers
	// included. The SDK waits without bound by default; a node that is
	// launched should not. Defaults to 10 minutes.
	BuildTimeout time.Duration `yaml:"build_timeout"`
	// actuationOrder is Actuation's keys in file order: the SDK adds the
	// deltas of one motor in its mapping's order.
	actuationOrder []string
}

// ActuationChannel is one native actuation channel's entry, as the SDK's
// mapping {channel: {motor, gain, limit}} has it.
type ActuationChannel struct {
	Motor string `yaml:"motor"`
	// Gain has no default: the SDK refuses a channel without one ("no
	// default motor movement").
	Gain  *float64  `yaml:"gain"`
	Limit []float64 `yaml:"limit"` // [min, max], optional
}

// ActuationEntries is the actuation mapping as the SDK's decoder takes it,
// in the file's order; nil when none is configured.
func (p PrimaLux) ActuationEntries() []primalux.ActuationEntry {
	var out []primalux.ActuationEntry
	for _, ch := range p.actuationOrder {
		a, ok := p.Actuation[ch]
		if !ok || a.Gain == nil {
			continue
		}
		e := primalux.ActuationEntry{Channel: ch, Motor: a.Motor, Gain: *a.Gain}
		if len(a.Limit) == 2 {
			e.Limit = &[2]float64{a.Limit[0], a.Limit[1]}
		}
		out = append(out, e)
	}
	return out
}

// Encoding is one input's encoder mode (primalux.Mode names) and the
// parameters that mode reads.
type Encoding struct {
	Mode   string   `yaml:"mode"`
	Vmin   *float64 `yaml:"vmin"`
	Vmax   *float64 `yaml:"vmax"`
	Absmax *float64 `yaml:"absmax"`
	Radius *int     `yaml:"radius"`
	// Colour (Image inputs) sends a retina of three planes, red, green
	// and blue; otherwise one of gray. Defaults to false.
	Colour *bool `yaml:"colour"`
}

// DefaultDeviceStopTimeout bounds stopping the device's brain at shutdown:
// the device saves its neural dynamics then, which the SDK allows minutes
// for; a node that is told to stop should not hang that long.
const DefaultDeviceStopTimeout = 30 * time.Second

// DefaultBuildTimeout bounds a brain build the node runs (primalux.build):
// the device's construction and compilation can take minutes.
const DefaultBuildTimeout = 10 * time.Minute

func defaultPrimaLux() PrimaLux {
	return PrimaLux{
		Settings:    primalux.Settings{APIKeyEnv: primalux.KeyEnv, EnvFile: ".env", StopTimeout: DefaultDeviceStopTimeout},
		FrameRateHz: 20, BuildTimeout: DefaultBuildTimeout,
	}
}

// IsPrimaLux says whether the node runs against a Prima-Lux device.
func (c *Config) IsPrimaLux() bool { return c.Brain.Kind == KindPrimaLux }

// DeviceSettings are the primalux section's settings with the contract
// path made relative to the configuration file's folder, as policies.dir
// is (the environment's AB_DEVICE_CONTRACT stays relative to the working
// directory, as the SDK reads it).
func (c *Config) DeviceSettings() primalux.Settings {
	s := c.PrimaLux.Settings
	if s.Contract != "" && !filepath.IsAbs(s.Contract) && c.File != "" {
		s.Contract = filepath.Join(filepath.Dir(c.File), s.Contract)
	}
	return s
}

// maxFrameRate is far above any device tick: a higher rate is a typo.
const maxFrameRate = 1000

// encodingKeys are the parameters each mode reads (radius: bump modes).
var encodingKeys = map[primalux.Mode][]string{
	primalux.ModeVector:     nil,
	primalux.ModeBinary:     nil,
	primalux.ModePositive:   {"vmax", "radius"},
	primalux.ModeCumulative: {"vmax"},
	primalux.ModeRanged:     {"vmin", "vmax", "radius"},
	primalux.ModeSigned:     {"absmax", "radius"},
	primalux.ModeReward:     nil,
}

func (c *Config) validateBrainKind(root *yaml.Node) []error {
	var errs []error
	bad := func(msg string, path ...any) {
		errs = append(errs, &Error{File: c.File, Line: yamlfile.LineOf(root, path...), Msg: msg})
	}
	switch c.Brain.Kind {
	case KindArtificialBrains:
		return nil
	case KindPrimaLux:
	case KindRoboActions:
		return c.validateRoboActions(root)
	default:
		bad(fmt.Sprintf("brain.kind %q is not %s (the 0.1 cloud protocol), %s (a Prima-Lux device) or %s (a RoboActions policy)",
			c.Brain.Kind, KindArtificialBrains, KindPrimaLux, KindRoboActions), "brain", "kind")
		return errs
	}
	p := c.PrimaLux
	if p.URL != "" {
		if _, err := primalux.CheckOrigin(p.URL); err != nil {
			bad("primalux.url: "+err.Error(), "primalux", "url")
		}
	}
	if p.Timeout < 0 {
		bad("primalux.timeout must be positive (0: $"+primalux.TimeoutEnv+" or the SDK's 15s)", "primalux", "timeout")
	}
	if p.StopTimeout <= 0 {
		bad("primalux.stop_timeout must be positive", "primalux", "stop_timeout")
	}
	if !(p.FrameRateHz > 0 && p.FrameRateHz <= maxFrameRate) {
		bad(fmt.Sprintf("primalux.frame_rate_hz %g is not within (0, %d]", p.FrameRateHz, maxFrameRate), "primalux", "frame_rate_hz")
	}
	if p.BuildTimeout <= 0 {
		bad("primalux.build_timeout must be positive", "primalux", "build_timeout")
	}
	if p.Build {
		if msg := c.buildDesignProblem(); msg != "" {
			bad(msg, "primalux", "build")
		}
	}
	kinds := map[string]string{}
	for i, in := range c.Inputs {
		kinds[in.ID] = in.Kind
		if in.Kind == "Feedback" {
			bad(fmt.Sprintf("input %q: Feedback inputs are not sent to a Prima-Lux device (a device has no feedback populations; Proprioception, Image and Audio are sent)", in.ID), "inputs", i, "kind")
		}
	}
	ids := map[string]bool{}
	for id := range kinds {
		ids[id] = true
	}
	if p.RewardInput != "" && ids[p.RewardInput] {
		bad(fmt.Sprintf("primalux.reward_input %q is also a sensor input", p.RewardInput), "primalux", "reward_input")
	}
	names := make([]string, 0, len(p.Encoding))
	for id := range p.Encoding {
		names = append(names, id)
	}
	sort.Strings(names) // errors in a stable order
	for _, id := range names {
		if !ids[id] && id != p.RewardInput {
			bad(fmt.Sprintf("primalux.encoding %q is neither an input id nor the reward_input", id), "primalux", "encoding", id)
			continue
		}
		for _, msg := range p.Encoding[id].problems(kinds[id]) {
			bad(fmt.Sprintf("primalux.encoding %q: %s", id, msg), "primalux", "encoding", id)
		}
	}
	c.PrimaLux.actuationOrder = yamlfile.MapKeys(root, "primalux", "actuation")
	errs = append(errs, c.validateActuation(root)...)
	return errs
}

// buildDesignProblem says why primalux.build cannot build primalux.contract
// ("" when it can): a build uploads a design, so the contract must be a
// design file the SDK's designer would take. An empty contract is left to
// start-up, where $AB_DEVICE_CONTRACT is read.
func (c *Config) buildDesignProblem() string {
	path := c.DeviceSettings().Contract
	if path == "" {
		return ""
	}
	if _, err := primalux.LoadDesign(path); err != nil {
		return "primalux.build: primalux.contract: " + err.Error()
	}
	return ""
}

// validateActuation refuses what the SDK's ActuationChannelDecoder refuses
// (a motor name, an explicit finite gain, a limit [min, max]) and a motor
// that is no channel of the mapping, whose deltas nothing would command.
func (c *Config) validateActuation(root *yaml.Node) []error {
	var errs []error
	channels := map[string]bool{}
	for _, m := range c.Mapping {
		channels[m.Channel] = true
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	for _, ch := range c.PrimaLux.actuationOrder {
		a := c.PrimaLux.Actuation[ch]
		bad := func(msg string, key string) {
			path := []any{"primalux", "actuation", ch}
			if key != "" && yamlfile.NodeAt(root, append(path, key)...) != nil {
				path = append(path, key)
			}
			errs = append(errs, &Error{File: c.File, Line: yamlfile.LineOf(root, path...), Msg: fmt.Sprintf("primalux.actuation %q: %s", ch, msg)})
		}
		switch {
		case ch == "":
			bad("needs a channel name", "")
		case a.Motor == "":
			bad("needs a motor (a channel of the mapping, e.g. joint:0)", "motor")
		case !channels[a.Motor]:
			bad(fmt.Sprintf("motor %q is not a channel of the mapping: nothing would command its deltas", a.Motor), "motor")
		}
		if a.Gain == nil || !finite(*a.Gain) {
			bad("explicit finite gain required (the SDK has no default motor movement)", "gain")
		}
		if a.Limit != nil && (len(a.Limit) != 2 || !finite(a.Limit[0]) || !finite(a.Limit[1]) || a.Limit[0] > a.Limit[1]) {
			bad("limit must be [min, max]", "limit")
		}
	}
	return errs
}

// problems checks one encoding as the SDK's encoder would refuse it at the
// first frame, so the mistake shows at start-up. kind is the input's ("" for
// the reward input): pictures and sound are vectors, which only the vector
// modes take.
func (e Encoding) problems(kind string) []string {
	var out []string
	media := kind == "Image" || kind == "Audio"
	if e.Colour != nil && kind != "Image" {
		out = append(out, "colour is read for Image inputs only")
	}
	if e.Mode == "" && media {
		return out // the SDK's default for pictures and sound: vector_f32
	}
	keys, ok := encodingKeys[primalux.Mode(e.Mode)]
	if !ok {
		return append(out, fmt.Sprintf("mode %q is not one of the SDK's encoder modes", e.Mode))
	}
	if mode := primalux.Mode(e.Mode); media && mode != primalux.ModeVector && mode != primalux.ModeBinary {
		out = append(out, fmt.Sprintf("mode %s encodes one number; %s inputs are vectors (vector_f32 or binary_spikes)", e.Mode, kind))
	}
	takes := func(k string) bool {
		for _, x := range keys {
			if x == k {
				return true
			}
		}
		return false
	}
	for _, k := range []struct {
		name  string
		isSet bool
	}{{"vmin", e.Vmin != nil}, {"vmax", e.Vmax != nil}, {"absmax", e.Absmax != nil}, {"radius", e.Radius != nil}} {
		if k.isSet && !takes(k.name) {
			out = append(out, fmt.Sprintf("%s is not read by mode %s", k.name, e.Mode))
		}
	}
	finite := func(p *float64) bool { return p != nil && !math.IsNaN(*p) && !math.IsInf(*p, 0) }
	switch primalux.Mode(e.Mode) {
	case primalux.ModePositive, primalux.ModeCumulative:
		if !finite(e.Vmax) || *e.Vmax == 0 {
			out = append(out, "vmax must be a finite non-zero number")
		}
	case primalux.ModeRanged:
		if !finite(e.Vmin) || !finite(e.Vmax) || *e.Vmin == *e.Vmax {
			out = append(out, "vmin and vmax must be finite and differ")
		}
	case primalux.ModeSigned:
		if !finite(e.Absmax) || *e.Absmax == 0 {
			out = append(out, "absmax must be a finite non-zero number")
		}
	}
	if e.Radius != nil && *e.Radius < 0 {
		out = append(out, "radius must not be negative")
	}
	return out
}

// Scale is the encoding's parameters as the encoder takes them (radius
// defaults to the SDK's).
func (e Encoding) Scale() primalux.Scale {
	sc := primalux.Scale{Vmin: e.Vmin, Vmax: e.Vmax, Absmax: e.Absmax, Radius: primalux.DefaultRadius}
	if e.Radius != nil {
		sc.Radius = *e.Radius
	}
	return sc
}
