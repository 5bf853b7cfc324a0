package policy

import "time"

// The YAML schema of the two policy files. Templates (template.go) document
// every key; build.go turns these into components and validates them.

// Defaults of optional keys.
const (
	DefaultTopicTimeout    = time.Second
	DefaultSuccessDistance = 0.05
	DefaultSuccessReward   = 1.0
	DefaultImprovedReward  = 0.6
	DefaultOtherwiseReward = 0.4
	DefaultTimeConstant    = 2 * time.Second
	DefaultGain            = 1.0
	NeutralReward          = 0.5
)

type rewardFile struct {
	Signals    map[string]signalConf `yaml:"signals"`
	Global     *streamConf           `yaml:"global"`
	Layers     map[string]streamConf `yaml:"layers"`
	Modulation modulationConf        `yaml:"modulation"`
}

type deviationFile struct {
	Signals  map[string]signalConf        `yaml:"signals"`
	Feedback map[string]deviationCompConf `yaml:"feedback"`
}

// signalConf is a named value for expressions: a joint of joint_states
// (topic empty), a scalar topic, a joint of a JointState topic, or (deviation
// only) a Float64MultiArray topic resampled to T.
type signalConf struct {
	Joint    string         `yaml:"joint"`
	Velocity bool           `yaml:"velocity"`
	Topic    string         `yaml:"topic"`
	Type     string         `yaml:"type"`
	Timeout  *time.Duration `yaml:"timeout"`
	Fallback *float64       `yaml:"fallback"`
}

// streamConf is how one reward (global or a layer's) is made.
type streamConf struct {
	Combine    string           `yaml:"combine"`
	Components []rewardCompConf `yaml:"components"`
}

// rewardCompConf holds exactly one kind key, plus an optional weight.
type rewardCompConf struct {
	Weight      *float64         `yaml:"weight"`
	Constant    *constantConf    `yaml:"constant"`
	Topic       *scalarTopicConf `yaml:"topic"`
	JointTarget *jointTargetConf `yaml:"joint_target"`
	Expression  *string          `yaml:"expression"`
}

var rewardKinds = []string{"constant", "topic", "joint_target", "expression"}

type constantConf struct {
	Value *float64 `yaml:"value"`
}

type scalarTopicConf struct {
	Topic    string         `yaml:"topic"`
	Type     string         `yaml:"type"`
	Timeout  *time.Duration `yaml:"timeout"`
	Fallback *float64       `yaml:"fallback"`
}

type jointTargetConf struct {
	Target          map[string]float64 `yaml:"target"`
	TargetTopic     string             `yaml:"target_topic"`
	Joints          []string           `yaml:"joints"`
	Timeout         *time.Duration     `yaml:"timeout"`
	SuccessDistance *float64           `yaml:"success_distance"`
	MinImprovement  *float64           `yaml:"min_improvement"`
	Success         *float64           `yaml:"success"`
	Improved        *float64           `yaml:"improved"`
	Otherwise       *float64           `yaml:"otherwise"`
}

type modulationConf struct {
	Enabled      bool           `yaml:"enabled"`
	TimeConstant *time.Duration `yaml:"time_constant"`
	Gain         *float64       `yaml:"gain"`
	Baseline     *float64       `yaml:"baseline"`
}

// deviationCompConf holds exactly one kind key.
type deviationCompConf struct {
	Zero       *struct{}       `yaml:"zero"`
	JointError *jointErrorConf `yaml:"joint_error"`
	Topic      *arrayTopicConf `yaml:"topic"`
	Expression *string         `yaml:"expression"`
}

var deviationKinds = []string{"zero", "joint_error", "topic", "expression"}

type jointErrorConf struct {
	Joint       string         `yaml:"joint"`
	Target      *float64       `yaml:"target"`
	TargetTopic string         `yaml:"target_topic"`
	Timeout     *time.Duration `yaml:"timeout"`
	Range       *float64       `yaml:"range"`
	Shape       string         `yaml:"shape"`
	Invert      bool           `yaml:"invert"`
}

type arrayTopicConf struct {
	Topic   string         `yaml:"topic"`
	Timeout *time.Duration `yaml:"timeout"`
	Fit     string         `yaml:"fit"`
}
