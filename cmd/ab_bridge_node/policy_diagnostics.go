package main

import (
	"context"
	"log/slog"
	"path"
	"time"

	"github.com/abbridge/ab_bridge/internal/bridge"
	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/diagnostics"
	"github.com/abbridge/ab_bridge/internal/policybridge"
	"github.com/abbridge/ab_bridge/internal/ros"
)

// policyDiagnostics is nodeDiagnostics on the policy path: the brain link
// is the policy server, read from the runner's counters.
type policyDiagnostics struct {
	*nodeDiagnostics
	runner *policybridge.Runner
	run    string
}

// newPolicyDiagnostics creates the publisher (before Spin) and logs the
// start-up summary once.
func newPolicyDiagnostics(log *slog.Logger, cfg *config.Config, node *ros.Node, runner *policybridge.Runner, pb policyBrain,
	baseURL string, argv []string) (*policyDiagnostics, error) {
	pub, err := node.NewDiagnostics()
	if err != nil {
		return nil, err
	}
	ns, name := path.Split(node.FullName())
	if ns != "/" {
		ns = ns[:len(ns)-1]
	}
	const polState = "not used (a RoboActions policy takes no reward)"
	url := diagnostics.RedactURL(baseURL, "")
	d := &policyDiagnostics{runner: runner, run: pb.ct.RunID, nodeDiagnostics: &nodeDiagnostics{log: log, pub: pub, period: cfg.Diagnostics.Period,
		monitor: diagnostics.NewMonitor(diagnostics.MonitorConf{Node: name, Robot: ns, BrainURL: url,
			CycleDuration: cfg.Trajectory.CycleDuration, Silence: cfg.Silence(), Policies: polState, Start: time.Now(), Policy: true})}}
	remaps := map[string]string{}
	if a, err := config.ParseROSArgs(argv); err == nil {
		remaps = a.Remaps
	}
	// The summary's outputs are the action dimensions the node maps.
	withActions := *cfg
	withActions.Mapping = pb.mapping
	s := diagnostics.NewStartup(&withActions, pb.ct, remaps, ros.JointStatesTopic, ros.JointTrajectoryTopic)
	s.Node, s.BrainURL, s.Run = node.FullName(), "roboactions "+url+" policy "+cfg.RoboActions.PolicyID, pb.ct.RunID
	s.RealtimeURL = url + "/v1/policy/" + cfg.RoboActions.Endpoint + " (msgpack)"
	s.Policies = []string{polState}
	s.ContractDigest = "none (the policy's features are its contract: checked at start)"
	log.Info("start-up summary\n" + s.Table())
	return d, nil
}

// loop publishes one array per period until ctx ends; it only reads
// counters.
func (d *policyDiagnostics) loop(ctx context.Context, br *bridge.Bridge) {
	d.publishEvery(ctx, func(now time.Time) diagnostics.Sample {
		return diagnostics.Sample{At: now, Run: d.run, Bridge: br.Stats(), Inputs: br.InputStats(),
			Learning: br.LearningStats(), Policy: policySample(d.runner.Stats())}
	})
}

// policySample is the runner's Stats as the monitor reads them.
func policySample(ps policybridge.Stats) diagnostics.Policy {
	return diagnostics.Policy{Lost: ps.Lost, Since: ps.Since, LastError: ps.LastError, Requests: ps.Requests, Chunks: ps.Chunks,
		Actions: ps.Actions, Stale: ps.Stale, Blended: ps.Blended, Starved: ps.Starved, Failures: ps.Failures,
		Malformed: ps.Malformed, NotReady: ps.NotReady, Holds: ps.Holds, LatencyMean: ps.LatencyMean, LatencyMax: ps.LatencyMax}
}
