package reach

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/localbrain"
)

// throughputCycles is how long each run of BenchmarkConcurrentRuns lasts:
// 10 s at 20 cycles/s.
const throughputCycles = 200

// throughputWarmup is the cycles every run must have emitted before the
// measured window opens (starts, handshakes and joins are outside it); the
// window closes when the first run is this close to its end.
const throughputWarmup = 20

// demoNeeds is the needs of each demo cycle: both joints, the shoulder
// feedback and the camera, all of which the task answers.
const demoNeeds = 4

// BenchmarkConcurrentRuns is the throughput requirement: N runs of the
// demo project at once on one local brain cycling in real time every 50 ms
// (20 cycles/s, gamma 64), learning on, each driven by its own bridge and
// kinematic arm (Task with RealTime) in this process. Per iteration it
// reports, over a window in which every run is cycling:
//
//   - cycles/s-mean, cycles/s-min: each run's achieved rate, from its
//     rewards' cycle numbers and arrival times at the brain (20 means the
//     brain kept up);
//   - cycles/s-total: cycle:update the brain emitted per second, all runs;
//   - cores: CPU seconds per second of the whole process (getrusage, user
//     and sys), which holds the brain and the N bridges and socket clients;
//   - cpu-ms/cycle: that CPU per run cycle, all N runs' cycles counted;
//   - missed-needs/run and missed-%: needs unanswered at the brain's
//     deadline (whole runs), per run and as a share of all needs asked.
//
// The network stepping's own share is BenchmarkNetworkStep's ns/op times
// N × cycles/s (see the localbrain package).
func BenchmarkConcurrentRuns(b *testing.B) {
	cfg := loadShippedConfig(b)
	for _, n := range []int{20, 30, 40} {
		b.Run(fmt.Sprintf("runs=%d", n), func(b *testing.B) {
			var sum throughput
			for range b.N {
				sum.add(concurrentRuns(b, cfg, n))
			}
			sum.report(b, b.N)
		})
	}
}

// loadShippedConfig is config/bridge.yaml, for benchmarks.
func loadShippedConfig(tb testing.TB) *config.Config {
	tb.Helper()
	_, here, _, _ := runtime.Caller(0)
	cfg, err := config.Load(filepath.Join(filepath.Dir(here), "..", "..", "config", "bridge.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// throughput is what one round of concurrent runs measured.
type throughput struct {
	meanRate, minRate float64 // achieved cycles/s per run
	cores             float64 // CPU seconds per wall second over the window
	hostCores         float64 // the machine's busy CPU seconds per second (all processes)
	cpuPerCycle       float64 // CPU seconds per run cycle over the window
	missedPerRun      float64
	missedShare       float64 // missed needs / needs asked
	totalRate         float64 // cycles/s of all runs together
}

func (t *throughput) add(o throughput) {
	t.meanRate += o.meanRate
	t.minRate += o.minRate
	t.cores += o.cores
	t.hostCores += o.hostCores
	t.cpuPerCycle += o.cpuPerCycle
	t.missedPerRun += o.missedPerRun
	t.missedShare += o.missedShare
	t.totalRate += o.totalRate
}

func (t throughput) report(b *testing.B, n int) {
	k := 1 / float64(n)
	b.ReportMetric(t.meanRate*k, "cycles/s-mean")
	b.ReportMetric(t.minRate*k, "cycles/s-min")
	b.ReportMetric(t.totalRate*k, "cycles/s-total")
	b.ReportMetric(t.cores*k, "cores")
	if t.hostCores >= 0 {
		b.ReportMetric(t.hostCores*k, "host-busy-cores")
	}
	b.ReportMetric(t.cpuPerCycle*k*1e3, "cpu-ms/cycle")
	b.ReportMetric(t.missedPerRun*k, "missed-needs/run")
	b.ReportMetric(t.missedShare*k*100, "missed-%")
}

func cpuSeconds(tb testing.TB) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// hostBusySeconds is the CPU time the whole machine spent busy so far
// (/proc/stat), or -1 where that cannot be read: with cores it tells
// another process's load from a bottleneck of this one.
func hostBusySeconds() float64 {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return -1
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return -1
	}
	var busy float64
	for i, v := range f[1:8] { // user nice system idle iowait irq softirq
		if i == 3 || i == 4 {
			continue
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return -1
		}
		busy += x
	}
	return busy / 100 // USER_HZ is 100 on Linux
}

// concurrentRuns runs n tasks at once against a fresh server and measures
// them.
func concurrentRuns(b *testing.B, cfg *config.Config, n int) throughput {
	srv, err := localbrain.New(localbrain.Config{CycleInterval: 50 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := srv.Close(); err != nil {
			b.Error(err)
		}
	}()
	period := 50 * time.Millisecond
	budget := time.Duration(throughputCycles)*period*3 + 30*time.Second
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()

	start := []float64{0, 0}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		seed := uint64(i + 1)
		task := Task{BrainURL: srv.URL(), Project: localbrain.DemoProjectID, Config: cfg, Seed: seed,
			Target: TargetFor(seed, cfg.Joints, start), Start: start, Cycles: throughputCycles,
			Learning: true, RealTime: true}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = Run(ctx, task)
		}()
	}

	// The window: from every run past the warm-up to the first run near its
	// end, so that all n cycle throughout it.
	cycles := func() (lo, hi, sum int) {
		runs := srv.Runs()
		if len(runs) < n {
			return 0, 0, 0
		}
		lo = math.MaxInt
		for _, r := range runs {
			lo, hi, sum = min(lo, r.Cycles), max(hi, r.Cycles), sum+r.Cycles
		}
		return lo, hi, sum
	}
	poll := func(done func(lo, hi int) bool) bool {
		tick := time.NewTicker(200 * time.Millisecond) // Runs copies every record: keep it rare
		defer tick.Stop()
		for {
			if lo, hi, _ := cycles(); done(lo, hi) {
				return true
			}
			select {
			case <-ctx.Done():
				return false
			case <-tick.C:
			}
		}
	}
	var t throughput
	if !poll(func(lo, _ int) bool { return lo >= throughputWarmup }) {
		wg.Wait()
		b.Fatalf("runs did not all reach cycle %d: %v", throughputWarmup, firstError(errs))
	}
	cpu0, host0, wall0 := cpuSeconds(b), hostBusySeconds(), time.Now()
	_, _, sum0 := cycles()
	if !poll(func(_, hi int) bool { return hi >= throughputCycles-throughputWarmup/2 }) {
		wg.Wait()
		b.Fatalf("runs did not reach cycle %d: %v", throughputCycles-throughputWarmup/2, firstError(errs))
	}
	cpu1, host1, wall1 := cpuSeconds(b), hostBusySeconds(), time.Now()
	_, _, sum1 := cycles()
	wall := wall1.Sub(wall0).Seconds()
	t.cores = (cpu1 - cpu0) / wall
	t.hostCores = -1
	if host0 >= 0 && host1 >= 0 {
		t.hostCores = (host1 - host0) / wall
	}

	wg.Wait()
	if err := firstError(errs); err != nil {
		b.Fatal(err)
	}
	runs := srv.Runs()
	if len(runs) != n {
		b.Fatalf("%d runs on the server, want %d", len(runs), n)
	}
	cyclesInWindow := float64(sum1 - sum0) // cycle:update emitted by all runs
	t.minRate = math.Inf(1)
	var missed, asked int
	perInput := map[string]int{}
	rates := make([]float64, 0, n)
	for _, r := range runs {
		rate := rewardRate(r.Rewards, wall0, wall1)
		rates = append(rates, rate)
		t.meanRate += rate / float64(n)
		t.minRate = min(t.minRate, rate)
		for id, m := range r.Missed {
			missed += m
			perInput[id] += m
		}
		asked += r.Cycles * demoNeeds
	}
	sort.Float64s(rates)
	b.Logf("runs=%d window %.1fs cpu %.2fs: rates min %.2f median %.2f max %.2f; missed needs per input %v", n, wall, cpu1-cpu0,
		rates[0], rates[len(rates)/2], rates[len(rates)-1], perInput)
	t.totalRate = cyclesInWindow / wall
	if cyclesInWindow > 0 {
		t.cpuPerCycle = (cpu1 - cpu0) / cyclesInWindow
	}
	t.missedPerRun = float64(missed) / float64(n)
	if asked > 0 {
		t.missedShare = float64(missed) / float64(asked)
	}
	return t
}

// rewardRate is the cycles per second a run achieved within [from, to]:
// the cycle numbers its rewards score, over the time they arrived in.
func rewardRate(rewards []localbrain.Reward, from, to time.Time) float64 {
	var first, last *localbrain.Reward
	for i := range rewards {
		w := &rewards[i]
		if w.At.Before(from) || w.At.After(to) {
			continue
		}
		if first == nil {
			first = w
		}
		last = w
	}
	if first == nil || last == first {
		return 0
	}
	return float64(last.Cycle-first.Cycle) / last.At.Sub(first.At).Seconds()
}

func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
