package bridge

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sync"
	"testing"
	"time"

	enginep "github.com/zishang520/socket.io/parsers/engine/v3/parser"
	sioparser "github.com/zishang520/socket.io/parsers/socket/v3/parser"
	"github.com/zishang520/socket.io/v3/pkg/types"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/contract"
	"github.com/abbridge/ab_bridge/internal/localbrain"
	"github.com/abbridge/ab_bridge/internal/spikes"
)

// The node's share of a cycle (issue 11): from the cycle:update's bytes read
// to PublishTrajectory returning. The node runs with GOGC 100
// (cmd/ab_bridge_node/gc.go); so do these, whatever GOGC the test has.

// shareSetup is the repository's bridge.yaml (two joints, two bipolarSplit
// outputs) with a contract of gamma 64 and the demo's two outputs.
func shareSetup(tb testing.TB) (*config.Config, *contract.Contract) {
	tb.Helper()
	cfg, err := config.Load(filepath.Join("..", "..", "config", "bridge.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	ct := &contract.Contract{Constants: contract.Constants{Gamma: 64, OutputWindowN: 32, FeedbackN: 128, FeedbackT: 64}}
	for _, m := range cfg.Mapping {
		ct.IO.Outputs = append(ct.IO.Outputs, contract.Port{ID: m.NodeID})
	}
	return cfg, ct
}

// cycleFrame is the websocket text frame that carries one cycle:update as
// the local brain sends it (64 timesteps × 2 outputs × 32 bits, object rows
// {t, id, bits} with integer bits, one spike in five), encoded by the
// library's own encoders.
func cycleFrame(tb testing.TB, nsp string, ids []string) []byte {
	tb.Helper()
	rng := rand.New(rand.NewPCG(11, 11))
	var out []any
	for t := range 64 {
		for _, id := range ids {
			bits := make([]int, 32)
			for i := range bits {
				if rng.Float64() < 0.2 {
					bits[i] = 1
				}
			}
			out = append(out, map[string]any{"t": t, "id": id, "bits": bits})
		}
	}
	payload := map[string]any{"runId": "r1", "cycle": 7, "outputs": out}
	enc := sioparser.NewEncoder().Encode(&sioparser.Packet{Type: sioparser.EVENT, Nsp: nsp, Data: []any{brain.EventCycleUpdate, payload}})
	if len(enc) != 1 {
		tb.Fatalf("cycle:update encoded as %d buffers", len(enc))
	}
	return append([]byte{'4'}, enc[0].Bytes()...) // Engine.IO MESSAGE
}

// wireDecoder turns a frame into the event's arguments the way the client
// does: the websocket transport reads the frame into a buffer, the
// Engine.IO parser makes a MESSAGE packet of it and the Socket.IO decoder
// decodes the JSON.
type wireDecoder struct {
	dec  sioparser.Decoder
	args []any
}

func newWireDecoder() *wireDecoder {
	w := &wireDecoder{dec: sioparser.NewDecoder()}
	_ = w.dec.On("decoded", func(ps ...any) {
		w.args, _ = ps[0].(*sioparser.Packet).Data.([]any)
	})
	return w
}

func (w *wireDecoder) decode(tb testing.TB, frame []byte) any {
	read := types.NewStringBuffer(nil)
	if _, err := read.ReadFrom(bytes.NewReader(frame)); err != nil {
		tb.Fatal(err)
	}
	p, err := enginep.Parserv4().DecodePacket(read)
	if err != nil {
		tb.Fatal(err)
	}
	if err := w.dec.Add(p.Data); err != nil {
		tb.Fatal(err)
	}
	if len(w.args) != 2 || w.args[0] != brain.EventCycleUpdate {
		tb.Fatalf("decoded %v", w.args)
	}
	return w.args[1]
}

// cycleOf reads what brain.parseCycleUpdate reads (the runId, the cycle
// and the outputs list); the session's own path is timed by
// BenchmarkShareLoopback.
func cycleOf(tb testing.TB, payload any) brain.CycleUpdate {
	doc := payload.(map[string]any)
	outs, ok := doc["outputs"].([]any)
	run, _ := doc["runId"].(string)
	cycle, _ := doc["cycle"].(float64)
	if !ok || run == "" {
		tb.Fatal("not a cycle:update")
	}
	return brain.CycleUpdate{RunID: run, Cycle: int64(cycle), Outputs: outs, Raw: doc, At: time.Now()}
}

// signalRobot tells the benchmark each trajectory published.
type signalRobot struct {
	discardRobot
	published chan struct{}
}

func (s *signalRobot) PublishTrajectory(t *Trajectory) error {
	_ = s.discardRobot.PublishTrajectory(t)
	s.published <- struct{}{}
	return nil
}

// BenchmarkShare is the node's share of one cycle, in process, per stage:
//
//   - wire: the frame's bytes to the event's arguments (the library's
//     Engine.IO and Socket.IO parsers: JSON into []any and maps; the
//     session's own decoder is BenchmarkCycleFrame in internal/brain);
//   - handle: handleCycle on the decoded update (rows parsed, decoded,
//     shaped, published to a no-op Commander);
//   - handle-rows: the same on an update whose rows the session read;
//   - path: both, with the hop from the socket's goroutine to Run between
//     them (OnCycle), until PublishTrajectory returned.
func BenchmarkShare(b *testing.B) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	cfg, ct := shareSetup(b)
	ids := []string{cfg.Mapping[0].NodeID, cfg.Mapping[1].NodeID}
	frame := cycleFrame(b, "/ab", ids)
	names := []string{cfg.Joints[0].Name, cfg.Joints[1].Name}
	newBridge := func() *Bridge {
		br, err := New(Config{Joints: cfg.Joints, Mapping: cfg.Mapping, Contract: ct, Trajectory: cfg.Trajectory})
		if err != nil {
			b.Fatal(err)
		}
		return br
	}
	b.Run("wire", func(b *testing.B) {
		w := newWireDecoder()
		b.SetBytes(int64(len(frame)))
		b.ReportAllocs()
		for b.Loop() {
			w.decode(b, frame)
		}
	})
	b.Run("handle", func(b *testing.B) {
		br := newBridge()
		robot := &discardRobot{}
		br.cmd = robot
		u := cycleOf(b, newWireDecoder().decode(b, frame))
		b.ReportAllocs()
		for b.Loop() {
			// Fresh joint states each cycle, as the robot sends them.
			br.OnJointState(JointSample{Names: names, Positions: []float64{0.1, -0.2}})
			br.handleCycle(&u)
		}
		if robot.points == 0 {
			b.Fatal("no trajectory was shaped")
		}
	})
	b.Run("handle-rows", func(b *testing.B) {
		// The update as the session hands it over when it read the rows
		// off the wire (brain/wire.go): parsing them is the scanner's part.
		br := newBridge()
		robot := &discardRobot{}
		br.cmd = robot
		u := cycleOf(b, newWireDecoder().decode(b, frame))
		rows, skipped := spikes.ParseRows(u.Outputs)
		if len(skipped) > 0 {
			b.Fatal(skipped)
		}
		u.Outputs, u.Raw, u.Rows = nil, nil, rows
		b.ReportAllocs()
		for b.Loop() {
			br.OnJointState(JointSample{Names: names, Positions: []float64{0.1, -0.2}})
			br.handleCycle(&u)
		}
		if robot.points == 0 {
			b.Fatal("no trajectory was shaped")
		}
	})
	b.Run("path", func(b *testing.B) {
		br := newBridge()
		robot := &signalRobot{published: make(chan struct{}, 1)}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() { _ = br.Run(ctx, nopBrain{}, robot) }()
		w := newWireDecoder()
		b.SetBytes(int64(len(frame)))
		b.ReportAllocs()
		for b.Loop() {
			br.OnJointState(JointSample{Names: names, Positions: []float64{0.1, -0.2}})
			br.OnCycle(cycleOf(b, w.decode(b, frame)))
			<-robot.published
		}
	})
}

type nopBrain struct{}

func (nopBrain) SendChunk(brain.Chunk) error      { return nil }
func (nopBrain) SendState(brain.RobotState) error { return nil }
func (nopBrain) SendReward(brain.Reward) error    { return nil }

// stampRobot keeps when each PublishTrajectory returned; the cycle it was
// for is the one OnCycleDone reports next, on the same goroutine.
type stampRobot struct {
	discardRobot
	returned time.Time
}

func (s *stampRobot) PublishTrajectory(t *Trajectory) error {
	_ = s.discardRobot.PublishTrajectory(t)
	s.returned = time.Now()
	return nil
}

// shareHandler hands the session's events to the bridge and keeps, per
// cycle, when its packet was read and when the session had parsed it.
type shareHandler struct {
	br   *Bridge
	mu   sync.Mutex
	read map[int64][2]time.Time
}

func (h *shareHandler) OnNeed(n brain.Need) { h.br.OnNeed(n) }
func (h *shareHandler) OnLink(l brain.Link) { h.br.OnLink(l) }
func (h *shareHandler) OnCycle(c brain.CycleUpdate) {
	h.mu.Lock()
	h.read[c.Cycle] = [2]time.Time{c.Read, c.At}
	h.mu.Unlock()
	h.br.OnCycle(c)
}

// BenchmarkShareLoopback is the latency distribution of the node's share
// against the local brain on loopback at 50 cycles/s: a real
// brain.Session (the library's client, its goroutines) and the bridge with
// a Commander that publishes nothing, from the Engine.IO packet's read
// (CycleUpdate.Read) to PublishTrajectory returning. The experiment runs
// once whatever b.N is (AB_SHARE_CYCLES cycles, 5,000 unless set).
func BenchmarkShareLoopback(b *testing.B) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	cycles := 5000
	if n, err := fmt.Sscan(os.Getenv("AB_SHARE_CYCLES"), &cycles); n != 1 || err != nil {
		cycles = 5000
	}
	srv, err := localbrain.New(localbrain.Config{Addr: "127.0.0.1:0", CycleInterval: 20 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	client, err := brain.NewClient(brain.Config{BaseURL: srv.URL() + "/api"})
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg, _ := shareSetup(b)
	ct, err := client.Contract(ctx, "demo")
	if err != nil {
		b.Fatal(err)
	}
	type done struct {
		cycle int64
		at    time.Time
	}
	dones := make(chan done, cycles+100)
	robot := &stampRobot{}
	h := &shareHandler{read: map[int64][2]time.Time{}}
	h.br, err = New(Config{Joints: cfg.Joints, Inputs: cfg.Inputs, Mapping: cfg.Mapping, Trajectory: cfg.Trajectory, Contract: ct,
		OnCycleDone: func(r CycleReport) {
			if r.Published {
				dones <- done{r.Cycle, robot.returned}
			}
		}})
	if err != nil {
		b.Fatal(err)
	}
	names := []string{cfg.Joints[0].Name, cfg.Joints[1].Name}
	go func() { // joint_states at 200 Hz
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				h.br.OnJointState(JointSample{Names: names, Positions: []float64{0.1, -0.2}})
			}
		}
	}()
	run, err := client.Start(ctx, "demo", nil)
	if err != nil {
		b.Fatal(err)
	}
	url, ns := client.RealtimeEndpoint(run)
	sess, err := brain.Dial(ctx, brain.SessionConfig{URL: url, Namespace: ns, RunID: run.RunID, Handler: h})
	if err != nil {
		b.Fatal(err)
	}
	defer sess.Close()
	go func() { _ = h.br.Run(ctx, sess, robot) }()

	b.ResetTimer()
	// share: Read → Publish returned; session: Read → At (the decode, the
	// hop to the library's event goroutine unless the update went direct,
	// the session's parse);
	// bridge: At → Publish returned (the hop to Run, handleCycle).
	var share, session, bridge []float64
	timeout := time.After(time.Duration(cycles)*20*time.Millisecond + time.Minute)
	for len(share) < cycles {
		select {
		case d := <-dones:
			h.mu.Lock()
			st := h.read[d.cycle]
			delete(h.read, d.cycle)
			h.mu.Unlock()
			if read, at := st[0], st[1]; !read.IsZero() {
				share = append(share, float64(d.at.Sub(read).Nanoseconds())/1e3)
				session = append(session, float64(at.Sub(read).Nanoseconds())/1e3)
				bridge = append(bridge, float64(d.at.Sub(at).Nanoseconds())/1e3)
			}
		case <-timeout:
			b.Fatalf("%d of %d cycles published", len(share), cycles)
		}
	}
	b.StopTimer()
	q := func(xs []float64, f float64) float64 {
		slices.Sort(xs)
		return xs[min(len(xs)-1, int(math.Floor(f*float64(len(xs)))))]
	}
	b.ReportMetric(q(share, 0.50), "p50-µs")
	b.ReportMetric(q(share, 0.90), "p90-µs")
	b.ReportMetric(q(share, 0.99), "p99-µs")
	b.ReportMetric(share[len(share)-1], "max-µs")
	b.ReportMetric(q(session, 0.50), "session-p50-µs")
	b.ReportMetric(q(session, 0.99), "session-p99-µs")
	b.ReportMetric(q(bridge, 0.50), "bridge-p50-µs")
	b.ReportMetric(q(bridge, 0.99), "bridge-p99-µs")
	b.ReportMetric(float64(len(share)), "cycles")
}
