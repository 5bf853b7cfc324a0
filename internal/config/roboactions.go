package config

import (
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/abbridge/ab_bridge/internal/secret"
	"github.com/abbridge/ab_bridge/internal/yamlfile"

	"gopkg.in/yaml.v3"
)

// KindRoboActions is a RoboActions remote policy (a vision-language-action
// model behind HTTP + msgpack), configured by the roboactions section.
const KindRoboActions = "roboactions"

// RoboActions configures the remote-policy backend (brain.kind:
// roboactions): where the policy is, how the robot's joints and cameras
// become its observation, and how its actions become joint targets. The
// ROS side — joints, inputs, trajectory, holds, limits, gripper — is the
// rest of the file, as for every backend.
type RoboActions struct {
	PolicyID string `yaml:"policy_id"`
	// BaseURL defaults to the SDK's (https; plain http only to loopback).
	BaseURL    string `yaml:"base_url"`
	APIKeyEnv  string `yaml:"api_key_env"`
	EnvFile    string `yaml:"env_file"`
	APIKeyFile string `yaml:"api_key_file"`
	// Timeout bounds one request; DeployTimeout how long the node waits
	// for a DEPLOYING policy at start.
	Timeout       time.Duration `yaml:"timeout"`
	DeployTimeout time.Duration `yaml:"deploy_timeout"`
	// Task is the instruction sent with every observation; TaskTopic, when
	// set, is a std_msgs/String topic whose latest message replaces it.
	Task      string `yaml:"task"`
	TaskTopic string `yaml:"task_topic"`
	// Endpoint is predict_action_chunk (the default) or select_action.
	Endpoint string `yaml:"endpoint"`
	// FPS is the policy's action rate: one action per 1/fps.
	FPS float64 `yaml:"fps"`
	// ChunkThreshold: the next chunk is requested when at most this
	// fraction of the current one is left to play (LeRobot's
	// chunk_size_threshold); 0 requests only when nothing is left.
	ChunkThreshold float64 `yaml:"chunk_threshold"`
	// RequestRateHz caps how many observations a second are sent; 0
	// sends one whenever the queue runs low (chunk_threshold).
	RequestRateHz float64 `yaml:"request_rate_hz"`
	// BlendOld is the old chunk's weight where a new chunk overlaps what
	// is still queued (LeRobot's weighted average: 0.3 old, 0.7 new).
	BlendOld    float64         `yaml:"blend_old"`
	Observation PolicyObs       `yaml:"observation"`
	Action      PolicyActionMap `yaml:"action"`
}

// PolicyObs maps the robot's senses onto the policy's input features.
type PolicyObs struct {
	// StateKey is the state feature (observation.state); StateJoints the
	// joints whose positions fill it, in order (default: every joint, the
	// gripper last when there is one).
	StateKey    string   `yaml:"state_key"`
	StateJoints []string `yaml:"state_joints"`
	// Images: feature key → the id of an Image input whose newest frame
	// is resized to the feature's shape, float32 CHW in [0, 1].
	Images map[string]string `yaml:"images"`
}

// PolicyActionMap maps the action vector's dimensions onto joints.
type PolicyActionMap struct {
	Key string `yaml:"key"` // the output feature (action)
	// Dims, one per action dimension in order: a joint name (one of
	// joints, or gripper.joint) or "" to ignore that dimension.
	Dims []string `yaml:"dims"`
	// Mode is absolute (targets, the LeRobot convention) or delta.
	Mode string `yaml:"mode"`
}

// Action modes.
const (
	ActionAbsolute = "absolute"
	ActionDelta    = "delta"
)

func defaultRoboActions() RoboActions {
	return RoboActions{APIKeyEnv: "ROBOACTIONS_API_KEY", EnvFile: ".env", Timeout: 5 * time.Second,
		DeployTimeout: 10 * time.Minute, Endpoint: "predict_action_chunk", FPS: 10, ChunkThreshold: 0.5, BlendOld: 0.3,
		Observation: PolicyObs{StateKey: "observation.state"}, Action: PolicyActionMap{Key: "action", Mode: ActionAbsolute}}
}

// IsRoboActions says whether the node runs against a RoboActions policy.
func (c *Config) IsRoboActions() bool { return c.Brain.Kind == KindRoboActions }

// KeySource is where the RoboActions key is looked up.
func (r RoboActions) KeySource() secret.Source {
	return secret.Source{Env: r.APIKeyEnv, EnvFile: r.EnvFile, File: r.APIKeyFile}
}

// StateJointNames is observation.state_joints, or its default.
func (c *Config) StateJointNames() []string {
	if len(c.RoboActions.Observation.StateJoints) > 0 {
		return c.RoboActions.Observation.StateJoints
	}
	var out []string
	for _, j := range c.Joints {
		out = append(out, j.Name)
	}
	if c.Gripper != nil {
		out = append(out, c.Gripper.Joint)
	}
	return out
}

func (c *Config) validateRoboActions(root *yaml.Node) []error {
	var errs []error
	r := c.RoboActions
	bad := func(msg string, path ...any) {
		errs = append(errs, &Error{File: c.File, Line: yamlfile.LineOf(root, append([]any{"roboactions"}, path...)...), Msg: "roboactions." + msg})
	}
	if strings.TrimSpace(r.PolicyID) == "" {
		bad("policy_id is required (the id of a deployed policy)", "policy_id")
	}
	if r.BaseURL != "" {
		if u, err := url.Parse(r.BaseURL); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			bad(fmt.Sprintf("base_url %q is not an http(s) URL", r.BaseURL), "base_url")
		}
	}
	if r.Timeout <= 0 {
		bad("timeout must be positive", "timeout")
	}
	if r.DeployTimeout <= 0 {
		bad("deploy_timeout must be positive", "deploy_timeout")
	}
	if r.Endpoint != "predict_action_chunk" && r.Endpoint != "select_action" {
		bad(fmt.Sprintf("endpoint %q is not predict_action_chunk or select_action", r.Endpoint), "endpoint")
	}
	if !(r.FPS > 0 && r.FPS <= 1000) {
		bad(fmt.Sprintf("fps %g is not within (0, 1000]", r.FPS), "fps")
	}
	if !(r.ChunkThreshold >= 0 && r.ChunkThreshold <= 1) {
		bad(fmt.Sprintf("chunk_threshold %g is not within [0, 1]", r.ChunkThreshold), "chunk_threshold")
	}
	if !(r.RequestRateHz >= 0 && r.RequestRateHz <= 1000) {
		bad(fmt.Sprintf("request_rate_hz %g is not within [0, 1000] (0: as the chunks need)", r.RequestRateHz), "request_rate_hz")
	}
	if !(r.BlendOld >= 0 && r.BlendOld <= 1) || math.IsNaN(r.BlendOld) {
		bad(fmt.Sprintf("blend_old %g is not within [0, 1]", r.BlendOld), "blend_old")
	}
	if r.TaskTopic == "" && strings.TrimSpace(r.Task) == "" {
		bad("task is empty and no task_topic is set: the policy needs an instruction", "task")
	}
	return append(errs, c.validatePolicyMaps(root)...)
}

// validatePolicyMaps checks that the observation and action name joints
// and inputs that exist; whether they fit the policy's features is checked
// at start, against what the policy says.
func (c *Config) validatePolicyMaps(root *yaml.Node) []error {
	var errs []error
	bad := func(msg string, path ...any) {
		errs = append(errs, &Error{File: c.File, Line: yamlfile.LineOf(root, append([]any{"roboactions"}, path...)...), Msg: "roboactions." + msg})
	}
	known := map[string]bool{}
	for _, j := range c.Joints {
		known[j.Name] = true
	}
	if c.Gripper != nil {
		known[c.Gripper.Joint] = true
	}
	o, a := c.RoboActions.Observation, c.RoboActions.Action
	for i, j := range o.StateJoints {
		if !known[j] {
			bad(fmt.Sprintf("observation.state_joints[%d] %q is not a configured joint or the gripper", i, j), "observation", "state_joints", i)
		}
	}
	images := map[string]bool{}
	for _, in := range c.Inputs {
		if in.Kind == "Image" {
			images[in.ID] = true
		}
	}
	for key, id := range o.Images {
		if !strings.HasPrefix(key, "observation.") {
			bad(fmt.Sprintf("observation.images key %q is not an observation feature (observation.images.<name>)", key), "observation", "images", key)
		}
		if !images[id] {
			bad(fmt.Sprintf("observation.images %q: %q is not an Image input", key, id), "observation", "images", key)
		}
	}
	if o.StateKey == "" && len(o.Images) == 0 {
		bad("observation has neither a state_key nor images: the policy would see nothing", "observation")
	}
	if a.Mode != ActionAbsolute && a.Mode != ActionDelta {
		bad(fmt.Sprintf("action.mode %q is not absolute or delta", a.Mode), "action", "mode")
	}
	if len(a.Dims) == 0 {
		bad("action.dims is empty: name the joint each action dimension drives", "action", "dims")
	}
	seen := map[string]bool{}
	for i, j := range a.Dims {
		switch {
		case j == "":
		case !known[j]:
			bad(fmt.Sprintf("action.dims[%d] %q is not a configured joint or the gripper", i, j), "action", "dims", i)
		case seen[j]:
			bad(fmt.Sprintf("action.dims[%d] %q is driven twice", i, j), "action", "dims", i)
		}
		seen[j] = true
	}
	for i, in := range c.Inputs {
		if in.Kind != "Image" && in.Kind != "Proprioception" {
			errs = append(errs, &Error{File: c.File, Line: yamlfile.LineOf(root, "inputs", i, "kind"),
				Msg: fmt.Sprintf("input %q: %s inputs are not sent to a RoboActions policy (joints and cameras are)", in.ID, in.Kind)})
		}
	}
	return errs
}
