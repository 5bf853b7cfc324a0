package integration

import (
	"context"
	"encoding/json"
	"math"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/bridge"
	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/ros"
)

// stampingHandler records when each cycle:update reaches the node and, for
// the benchmark's matching, sets the first joint to cycle*10 just before the
// cycle is handed to the bridge: the trajectory then carries its cycle.
type stampingHandler struct {
	br       *bridge.Bridge
	mu       sync.Mutex
	received map[int64]int64 // cycle → wall-clock ns
	handled  map[int64]int64 // cycle → wall-clock ns after its trajectory was published
}

func (h *stampingHandler) done(r bridge.CycleReport) {
	if r.Published {
		now := time.Now().UnixNano()
		h.mu.Lock()
		h.handled[r.Cycle] = now
		h.mu.Unlock()
	}
}

func (h *stampingHandler) OnNeed(n brain.Need) { h.br.OnNeed(n) }
func (h *stampingHandler) OnLink(l brain.Link) { h.br.OnLink(l) }

func (h *stampingHandler) OnCycle(c brain.CycleUpdate) {
	now := time.Now().UnixNano()
	h.mu.Lock()
	h.received[c.Cycle] = now
	h.mu.Unlock()
	h.br.OnJointState(bridge.JointSample{Names: []string{"shoulder", "elbow"}, Positions: []float64{float64(c.Cycle) * 10, 0}})
	h.br.OnCycle(c)
}

// BenchmarkCycleToTrajectory measures, over 1,000 brain cycles, the time from
// a cycle:update arriving at the node's realtime session to the resulting
// JointTrajectory being received by an rclpy subscriber on the same machine.
// It runs the experiment once whatever b.N is, and reports p50/p99/max.
func BenchmarkCycleToTrajectory(b *testing.B) {
	const cycles = 1000
	// The node runs with GOGC 100 (cmd/ab_bridge_node/gc.go); so does this.
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	env := rosEnv(b)
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		b.Setenv(k, v)
	}
	cfg, err := config.Load(filepath.Join(repoRoot(b), "config", "bridge.yaml"))
	require.NoError(b, err)
	for i := range cfg.Joints {
		cfg.Joints[i].Min, cfg.Joints[i].Max = nil, nil // positions carry cycle*10
	}

	probe := exec.Command(venvPython(b), filepath.Join(repoRoot(b), "test", "peers", "latency_probe.py"), "--count", "1000")
	probe.Env = env
	p := startProc(b, "latency-probe", probe)
	p.waitOutput(b, "probe ready", 30*time.Second)

	// The brain runs in its own process, as a real one would: its cycle work
	// and garbage do not land in the node's measurements.
	_, brainURL := startLocalBrain(b, env, "--cycle-ms", "5")
	client, err := brain.NewClient(brain.Config{BaseURL: brainURL})
	require.NoError(b, err)
	defer client.Close()

	ct, err := client.Contract(context.Background(), "demo")
	require.NoError(b, err)
	h := &stampingHandler{received: map[int64]int64{}, handled: map[int64]int64{}}
	h.br, err = bridge.New(bridge.Config{Joints: cfg.Joints, Inputs: cfg.Inputs, Mapping: cfg.Mapping,
		Trajectory: cfg.Trajectory, Contract: ct, OnCycleDone: h.done})
	require.NoError(b, err)
	br := h.br
	node, err := ros.NewNode(ros.NodeConf{Argv: []string{"--ros-args", "-r", "__node:=ab_bridge_bench"}, Name: "ab_bridge_bench", Namespace: "/"})
	require.NoError(b, err)
	defer node.Close()
	time.Sleep(2 * time.Second) // DDS discovery between the node and the probe

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ct, err = client.Start(ctx, "demo", nil)
	require.NoError(b, err)
	url, ns := client.RealtimeEndpoint(ct)
	sess, err := brain.Dial(ctx, brain.SessionConfig{URL: url, Namespace: ns, RunID: ct.RunID, Handler: h})
	require.NoError(b, err)
	defer sess.Close()
	go func() { _ = br.Run(ctx, sess, node) }()
	go func() { _ = node.Spin(ctx) }()

	b.ResetTimer()
	select {
	case <-p.done:
	case <-time.After(3 * time.Minute):
		b.Fatal("latency probe did not finish")
	}
	b.StopTimer()
	cancel()

	out := p.out.String()
	i := strings.LastIndex(out, "RESULT ")
	require.GreaterOrEqual(b, i, 0, "probe printed no result:\n%s", out)
	var res struct {
		Seen     [][2]int64      `json:"seen"`
		Contract trajectoryTally `json:"contract"`
	}
	require.NoError(b, json.Unmarshal([]byte(strings.TrimSpace(out[i+len("RESULT "):])), &res))
	seen := res.Seen
	require.Zero(b, res.Contract.Refused, "trajectories the controller contract refuses: %v %v", res.Contract.RefusedByRule, res.Contract.FirstRefusals)
	require.Equal(b, len(seen), res.Contract.Accepted, "every trajectory accepted")
	h.mu.Lock()
	var lat, inNode []float64
	for _, s := range seen {
		if at, ok := h.received[s[0]]; ok {
			lat = append(lat, float64(s[1]-at)/1e3)
			inNode = append(inNode, float64(h.handled[s[0]]-at)/1e3)
		}
	}
	h.mu.Unlock()
	require.GreaterOrEqual(b, len(lat), cycles*9/10, "matched cycles")
	q := func(xs []float64, f float64) float64 {
		slices.Sort(xs)
		return xs[int(math.Min(float64(len(xs)-1), f*float64(len(xs))))]
	}
	b.ReportMetric(q(lat, 0.50), "p50-µs")
	b.ReportMetric(q(lat, 0.99), "p99-µs")
	b.ReportMetric(lat[len(lat)-1], "max-µs")
	// The node's own share: cycle:update received → Publish returned.
	b.ReportMetric(q(inNode, 0.50), "node-p50-µs")
	b.ReportMetric(q(inNode, 0.99), "node-p99-µs")
	b.ReportMetric(float64(len(lat)), "cycles")
}
