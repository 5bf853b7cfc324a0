package policybridge

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/abbridge/ab_bridge/internal/roboactions"
)

// Connect gets a policy ready, as a user of the SDK would by hand: waits
// while it is DEPLOYING (bounded by deployTimeout, logging every 30 s),
// refuses any state but HEALTHY, reads its features and fits the layout to
// them, and resets it so the run starts from a clean episode.
func Connect(ctx context.Context, c *roboactions.Client, l Layout, deployTimeout time.Duration, log *slog.Logger) (Plan, error) {
	wctx, cancel := context.WithTimeout(ctx, deployTimeout)
	defer cancel()
	lastLog := time.Duration(-1)
	st, err := c.WaitDeployed(wctx, time.Second, func(waited time.Duration) {
		if lastLog < 0 || waited-lastLog >= 30*time.Second {
			lastLog = waited
			log.Info("policy deploying: waiting", "waited", waited.Round(time.Second), "deploy_timeout", deployTimeout)
		}
	})
	if err != nil {
		return Plan{}, fmt.Errorf("roboactions: %w", err)
	}
	if st != roboactions.Healthy {
		return Plan{}, fmt.Errorf("roboactions: the policy is %s, not HEALTHY: nothing to run", st)
	}
	in, err := c.InputFeatures(ctx)
	if err != nil {
		return Plan{}, err
	}
	out, err := c.OutputFeatures(ctx)
	if err != nil {
		return Plan{}, err
	}
	plan, err := Check(l, in, out)
	if err != nil {
		return Plan{}, err
	}
	if err := c.Reset(ctx); err != nil {
		return Plan{}, err
	}
	log.Info("policy ready", "inputs", in.Keys(), "outputs", out.Keys(), "status", st)
	return plan, nil
}
