package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/abbridge/ab_bridge/internal/bridge"
	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/contract"
	"github.com/abbridge/ab_bridge/internal/devicebridge"
	"github.com/abbridge/ab_bridge/internal/diagnostics"
	"github.com/abbridge/ab_bridge/internal/ros"
)

// deviceDiagnostics is nodeDiagnostics on the device path: the same
// publisher, monitor and period; the brain link is the device's output
// stream, read from the device side's counters (no session, no link watch).
type deviceDiagnostics struct {
	*nodeDiagnostics
	dev *devicebridge.Device
	run string
}

// deviceInfo is what the start-up summary says of the device.
type deviceInfo struct {
	origin       string // the device's origin, no credentials in it
	contractPath string
}

// newDeviceDiagnostics creates the publisher (before Spin) and logs the
// start-up summary once.
func newDeviceDiagnostics(log *slog.Logger, cfg *config.Config, node *ros.Node, dev *devicebridge.Device,
	ct *contract.Contract, info deviceInfo, argv []string, pols policies) (*deviceDiagnostics, error) {
	pub, err := node.NewDiagnostics()
	if err != nil {
		return nil, err
	}
	ns, name := path.Split(node.FullName())
	if ns != "/" {
		ns = ns[:len(ns)-1]
	}
	polState := policiesState(cfg, pols)
	brainURL := diagnostics.RedactURL(info.origin, "")
	d := &deviceDiagnostics{dev: dev, run: ct.RunID, nodeDiagnostics: &nodeDiagnostics{log: log, pub: pub, period: cfg.Diagnostics.Period,
		monitor: diagnostics.NewMonitor(diagnostics.MonitorConf{Node: name, Robot: ns, BrainURL: brainURL,
			CycleDuration: cfg.Trajectory.CycleDuration, Silence: cfg.Silence(), Policies: polState, Start: time.Now(), Device: true})}}
	remaps := map[string]string{}
	if a, err := config.ParseROSArgs(argv); err == nil {
		remaps = a.Remaps
	}
	s := diagnostics.NewStartup(cfg, ct, remaps, ros.JointStatesTopic, ros.JointTrajectoryTopic)
	s.Node, s.BrainURL, s.Run = node.FullName(), "prima-lux "+brainURL, ct.RunID
	s.RealtimeURL = brainURL + "/api/brain/stream (server-sent events)"
	s.Policies = []string{polState}
	s.ContractDigest = fileDigest(info.contractPath)
	log.Info("start-up summary\n" + s.Table())
	return d, nil
}

// fileDigest is the contract's sha256 on this path: the device holds no
// contract document to digest, so it is the file the node read, as read.
func fileDigest(p string) string {
	raw, err := os.ReadFile(p)
	if err != nil {
		return fmt.Sprintf("unknown (%v)", err)
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:]) + " (the bytes of " + filepath.Base(p) + ")"
}

// loop publishes one array per period until ctx ends; it only reads
// counters.
func (d *deviceDiagnostics) loop(ctx context.Context, br *bridge.Bridge) {
	d.publishEvery(ctx, func(now time.Time) diagnostics.Sample {
		return diagnostics.Sample{At: now, Run: d.run, Bridge: br.Stats(), Inputs: br.InputStats(),
			Learning: br.LearningStats(), Device: deviceSample(d.dev.Stats())}
	})
}

// deviceSample is the device side's Stats as the monitor reads them.
func deviceSample(ds devicebridge.Stats) diagnostics.Device {
	return diagnostics.Device{
		StreamUp: ds.Link.Up, StreamConnected: ds.Link.Connected, StreamSince: ds.Link.Since, StreamLoss: ds.Link.Reason,
		LastHold: ds.LastHold, SensesHeld: ds.SensesHeld, LastAccepted: ds.LastAccepted,
		SensorFrames: ds.Posted, SensorFailures: ds.PostFailures, IncompleteFrames: ds.StaleFrames, EncodeErrors: ds.EncodeErrors,
		OutputFrames: ds.Frames, OutputCycles: ds.Cycles, Backlog: ds.Backlog, FramesWhileSenseless: ds.FramesWhileSenseless,
		Repeated: ds.Repeated, Skipped: ds.Skipped, Malformed: ds.Malformed, DecodeErrors: ds.DecodeErrors,
		Gaps: ds.Gaps, Resets: ds.Resets, Drops: ds.Drops, Resumes: ds.Resumes, StreamEnds: ds.StreamEnds,
		Holds: ds.Holds, SenseHolds: ds.SenseHolds, Starts: ds.Starts, Restarts: ds.Restarts,
		Connects: int64(ds.Stream.Connects), Duplicates: int64(ds.Stream.Duplicates), Missed: ds.Stream.Missed,
	}
}
