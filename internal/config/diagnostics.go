package config

import (
	"time"

	"github.com/abbridge/ab_bridge/internal/yamlfile"

	"gopkg.in/yaml.v3"
)

// Diagnostics configures the node's /diagnostics (diagnostic_msgs/DiagnosticArray).
type Diagnostics struct {
	// Period between two arrays. Defaults to 1s, the rate
	// diagnostic_updater publishes at and diagnostic_aggregator expects.
	Period time.Duration `yaml:"period"`
}

// DefaultDiagnosticsPeriod is the period of /diagnostics.
const DefaultDiagnosticsPeriod = time.Second

func defaultDiagnostics() Diagnostics { return Diagnostics{Period: DefaultDiagnosticsPeriod} }

// minDiagnosticsPeriod keeps the publisher from costing more than the
// statuses are worth: each array snapshots every counter.
const minDiagnosticsPeriod = 100 * time.Millisecond

func (c *Config) validateDiagnostics(root *yaml.Node) []error {
	if p := c.Diagnostics.Period; p < minDiagnosticsPeriod {
		return []error{&Error{File: c.File, Line: yamlfile.LineOf(root, "diagnostics", "period"),
			Msg: "diagnostics.period " + p.String() + " must be at least " + minDiagnosticsPeriod.String()}}
	}
	return nil
}
