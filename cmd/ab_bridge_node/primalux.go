package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"

	"github.com/abbridge/ab_bridge/internal/bridge"
	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/contract"
	"github.com/abbridge/ab_bridge/internal/devicebridge"
	"github.com/abbridge/ab_bridge/internal/policy"
	"github.com/abbridge/ab_bridge/internal/primalux"
)

// servePrimaLux runs the bridge against a Prima-Lux device (brain.kind:
// primalux) until ctx ends, then stops the device's brain (bounded by
// primalux.stop_timeout). With primalux.build the device first builds and
// installs the contract's design (bounded by primalux.build_timeout). The ROS side is the 0.1 path's: the same
// subscriptions, parameters, pause services and command outputs, and
// /diagnostics with the same statuses at diagnostics.period (the brain
// link being the device's output stream, plus the device's own counters;
// device_diagnostics.go) after the same start-up summary; the device side
// is internal/devicebridge. The counters are also logged at stop. Feedback
// inputs have no place on a device (the configuration refuses them).
func servePrimaLux(ctx context.Context, log *slog.Logger, cfg *config.Config, argv []string) error {
	res, err := cfg.DeviceSettings().Resolve(os.Getenv)
	if err != nil {
		return fmt.Errorf("prima-lux: %w", err)
	}
	if res.ContractPath == "" {
		return fmt.Errorf("prima-lux: no I/O contract: set primalux.contract or %s (a design file or the contract JSON)", primalux.ContractEnv)
	}
	pct, err := primalux.LoadContract(res.ContractPath)
	if err != nil {
		return fmt.Errorf("prima-lux: %w", err)
	}
	client, err := primalux.New(res.Options)
	if err != nil {
		return fmt.Errorf("prima-lux: %w", err)
	}
	dev, err := devicebridge.New(deviceConfig(log, cfg, client, pct, res))
	if err != nil {
		return err
	}
	ct := dev.BridgeContract()
	log.Info("ab_bridge_node starting", "version", version, "ros_distro", os.Getenv("ROS_DISTRO"), "config", cfg.File,
		"brain", "prima-lux "+client.Origin(), "api_key", "from "+res.KeySource, "contract", res.ContractPath,
		"frame_rate_hz", cfg.PrimaLux.FrameRateHz, "frames_per_trajectory", dev.Gamma(), "outputs_from", outputsFrom(cfg))
	pols, err := devicePolicies(log, cfg, ct)
	if err != nil {
		return err
	}
	if cfg.PrimaLux.Build { // primalux_build.go
		if err := buildDeviceBrain(ctx, log, client, res.ContractPath, cfg.PrimaLux.BuildTimeout, buildLogEvery); err != nil {
			if ctx.Err() != nil {
				return nil // stopped during the build: nothing was started
			}
			return err
		}
	}
	if err := dev.Start(ctx, primalux.DefaultStartTimeout); err != nil {
		return err
	}
	return deviceRun(ctx, log, cfg, dev, ct, deviceInfo{origin: client.Origin(), contractPath: res.ContractPath}, argv, pols)
}

// deviceConfig is the device side's configuration: the node's joints,
// inputs and mapping, the primalux section (the actuation mapping, when
// set, decodes the outputs instead of the spikes), the resolved settings.
func deviceConfig(log *slog.Logger, cfg *config.Config, client *primalux.Client, pct primalux.Contract,
	res primalux.Resolved) devicebridge.Config {
	return devicebridge.Config{Client: client, Contract: pct, Joints: cfg.Joints, Inputs: cfg.Inputs,
		Mapping: cfg.Mapping, PrimaLux: cfg.PrimaLux, CycleDuration: cfg.Trajectory.CycleDuration, Replay: res.Replay,
		StopTimeout: res.StopTimeout, SenseSilence: cfg.Silence(), Actuation: cfg.PrimaLux.ActuationEntries(),
		Logger: log.With("component", "prima_lux")}
}

// outputsFrom says which of the SDK's decoders reads the device's outputs.
func outputsFrom(cfg *config.Config) string {
	if n := len(cfg.PrimaLux.ActuationEntries()); n > 0 {
		return fmt.Sprintf("actuation channels (%d, primalux.actuation)", n)
	}
	return "spikes (the mapping)"
}

// devicePolicies loads the reward policy against the device's brain as the
// bridge sees it; a deviation policy has no Feedback input to answer here.
func devicePolicies(log *slog.Logger, cfg *config.Config, ct *contract.Contract) (policies, error) {
	var p policies
	if !cfg.Policies.Enabled {
		log.Info("policies disabled (policies.enabled: false): the reward population carries 0.5")
		return p, nil
	}
	if _, err := os.Stat(cfg.PoliciesDir()); errors.Is(err, fs.ErrNotExist) {
		log.Info("no policies folder: the reward population carries 0.5", "dir", cfg.PoliciesDir())
		return p, nil
	}
	path, ok := policyFile(log, cfg.RewardPolicyPath(), "reward")
	if !ok {
		return p, nil
	}
	var err error
	if p.reward, err = policy.LoadReward(path, ct, policy.WithLogger(log.With("component", "policy"))); err != nil {
		return p, fmt.Errorf("reward policy does not fit the device's brain:\n%w", err)
	}
	if cfg.PrimaLux.RewardInput == "" {
		log.Warn("a reward policy is loaded but primalux.reward_input is empty: its value reaches no population")
	}
	log.Info("policies loaded", "reward", true, "deviation", false)
	return p, nil
}

// deviceRun is bridgeRun's ROS side with the device in the brain's place.
func deviceRun(ctx context.Context, log *slog.Logger, cfg *config.Config, dev *devicebridge.Device, ct *contract.Contract,
	info deviceInfo, argv []string, pols policies) error {
	// No robot:state and no deviation: the device takes neither.
	rs, err := startROSSide(ctx, log, cfg, argv, bridge.Config{Joints: cfg.Joints, Inputs: cfg.Inputs, Mapping: cfg.Mapping,
		Trajectory: cfg.Trajectory, Contract: ct, Logger: log, OnCycleDone: newProgress(log, cfg).cycle,
		Reward: pols.reward, Gripper: cfg.Gripper, Base: cfg.Base})
	if err != nil {
		return err
	}
	defer rs.close()
	br, node := rs.br, rs.node
	diag, err := newDeviceDiagnostics(log, cfg, node, dev, ct, info, argv, pols) // device_diagnostics.go
	if err != nil {
		return err
	}
	defer diag.close()
	diag.pub.Now = rs.clk.Now // before its loop starts

	// Any loop ending ends all: a dead executor must not leave a device
	// brain that is fed stale frames.
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var runErr, spinErr, devErr error
	wg.Add(5)
	go func() { defer wg.Done(); defer cancel(); runErr = br.Run(ctx, dev, node) }()
	go func() { defer wg.Done(); defer cancel(); spinErr = node.Spin(ctx) }()
	go func() { defer wg.Done(); defer cancel(); devErr = dev.Run(ctx, br) }() // stops the brain on its way out
	go func() { defer wg.Done(); policyStatsLoop(ctx, log, br, cfg.Policies.LogInterval) }()
	go func() { defer wg.Done(); diag.loop(ctx, br) }()
	wg.Wait()
	logDeviceStats(log, br.Stats(), dev.Stats())
	logPolicyStats(log, "policies at stop", br.LearningStats())
	logInputStats(log, br.InputStats())
	logCommandStats(log, br)
	return errors.Join(runErr, spinErr, devErr)
}

// logDeviceStats is the stop line of the device path: the bridge's
// counters and the device side's.
func logDeviceStats(log *slog.Logger, st bridge.Stats, ds devicebridge.Stats) {
	log.Info("bridge stopped", "cycles", st.Cycles, "trajectories", st.Trajectories, "holds", st.Holds,
		"stale_joint_states", st.StaleJointStates, "limit_clamps", st.LimitClamps, "cycles_while_paused", st.CyclesWhilePaused,
		"link_losses", st.LinkLosses, "cycles_while_lost", st.CyclesWhileLost, "dropped_events", st.DroppedEvents, "no_joint_state", st.NoJointState, "failed_publishes", st.FailedPublishes,
		"bad_joint_states", st.BadJointStates)
	log.Info("prima-lux device stopped", "sensor_frames", ds.Posted, "sensor_failures", ds.PostFailures,
		"incomplete_frames", ds.StaleFrames, "encode_errors", ds.EncodeErrors, "output_frames", ds.Frames, "output_cycles", ds.Cycles, "backlog_frames", ds.Backlog,
		"repeated_frames", ds.Repeated, "skipped_frames", ds.Skipped, "malformed_frames", ds.Malformed, "decode_errors", ds.DecodeErrors,
		"gaps", ds.Gaps, "resets", ds.Resets, "stream_drops", ds.Drops, "stream_resumes", ds.Resumes,
		"stream_reopened", ds.StreamEnds, "holds", ds.Holds, "sense_holds", ds.SenseHolds, "frames_while_senses_stale", ds.FramesWhileSenseless,
		"brain_starts", ds.Starts, "brain_restarts", ds.Restarts,
		"stream_connects", ds.Stream.Connects, "duplicates_dropped", ds.Stream.Duplicates, "missed", ds.Stream.Missed)
}
