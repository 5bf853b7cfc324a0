package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/abbridge/ab_bridge/internal/bridge"
	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/contract"
	"github.com/abbridge/ab_bridge/internal/policybridge"
	"github.com/abbridge/ab_bridge/internal/roboactions"
	"github.com/abbridge/ab_bridge/internal/ros"
	"github.com/abbridge/ab_bridge/internal/secret"
	"github.com/abbridge/ab_bridge/internal/spikes"
)

// resetService is the policy's episode reset, under the node's name.
const resetService = "~/reset"

// serveRoboActions runs the bridge against a RoboActions policy
// (brain.kind: roboactions) until ctx ends. The ROS side is every
// backend's: the same subscriptions, parameters, pause services, holds,
// limits and command outputs; the policy side is internal/policybridge.
func serveRoboActions(ctx context.Context, log *slog.Logger, cfg *config.Config, argv []string) error {
	r := cfg.RoboActions
	key, where, err := r.KeySource().Lookup(os.Getenv)
	if err != nil {
		return fmt.Errorf("roboactions: %w", err)
	}
	if key == "" {
		return fmt.Errorf("roboactions: no API key: set %s (environment or %s) or roboactions.api_key_file", r.APIKeyEnv, r.EnvFile)
	}
	client, err := roboactions.New(roboactions.Options{BaseURL: r.BaseURL, PolicyID: r.PolicyID, Key: secret.New(key),
		Timeout: r.Timeout, UserAgent: "ab_bridge/" + version + " roboactions/" + roboactions.ProtocolVersion})
	if err != nil {
		return err
	}
	steps, err := stepsPerCycle(cfg)
	if err != nil {
		return err
	}
	log.Info("ab_bridge_node starting", "version", version, "ros_distro", os.Getenv("ROS_DISTRO"), "config", cfg.File,
		"brain", "roboactions "+client.BaseURL(), "policy", r.PolicyID, "api_key", "from "+where, "fps", r.FPS,
		"actions_per_trajectory", steps, "endpoint", r.Endpoint)
	if cfg.Policies.Enabled {
		log.Info("learning policies are not used with a RoboActions policy: it takes no reward")
	}
	plan, err := policybridge.Connect(ctx, client, policyLayout(cfg), r.DeployTimeout, log.With("component", "roboactions"))
	if err != nil {
		return err
	}
	runner, err := policybridge.New(policybridge.Config{Policy: client, Plan: plan, Joints: jointNames(cfg), Gripper: gripperJoint(cfg),
		FPS: r.FPS, StepsPerCycle: steps, Threshold: r.ChunkThreshold, BlendOld: r.BlendOld, MinInterval: minInterval(r.RequestRateHz), Absolute: r.Action.Mode == config.ActionAbsolute,
		SelectAction: r.Endpoint == "select_action", Task: r.Task, Logger: log.With("component", "roboactions")})
	if err != nil {
		return err
	}
	return policyRun(ctx, log, cfg, runner, policyContract(cfg, steps, plan), client.BaseURL(), argv)
}

// stepsPerCycle is how many of the policy's actions one trajectory
// carries: trajectory.cycle_duration × fps, which must be whole.
func stepsPerCycle(cfg *config.Config) (int, error) {
	n := cfg.Trajectory.CycleDuration.Seconds() * cfg.RoboActions.FPS
	k := int(math.Round(n))
	if k < 1 || math.Abs(n-float64(k)) > 1e-6 {
		return 0, fmt.Errorf("roboactions: trajectory.cycle_duration %s × fps %g = %.3g actions per trajectory; make it a whole number ≥ 1 (e.g. cycle_duration %s)",
			cfg.Trajectory.CycleDuration, cfg.RoboActions.FPS, n, secondsOf(1/cfg.RoboActions.FPS))
	}
	return k, nil
}

// minInterval is request_rate_hz as the least time between requests.
func minInterval(hz float64) time.Duration {
	if hz <= 0 {
		return 0
	}
	return time.Duration(float64(time.Second) / hz)
}

func secondsOf(s float64) string { return strconv.FormatFloat(s*1000, 'f', -1, 64) + "ms" }

func policyLayout(cfg *config.Config) policybridge.Layout {
	o, a := cfg.RoboActions.Observation, cfg.RoboActions.Action
	l := policybridge.Layout{StateKey: o.StateKey, Images: o.Images, ActionKey: a.Key, ActionDims: a.Dims}
	if o.StateKey != "" {
		l.StateJoints = cfg.StateJointNames()
	}
	return l
}

func jointNames(cfg *config.Config) []string {
	var out []string
	for _, j := range cfg.Joints {
		out = append(out, j.Name)
	}
	return out
}

func gripperJoint(cfg *config.Config) string {
	if cfg.Gripper == nil {
		return ""
	}
	return cfg.Gripper.Joint
}

// policyContract is the brain as the bridge sees it: one output per driven
// action dimension, steps actions per cycle, each mapped to its joint's
// channel (the bridge's decoder only names channels on this path).
func policyContract(cfg *config.Config, steps int, plan policybridge.Plan) policyBrain {
	pb := policyBrain{ct: &contract.Contract{RunID: "roboactions", Constants: contract.Constants{Gamma: steps}}}
	for i, name := range plan.ActionDims {
		ch := ""
		for j, jn := range jointNames(cfg) {
			if jn == name {
				ch = spikes.JointChannelPrefix + strconv.Itoa(j)
			}
		}
		if name != "" && name == gripperJoint(cfg) {
			ch = spikes.GripperChannel
		}
		if ch == "" {
			continue
		}
		id := "ACTION_" + strconv.Itoa(i)
		pb.ct.IO.Outputs = append(pb.ct.IO.Outputs, contract.Port{ID: id})
		pb.mapping = append(pb.mapping, spikes.NewMappingEntry(id, ch))
	}
	for _, in := range cfg.Inputs {
		pb.ct.IO.Inputs = append(pb.ct.IO.Inputs, contract.Port{ID: in.ID, Kind: in.Kind})
	}
	return pb
}

type policyBrain struct {
	ct      *contract.Contract
	mapping []spikes.MappingEntry
}

// policyRun is bridgeRun's ROS side with the policy in the brain's place.
func policyRun(ctx context.Context, log *slog.Logger, cfg *config.Config, runner *policybridge.Runner, pb policyBrain, baseURL string, argv []string) error {
	extra := []ros.Subscriber{ros.TriggerService(resetService, func() (bool, string) {
		rctx, cancel := context.WithTimeout(ctx, cfg.RoboActions.Timeout)
		defer cancel()
		if err := runner.Reset(rctx); err != nil {
			log.Warn("policy reset failed", "service", resetService, "err", err)
			return false, err.Error()
		}
		log.Info("policy reset: a new episode", "service", resetService)
		return true, "policy reset"
	})}
	if topic := cfg.RoboActions.TaskTopic; topic != "" {
		extra = append(extra, ros.StringSubscriber(topic, cfg.TopicQoS(topic, config.RolePolicy), func(task string) {
			if task != runner.Task() {
				runner.SetTask(task)
				log.Info("task changed", "topic", topic, "task", task)
			}
		}))
	}
	prog := newProgress(log, cfg)
	prog.noReward = true
	rs, err := startROSSide(ctx, log, cfg, argv, bridge.Config{Joints: cfg.Joints, Inputs: cfg.Inputs, Mapping: pb.mapping,
		Trajectory: cfg.Trajectory, Contract: pb.ct, Logger: log, OnCycleDone: prog.cycle,
		Gripper: cfg.Gripper, Base: cfg.Base}, extra...)
	if err != nil {
		return err
	}
	defer rs.close()
	br, node := rs.br, rs.node
	diag, err := newPolicyDiagnostics(log, cfg, node, runner, pb, baseURL, argv) // policy_diagnostics.go
	if err != nil {
		return err
	}
	defer diag.close()
	diag.pub.Now = rs.clk.Now // before its loop starts

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var runErr, spinErr, polErr error
	wg.Add(4)
	go func() { defer wg.Done(); diag.loop(ctx, br) }()
	go func() { defer wg.Done(); defer cancel(); runErr = br.Run(ctx, runner, node) }()
	go func() { defer wg.Done(); defer cancel(); spinErr = node.Spin(ctx) }()
	go func() { defer wg.Done(); defer cancel(); polErr = runner.Run(ctx, br) }()
	wg.Wait()
	logPolicyRunStats(log, br.Stats(), runner.Stats())
	logInputStats(log, br.InputStats())
	logCommandStats(log, br)
	return errors.Join(runErr, spinErr, polErr)
}

func logPolicyRunStats(log *slog.Logger, st bridge.Stats, ps policybridge.Stats) {
	log.Info("bridge stopped", "cycles", st.Cycles, "trajectories", st.Trajectories, "holds", st.Holds,
		"stale_joint_states", st.StaleJointStates, "limit_clamps", st.LimitClamps, "cycles_while_paused", st.CyclesWhilePaused,
		"dropped_events", st.DroppedEvents, "no_joint_state", st.NoJointState, "failed_publishes", st.FailedPublishes)
	log.Info("roboactions policy stopped", "requests", ps.Requests, "chunks", ps.Chunks, "actions_played", ps.Actions,
		"stale_actions", ps.Stale, "blended_actions", ps.Blended, "starved_cycles", ps.Starved, "failures", ps.Failures,
		"malformed_answers", ps.Malformed, "observations_not_ready", ps.NotReady, "holds", ps.Holds,
		"latency_mean", ps.LatencyMean, "latency_max", ps.LatencyMax, "latency_samples", ps.LatencyCount)
}
