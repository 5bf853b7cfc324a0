package integration

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const (
	raBenchWarmup = 5 * time.Second
	raBenchWindow = 20 * time.Second
	raBenchRate   = 10 // the stand-in's actions per second, the node's fps, the anchor's loop
	raBenchChunk  = 10
	// config/bridge_roboactions.yaml's camera feature, and a camera like the
	// MuJoCo arm's (VGA at 15 Hz).
	raBenchImage    = "3x48x64"
	raBenchCameraHz = "15"
	// The stand-in's forward pass. A real policy takes longer; this much
	// also keeps each answer after the trajectory of the cycle that asked
	// for it (the node asks at a cycle, before that cycle's trajectory is
	// out), so the first receipt after an answer carries that answer.
	raBenchInference = 20 * time.Millisecond
)

// BenchmarkRoboActionsVsSDK runs, one after the other against one policy
// stand-in (abctl roboactions: state 2 and an overhead image 3x48x64,
// chunks of 10 at 10 actions/s, a 20 ms forward pass), one rclpy robot (bench_robot.py at
// 100 Hz, which stamps each trajectory's receipt) and one rclpy camera
// (640x480 rgb8 at 15 Hz), for each endpoint: ab_bridge_node with brain.kind
// roboactions, then the loop a user would write around the SDK 0.1.2
// (test/peers/roboactions_anchor.py: rclpy + RemotePolicy). Between the
// bridges and the stand-in a pass-through proxy stamps each inference
// request's arrival and its answer. Latency is, per request in the window,
// the first trajectory received after its answer minus the request's
// arrival: observation sent → the first command from it at the robot (both
// clocks this machine's wall clock). CPU and RSS are the bridge process's,
// from /proc, over the window after a warm-up. It runs the experiment once
// whatever b.N is.
func BenchmarkRoboActionsVsSDK(b *testing.B) {
	env := rosEnv(b)
	key := benchKey(b)
	sa := exec.Command(goBinary(b, "cmd/abctl"), "roboactions", "--listen", "127.0.0.1:0", "--state-dim", "2",
		"--image", "overhead="+raBenchImage, "--latency", raBenchInference.String(), "--target", "0.6,-0.5", "--rate", strconv.Itoa(raBenchRate), "--chunk", strconv.Itoa(raBenchChunk))
	sa.Env = append(os.Environ(), "ROBOACTIONS_API_KEY="+key)
	nodeBin := goBinary(b, "cmd/ab_bridge_node")
	pol := startProc(b, "abctl roboactions", sa)
	pol.waitOutput(b, "roboactions stand-in listening on ", 30*time.Second)
	proxy := newStampProxy(b, policyStandInReady.FindStringSubmatch(pol.out.String())[1])

	robotCmd := exec.Command(venvPython(b), filepath.Join(repoRoot(b), "test", "peers", "bench_robot.py"), "--hz", "100")
	robotCmd.Env = env
	robot := startProc(b, "bench_robot", robotCmd)
	robot.waitOutput(b, "robot ready", 30*time.Second)
	camCmd := exec.Command(venvPython(b), filepath.Join(repoRoot(b), "test", "peers", "camera_publisher.py"), "--hz", raBenchCameraHz)
	camCmd.Env = env
	cam := startProc(b, "camera_publisher", camCmd)
	cam.waitOutput(b, "camera ready", 30*time.Second)
	bridgeEnv := append(append([]string(nil), env...), "ROBOACTIONS_API_KEY="+key)
	site := sdkSitePackages(b)

	var rows []policyBenchRow
	for _, endpoint := range []string{"predict_action_chunk", "select_action"} {
		node := exec.Command(nodeBin, "--log-format", "text", "--config", raBenchNodeConfig(b, proxy.url, endpoint))
		node.Env = bridgeEnv
		rows = append(rows, runPolicyBridge(b, "node "+endpoint, node, `msg="policy ready"`, proxy, robot))
		anchor := exec.Command(venvPython(b), filepath.Join(repoRoot(b), "test", "peers", "roboactions_anchor.py"),
			"--url", proxy.url, "--sdk-site", site, "--endpoint", endpoint, "--rate", strconv.Itoa(raBenchRate),
			"--image", "observation.images.overhead="+raBenchImage)
		anchor.Env = bridgeEnv
		rows = append(rows, runPolicyBridge(b, "anchor "+endpoint, anchor, "anchor ready", proxy, robot))
	}
	reportPolicyBench(b, rows)
}

// policyBenchRow is one bridge's figures over the window.
type policyBenchRow struct {
	name          string
	p50, p99, max float64 // ms, request arrival at the policy → first receipt at the robot after its answer
	policyP50     float64 // ms, request arrival → answer at the proxy: the policy's share, the same for both
	cpu, rssMB    float64 // % of one core; VmRSS
	requests      int     // inference requests in the window
	trajectories  int     // received in the window
	unmatched     int     // requests of the window whose answer no trajectory followed before the next answer
	refused       int     // over the whole run, warm-up included
	selfLatency   string  // the node's own observation → first command mean, from its stop line
}

func reportPolicyBench(b *testing.B, rows []policyBenchRow) {
	var t strings.Builder
	fmt.Fprintf(&t, "\nRoboActions stand-in: state 2 + image %s, chunk %d at %d actions/s, %s a forward pass; robot: rclpy at 100 Hz; camera: 640x480 rgb8 at %s Hz; "+
		"%s warm-up, %s window; latency: inference request at the policy → first trajectory at the robot after its answer\n\n",
		raBenchImage, raBenchChunk, raBenchRate, raBenchInference, raBenchCameraHz, raBenchWarmup, raBenchWindow)
	t.WriteString("| bridge | endpoint | p50 ms | p99 ms | max ms | policy answer p50 ms | CPU % of a core | RSS MB | requests | trajectories | unmatched | refused |\n")
	t.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		m := strings.ReplaceAll(r.name, " ", "-")
		b.ReportMetric(r.p50, m+"-p50-ms")
		b.ReportMetric(r.p99, m+"-p99-ms")
		b.ReportMetric(r.cpu, m+"-cpu-%")
		b.ReportMetric(r.rssMB, m+"-rss-MB")
		b.ReportMetric(float64(r.refused), m+"-refused")
		if r.refused != 0 {
			b.Errorf("%s: %d trajectories the controller contract refuses", r.name, r.refused)
		}
		who, endpoint, _ := strings.Cut(r.name, " ")
		if who == "anchor" {
			who = "anchor (rclpy + SDK 0.1.2)"
		} else {
			who = "ab_bridge_node (own mean " + r.selfLatency + ")"
		}
		fmt.Fprintf(&t, "| %s | %s | %.2f | %.2f | %.2f | %.2f | %.1f | %.1f | %d | %d | %d | %d |\n",
			who, endpoint, r.p50, r.p99, r.max, r.policyP50, r.cpu, r.rssMB, r.requests, r.trajectories, r.unmatched, r.refused)
	}
	b.Log(t.String())
}

// runPolicyBridge starts one bridge, waits for its first trajectory at the
// robot, measures it over the window after the warm-up and stops it.
func runPolicyBridge(b *testing.B, name string, cmd *exec.Cmd, ready string, proxy *stampProxy, robot *proc) policyBenchRow {
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
	time.Sleep(raBenchWarmup)
	pid := p.cmd.Process.Pid
	t0, cpu0 := time.Now(), cpuSeconds(b, pid)
	time.Sleep(raBenchWindow)
	t1, cpu1 := time.Now(), cpuSeconds(b, pid)
	rss := rssMB(b, pid)
	require.False(b, p.exited(), "%s ended during the window", name)
	p.stop(5 * time.Second)

	r := policyBenchRow{name: name, cpu: 100 * (cpu1 - cpu0) / t1.Sub(t0).Seconds(), rssMB: rss}
	rx := receipts(robot.out.String())[before:]
	for _, x := range rx {
		if !x.ok {
			r.refused++
		}
		if x.ns >= t0.UnixNano() && x.ns < t1.UnixNano() {
			r.trajectories++
		}
	}
	lat, answers := firstCommandLatencies(proxy.inferences(), rx, t0.UnixNano(), t1.UnixNano(), &r)
	require.NotEmpty(b, lat, "%s: no request in the window was followed by a trajectory", name)
	r.p50, r.p99, r.max = quantile(lat, 0.50), quantile(lat, 0.99), quantile(lat, 1)
	r.policyP50 = quantile(answers, 0.50)
	if m := regexp.MustCompile(`msg="roboactions policy stopped" .*latency_mean=(\S+)`).FindStringSubmatch(p.out.String()); m != nil {
		r.selfLatency = m[1]
	}
	return r
}

// quantile of samples (sorted in place); 1 is the largest.
func quantile(samples []float64, f float64) float64 {
	slices.Sort(samples)
	return samples[int(math.Min(float64(len(samples)-1), f*float64(len(samples))))]
}

// firstCommandLatencies pairs each request sent in [from, to) with the
// first receipt after its answer and before the next answer (ms); a
// request with none is counted in r.unmatched. answers are the requests'
// arrival → answer times (ms).
func firstCommandLatencies(inf []inference, rx []receipt, from, to int64, r *policyBenchRow) (lat, answers []float64) {
	for i, q := range inf {
		if q.sent < from || q.sent >= to {
			continue
		}
		r.requests++
		answers = append(answers, float64(q.answered-q.sent)/1e6)
		next := int64(math.MaxInt64)
		if i+1 < len(inf) {
			next = inf[i+1].answered
		}
		j, _ := slices.BinarySearchFunc(rx, q.answered+1, func(x receipt, ns int64) int { return cmpInt64(x.ns, ns) })
		if j == len(rx) || rx[j].ns >= next {
			r.unmatched++
			continue
		}
		lat = append(lat, float64(rx[j].ns-q.sent)/1e6)
	}
	return lat, answers
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// inference is one inference request through the proxy: its arrival and
// the end of its answer, wall clock ns.
type inference struct{ sent, answered int64 }

// stampProxy passes every request on to the stand-in and stamps the
// inference ones, so both bridges are timed at the same place.
type stampProxy struct {
	url  string
	mu   sync.Mutex
	seen []inference
}

func newStampProxy(b *testing.B, target string) *stampProxy {
	u, err := url.Parse(target)
	require.NoError(b, err)
	rp := httputil.NewSingleHostReverseProxy(u)
	s := &stampProxy{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		sent := time.Now().UnixNano()
		rp.ServeHTTP(w, req)
		if strings.HasSuffix(req.URL.Path, "/select_action") || strings.HasSuffix(req.URL.Path, "/predict_action_chunk") {
			s.mu.Lock()
			s.seen = append(s.seen, inference{sent: sent, answered: time.Now().UnixNano()})
			s.mu.Unlock()
		}
	}))
	b.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

func (s *stampProxy) inferences() []inference {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.seen)
}

// raBenchNodeConfig is config/bridge_roboactions.yaml with the policy
// behind the proxy and the given endpoint.
func raBenchNodeConfig(b *testing.B, base, endpoint string) string {
	raw, err := os.ReadFile(filepath.Join(repoRoot(b), "config", "bridge_roboactions.yaml"))
	require.NoError(b, err)
	cfg := string(raw)
	replace := func(old, new string) {
		require.Equal(b, 1, strings.Count(cfg, old), "occurrences of %q in config/bridge_roboactions.yaml", old)
		cfg = strings.Replace(cfg, old, new, 1)
	}
	replace("base_url: http://127.0.0.1:8090", "base_url: "+base)
	replace("endpoint: predict_action_chunk", "endpoint: "+endpoint)
	path := filepath.Join(b.TempDir(), "bridge_roboactions.yaml")
	require.NoError(b, os.WriteFile(path, []byte(cfg), 0o600))
	return path
}

// sdkSitePackages is the SDK 0.1.2 venv's site-packages, which the anchor
// appends to the ROS venv's path.
func sdkSitePackages(b *testing.B) string {
	py := os.Getenv("AB_ROBOACTIONS_PYTHON")
	if py == "" {
		py = filepath.Join(repoRoot(b), ".cache", "roboactions", "bin", "python")
	}
	out, err := exec.Command(py, "-c", "import roboactions, sysconfig; print(sysconfig.get_paths()['purelib'])").Output()
	require.NoError(b, err, "the RoboActions SDK 0.1.2 venv at %s: run scripts/setup", py)
	return strings.TrimSpace(string(out))
}

func benchKey(b *testing.B) string {
	buf := make([]byte, 12)
	_, err := rand.Read(buf)
	require.NoError(b, err)
	return "rk_bench_" + hex.EncodeToString(buf)
}
