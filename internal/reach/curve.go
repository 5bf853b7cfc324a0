package reach

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/abbridge/ab_bridge/internal/config"
)

// Curve is a set of tasks: every seed with learning on and off.
type Curve struct {
	BrainURL string
	APIKey   string
	Project  string
	Config   *config.Config
	Seeds    []uint64
	Cycles   int
	Start    []float64
	// Parallel is how many tasks run at once. Defaults to 4.
	Parallel int
	Logger   *slog.Logger
}

// minStartDistance keeps targets far enough from the start that reaching
// one takes learning, not luck.
const minStartDistance = 1.0

// TargetRange bounds the targets TargetFor picks, in radians from zero.
const TargetRange = 1.2

// TargetFor is seed's target: each joint uniform in ±TargetRange, within
// the joint's configured limits, at least minStartDistance from start.
func TargetFor(seed uint64, joints []config.Joint, start []float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x7265616368)) // "reach"
	for {
		out := make([]float64, len(joints))
		var d float64
		for i, j := range joints {
			lo, hi := -TargetRange, TargetRange
			if j.Min != nil {
				lo = math.Max(lo, *j.Min)
			}
			if j.Max != nil {
				hi = math.Min(hi, *j.Max)
			}
			out[i] = lo + (hi-lo)*rng.Float64()
			d += (out[i] - start[i]) * (out[i] - start[i])
		}
		if math.Sqrt(d) >= minStartDistance {
			return out
		}
	}
}

// Run runs every task, learning on and off for each seed, and returns the
// results seed by seed, learning first.
func (c Curve) Run(ctx context.Context) ([]Result, error) {
	par := c.Parallel
	if par <= 0 {
		par = 4
	}
	var tasks []Task
	for _, seed := range c.Seeds {
		target := TargetFor(seed, c.Config.Joints, c.Start)
		for _, learning := range []bool{true, false} {
			tasks = append(tasks, Task{BrainURL: c.BrainURL, APIKey: c.APIKey, Project: c.Project, Config: c.Config,
				Seed: seed, Target: target, Start: c.Start, Cycles: c.Cycles, Learning: learning, Logger: c.Logger})
		}
	}
	results := make([]Result, len(tasks))
	errs := make([]error, len(tasks))
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i, t := range tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i], errs[i] = Run(ctx, t)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return results, fmt.Errorf("seed %d learning %v: %w", tasks[i].Seed, tasks[i].Learning, err)
		}
	}
	return results, nil
}

// Summary is one task's figures.
type Summary struct {
	Seed     uint64
	Learning bool
	First    float64 // mean reward over the first fifth of the cycles
	Last     float64 // over the last fifth
	Final    float64 // distance to the target at the end, radians
	AtTarget float64 // share of the last fifth's rewards that were successes (1.0)
}

// Summarize computes r's summary.
func Summarize(r Result) Summary {
	n := max(1, len(r.Rewards)/5)
	s := Summary{Seed: r.Seed, Learning: r.Learning, Final: r.FinalDistance()}
	if len(r.Rewards) == 0 {
		return s
	}
	s.First = mean(r.Rewards[:min(n, len(r.Rewards))])
	last := r.Rewards[len(r.Rewards)-min(n, len(r.Rewards)):]
	s.Last = mean(last)
	hits := 0
	for _, v := range last {
		if v >= 1 {
			hits++
		}
	}
	s.AtTarget = float64(hits) / float64(len(last))
	return s
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// WriteTable writes one line per task: seed, learning, target, the mean
// rewards of the first and last fifth, the share of successes at the end
// and the final distance.
func WriteTable(w io.Writer, rs []Result) error {
	if _, err := fmt.Fprintf(w, "%-6s %-8s %-16s %-11s %-10s %-10s %-10s %s\n",
		"seed", "learning", "target_rad", "cycles", "first_20%", "last_20%", "successes", "final_distance_rad"); err != nil {
		return err
	}
	sorted := slices.Clone(rs)
	slices.SortStableFunc(sorted, func(a, b Result) int {
		if a.Learning != b.Learning {
			if a.Learning {
				return -1
			}
			return 1
		}
		return int(a.Seed) - int(b.Seed)
	})
	for _, r := range sorted {
		s := Summarize(r)
		target := ""
		for i, v := range r.Target {
			if i > 0 {
				target += ","
			}
			target += fmt.Sprintf("%+.2f", v)
		}
		if _, err := fmt.Fprintf(w, "%-6d %-8v %-16s %-11d %-10.3f %-10.3f %-10.2f %.3f\n",
			s.Seed, s.Learning, target, len(r.Rewards), s.First, s.Last, s.AtTarget, s.Final); err != nil {
			return err
		}
	}
	return nil
}
