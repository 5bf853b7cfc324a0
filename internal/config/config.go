package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/abbridge/ab_bridge/internal/spikes"
)

// LocalBrainURL is the brain URL that selects the embedded local brain.
const LocalBrainURL = "local"

// Config is the whole of one bridge's settings. See config/bridge.yaml, the
// documented default, for what each field means.
type Config struct {
	Brain      Brain                 `yaml:"brain"`
	Joints     []Joint               `yaml:"joints"`
	Inputs     []Input               `yaml:"inputs"`
	Mapping    []spikes.MappingEntry `yaml:"mapping"`
	Trajectory Trajectory            `yaml:"trajectory"`
	State      State                 `yaml:"state"`
	Policies   Policies              `yaml:"policies"`

	// File is where the configuration was read from ("" for defaults).
	File string `yaml:"-"`
}

// Brain says which brain to run against and how to reach it.
type Brain struct {
	URL          string         `yaml:"url"`
	Project      string         `yaml:"project"`
	Namespace    string         `yaml:"namespace"`
	APIKeyEnv    string         `yaml:"api_key_env"`
	APIKeyFile   string         `yaml:"api_key_file"`
	EnvFile      string         `yaml:"env_file"`
	HTTPTimeout  time.Duration  `yaml:"http_timeout"`
	StopTimeout  time.Duration  `yaml:"stop_timeout"`
	StartOptions map[string]any `yaml:"start_options"`
	Local        LocalBrain     `yaml:"local"`
}

// LocalBrain configures the embedded brain used when Brain.URL is "local".
type LocalBrain struct {
	Listen        string        `yaml:"listen"`
	CycleInterval time.Duration `yaml:"cycle_interval"`
}

// Joint is one actuated joint, in the order of the trajectory's joint_names.
type Joint struct {
	Name string   `yaml:"name"`
	Min  *float64 `yaml:"min"`
	Max  *float64 `yaml:"max"`
}

// Input ties one brain input id to the ROS data that answers it.
type Input struct {
	ID    string   `yaml:"id"`
	Kind  string   `yaml:"kind"`
	Joint string   `yaml:"joint"`
	Lo    *float64 `yaml:"lo"`
	Hi    *float64 `yaml:"hi"`
	// Format of feedback chunks: deviation_f32 (default) or raster_f32.
	Format string        `yaml:"format"`
	MaxAge time.Duration `yaml:"max_age"`
}

// Trajectory shapes the JointTrajectory published for each brain cycle.
type Trajectory struct {
	CycleDuration time.Duration `yaml:"cycle_duration"`
	MaxPoints     int           `yaml:"max_points"`
	PublishIdle   bool          `yaml:"publish_idle"`
}

// State configures the robot:state stream.
type State struct {
	RateHz float64 `yaml:"rate_hz"`
}

// Default is the configuration a file starts from.
func Default() Config {
	return Config{
		Brain: Brain{
			URL:         LocalBrainURL,
			Project:     "demo",
			Namespace:   "/ab",
			APIKeyEnv:   "AB_API_KEY",
			EnvFile:     ".env",
			HTTPTimeout: 10 * time.Second,
			StopTimeout: time.Second,
			Local:       LocalBrain{Listen: "127.0.0.1:0", CycleInterval: 50 * time.Millisecond},
		},
		Trajectory: Trajectory{CycleDuration: 50 * time.Millisecond, MaxPoints: 8, PublishIdle: true},
		State:      State{RateHz: 20},
		Policies:   defaultPolicies(),
	}
}

// Error is one configuration problem, located in its file.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Load reads, strictly decodes and validates a configuration file. Every
// problem found is reported, each as an *Error joined into the result.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, b)
}

// Parse is Load for bytes already read; file names the source in errors.
func Parse(file string, data []byte) (*Config, error) {
	cfg := Default()
	cfg.File = file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlErrors(file, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlErrors(file, err)
	}
	if errs := cfg.validate(&root); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &cfg, nil
}

var yamlLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// yamlErrors turns yaml.v3's messages into file:line errors, one per problem.
func yamlErrors(file string, err error) error {
	var te *yaml.TypeError
	msgs := []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	var out []error
	for _, m := range msgs {
		e := &Error{File: file, Msg: m}
		if sub := yamlLine.FindStringSubmatch(m); sub != nil {
			e.Line, _ = strconv.Atoi(sub[1])
			e.Msg = humanYAML(sub[2])
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

var notFound = regexp.MustCompile(`^field (\S+) not found in type (\S+)$`)

func humanYAML(msg string) string {
	if m := notFound.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("unknown key %q (in %s)", m[1], strings.TrimPrefix(m[2], "config."))
	}
	return msg
}

// validate checks the decoded values; root locates each problem's line.
func (c *Config) validate(root *yaml.Node) []error {
	var errs []error
	bad := func(msg string, path ...any) {
		errs = append(errs, &Error{File: c.File, Line: lineOf(root, path...), Msg: msg})
	}
	b := c.Brain
	if b.URL == "" {
		bad("brain.url must be \"local\" or an http(s) URL", "brain", "url")
	} else if b.URL != LocalBrainURL && !strings.HasPrefix(b.URL, "http://") && !strings.HasPrefix(b.URL, "https://") {
		bad(fmt.Sprintf("brain.url %q must be \"local\" or an http(s) URL", b.URL), "brain", "url")
	}
	if b.Project == "" {
		bad("brain.project is required", "brain", "project")
	}
	if !strings.HasPrefix(b.Namespace, "/") {
		bad(fmt.Sprintf("brain.namespace %q must start with /", b.Namespace), "brain", "namespace")
	}
	if b.HTTPTimeout <= 0 || b.StopTimeout <= 0 {
		bad("brain.http_timeout and brain.stop_timeout must be positive", "brain")
	}
	if b.Local.CycleInterval <= 0 {
		bad("brain.local.cycle_interval must be positive", "brain", "local", "cycle_interval")
	}
	joints := map[string]int{}
	for i, j := range c.Joints {
		switch {
		case j.Name == "":
			bad("joint has no name", "joints", i)
		case joints[j.Name] > 0:
			bad(fmt.Sprintf("joint %q is listed twice", j.Name), "joints", i, "name")
		}
		joints[j.Name] = i + 1
		if j.Min != nil && j.Max != nil && *j.Min >= *j.Max {
			bad(fmt.Sprintf("joint %q: min %g is not below max %g", j.Name, *j.Min, *j.Max), "joints", i)
		}
	}
	if len(c.Joints) == 0 {
		bad("joints: at least one joint is required (the trajectory's joint_names)", "joints")
	}
	ids := map[string]bool{}
	for i, in := range c.Inputs {
		if in.ID == "" {
			bad("input has no id", "inputs", i)
		}
		if ids[in.ID] {
			bad(fmt.Sprintf("input %q is listed twice", in.ID), "inputs", i, "id")
		}
		ids[in.ID] = true
		errs = append(errs, c.validateInput(root, i, in, joints)...)
	}
	for i, m := range c.Mapping {
		if ch, ok := strings.CutPrefix(m.Channel, "joint:"); ok {
			if n, err := strconv.Atoi(ch); err != nil || n < 0 || n >= len(c.Joints) {
				bad(fmt.Sprintf("mapping channel %q names no configured joint (0..%d)", m.Channel, len(c.Joints)-1), "mapping", i, "channel")
			}
		}
	}
	t := c.Trajectory
	if t.CycleDuration <= 0 {
		bad("trajectory.cycle_duration must be positive", "trajectory", "cycle_duration")
	}
	if t.MaxPoints < 1 {
		bad("trajectory.max_points must be at least 1", "trajectory", "max_points")
	}
	if c.State.RateHz < 0 || math.IsNaN(c.State.RateHz) {
		bad("state.rate_hz must be 0 (off) or positive", "state", "rate_hz")
	}
	errs = append(errs, c.validatePolicies(root)...)
	return errs
}

func (c *Config) validateInput(root *yaml.Node, i int, in Input, joints map[string]int) []error {
	var errs []error
	bad := func(msg string, path ...any) {
		errs = append(errs, &Error{File: c.File, Line: lineOf(root, path...), Msg: msg})
	}
	switch in.Kind {
	case "Proprioception":
		if joints[in.Joint] == 0 {
			bad(fmt.Sprintf("input %q: joint %q is not in joints", in.ID, in.Joint), "inputs", i, "joint")
		}
		if in.Lo != nil && in.Hi != nil && *in.Lo >= *in.Hi {
			bad(fmt.Sprintf("input %q: lo %g is not below hi %g", in.ID, *in.Lo, *in.Hi), "inputs", i)
		}
	case "Feedback":
		if in.Format != "" && in.Format != "deviation_f32" && in.Format != "raster_f32" {
			bad(fmt.Sprintf("input %q: format %q is not deviation_f32 or raster_f32", in.ID, in.Format), "inputs", i, "format")
		}
	default:
		bad(fmt.Sprintf("input %q: kind %q is not supported (Proprioception, Feedback)", in.ID, in.Kind), "inputs", i, "kind")
	}
	if in.MaxAge < 0 {
		bad(fmt.Sprintf("input %q: max_age must not be negative", in.ID), "inputs", i, "max_age")
	}
	return errs
}

// lineOf finds the line of the node at path (map keys as strings, sequence
// indices as ints), or of the deepest ancestor that exists.
func lineOf(root *yaml.Node, path ...any) int {
	n := root
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	if n != nil {
		line = n.Line
	}
	for _, p := range path {
		next := child(n, p)
		if next == nil {
			break
		}
		n, line = next, next.Line
	}
	return line
}

func child(n *yaml.Node, p any) *yaml.Node {
	if n == nil {
		return nil
	}
	switch k := p.(type) {
	case string:
		if n.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				return n.Content[i+1]
			}
		}
	case int:
		if n.Kind == yaml.SequenceNode && k < len(n.Content) {
			return n.Content[k]
		}
	}
	return nil
}
