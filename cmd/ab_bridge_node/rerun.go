package main

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"sync"
	"time"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/bridge"
	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/contract"
)

// currentRun is the run the node serves; it changes when the brain forgets
// one and a new one is started.
type currentRun struct {
	mu sync.Mutex
	ct *contract.Contract
}

func (c *currentRun) get() *contract.Contract {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ct
}

func (c *currentRun) set(ct *contract.Contract) {
	c.mu.Lock()
	c.ct = ct
	c.mu.Unlock()
}

// runKeeper starts a new run whenever the brain no longer knows the one the
// session joined (a restarted brain forgets its runs), checks the new
// contract against the configuration and the policies as at start-up, and
// joins it. A contract that no longer fits is a fatal error: the node stops
// rather than drive the robot with a mapping the brain does not have.
type runKeeper struct {
	log    *slog.Logger
	cfg    *config.Config
	client *brain.Client
	sess   *brain.Session
	br     *bridge.Bridge
	run    *currentRun
	pols   policies
}

func (k *runKeeper) keep(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case g := <-k.sess.RunGone():
			if err := k.replace(ctx, g); err != nil {
				return err
			}
		}
	}
}

func (k *runKeeper) replace(ctx context.Context, g brain.RunGone) error {
	old := k.run.get()
	k.log.Warn("the brain forgot the run; starting a new one", "run", g.Run, "reason", g.Reason)
	k.stopQuietly(old)
	ct, err := k.start(ctx)
	if err != nil {
		return nil // ctx ended while the brain was away
	}
	pols := k.pols
	if !sameContract(old, ct) {
		k.log.Warn("the new run's contract differs from the old one; checking the configuration and policies again", "run", ct.RunID)
		if pols, err = loadPolicies(ctx, k.log, k.cfg, k.client); err != nil {
			return fmt.Errorf("new run %s: %w", ct.RunID, err)
		}
	}
	if err := k.br.Adopt(ctx, ct, pols.reward, pols.deviation); err != nil {
		return fmt.Errorf("new run %s: the configuration does not fit its contract: %w", ct.RunID, err)
	}
	k.pols = pols
	k.run.set(ct)
	if url, _ := k.client.RealtimeEndpoint(ct); url != "" {
		if prev, _ := k.client.RealtimeEndpoint(old); url != prev {
			k.log.Warn("the new run names another realtime server; staying on the current one", "realtime", url, "current", prev)
		}
	}
	k.sess.SetRun(ct.RunID)
	k.log.Info("run started", "run", ct.RunID, "replaces", old.RunID, "gamma", ct.Constants.Gamma)
	return nil
}

// start asks for a new run until the brain answers or ctx ends, backing
// off 1 s growing to 5 s with jitter, as the realtime session does.
func (k *runKeeper) start(ctx context.Context) (*contract.Contract, error) {
	for attempt := 0; ; attempt++ {
		ct, err := k.client.Start(ctx, k.cfg.Brain.Project, k.cfg.Brain.StartOptions)
		if err == nil {
			return ct, nil
		}
		k.log.Warn("new run not started yet", "err", err, "attempt", attempt+1)
		d := min(time.Second<<min(attempt, 3), 5*time.Second)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))):
		}
	}
}

// stopQuietly tells the brain the forgotten run is over, in case it only
// pretended to forget; a brain that lost it answers an error, which is fine.
func (k *runKeeper) stopQuietly(ct *contract.Contract) {
	ctx, cancel := context.WithTimeout(context.Background(), k.cfg.Brain.StopTimeout)
	defer cancel()
	if err := k.client.Stop(ctx, k.cfg.Brain.Project, ct.RunID); err != nil {
		k.log.Debug("forgotten run not stopped", "run", ct.RunID, "err", err)
	}
}

// sameContract compares what the bridge was checked against: constants
// and the I/O lists (run ids and realtime endpoints may differ).
func sameContract(a, b *contract.Contract) bool {
	return a.Constants == b.Constants && reflect.DeepEqual(a.IO, b.IO)
}
