package integration

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/bridge"
	"github.com/abbridge/ab_bridge/internal/config"
)

// floorRun is what any bridge of one brain cannot beat, measured in the
// same run as the bridges: a brain.Session and the bridge in the bench's
// own process, answering the brain's needs as the node does, publishing to
// nothing. read is the brain's send stamp → the cycle:update's bytes read
// off the socket (the brain's emit path and loopback: no bridge sees the
// cycle earlier); published is the stamp → PublishTrajectory returned (the
// node's latency without its DDS hop to the robot).
type floorRun struct {
	read, published quantiles
	cycles          int
}

type quantiles struct{ p50, p99, max float64 } // ms

func quantilesOf(ms []float64) quantiles {
	if len(ms) == 0 {
		return quantiles{math.NaN(), math.NaN(), math.NaN()}
	}
	s := slices.Sorted(slices.Values(ms))
	q := func(f float64) float64 { return s[min(len(s)-1, int(f*float64(len(s))))] }
	return quantiles{q(0.50), q(0.99), s[len(s)-1]}
}

// floorHandler hands the session's events to the bridge and keeps when each
// cycle's packet was read.
type floorHandler struct {
	br   *bridge.Bridge
	mu   sync.Mutex
	read map[int64]time.Time
}

func (h *floorHandler) OnNeed(n brain.Need) { h.br.OnNeed(n) }
func (h *floorHandler) OnLink(l brain.Link) { h.br.OnLink(l) }
func (h *floorHandler) OnCycle(c brain.CycleUpdate) {
	h.mu.Lock()
	h.read[c.Cycle] = c.Read
	h.mu.Unlock()
	h.br.OnCycle(c)
}

// runFloor measures the floor against the brain at brainURL with the node's
// configuration (cfgPath), over the same warm-up and window as the bridges.
func runFloor(b *testing.B, brainURL, cfgPath string, sent func() []int64) floorRun {
	b.Helper()
	cfg, err := config.Load(cfgPath)
	require.NoError(b, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client, err := brain.NewClient(brain.Config{BaseURL: brainURL})
	require.NoError(b, err)
	defer client.Close()
	// The run's own contract: the Go stamp brain serves start and stop only.
	run, err := client.Start(ctx, cfg.Brain.Project, nil)
	require.NoError(b, err)

	type done struct {
		cycle int64
		at    time.Time
	}
	var mu sync.Mutex
	var dones []done
	h := &floorHandler{read: map[int64]time.Time{}}
	h.br, err = bridge.New(bridge.Config{Joints: cfg.Joints, Inputs: cfg.Inputs, Mapping: cfg.Mapping,
		Trajectory: cfg.Trajectory, Contract: run, OnCycleDone: func(r bridge.CycleReport) {
			if r.Published {
				now := time.Now() // OnCycleDone runs right after PublishTrajectory returned
				mu.Lock()
				dones = append(dones, done{r.Cycle, now})
				mu.Unlock()
			}
		}})
	require.NoError(b, err)
	names := make([]string, len(cfg.Joints))
	for i, j := range cfg.Joints {
		names[i] = j.Name
	}
	go func() { // joint_states at 100 Hz, as bench_robot.py publishes them
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				h.br.OnJointState(bridge.JointSample{Names: names, Positions: make([]float64, len(names))})
			}
		}
	}()
	url, ns := client.RealtimeEndpoint(run)
	sess, err := brain.Dial(ctx, brain.SessionConfig{URL: url, Namespace: ns, RunID: run.RunID, Handler: h})
	require.NoError(b, err)
	defer sess.Close()
	ran := make(chan struct{})
	go func() { defer close(ran); _ = h.br.Run(ctx, sess, discardCommands{}) }()
	defer func() { cancel(); <-ran }()

	time.Sleep(anchorWarmup)
	t0 := time.Now()
	time.Sleep(anchorWindow)
	t1 := time.Now()

	stamps := sent()
	latest := func(at time.Time) (float64, bool) { // ms since the latest stamp at or before at
		i, _ := slices.BinarySearch(stamps, at.UnixNano()+1)
		if i == 0 {
			return 0, false
		}
		return float64(at.UnixNano()-stamps[i-1]) / 1e6, true
	}
	var read, published []float64
	mu.Lock()
	h.mu.Lock()
	for _, d := range dones {
		r, ok := h.read[d.cycle]
		if !ok || r.Before(t0) || !r.Before(t1) {
			continue
		}
		if ms, ok := latest(r); ok {
			read = append(read, ms)
		}
		if ms, ok := latest(d.at); ok {
			published = append(published, ms)
		}
	}
	h.mu.Unlock()
	mu.Unlock()
	require.NotEmpty(b, read, "floor: no cycle published in the window")
	return floorRun{read: quantilesOf(read), published: quantilesOf(published), cycles: len(read)}
}

// nodeConfigPath is the node configuration benchNodeConfig wrote beside
// its parameters file.
func nodeConfigPath(paramsFile string) string {
	return filepath.Join(filepath.Dir(paramsFile), "bridge.yaml")
}
