package integration

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/bridge"
	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/localbrain"
	"github.com/abbridge/ab_bridge/internal/sensor"
)

// needTimer stands between the session and the bridge: it notes when each
// io:need arrived and, when the camera's chunk for it has been handed to
// the session, how long that took.
type needTimer struct {
	br      *bridge.Bridge
	sess    *brain.Session
	mu      sync.Mutex
	arrived map[int64]time.Time
	lat     []time.Duration
	bytes   int
}

func (n *needTimer) OnNeed(x brain.Need) {
	n.mu.Lock()
	n.arrived[x.Cycle] = x.At
	n.mu.Unlock()
	n.br.OnNeed(x)
}

func (n *needTimer) OnCycle(c brain.CycleUpdate) { n.br.OnCycle(c) }
func (n *needTimer) OnLink(l brain.Link)         { n.br.OnLink(l) }

func (n *needTimer) SendChunk(c brain.Chunk) error {
	err := n.sess.SendChunk(c)
	if c.InputID == localbrain.DemoCameraInput && err == nil {
		now := time.Now()
		n.mu.Lock()
		if at, ok := n.arrived[c.Meta["cycle"].(int64)]; ok {
			n.lat = append(n.lat, now.Sub(at))
			n.bytes = len(c.Data)
		}
		n.mu.Unlock()
	}
	return err
}

func (n *needTimer) SendState(s brain.RobotState) error { return n.sess.SendState(s) }
func (n *needTimer) SendReward(r brain.Reward) error    { return n.sess.SendReward(r) }

func (n *needTimer) count() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.lat)
}

// BenchmarkNeedToChunkVGA answers the demo brain's io:needs (two joints, a
// feedback and the 640×480 rgb8 overhead camera at 15 Hz) over a real
// Socket.IO connection to `abctl local-brain`, and times each need from its
// arrival at the session to the camera's io:chunk handed to the socket:
// the bridge (TurboJPEG, frames encoded as they arrive), then the
// reference Python SDK answering the same needs with Pillow encoding the
// same frame on each need. It runs the experiment once whatever b.N is;
// ns/op is meaningless, the p50/p99/max metrics are the result.
func BenchmarkNeedToChunkVGA(b *testing.B) {
	const needs = 1000
	w, h, frame := vgaFrame()

	lat, jpegBytes := bridgeNeedLatencies(b, needs, sensor.Image{Width: w, Height: h, Step: w * 3, Encoding: "rgb8", Data: frame})
	b.ReportMetric(quantileUs(lat, 0.5), "bridge-p50-µs")
	b.ReportMetric(quantileUs(lat, 0.99), "bridge-p99-µs")
	b.ReportMetric(quantileUs(lat, 1), "bridge-max-µs")
	b.ReportMetric(float64(jpegBytes), "bridge-jpeg-bytes")

	out := runPeer(b, 3*time.Minute, frame, venvPython(b), filepath.Join(repoRoot(b), "test", "peers", "sdk_need_bench.py"),
		"--url", benchBrain(b), "--width", strconv.Itoa(w), "--height", strconv.Itoa(h), "--needs", strconv.Itoa(needs))
	var sdk struct {
		Needs     int     `json:"needs"`
		P50       float64 `json:"p50_us"`
		P99       float64 `json:"p99_us"`
		Max       float64 `json:"max_us"`
		JPEGBytes int     `json:"jpeg_bytes"`
	}
	require.NoError(b, json.Unmarshal(out, &sdk), "%s", out)
	require.GreaterOrEqual(b, sdk.Needs, needs)
	b.ReportMetric(sdk.P50, "sdk-pillow-p50-µs")
	b.ReportMetric(sdk.P99, "sdk-pillow-p99-µs")
	b.ReportMetric(sdk.Max, "sdk-pillow-max-µs")
	b.ReportMetric(float64(sdk.JPEGBytes), "sdk-pillow-jpeg-bytes")
}

// bridgeNeedLatencies runs the bridge against an in-process local brain
// until the camera has answered count needs.
func bridgeNeedLatencies(b *testing.B, count int, img sensor.Image) ([]time.Duration, int) {
	cfg, err := config.Load(filepath.Join(repoRoot(b), "config", "bridge.yaml"))
	require.NoError(b, err)
	client, err := brain.NewClient(brain.Config{BaseURL: benchBrain(b)})
	require.NoError(b, err)
	defer client.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ct, err := client.Start(ctx, "demo", nil)
	require.NoError(b, err)
	br, err := bridge.New(bridge.Config{Joints: cfg.Joints, Inputs: cfg.Inputs, Mapping: cfg.Mapping,
		Trajectory: cfg.Trajectory, Contract: ct})
	require.NoError(b, err)
	defer br.Close()
	camera, err := br.ImageSink(localbrain.DemoCameraInput)
	require.NoError(b, err)

	timer := &needTimer{br: br, arrived: map[int64]time.Time{}}
	url, ns := client.RealtimeEndpoint(ct)
	timer.sess, err = brain.Dial(ctx, brain.SessionConfig{URL: url, Namespace: ns, RunID: ct.RunID, Handler: timer})
	require.NoError(b, err)
	defer timer.sess.Close()
	go func() { _ = br.Run(ctx, timer, discardCommands{}) }()

	// The robot: joints at 100 Hz, the camera at 15 Hz, as the sim publishes.
	go func() {
		joints := time.NewTicker(10 * time.Millisecond)
		defer joints.Stop()
		frames := time.NewTicker(time.Second / 15)
		defer frames.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-joints.C:
				br.OnJointState(bridge.JointSample{Names: []string{"shoulder", "elbow"}, Positions: []float64{0.1, -0.1}})
			case <-frames.C:
				camera(img)
			}
		}
	}()
	deadline := time.Now().Add(2 * time.Minute)
	for timer.count() < count {
		require.True(b, time.Now().Before(deadline), "only %d camera chunks in 2 minutes", timer.count())
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	timer.mu.Lock()
	defer timer.mu.Unlock()
	return slices.Clone(timer.lat), timer.bytes
}

// benchBrain starts `abctl local-brain` (a process of its own, as a
// remote brain would be: its work is not the node's) cycling every 25 ms,
// and returns its URL.
func benchBrain(b *testing.B) string {
	cmd := exec.Command(goBinary(b, "cmd/abctl"), "local-brain", "--listen", "127.0.0.1:0", "--cycle-ms", "25", "--log-level", "warn")
	p := startProc(b, "local-brain", cmd)
	var url string
	require.Eventually(b, func() bool {
		m := listening.FindStringSubmatch(p.out.String())
		if m != nil {
			url = m[1]
		}
		return m != nil
	}, 20*time.Second, 10*time.Millisecond, "local brain did not say where it listens")
	return url
}

type discardCommands struct{}

func (discardCommands) PublishTrajectory(*bridge.Trajectory) error { return nil }

func quantileUs(lat []time.Duration, f float64) float64 {
	s := slices.Clone(lat)
	slices.Sort(s)
	return float64(s[min(len(s)-1, int(f*float64(len(s))))].Microseconds())
}
