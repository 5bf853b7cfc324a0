package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/bridge"
	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/contract"
	"github.com/abbridge/ab_bridge/internal/policy"
	"github.com/abbridge/ab_bridge/internal/ros"
)

// policies are the run's learning policies; a nil one sends the neutral
// signal (the bridge's default).
type policies struct {
	reward    *policy.RewardPolicy
	deviation *policy.DeviationPolicy
}

const neutralSignals = "reward 0.5 to every layer, zero deviations"

// loadPolicies reads the policies folder before the run starts, so that a
// policy that does not fit the brain stops the node before it costs a run.
// The contract is fetched as the document the brain serves: its digest is
// compared with the one the folder was synced for (a difference is a
// warning: the policies may still fit), and the policies are validated
// against it (a layer or feedback id the brain lacks is an error at
// file:line).
func loadPolicies(ctx context.Context, log *slog.Logger, cfg *config.Config, client *brain.Client) (policies, error) {
	var p policies
	if !cfg.Policies.Enabled {
		log.Info("policies disabled (policies.enabled: false): sending the neutral signals", "signals", neutralSignals)
		return p, nil
	}
	dir := cfg.PoliciesDir()
	switch st, err := os.Stat(dir); {
	case errors.Is(err, fs.ErrNotExist):
		log.Info("no policies folder: sending the neutral signals; write one with abctl sync-policies",
			"dir", dir, "signals", neutralSignals)
		return p, nil
	case err != nil:
		return p, fmt.Errorf("policies: %w", err)
	case !st.IsDir():
		return p, fmt.Errorf("policies: %s is not a folder", dir)
	}
	doc, err := client.ContractDoc(ctx, cfg.Brain.Project)
	if err != nil {
		return p, fmt.Errorf("policies: fetching the contract to check them against: %w", err)
	}
	ct, err := contract.FromMap(doc)
	if err != nil {
		return p, fmt.Errorf("policies: contract of project %s: %w", cfg.Brain.Project, err)
	}
	checkDigest(log, dir, doc)
	plog := log.With("component", "policy")
	var errs []error
	if path, ok := policyFile(log, cfg.RewardPolicyPath(), "reward"); ok {
		p.reward, err = policy.LoadReward(path, ct, policy.WithLogger(plog))
		errs = append(errs, err)
	}
	if path, ok := policyFile(log, cfg.DeviationPolicyPath(), "deviation"); ok {
		p.deviation, err = policy.LoadDeviation(path, ct, policy.WithLogger(plog))
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return p, fmt.Errorf("policies do not fit the brain's contract (fix them, or sync again with abctl sync-policies):\n%w", err)
	}
	log.Info("policies loaded", "dir", dir, "reward", p.reward != nil, "deviation", p.deviation != nil)
	return p, nil
}

// policyFile says whether a policy file is there to load; a missing one
// sends its neutral signal, said once.
func policyFile(log *slog.Logger, path, which string) (string, bool) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		log.Info("no "+which+" policy file: sending its neutral signal", "file", path)
		return "", false
	}
	return path, true
}

// checkDigest warns when the folder was synced for another contract than
// the brain's, or never synced.
func checkDigest(log *slog.Logger, dir string, doc map[string]any) {
	same, synced, current, err := contract.CompareDigest(dir, doc)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		log.Warn("policies folder has no "+contract.DigestFile+": it was not synced with this brain's contract; run abctl sync-policies",
			"dir", dir, "contract_sha256", current)
	case err != nil:
		log.Warn("policies folder's contract digest not checked", "dir", dir, "err", err)
	case !same:
		log.Warn("policies were synced for another contract than the brain's: the graph changed; run abctl sync-policies and review the policies",
			"dir", dir, "synced_sha256", synced, "contract_sha256", current)
	default:
		log.Info("policies synced for this contract", "sha256", current)
	}
}

// signalSubscribers subscribes the topics the policies read; topics names
// them for the log.
func signalSubscribers(br *bridge.Bridge, cfg *config.Config) (subs []ros.Subscriber, topics []string, err error) {
	specs := br.PolicyTopics()
	qosOf := func(topic string) config.QoS { return cfg.TopicQoS(topic, config.RolePolicy) }
	if subs, err = ros.SignalSubscribers(specs, qosOf, br); err != nil {
		return nil, nil, err
	}
	for _, s := range specs {
		topics = append(topics, fmt.Sprintf("%s (%s → policies)", s.Name, s.Type))
	}
	return subs, topics, nil
}

// logPolicyStats logs the learning signals sent and what the policies had
// to repair: every count is a cycle the brain got a neutral or clamped
// value instead of the policy's own.
func logPolicyStats(log *slog.Logger, msg string, st bridge.LearningStats) {
	log.Info(msg, "rewards", st.Rewards, "failed_rewards", st.FailedRewards, "bad_signals", st.BadSignals,
		"feedback_repaired", st.FeedbackRepaired,
		"reward_cycles", st.Reward.Cycles, "reward_errors", st.Reward.Errors, "reward_non_finite", st.Reward.NonFinite,
		"reward_clamped", st.Reward.Clamped, "reward_fallbacks", st.Reward.Fallbacks, "reward_modulation_clamped", st.Reward.ModulationClamped,
		"deviation_cycles", st.Deviation.Cycles, "deviation_errors", st.Deviation.Errors, "deviation_non_finite", st.Deviation.NonFinite,
		"deviation_clamped", st.Deviation.Clamped, "deviation_fallbacks", st.Deviation.Fallbacks)
}

// policyStatsLoop logs the policies' statistics every interval until ctx
// ends; 0 leaves it to the stop line.
func policyStatsLoop(ctx context.Context, log *slog.Logger, br *bridge.Bridge, every time.Duration) {
	if every <= 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			logPolicyStats(log, "policies", br.LearningStats())
		}
	}
}
