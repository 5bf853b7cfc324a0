package reach

import (
	"bytes"
	"context"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/localbrain"
)

// shippedConfig is config/bridge.yaml: the demo's joints, inputs, mapping
// and trajectory settings.
func shippedConfig(t *testing.T) *config.Config {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	cfg, err := config.Load(filepath.Join(filepath.Dir(here), "..", "..", "config", "bridge.yaml"))
	require.NoError(t, err)
	return cfg
}

func localBrain(t *testing.T) *localbrain.Server {
	t.Helper()
	srv, err := localbrain.New(localbrain.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// TestTheLocalBrainLearnsToReach is the learning curve's claim, on every
// seed: with learning the mean reward of the last fifth of 2,000 cycles is
// clearly above the first fifth's and above the same run's without
// learning, and the arm ends near the target; without learning it does
// not get there.
func TestTheLocalBrainLearnsToReach(t *testing.T) {
	srv := localBrain(t)
	c := Curve{BrainURL: srv.URL(), Project: localbrain.DemoProjectID, Config: shippedConfig(t),
		Seeds: []uint64{1, 2, 3, 4, 5}, Cycles: 2000, Start: []float64{0, 0}, Parallel: 5}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	results, err := c.Run(ctx)
	require.NoError(t, err)
	var table bytes.Buffer
	require.NoError(t, WriteTable(&table, results))
	t.Log("\n" + table.String())
	off := map[uint64]Summary{}
	for _, r := range results {
		if !r.Learning {
			off[r.Seed] = Summarize(r)
		}
	}
	for _, r := range results {
		if !r.Learning {
			continue
		}
		s := Summarize(r)
		// Margins from ten seeds (2026-12): last − first ≥ 0.18, last − off
		// ≥ 0.45, final distance ≤ 0.05.
		assert.Greater(t, s.Last, s.First+0.15, "seed %d: the last fifth's reward above the first's", r.Seed)
		assert.Greater(t, s.Last, off[r.Seed].Last+0.3, "seed %d: above the same run without learning", r.Seed)
		assert.Less(t, s.Final, 0.1, "seed %d: ends near the target", r.Seed)
	}
}

// A lock-step task repeats exactly for a seed, even with another task
// running beside it on the same brain.
func TestATaskRepeatsForItsSeed(t *testing.T) {
	srv := localBrain(t)
	cfg := shippedConfig(t)
	task := Task{BrainURL: srv.URL(), Project: localbrain.DemoProjectID, Config: cfg, Seed: 3,
		Target: []float64{0.6, -0.4}, Start: []float64{0, 0}, Cycles: 300, Learning: true}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	results := make([]Result, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tk := task
			if i == 2 {
				tk.Seed = 4
			}
			results[i], errs[i] = Run(ctx, tk)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, results[0].Rewards, results[1].Rewards, "same seed, same rewards")
	assert.Equal(t, results[0].Distances, results[1].Distances, "same seed, same motion")
	assert.NotEqual(t, results[0].Distances, results[2].Distances, "another seed moves otherwise")
}
