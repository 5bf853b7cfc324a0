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

	"github.com/abbridge/ab_bridge/internal/yamlfile"

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
	Mapping    []spikes.MappingEntry `yaml:"-"` // decoded as the SDK reads it: see Parse
	Trajectory Trajectory            `yaml:"trajectory"`
	State      State                 `yaml:"state"`
	Policies   Policies              `yaml:"policies"`
	// PrimaLux configures the device backend (brain.kind: primalux); see
	// primalux.go.
	PrimaLux PrimaLux `yaml:"primalux"`
	// RoboActions configures the remote-policy backend (brain.kind:
	// roboactions); see roboactions.go.
	RoboActions RoboActions `yaml:"roboactions"`
	// Diagnostics configures /diagnostics; see diagnostics.go.
	Diagnostics Diagnostics `yaml:"diagnostics"`
	// Gripper and Base (optional) are the command outputs besides the
	// trajectory; see commands.go.
	Gripper *Gripper `yaml:"gripper"`
	Base    *Base    `yaml:"base"`
	// Limits (optional) reads joint limits from the URDF; see limits.go.
	Limits Limits `yaml:"limits"`
	// QoS sets topics' quality of service, keyed by topic name as the
	// node uses it (before remapping); see qos.go for the defaults.
	QoS map[string]QoS `yaml:"qos"`

	// File is where the configuration was read from ("" for defaults).
	File string `yaml:"-"`
	// Warnings are what the file says that the SDK would ignore (a mapping
	// key no scheme reads, an entry it drops): the node logs them at start.
	Warnings []*yamlfile.Error `yaml:"-"`

	qosLines map[string]int // each qos entry's line, for UnusedQoS
}

// configFile is the document as decoded: the mapping goes through
// spikes.MappingList, which reads it as the SDK does and keeps the
// warnings and lines that a []MappingEntry would lose.
type configFile struct {
	Config  `yaml:",inline"`
	Mapping spikes.MappingList `yaml:"mapping"`
}

// Brain says which brain to run against and how to reach it.
type Brain struct {
	// Kind is the backend: artificial_brains (the 0.1 cloud protocol or
	// the local brain, the default) or primalux (a Prima-Lux device, see
	// the primalux section; the keys below are then not used).
	Kind         string         `yaml:"kind"`
	URL          string         `yaml:"url"`
	Project      string         `yaml:"project"`
	Namespace    string         `yaml:"namespace"`
	APIKeyEnv    string         `yaml:"api_key_env"`
	APIKeyFile   string         `yaml:"api_key_file"`
	EnvFile      string         `yaml:"env_file"`
	HTTPTimeout  time.Duration  `yaml:"http_timeout"`
	StopTimeout  time.Duration  `yaml:"stop_timeout"`
	StartOptions map[string]any `yaml:"start_options"`
	// LostAfterCycles is how many cycle periods (trajectory.cycle_duration)
	// a joined run may go without an io:need or cycle:update before the
	// brain counts as lost, far sooner than the Engine.IO ping timeout.
	LostAfterCycles int        `yaml:"lost_after_cycles"`
	Local           LocalBrain `yaml:"local"`
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
	// MaxVelocity and MaxAcceleration (optional, per second and per
	// second squared) bound every commanded point, as a controller's
	// joint limits would.
	MaxVelocity     *float64 `yaml:"max_velocity"`
	MaxAcceleration *float64 `yaml:"max_acceleration"`
}

// Input ties one brain input id to the ROS data that answers it.
// config/bridge.yaml documents which keys each kind takes.
type Input struct {
	ID    string   `yaml:"id"`
	Kind  string   `yaml:"kind"`
	Joint string   `yaml:"joint"`
	Lo    *float64 `yaml:"lo"`
	Hi    *float64 `yaml:"hi"`
	// Format of feedback chunks: deviation_f32 (default) or raster_f32.
	Format string        `yaml:"format"`
	MaxAge time.Duration `yaml:"max_age"`

	// Image and Audio inputs: the topic (relative, so namespaces and
	// remapping apply; defaults to the id) and its message type (defaults
	// by kind: see MessageType).
	Topic string `yaml:"topic"`
	Type  string `yaml:"type"`
	// Image: JPEG quality (0 = the encoder's default), size sent, and the
	// [near, far] metres shown as white to black for depth frames.
	Quality    int       `yaml:"quality"`
	Resize     Resize    `yaml:"resize"`
	DepthRange []float64 `yaml:"depth_range"`
	// Audio: the PCM stream's rate and interleaved channels, and the most
	// audio kept between two needs (oldest dropped first).
	SampleRate  int           `yaml:"sample_rate"`
	Channels    int           `yaml:"channels"`
	MaxDuration time.Duration `yaml:"max_duration"`
	// Image and Audio: the largest chunk sent (0 = MaxChunkBytes).
	MaxBytes int `yaml:"max_bytes"`
}

// Resize is the size camera frames are sent at: max_side, or width and/or
// height (one alone keeps the aspect ratio); all zero keeps the camera's.
type Resize struct {
	Width   int `yaml:"width"`
	Height  int `yaml:"height"`
	MaxSide int `yaml:"max_side"`
}

// ROS message types of sensor inputs, as the type key names them.
const (
	TypeImage           = "sensor_msgs/Image"
	TypeCompressedImage = "sensor_msgs/CompressedImage"
	TypeUInt8MultiArray = "std_msgs/UInt8MultiArray" // little-endian int16 PCM bytes
	TypeInt16MultiArray = "std_msgs/Int16MultiArray" // int16 PCM samples
)

// MaxChunkBytes is the brain's message cap (its Socket.IO buffer, 1 MB by
// default): a bigger chunk would cost the connection, so none is sent.
const MaxChunkBytes = 1_000_000

// maxImageSide is the largest side a JPEG can have.
const maxImageSide = 65500

// MessageType is the input's ROS message type in pkg/Type form ("/msg/"
// accepted and dropped); when unset, sensor_msgs/Image for Image inputs
// and std_msgs/Int16MultiArray for Audio inputs.
func (in Input) MessageType() string {
	if in.Type != "" {
		return strings.Replace(in.Type, "/msg/", "/", 1)
	}
	switch in.Kind {
	case "Image":
		return TypeImage
	case "Audio":
		return TypeInt16MultiArray
	}
	return ""
}

// TopicName is the topic an Image or Audio input subscribes: topic, else
// the input's id.
func (in Input) TopicName() string {
	if in.Topic != "" {
		return in.Topic
	}
	return in.ID
}

// Trajectory shapes the JointTrajectory published for each brain cycle.
type Trajectory struct {
	CycleDuration time.Duration `yaml:"cycle_duration"`
	MaxPoints     int           `yaml:"max_points"`
	PublishIdle   bool          `yaml:"publish_idle"`
	// StopTime is how long after the cycle's last moving point the
	// trajectory comes to rest: the next cycle's trajectory replaces it
	// before then, so it only shapes how the arm stops when none comes.
	StopTime time.Duration `yaml:"stop_time"`
	// AllowNonzeroVelocityAtEnd mirrors the controller parameter of that
	// name: only when the controller allows it may the last point move.
	AllowNonzeroVelocityAtEnd bool `yaml:"allow_nonzero_velocity_at_end"`
	// MaxStateAge is the oldest joint_states sample a cycle may start
	// from; older, the node holds the arm instead.
	MaxStateAge time.Duration `yaml:"max_state_age"`
}

// State configures the robot:state stream.
type State struct {
	RateHz float64 `yaml:"rate_hz"`
}

// Silence is how long a joined run may hear nothing before the brain
// counts as lost.
func (c *Config) Silence() time.Duration {
	return time.Duration(c.Brain.LostAfterCycles) * c.Trajectory.CycleDuration
}

// Default is the configuration a file starts from.
func Default() Config {
	return Config{
		Brain: Brain{
			Kind:            KindArtificialBrains,
			URL:             LocalBrainURL,
			Project:         "demo",
			Namespace:       "/ab",
			APIKeyEnv:       "AB_API_KEY",
			EnvFile:         ".env",
			HTTPTimeout:     10 * time.Second,
			StopTimeout:     time.Second,
			LostAfterCycles: 20,
			Local:           LocalBrain{Listen: "127.0.0.1:0", CycleInterval: 50 * time.Millisecond},
		},
		Trajectory: Trajectory{CycleDuration: 50 * time.Millisecond, MaxPoints: 8, PublishIdle: true,
			StopTime: 50 * time.Millisecond, MaxStateAge: 500 * time.Millisecond},
		State:    State{RateHz: 20},
		Policies: defaultPolicies(),
		// /diagnostics: see diagnostics.go.
		Diagnostics: defaultDiagnostics(),
		PrimaLux:    defaultPrimaLux(),
		RoboActions: defaultRoboActions(),
	}
}

// Error is one configuration problem, located in its file.
type Error = yamlfile.Error

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
	doc := configFile{Config: Default()}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlfile.DecodeErrors(file, err)
	}
	cfg := doc.Config
	cfg.File = file
	cfg.Mapping = doc.Mapping.Entries
	cfg.Warnings = spikes.InFile(file, doc.Mapping.Warnings)
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlfile.DecodeErrors(file, err)
	}
	if errs := cfg.validate(&root, doc.Mapping.ChannelLines); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &cfg, nil
}

// validate checks the decoded values; root locates each problem's line, and
// channelLines those of the mapping's channels (the entries the SDK drops
// are not in c.Mapping, so their indices are not the file's).
func (c *Config) validate(root *yaml.Node, channelLines []int) []error {
	var errs []error
	bad := func(msg string, path ...any) {
		errs = append(errs, &Error{File: c.File, Line: yamlfile.LineOf(root, path...), Msg: msg})
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
	if b.LostAfterCycles < 1 {
		bad("brain.lost_after_cycles must be at least 1", "brain", "lost_after_cycles")
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
		for key, v := range map[string]*float64{"max_velocity": j.MaxVelocity, "max_acceleration": j.MaxAcceleration} {
			if v != nil && !(*v > 0 && !math.IsInf(*v, 0)) {
				bad(fmt.Sprintf("joint %q: %s %g must be positive and finite", j.Name, key, *v), "joints", i, key)
			}
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
				errs = append(errs, &Error{File: c.File, Line: channelLines[i],
					Msg: fmt.Sprintf("mapping channel %q names no configured joint (0..%d)", m.Channel, len(c.Joints)-1)})
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
	if t.StopTime <= 0 {
		bad("trajectory.stop_time must be positive", "trajectory", "stop_time")
	}
	if t.MaxStateAge <= 0 {
		bad("trajectory.max_state_age must be positive", "trajectory", "max_state_age")
	}
	if c.State.RateHz < 0 || math.IsNaN(c.State.RateHz) {
		bad("state.rate_hz must be 0 (off) or positive", "state", "rate_hz")
	}
	errs = append(errs, c.validatePolicies(root)...)
	errs = append(errs, c.validateQoS(root)...)
	errs = append(errs, c.validateDiagnostics(root)...)
	errs = append(errs, c.validateCommands(root, channelLines)...)
	errs = append(errs, c.validateLimits(root)...)
	errs = append(errs, c.validateBrainKind(root)...)
	return errs
}

func (c *Config) validateInput(root *yaml.Node, i int, in Input, joints map[string]int) []error {
	var errs []error
	bad := func(msg string, path ...any) {
		errs = append(errs, &Error{File: c.File, Line: yamlfile.LineOf(root, append([]any{"inputs", i}, path...)...),
			Msg: fmt.Sprintf("input %q: %s", in.ID, msg)})
	}
	switch in.Kind {
	case "Proprioception":
		if joints[in.Joint] == 0 {
			bad(fmt.Sprintf("joint %q is not in joints", in.Joint), "joint")
		}
		if in.Lo != nil && in.Hi != nil && *in.Lo >= *in.Hi {
			bad(fmt.Sprintf("lo %g is not below hi %g", *in.Lo, *in.Hi))
		}
	case "Feedback":
		if in.Format != "" && in.Format != "deviation_f32" && in.Format != "raster_f32" {
			bad(fmt.Sprintf("format %q is not deviation_f32 or raster_f32", in.Format), "format")
		}
	case "Image":
		validateImage(in, bad)
	case "Audio":
		validateAudio(in, bad)
	default:
		bad(fmt.Sprintf("kind %q is not supported (Proprioception, Feedback, Image, Audio)", in.Kind), "kind")
		return errs
	}
	for _, key := range unusedInputKeys(in) {
		bad(fmt.Sprintf("%s is not used by %s inputs", key, in.Kind), key)
	}
	if in.MaxAge < 0 {
		bad("max_age must not be negative", "max_age")
	}
	if in.MaxBytes < 0 || in.MaxBytes > MaxChunkBytes {
		bad(fmt.Sprintf("max_bytes %d is not within 1..%d (the brain's message cap)", in.MaxBytes, MaxChunkBytes), "max_bytes")
	}
	return errs
}

// validTopic matches a relative ROS topic name: tokens of letters, digits
// and underscores, not starting with a digit, separated by single slashes.
var validTopic = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*$`)

func validateTopic(in Input, bad func(string, ...any)) {
	name := in.TopicName()
	switch {
	case strings.HasPrefix(name, "/") || strings.HasPrefix(name, "~"):
		bad(fmt.Sprintf("topic %q must be relative, so that namespaces apply; point it elsewhere with --ros-args -r %s:=%s",
			name, strings.TrimLeft(name, "/~"), name), "topic")
	case !validTopic.MatchString(name):
		where := "topic"
		if in.Topic == "" {
			name += " (the id; set topic)"
			where = "id"
		}
		bad(fmt.Sprintf("topic %s is not a valid ROS topic name", name), where)
	}
}

func validateImage(in Input, bad func(string, ...any)) {
	validateTopic(in, bad)
	if t := in.MessageType(); t != TypeImage && t != TypeCompressedImage {
		bad(fmt.Sprintf("type %q is not %s or %s", in.Type, TypeImage, TypeCompressedImage), "type")
	}
	if in.Quality < 0 || in.Quality > 100 {
		bad(fmt.Sprintf("quality %d is not within 1..100", in.Quality), "quality")
	}
	r := in.Resize
	switch {
	case r.Width < 0 || r.Height < 0 || r.MaxSide < 0 || r.Width > maxImageSide || r.Height > maxImageSide:
		bad(fmt.Sprintf("resize sizes must be within 1..%d", maxImageSide), "resize")
	case r.MaxSide > 0 && (r.Width > 0 || r.Height > 0):
		bad("resize takes max_side or width/height, not both", "resize")
	}
	if d := in.DepthRange; d != nil {
		if len(d) != 2 || !(d[0] >= 0) || !(d[1] > d[0]) || math.IsInf(d[1], 0) {
			bad(fmt.Sprintf("depth_range %v must be [near, far] metres with 0 <= near < far, finite", d), "depth_range")
		}
	}
}

func validateAudio(in Input, bad func(string, ...any)) {
	validateTopic(in, bad)
	if t := in.MessageType(); t != TypeUInt8MultiArray && t != TypeInt16MultiArray {
		bad(fmt.Sprintf("type %q is not %s or %s", in.Type, TypeUInt8MultiArray, TypeInt16MultiArray), "type")
	}
	if in.SampleRate < 1 || in.SampleRate > 1_000_000 {
		bad(fmt.Sprintf("sample_rate %d is not within 1..1000000 (Hz; required)", in.SampleRate), "sample_rate")
	}
	if in.Channels < 0 || in.Channels > 64 {
		bad(fmt.Sprintf("channels %d is not within 1..64", in.Channels), "channels")
	}
	if in.MaxDuration < 0 {
		bad("max_duration must not be negative", "max_duration")
	}
	if ch := max(in.Channels, 1); in.MaxBytes > 0 && in.MaxBytes < 2*ch {
		bad(fmt.Sprintf("max_bytes %d holds no %d-channel int16 frame", in.MaxBytes, ch), "max_bytes")
	}
}

// unusedInputKeys names the keys set on an input that its kind ignores:
// a key that does nothing is a mistake worth reporting.
func unusedInputKeys(in Input) []string {
	set := []struct {
		key   string
		isSet bool
		kinds string
	}{
		{"joint", in.Joint != "", "Proprioception"},
		{"lo", in.Lo != nil, "Proprioception"},
		{"hi", in.Hi != nil, "Proprioception"},
		{"format", in.Format != "", "Feedback"},
		{"topic", in.Topic != "", "Image Audio"},
		{"type", in.Type != "", "Image Audio"},
		{"max_bytes", in.MaxBytes != 0, "Image Audio"},
		{"quality", in.Quality != 0, "Image"},
		{"resize", in.Resize != Resize{}, "Image"},
		{"depth_range", in.DepthRange != nil, "Image"},
		{"sample_rate", in.SampleRate != 0, "Audio"},
		{"channels", in.Channels != 0, "Audio"},
		{"max_duration", in.MaxDuration != 0, "Audio"},
	}
	var out []string
	for _, k := range set {
		if k.isSet && !strings.Contains(k.kinds, in.Kind) {
			out = append(out, k.key)
		}
	}
	return out
}
