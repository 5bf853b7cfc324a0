package config

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/abbridge/ab_bridge/internal/yamlfile"

	"gopkg.in/yaml.v3"
)

// Policies says where the reward and deviation policies are.
type Policies struct {
	// Enabled false sends the neutral signals (reward 0.5, zero
	// deviations) without reading the folder. Defaults to true.
	Enabled bool `yaml:"enabled"`
	// Dir is the policies folder: absolute, or relative to the folder of
	// the configuration file (so config/bridge.yaml's "policies" is
	// config/policies, in the checkout as in a colcon install's
	// share/ab_bridge/config). Defaults to "policies".
	Dir string `yaml:"dir"`
	// Reward and Deviation are the policy files, inside Dir. Default to
	// reward_policy.yaml and deviation_policy.yaml.
	Reward    string `yaml:"reward"`
	Deviation string `yaml:"deviation"`
	// LogInterval is the period of the policies' statistics line; 0 logs
	// it only when the node stops. Defaults to 60s.
	LogInterval time.Duration `yaml:"log_interval"`
}

// Default file names of a policies folder, as abctl sync-policies writes
// them (the reference SDK's names).
const (
	DefaultPoliciesDir   = "policies"
	DefaultRewardFile    = "reward_policy.yaml"
	DefaultDeviationFile = "deviation_policy.yaml"
)

func defaultPolicies() Policies {
	return Policies{Enabled: true, Dir: DefaultPoliciesDir, Reward: DefaultRewardFile,
		Deviation: DefaultDeviationFile, LogInterval: time.Minute}
}

// PoliciesDir is the policies folder as a path: Policies.Dir, relative to
// the configuration file's folder unless absolute (relative to the working
// directory for a configuration not read from a file).
func (c *Config) PoliciesDir() string {
	dir := c.Policies.Dir
	if filepath.IsAbs(dir) || c.File == "" {
		return filepath.Clean(dir)
	}
	return filepath.Join(filepath.Dir(c.File), dir)
}

// RewardPolicyPath and DeviationPolicyPath are the policy files' paths.
func (c *Config) RewardPolicyPath() string {
	return filepath.Join(c.PoliciesDir(), c.Policies.Reward)
}

func (c *Config) DeviationPolicyPath() string {
	return filepath.Join(c.PoliciesDir(), c.Policies.Deviation)
}

func (c *Config) validatePolicies(root *yaml.Node) []error {
	var errs []error
	bad := func(msg string, key string) {
		errs = append(errs, &Error{File: c.File, Line: yamlfile.LineOf(root, "policies", key), Msg: "policies." + msg})
	}
	p := c.Policies
	if strings.TrimSpace(p.Dir) == "" {
		bad("dir must not be empty (a folder, relative to this file's folder, or absolute)", "dir")
	}
	for _, f := range []struct{ key, name string }{{"reward", p.Reward}, {"deviation", p.Deviation}} {
		switch {
		case strings.TrimSpace(f.name) == "":
			bad(f.key+" must name a file in policies.dir", f.key)
		case f.name == "." || f.name == ".." || filepath.Base(f.name) != f.name:
			bad(fmt.Sprintf("%s %q must be a file name inside policies.dir, not a path", f.key, f.name), f.key)
		case strings.HasPrefix(f.name, "_contract"):
			bad(fmt.Sprintf("%s %q is a machine-owned name (rewritten by abctl sync-policies)", f.key, f.name), f.key)
		}
	}
	if p.Reward == p.Deviation && p.Reward != "" {
		bad(fmt.Sprintf("reward and deviation are the same file %q", p.Reward), "deviation")
	}
	if p.LogInterval < 0 {
		bad("log_interval must be 0 (only at stop) or positive", "log_interval")
	}
	return errs
}
