package reach

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/bridge"
	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/contract"
	"github.com/abbridge/ab_bridge/internal/policy"
	"github.com/abbridge/ab_bridge/internal/sensor"
)

// TargetTopic is the policy topic the task publishes its target on.
const TargetTopic = "reach_target"

// Task is one reaching run.
type Task struct {
	// BrainURL is the brain's REST base (with or without /api).
	BrainURL string
	APIKey   string
	Project  string
	// Config is the node's configuration: joints, inputs, mapping and
	// trajectory are used as the node would; its policies are not (the
	// task has its own, with its target).
	Config *config.Config
	Seed   uint64
	// Target and Start are positions of the configured joints, in order.
	Target, Start []float64
	Cycles        int
	Learning      bool
	// RealTime runs the brain's cycles on its clock instead of in
	// lock-step (the throughput benchmark).
	RealTime bool
	// (optional) Defaults to discarding.
	Logger *slog.Logger
}

// Result is what one task measured, one entry per cycle's reward.
type Result struct {
	Seed      uint64
	Learning  bool
	Target    []float64
	Rewards   []float64 // global reward sent at each cycle
	Distances []float64 // distance to the target when it was computed
	Elapsed   time.Duration
}

// FinalDistance is the distance to the target at the last reward.
func (r Result) FinalDistance() float64 {
	if len(r.Distances) == 0 {
		return math.NaN()
	}
	return r.Distances[len(r.Distances)-1]
}

// rewardPolicy is the task's reward: the shipped demo policy's joint_target
// numbers, its target read from TargetTopic.
func rewardPolicy(joints []string) string {
	return fmt.Sprintf(`global:
  combine: mean
  components:
    - joint_target:
        target_topic: %s
        joints: [%s]
        success_distance: 0.05
        min_improvement: 0.0
        success: 1.0
        improved: 0.6
        otherwise: 0.4
`, TargetTopic, joinNames(joints))
}

// deviationPolicy is the shipped demo deviation with the task's target:
// the first joint's error on every feedback input of the contract.
func deviationPolicy(ct *contract.Contract, joint string) string {
	if len(ct.IO.Feedback) == 0 {
		return "{}"
	}
	out := "feedback:\n"
	for _, fb := range ct.IO.Feedback {
		out += fmt.Sprintf("  %s:\n    joint_error:\n      joint: %s\n      target_topic: %s\n      range: 1.0\n      shape: constant\n", fb.ID, joint, TargetTopic)
	}
	return out
}

func joinNames(names []string) string {
	out := ""
	for i, n := range names {
		if i > 0 {
			out += ", "
		}
		out += n
	}
	return out
}

// Run runs one task to its last cycle.
func Run(ctx context.Context, t Task) (Result, error) {
	res := Result{Seed: t.Seed, Learning: t.Learning, Target: slices.Clone(t.Target)}
	log := logOf(t)
	names := make([]string, len(t.Config.Joints))
	for i, j := range t.Config.Joints {
		names[i] = j.Name
	}
	if len(t.Target) != len(names) || len(t.Start) != len(names) {
		return res, fmt.Errorf("reach: %d joints, but a target of %d and a start of %d", len(names), len(t.Target), len(t.Start))
	}
	client, err := brain.NewClient(brain.Config{BaseURL: t.BrainURL, APIKey: t.APIKey, Logger: log})
	if err != nil {
		return res, err
	}
	defer client.Close()
	ct, err := client.Start(ctx, t.Project, map[string]any{"lockStep": !t.RealTime, "learning": t.Learning, "seed": float64(t.Seed)})
	if err != nil {
		return res, fmt.Errorf("reach: start: %w", err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = client.Stop(stopCtx, t.Project, ct.RunID)
	}()
	br, a, err := newBridge(t, ct, names, log)
	if err != nil {
		return res, err
	}
	defer br.Close()
	return drive(ctx, t, client, ct, br, a, res)
}

// logOf is the task's logger, discarding when it has none.
func logOf(t Task) *slog.Logger {
	if t.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return t.Logger
}

// newBridge builds the bridge the node would, with the task's policies and
// inputs the kinematic arm can answer.
func newBridge(t Task, ct *contract.Contract, names []string, log *slog.Logger) (*bridge.Bridge, *arm, error) {
	reward, err := policy.ParseReward("(reach reward)", []byte(rewardPolicy(names)), ct, policy.WithLogger(log))
	if err != nil {
		return nil, nil, err
	}
	deviation, err := policy.ParseDeviation("(reach deviation)", []byte(deviationPolicy(ct, names[0])), ct, policy.WithLogger(log))
	if err != nil {
		return nil, nil, err
	}
	var inputs []config.Input
	var cameras []string
	for _, in := range t.Config.Inputs {
		switch in.Kind {
		case contract.KindImage:
			in.Type, in.MaxAge = config.TypeCompressedImage, 0
			cameras = append(cameras, in.ID)
		case contract.KindAudio:
			continue // no microphone on the model: those needs go unanswered
		}
		inputs = append(inputs, in)
	}
	a := newArm(names, t.Start, t.Config.Trajectory.CycleDuration)
	br, err := bridge.New(bridge.Config{Joints: t.Config.Joints, Inputs: inputs, Mapping: t.Config.Mapping,
		Trajectory: t.Config.Trajectory, StateRate: t.Config.State.RateHz, Contract: ct, Logger: log,
		Reward: reward, Deviation: deviation})
	if err != nil {
		return nil, nil, err
	}
	a.feed = br.OnJointState
	var sinks []func(sensor.CompressedImage)
	for _, id := range cameras {
		sink, err := br.CompressedImageSink(id)
		if err != nil {
			br.Close()
			return nil, nil, err
		}
		sinks = append(sinks, sink)
	}
	target := bridge.JointSample{Names: names, Positions: slices.Clone(t.Target)}
	a.onMove = func() {
		// Published with every move, so that it never ages.
		target.Stamp = time.Now()
		br.OnSignalJointState(TargetTopic, target)
	}
	frame := fixedFrame()
	a.showCamera = func() {
		for _, sink := range sinks {
			sink(sensor.CompressedImage{Format: "jpeg", Data: frame})
		}
	}
	a.advance()
	return br, a, nil
}

// drive runs the bridge against the run until Cycles rewards are sent.
func drive(ctx context.Context, t Task, client *brain.Client, ct *contract.Contract, br *bridge.Bridge, a *arm, res Result) (Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rec := &recorder{arm: a, target: t.Target, limit: t.Cycles, done: cancel, sent: make(chan struct{})}
	url, ns := client.RealtimeEndpoint(ct)
	began := time.Now()
	h := &stepper{Bridge: br, arm: a, rec: rec, ctx: ctx}
	sess, err := brain.Dial(ctx, brain.SessionConfig{URL: url, Namespace: ns, APIKey: t.APIKey, RunID: ct.RunID, Handler: h, Logger: logOf(t)})
	if err != nil {
		return res, fmt.Errorf("reach: realtime: %w", err)
	}
	defer sess.Close()
	rec.Brain = sess
	if err := br.Run(ctx, rec, a); err != nil && !errors.Is(err, context.Canceled) {
		return res, err
	}
	res.Elapsed = time.Since(began)
	res.Rewards, res.Distances = rec.results()
	if len(res.Rewards) < t.Cycles {
		return res, fmt.Errorf("reach: %d of %d cycles before the end: %w", len(res.Rewards), t.Cycles, context.Cause(ctx))
	}
	return res, nil
}

// stepper is the session's handler: before the bridge answers cycle n's
// needs, the arm runs cycle n−1's trajectory, once cycle n−1's reward is
// out (so that the reward scores the motion before, as on a real arm, and
// the needs see the motion after).
type stepper struct {
	*bridge.Bridge
	arm  *arm
	rec  *recorder
	ctx  context.Context
	once sync.Once
}

// rewardWait bounds how long a need waits for the previous cycle's reward:
// a cycle the bridge dropped sends none.
const rewardWait = 2 * time.Second

// cameraSettle is how long the first need waits for the camera frame to be
// encoded (a JPEG passed through: microseconds) before the bridge answers.
const cameraSettle = 100 * time.Millisecond

func (s *stepper) OnNeed(n brain.Need) {
	if n.Cycle > 1 {
		s.rec.waitReward(s.ctx, n.Cycle-1, rewardWait)
	}
	s.once.Do(func() {
		// Once, when the link is up: the bridge sends no frame received
		// before it, and one fixed frame (max_age 0) never ages after.
		s.arm.showCamera()
		time.Sleep(cameraSettle)
	})
	s.arm.advance()
	s.Bridge.OnNeed(n)
}

// recorder is the bridge's Brain port: it keeps each reward sent and the
// distance it was computed at, and ends the task at its limit.
type recorder struct {
	bridge.Brain
	arm    *arm
	target []float64
	limit  int
	done   context.CancelFunc

	mu        sync.Mutex
	rewards   []float64
	distances []float64
	lastCycle int64
	sent      chan struct{} // closed and replaced at every reward
}

// waitReward returns once the reward of cycle c (or a later one) is sent,
// or after wait.
func (r *recorder) waitReward(ctx context.Context, c int64, wait time.Duration) {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		r.mu.Lock()
		done, sig := r.lastCycle >= c, r.sent
		r.mu.Unlock()
		if done {
			return
		}
		select {
		case <-sig:
		case <-timer.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

func (r *recorder) SendReward(w brain.Reward) error {
	pos, _ := r.arm.state()
	var d float64
	for i, p := range pos {
		d += (p - r.target[i]) * (p - r.target[i])
	}
	r.mu.Lock()
	if len(r.rewards) < r.limit {
		r.rewards = append(r.rewards, w.Global)
		r.distances = append(r.distances, math.Sqrt(d))
	}
	full := len(r.rewards) >= r.limit
	r.mu.Unlock()
	err := r.Brain.SendReward(w)
	r.mu.Lock()
	r.lastCycle = max(r.lastCycle, w.Cycle)
	close(r.sent)
	r.sent = make(chan struct{})
	r.mu.Unlock()
	if full {
		r.done()
	}
	return err
}

func (r *recorder) results() ([]float64, []float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.rewards), slices.Clone(r.distances)
}

// fixedFrame is the one frame the model's camera shows: mid gray.
func fixedFrame() []byte {
	img := image.NewGray(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = 128
	}
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, img, nil) // an in-memory encode of a valid image does not fail
	return buf.Bytes()
}
