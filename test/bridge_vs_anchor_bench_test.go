package integration

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const (
	anchorWarmup = 5 * time.Second
	anchorWindow = 20 * time.Second
	// Both bridges decode with the same step; the demo's 0.002 would only
	// make the random walk wander further.
	anchorPerStepMax = "0.0005"
)

// bridgeRun is one bridge's figures over the measurement window.
type bridgeRun struct {
	p50, p99, max float64 // ms, brain send stamp → robot receipt
	cpu           float64 // % of one core
	rssMB         float64
	trajectories  int // received in the window
	cycles        int // sent in the window
	refused       int // over the whole run, warm-up included
	// Cycles of the window no receipt was matched to: their trajectory came
	// after the next cycle's stamp (so its latency is under-counted as the
	// next one's) or never.
	unmatched int
}

// BenchmarkBridgeVsAnchor runs the bridge a user would write around the
// reference SDK (test/peers/anchor_bridge.py) and ab_bridge_node, one after
// the other, against one brain that stamps each cycle:update right before
// its emit (ab_brain.py on python-socketio, then the Go stampBrain) and one
// rclpy robot that stamps each trajectory's receipt. Latency is a receipt minus the latest send stamp
// before it (one trajectory per cycle; both clocks are this machine's wall
// clock); CPU and RSS are the bridge process's own, from /proc, over the
// window after a warm-up. It runs the experiment once whatever b.N is.
func BenchmarkBridgeVsAnchor(b *testing.B) {
	for _, rate := range []int{20, 50} {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) { benchBridgeVsAnchor(b, rate) })
	}
}

func benchBridgeVsAnchor(b *testing.B, rate int) {
	env := rosEnv(b)
	nodeBin := os.Getenv("AB_BENCH_NODE_BIN") // a build to compare, e.g. an older commit's
	if nodeBin == "" {
		nodeBin = goBinary(b, "cmd/ab_bridge_node")
	}
	peers := filepath.Join(repoRoot(b), "test", "peers")
	robotCmd := exec.Command(venvPython(b), filepath.Join(peers, "bench_robot.py"), "--hz", "100")
	robotCmd.Env = env
	robot := startProc(b, "bench_robot", robotCmd)
	robot.waitOutput(b, "robot ready", 30*time.Second)

	b.Run("brain=python", func(b *testing.B) {
		stamps, url := startPythonStampBrain(b, env, rate)
		compareBridges(b, env, rate, "ab_brain.py (aiohttp)", url, stamps, nodeBin, robot)
	})
	b.Run("brain=go", func(b *testing.B) {
		s := startStampBrain(b, time.Second/time.Duration(rate))
		compareBridges(b, env, rate, "Go, test/stamp_brain_test.go", s.url, s.sendStamps, nodeBin, robot)
	})
}

// startPythonStampBrain runs ab_brain.py with the joints contract and its
// send stamps.
func startPythonStampBrain(b *testing.B, env []string, rate int) (stamps func() []int64, url string) {
	brainCmd := exec.Command(venvPython(b), filepath.Join(repoRoot(b), "test", "peers", "ab_brain.py"), "--server", "aiohttp",
		"--io", "joints", "--rows-t", "64", "--stamp", "--period-ms", strconv.Itoa(1000/rate))
	brainCmd.Env = env
	// ab_brain.py shuts down at the end of its stdin: keep it open.
	stdin, err := brainCmd.StdinPipe()
	require.NoError(b, err)
	b.Cleanup(func() { _ = stdin.Close() })
	brain := startProc(b, "ab_brain", brainCmd)
	brain.waitOutput(b, "PORT ", 30*time.Second)
	m := regexp.MustCompile(`PORT (\d+)`).FindStringSubmatch(brain.out.String())
	require.NotNil(b, m)
	return func() []int64 { return sendStamps(brain.out.String()) }, "http://127.0.0.1:" + m[1]
}

// compareBridges runs the anchor, then the node, against one brain.
func compareBridges(b *testing.B, env []string, rate int, brainName, brainURL string, stamps func() []int64, nodeBin string, robot *proc) {
	periodMs := 1000 / rate
	peers := filepath.Join(repoRoot(b), "test", "peers")
	anchorCmd := exec.Command(venvPython(b), filepath.Join(peers, "anchor_bridge.py"), "--url", brainURL,
		"--cycle-ms", strconv.Itoa(periodMs), "--per-step-max", anchorPerStepMax)
	anchorCmd.Env = env
	anchor := runBridge(b, "anchor_bridge", anchorCmd, "anchor ready", rate, stamps, robot, nil)

	paramsFile := benchNodeConfig(b, brainURL, periodMs)
	nodeCmd := exec.Command(nodeBin, nodeArgv(paramsFile)...)
	// AB_BENCH_NODE_ENV: KEY=VALUE pairs (space separated) for the node only,
	// e.g. GOGC=100 or AB_PPROF_ADDR=127.0.0.1:6060 to profile it in the window.
	nodeCmd.Env = append(append([]string(nil), env...), strings.Fields(os.Getenv("AB_BENCH_NODE_ENV"))...)
	var profile func()
	if dir := os.Getenv("AB_BENCH_PPROF_DIR"); dir != "" {
		// A CPU profile of the node over the measured window.
		addr := freeLoopbackAddr(b)
		nodeCmd.Env = append(nodeCmd.Env, pprofEnvName+"="+addr)
		path := filepath.Join(dir, fmt.Sprintf("bench_cpu_%d_%s.pb.gz", rate, strings.Fields(brainName)[0]))
		profile = func() {
			saveProfile(b, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, int(anchorWindow/time.Second)), path)
		}
	}
	node := runBridge(b, "ab_bridge_node", nodeCmd, "realtime joined", rate, stamps, robot, profile)
	floor := runFloor(b, brainURL, nodeConfigPath(paramsFile), stamps)

	for _, r := range []struct {
		name string
		run  bridgeRun
	}{{"anchor", anchor}, {"node", node}} {
		b.ReportMetric(r.run.p50, r.name+"-p50-ms")
		b.ReportMetric(r.run.p99, r.name+"-p99-ms")
		b.ReportMetric(r.run.max, r.name+"-max-ms")
		b.ReportMetric(r.run.cpu, r.name+"-cpu-%")
		b.ReportMetric(r.run.rssMB, r.name+"-rss-MB")
		b.ReportMetric(float64(r.run.refused), r.name+"-refused")
		b.ReportMetric(float64(r.run.unmatched), r.name+"-unmatched")
		if r.run.refused != 0 {
			b.Errorf("%s: %d trajectories the controller contract refuses", r.name, r.run.refused)
		}
	}
	ratio := func(n, a float64) float64 { return n / a }
	b.ReportMetric(ratio(node.p50, anchor.p50), "node/anchor-p50")
	b.ReportMetric(ratio(node.p99, anchor.p99), "node/anchor-p99")
	b.ReportMetric(ratio(node.cpu, anchor.cpu), "node/anchor-cpu")
	b.ReportMetric(ratio(node.rssMB, anchor.rssMB), "node/anchor-rss")
	b.ReportMetric(floor.read.p99, "floor-read-p99-ms")
	b.ReportMetric(floor.published.p99, "floor-published-p99-ms")
	b.ReportMetric(ratio(floor.read.p99, anchor.p99), "floor-read/anchor-p99")

	var t strings.Builder
	fmt.Fprintf(&t, "\n%d cycles/s, %s warm-up, %s window, brain: %s, robot: rclpy at 100 Hz\n\n", rate, anchorWarmup, anchorWindow, brainName)
	t.WriteString("| bridge | p50 ms | p99 ms | max ms | CPU % of a core | RSS MB | trajectories / cycles | unmatched cycles | refused |\n")
	t.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	row := func(name string, r bridgeRun) {
		fmt.Fprintf(&t, "| %s | %.2f | %.2f | %.2f | %.1f | %.1f | %d / %d | %d | %d |\n", name, r.p50, r.p99, r.max, r.cpu, r.rssMB, r.trajectories, r.cycles, r.unmatched, r.refused)
	}
	row("anchor (rclpy + SDK 0.1.6)", anchor)
	row("ab_bridge_node", node)
	fmt.Fprintf(&t, "| node / anchor | %.2f | %.2f | %.2f | %.2f | %.2f | | | |\n",
		ratio(node.p50, anchor.p50), ratio(node.p99, anchor.p99), ratio(node.max, anchor.max), ratio(node.cpu, anchor.cpu), ratio(node.rssMB, anchor.rssMB))
	floorRow := func(name string, q quantiles) {
		fmt.Fprintf(&t, "| %s | %.2f | %.2f | %.2f | | | %d cycles | | |\n", name, q.p50, q.p99, q.max, floor.cycles)
	}
	floorRow("floor: bytes read by a Go session in the bench (no bridge, no ROS)", floor.read)
	floorRow("floor + the node's bridge: Publish returned (no DDS)", floor.published)
	fmt.Fprintf(&t, "\n⅓ of the anchor's p99: %.2f ms; the floor's read p99 is %.2f of the anchor's.\n", anchor.p99/3, ratio(floor.read.p99, anchor.p99))
	b.Log(t.String())
}

// runBridge starts one bridge, waits for its first trajectory at the robot,
// measures it over the window after the warm-up, stops it, and works out
// its figures from the brain's and the robot's stamps.
// profile, when not nil, is called at the window's start and returns at its
// end (it fetches a CPU profile of the window) in the sleep's stead.
// The brains cycle only while a bridge is joined: a window with a tenth of
// its rate's cycles missing had a bridge that was not, and its figures are
// no one's (the anchor against the Go brain once had 27 of 1000).
func runBridge(b *testing.B, name string, cmd *exec.Cmd, ready string, rate int, sent func() []int64, robot *proc, profile func()) bridgeRun {
	b.Helper()
	before := len(receipts(robot.out.String()))
	p := startProc(b, name, cmd)
	p.waitOutput(b, ready, 60*time.Second)
	deadline := time.Now().Add(30 * time.Second)
	for len(receipts(robot.out.String())) == before {
		if time.Now().After(deadline) || p.exited() {
			b.Fatalf("%s: no trajectory reached the robot (exited: %v)", name, p.exited())
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(anchorWarmup)
	pid := p.cmd.Process.Pid
	t0, cpu0 := time.Now(), cpuSeconds(b, pid)
	if profile != nil {
		profile()
	} else {
		time.Sleep(anchorWindow)
	}
	t1, cpu1 := time.Now(), cpuSeconds(b, pid)
	rss := rssMB(b, pid)
	require.False(b, p.exited(), "%s ended during the window", name)
	p.stop(5 * time.Second)

	stamps := sent()
	rx := receipts(robot.out.String())[before:]
	r := bridgeRun{cpu: 100 * (cpu1 - cpu0) / t1.Sub(t0).Seconds(), rssMB: rss}
	for _, s := range stamps {
		if s >= t0.UnixNano() && s < t1.UnixNano() {
			r.cycles++
		}
	}
	var lat []float64
	matched := map[int]bool{}
	for _, x := range rx {
		if !x.ok {
			r.refused++
		}
		if x.ns < t0.UnixNano() || x.ns >= t1.UnixNano() {
			continue
		}
		r.trajectories++
		i, _ := slices.BinarySearch(stamps, x.ns+1) // stamps[i-1] is the latest at or before the receipt
		if i > 0 {
			lat = append(lat, float64(x.ns-stamps[i-1])/1e6)
			matched[i-1] = true
		}
	}
	r.unmatched = r.cycles
	for i := range matched {
		if stamps[i] >= t0.UnixNano() && stamps[i] < t1.UnixNano() {
			r.unmatched--
		}
	}
	require.NotEmpty(b, lat, "%s: no trajectory in the window", name)
	if want := float64(rate) * t1.Sub(t0).Seconds(); float64(r.cycles) < 0.9*want {
		b.Errorf("%s: the brain sent %d cycles in the window, not about %.0f: the bridge was not joined for part of it", name, r.cycles, want)
	}
	slices.Sort(lat)
	q := func(f float64) float64 { return lat[int(math.Min(float64(len(lat)-1), f*float64(len(lat))))] }
	r.p50, r.p99, r.max = q(0.50), q(0.99), lat[len(lat)-1]
	return r
}

type receipt struct {
	ns int64
	ok bool
}

// receipts are bench_robot.py's "RX <ns> <ok|rule>" lines.
func receipts(out string) []receipt {
	var rs []receipt
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || f[0] != "RX" {
			continue
		}
		if ns, err := strconv.ParseInt(f[1], 10, 64); err == nil {
			rs = append(rs, receipt{ns, f[2] == "ok"})
		}
	}
	return rs
}

// sendStamps are ab_brain.py's "STAMP <cycle> <ns>" lines, sorted.
func sendStamps(out string) []int64 {
	var ss []int64
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || f[0] != "STAMP" {
			continue
		}
		if ns, err := strconv.ParseInt(f[2], 10, 64); err == nil {
			ss = append(ss, ns)
		}
	}
	slices.Sort(ss)
	return ss
}

// cpuSeconds is a process's user plus system time, all threads, from
// /proc/<pid>/stat (in clock ticks of 1/100 s, USER_HZ on Linux).
func cpuSeconds(b *testing.B, pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	require.NoError(b, err)
	// The command name may hold spaces: fields count from after its ')'.
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
	utime, err := strconv.ParseInt(f[11], 10, 64)
	require.NoError(b, err)
	stime, err := strconv.ParseInt(f[12], 10, 64)
	require.NoError(b, err)
	return float64(utime+stime) / 100
}

// rssMB is a process's VmRSS.
func rssMB(b *testing.B, pid int) float64 { return statusMB(b, pid, "VmRSS") }

// statusMB is a kB field of /proc/<pid>/status in MB: VmRSS, or RssAnon,
// the part of it that page-cache state does not move.
func statusMB(b *testing.B, pid int, field string) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(b, err)
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			require.NoError(b, err)
			return kb / 1024
		}
	}
	b.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// benchNodeConfig is the shipped configuration for the benchmark's brain:
// only the joint inputs its contract has, the anchor's step and cycle
// duration, and the neutral learning signals the anchor sends (the demo's
// policies name the feedback input this contract lacks).
func benchNodeConfig(b *testing.B, brainURL string, cycleMs int) (paramsFile string) {
	raw, err := os.ReadFile(filepath.Join(repoRoot(b), "config", "bridge.yaml"))
	require.NoError(b, err)
	cfg := string(raw)
	replace := func(old, new string, n int) {
		require.Equal(b, n, strings.Count(cfg, old), "occurrences of %q in config/bridge.yaml", old)
		cfg = strings.ReplaceAll(cfg, old, new)
	}
	replace("\n  url: local\n", fmt.Sprintf("\n  url: %s\n", brainURL), 1)
	replace("    per_step_max: 0.002\n", "    per_step_max: "+anchorPerStepMax+"\n", 2)
	replace("\n  cycle_duration: 50ms\n", fmt.Sprintf("\n  cycle_duration: %dms\n", cycleMs), 1)
	replace("\n  enabled: true\n", "\n  enabled: false\n", 1)
	extra := regexp.MustCompile(`(?s)\n  - id: shoulder_fb\n.*?\n    max_age: 500ms\n`)
	require.True(b, extra.MatchString(cfg), "the feedback and camera inputs in config/bridge.yaml")
	cfg = extra.ReplaceAllString(cfg, "\n")
	dir := b.TempDir()
	cfgPath := filepath.Join(dir, "bridge.yaml")
	require.NoError(b, os.WriteFile(cfgPath, []byte(cfg), 0o600))
	paramsFile = filepath.Join(dir, "launch_params")
	require.NoError(b, os.WriteFile(paramsFile, []byte(fmt.Sprintf("/arm/ab_bridge:\n  ros__parameters:\n    config: %s\n", cfgPath)), 0o600))
	return paramsFile
}
