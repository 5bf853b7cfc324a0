package main

import (
	"context"
	"fmt"
	"log/slog"
	"path"
	"time"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/bridge"
	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/contract"
	"github.com/abbridge/ab_bridge/internal/diagnostics"
	"github.com/abbridge/ab_bridge/internal/ros"
)

// nodeDiagnostics publishes the node's /diagnostics and logs the start-up
// summary. Its link watch must be the session's handler (in front of the
// bridge), so that the statuses know how long the brain has been lost.
type nodeDiagnostics struct {
	log     *slog.Logger
	pub     *ros.Diagnostics
	monitor *diagnostics.Monitor
	link    *diagnostics.LinkWatch
	period  time.Duration
}

// newNodeDiagnostics creates the publisher (before Spin) and logs the
// start-up summary once.
func newNodeDiagnostics(ctx context.Context, log *slog.Logger, cfg *config.Config, client *brain.Client, node *ros.Node,
	br *bridge.Bridge, ct *contract.Contract, key string, argv []string, pols policies) (*nodeDiagnostics, error) {
	pub, err := node.NewDiagnostics()
	if err != nil {
		return nil, err
	}
	brainURL := diagnostics.RedactURL(client.BaseURL(), key)
	ns, name := path.Split(node.FullName())
	if ns != "/" {
		ns = ns[:len(ns)-1]
	}
	polState := policiesState(cfg, pols)
	d := &nodeDiagnostics{log: log, pub: pub, link: diagnostics.WatchLink(br), period: cfg.Diagnostics.Period,
		monitor: diagnostics.NewMonitor(diagnostics.MonitorConf{Node: name, Robot: ns, BrainURL: brainURL,
			CycleDuration: cfg.Trajectory.CycleDuration, Silence: cfg.Silence(), Policies: polState, Start: time.Now()})}
	logStartup(ctx, log, cfg, client, node.FullName(), brainURL, ct, key, argv, polState)
	return d, nil
}

// loop publishes one array per period until ctx ends. It only reads
// counters (atomics and short locks) and never waits on the bridge or the
// executor; a failed publish is logged at most once a minute.
func (d *nodeDiagnostics) loop(ctx context.Context, br *bridge.Bridge, sess *brain.Session, run *currentRun) {
	d.publishEvery(ctx, func(now time.Time) diagnostics.Sample {
		return diagnostics.Sample{At: now, Link: d.link.State(), Refused: sess.Err(), Run: run.get().RunID,
			Bridge: br.Stats(), Session: sess.Stats(), Inputs: br.InputStats(), Learning: br.LearningStats()}
	})
}

// publishEvery publishes the statuses of sample(now) once a period until
// ctx ends; both brain kinds' loops.
func (d *nodeDiagnostics) publishEvery(ctx context.Context, sample func(now time.Time) diagnostics.Sample) {
	t := time.NewTicker(d.period)
	defer t.Stop()
	var lastWarn time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if err := d.pub.Publish(d.monitor.Update(sample(now))); err != nil && time.Since(lastWarn) > time.Minute {
				lastWarn = time.Now()
				d.log.Warn("diagnostics not published", "topic", ros.DiagnosticsTopic, "err", err)
			}
		}
	}
}

func (d *nodeDiagnostics) close() { _ = d.pub.Close() }

// policiesState says which policies the run uses, for the summary and the
// learning status.
func policiesState(cfg *config.Config, pols policies) string {
	if !cfg.Policies.Enabled {
		return "neutral (policies.enabled: false)"
	}
	state := func(loaded bool, file string) string {
		if loaded {
			return "loaded from " + file
		}
		return "neutral"
	}
	return "reward " + state(pols.reward != nil, cfg.Policies.Reward) + ", deviation " + state(pols.deviation != nil, cfg.Policies.Deviation)
}

// logStartup logs the start-up summary: one aligned, multi-line table. The
// contract digest is fetched again (bounded by http_timeout): the policies
// fetched it only when a policies folder exists.
func logStartup(ctx context.Context, log *slog.Logger, cfg *config.Config, client *brain.Client, node, brainURL string,
	ct *contract.Contract, key string, argv []string, polState string) {
	remaps := map[string]string{}
	if a, err := config.ParseROSArgs(argv); err == nil {
		remaps = a.Remaps
	}
	s := diagnostics.NewStartup(cfg, ct, remaps, ros.JointStatesTopic, ros.JointTrajectoryTopic)
	rt, ns := client.RealtimeEndpoint(ct)
	s.Node, s.BrainURL, s.RealtimeURL, s.Namespace, s.Run = node, brainURL, diagnostics.RedactURL(rt, key), ns, ct.RunID
	s.Policies = []string{polState}
	s.ContractDigest = contractDigest(ctx, cfg, client)
	log.Info("start-up summary\n" + s.Table())
}

func contractDigest(ctx context.Context, cfg *config.Config, client *brain.Client) string {
	ctx, cancel := context.WithTimeout(ctx, cfg.Brain.HTTPTimeout)
	defer cancel()
	doc, err := client.ContractDoc(ctx, cfg.Brain.Project)
	if err != nil {
		return fmt.Sprintf("unknown (%v)", err)
	}
	d, err := contract.Digest(doc)
	if err != nil {
		return fmt.Sprintf("unknown (%v)", err)
	}
	return d
}
