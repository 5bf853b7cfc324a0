package policybridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/bridge"
	"github.com/abbridge/ab_bridge/internal/spikes"
)

// Robot is what the policy side needs of the bridge.
type Robot interface {
	SensedJoints(dst []float64) (why string, ok bool)
	SensedGripper() (float64, bool)
	DeviceSamples(ctx context.Context, samples []bridge.DeviceSample) error
	DeviceAccepted(ids []string)
	OnDeviceTargets(cycle int64, steps []map[string]float64)
	OnDeviceSteps(cycle int64, steps []map[string]float64)
	OnDeviceHold(reason string)
}

// Policy is what the runner needs of the policy server.
type Policy interface {
	PredictActionChunk(ctx context.Context, obs map[string]any) (any, error)
	SelectAction(ctx context.Context, obs map[string]any) (any, error)
	Reset(ctx context.Context) error
}

// Config sets up a Runner.
type Config struct {
	Policy Policy
	Plan   Plan
	// Joints are the bridge's arm joints in order (joint:<i> is Joints[i]);
	// Gripper the gripper joint's name, "" for none.
	Joints  []string
	Gripper string
	FPS     float64
	// StepsPerCycle actions make one trajectory (the bridge's gamma).
	StepsPerCycle int
	Threshold     float64 // request when at most this fraction of a chunk is left
	BlendOld      float64
	// MinInterval is the least time between two requests (0: none).
	MinInterval  time.Duration
	Absolute     bool // actions are targets (else deltas)
	SelectAction bool // one action per request instead of a chunk
	Task         string
	Logger       *slog.Logger
}

// Runner plays a policy into the bridge.
type Runner struct {
	conf  Config
	log   *slog.Logger
	task  atomic.Pointer[string]
	stats counters
	need  chan struct{}
	kick  chan time.Time // a chunk arrived while nothing played
	// nextTick is when play next pops actions (unix ns; 0 before the
	// first tick): infer times its requests to land just before it.
	nextTick atomic.Int64
	mu       sync.Mutex // guards q, obsAt, chunkLen, seen
	q        queue
	obsAt    map[int64]time.Time // chunk → when its observation was taken
	seen     int64               // the newest chunk that reached a command
	chunks   int64
	last     int  // the length of the last chunk taken
	idle     bool // the last cycle had nothing to play
	// channel per action dimension, "" for none
	channels      []string
	lastMalformed time.Time // infer's goroutine only
	lastNotReady  time.Time // infer's goroutine only
	// How long answers take, learned by infer's goroutine (answered).
	answerEst, answerDev time.Duration
}

// New checks the configuration against the plan.
func New(conf Config) (*Runner, error) {
	if conf.FPS <= 0 || conf.StepsPerCycle < 1 {
		return nil, errors.New("policybridge: fps and steps per cycle must be positive")
	}
	r := &Runner{conf: conf, log: conf.Logger, need: make(chan struct{}, 1), kick: make(chan time.Time, 1),
		obsAt: map[int64]time.Time{}, idle: true}
	if r.log == nil {
		r.log = slog.Default()
	}
	for _, name := range conf.Plan.ActionDims {
		switch i := slices.Index(conf.Joints, name); {
		case name == "":
			r.channels = append(r.channels, "")
		case i >= 0:
			r.channels = append(r.channels, spikes.JointChannelPrefix+strconv.Itoa(i))
		case name == conf.Gripper:
			r.channels = append(r.channels, spikes.GripperChannel)
		default:
			return nil, fmt.Errorf("policybridge: action dimension %q is no joint of the bridge", name)
		}
	}
	r.SetTask(conf.Task)
	return r, nil
}

// SetTask replaces the instruction sent from the next observation on.
func (r *Runner) SetTask(task string) { r.task.Store(&task) }

// Task is the instruction in effect.
func (r *Runner) Task() string { return *r.task.Load() }

// Stats are the counters so far.
func (r *Runner) Stats() Stats { return r.stats.snapshot() }

// Cycle is one trajectory's duration: StepsPerCycle actions.
func (r *Runner) Cycle() time.Duration {
	return time.Duration(float64(r.conf.StepsPerCycle) / r.conf.FPS * float64(time.Second))
}

// Reset asks the policy to reset and forgets what is queued: a new
// episode starts from the robot as it is.
func (r *Runner) Reset(ctx context.Context) error {
	r.mu.Lock()
	r.q.clear()
	r.mu.Unlock()
	return r.conf.Policy.Reset(ctx)
}

// Run plays the policy until ctx ends, or a fatal answer (a wrong key, a
// policy that does not exist) ends it with that error.
func (r *Runner) Run(ctx context.Context, robot Robot) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); r.play(ctx, robot) }()
	err := r.infer(ctx, robot)
	cancel()
	wg.Wait()
	return err
}

// play pops one cycle's actions per cycle and hands them to the bridge.
// A chunk that arrives while nothing plays is played at once (kick) and
// the cycle clock restarts from then: waiting for the next tick would add
// up to a cycle to the observation → command latency for nothing.
func (r *Runner) play(ctx context.Context, robot Robot) {
	t := time.NewTicker(r.Cycle())
	defer t.Stop()
	var cycle int64
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-r.kick:
			t.Reset(r.Cycle())
			cycle++
			r.nextTick.Store(now.Add(r.Cycle()).UnixNano())
			r.playOne(cycle, now, robot)
		case now := <-t.C:
			cycle++
			r.nextTick.Store(now.Add(r.Cycle()).UnixNano())
			r.playOne(cycle, now, robot)
		}
	}
}

func (r *Runner) playOne(cycle int64, now time.Time, robot Robot) {
	r.mu.Lock()
	acts := r.q.pop(r.conf.StepsPerCycle)
	left := r.q.len()
	for _, a := range acts {
		if a.chunk > r.seen {
			r.seen = a.chunk
			if at, ok := r.obsAt[a.chunk]; ok {
				r.stats.latency(now.Sub(at))
			}
			for c := range r.obsAt {
				if c <= a.chunk {
					delete(r.obsAt, c)
				}
			}
		}
	}
	threshold := int(math.Floor(r.conf.Threshold * float64(r.last)))
	r.mu.Unlock()
	if left <= threshold {
		r.askForMore()
	}
	if len(acts) == 0 {
		r.stats.starved.Add(1)
		r.mu.Lock()
		r.idle = true
		r.mu.Unlock()
		return
	}
	steps := make([]map[string]float64, len(acts))
	for t, a := range acts {
		st := make(map[string]float64, len(r.channels))
		for d, ch := range r.channels {
			if ch != "" && d < len(a.values) {
				st[ch] = a.values[d]
			}
		}
		steps[t] = st
	}
	r.stats.actions.Add(int64(len(acts)))
	if r.conf.Absolute {
		robot.OnDeviceTargets(cycle, steps)
	} else {
		robot.OnDeviceSteps(cycle, steps)
	}
}

func (r *Runner) askForMore() {
	select {
	case r.need <- struct{}{}:
	default:
	}
}

// A policy takes no reward and no robot:state: the bridge's calls for
// them (it makes them for every brain) have nowhere to go.
func (r *Runner) SendReward(brain.Reward) error    { return nil }
func (r *Runner) SendState(brain.RobotState) error { return nil }
func (r *Runner) SendChunk(brain.Chunk) error      { return errNoChunks }

var errNoChunks = errors.New("policybridge: a policy takes its camera frames in the observation, not as chunks")
