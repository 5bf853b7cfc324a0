package bridge

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/clock"
	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/contract"
	"github.com/abbridge/ab_bridge/internal/policy"
	"github.com/abbridge/ab_bridge/internal/spikes"
)

// Config is what a Bridge is built from.
type Config struct {
	Joints     []config.Joint
	Inputs     []config.Input
	Mapping    []spikes.MappingEntry
	Trajectory config.Trajectory
	StateRate  float64 // robot:state per second; 0 = off
	Contract   *contract.Contract
	Logger     *slog.Logger
	// Reward and Deviation are the run's policies, validated against
	// Contract; nil sends the neutral signals (reward 0.5, zero deviations).
	Reward    *policy.RewardPolicy
	Deviation *policy.DeviationPolicy

	// Gripper and Base (optional) are the command outputs besides the
	// trajectory (commands.go); nil leaves their channels unpublished.
	Gripper *config.Gripper
	Base    *config.Base
	// Clock (optional) stamps every sample received and measures every
	// age, max_age, max_state_age and policy timeout against it, and the
	// robot:state dt. Defaults to the wall clock; the node gives a
	// clock.Sim fed by /clock with use_sim_time. The brain's own timings
	// (need deadlines, the link's times) stay on the wall: the brain is a
	// network peer that runs on wall time.
	Clock clock.Clock
	// OnCycleDone, when set, is called on the bridge goroutine after each
	// cycle:update has been handled and its reward sent (tests and the
	// demo's console output).
	OnCycleDone func(CycleReport)
}

// CycleReport says what one cycle:update became.
type CycleReport struct {
	Cycle     int64
	Rows      int
	Published bool
	Target    []float64 // last point's positions, when published
	Reward    float64   // the global reward computed after the cycle
}

// Bridge connects one robot to one brain run. Build it with New, feed it
// with the On* callbacks, and run it with Run. The ports come with Run, so
// that the bridge can be the realtime session's handler before the session
// (its own Brain port) exists; events that arrive before Run wait in the
// queue.
type Bridge struct {
	base     Config // as given to New; never changed
	conf     Config // the current run's; owned by the bridge goroutine
	brain    Brain
	cmd      Commander
	log      *slog.Logger
	joints   *jointStore
	inputs   map[string]*inputState
	shaper   *shaper
	cmds     *commands
	learning *learning
	events   chan event
	adopt    chan *runParts
	linkSig  chan struct{}
	holds    chan string // OnDeviceHold's reasons (device.go)
	linkMu   sync.Mutex
	linkNext *brain.Link // newest link change not yet handled
	// learnNow is learning for the other goroutines (ROS callbacks,
	// statistics): a new run swaps learning on the bridge goroutine.
	learnNow atomic.Pointer[learning]
	hold     holdState
	paused   pause
	tune     chan func() // run-time settings (tune.go), run on the bridge goroutine
	tuned    tuning
	stats    counters
	warn     *rateLimiter
	clk      clock.Clock
	// noClock is set once the first sample arrived before the clock told
	// the time (sim time before /clock), so that it is said once.
	noClock   atomic.Bool
	lastState time.Time // on clk: when the previous robot:state went out

	// turn is held by whoever handles a hand-over: Run's loop, or OnCycle
	// handling a cycle in place (inplace.go). running says, under turn,
	// that Run's loop is up; handOvers counts events, runs and settings
	// handed to Run and not yet handled.
	turn      sync.Mutex
	running   bool
	handOvers atomic.Int64
}

type event struct {
	need   *brain.Need
	cycle  *brain.CycleUpdate
	device *deviceCycle // device.go
}

// eventQueue bounds the hand-over from the socket goroutine; when the bridge
// falls this far behind, newer events are dropped and counted.
const eventQueue = 64

// New checks the configuration against the run contract and builds a Bridge.
func New(conf Config) (*Bridge, error) {
	if conf.Contract == nil {
		return nil, errors.New("bridge: no contract")
	}
	if conf.Logger == nil {
		conf.Logger = slog.New(slog.DiscardHandler)
	}
	if conf.Clock == nil {
		conf.Clock = clock.Wall{}
	}
	names := make([]string, len(conf.Joints))
	for i, j := range conf.Joints {
		names[i] = j.Name
	}
	br := &Bridge{
		base:    conf,
		conf:    conf,
		log:     conf.Logger,
		joints:  newJointStore(names),
		events:  make(chan event, eventQueue),
		linkSig: make(chan struct{}, 1),
		holds:   make(chan string, 1),
		paused:  pause{sig: make(chan struct{}, 1)},
		adopt:   make(chan *runParts),
		tune:    make(chan func()),
		warn:    newRateLimiter(5 * time.Second),
		clk:     conf.Clock,
	}
	var err error
	// Learning first: it opens nothing, so failing here leaks nothing.
	if br.learning, err = newLearning(conf); err != nil {
		return nil, err
	}
	br.learnNow.Store(br.learning)
	if br.inputs, err = newInputs(conf, names); err != nil {
		return nil, err
	}
	if br.shaper, err = newShaper(conf, names); err != nil {
		return nil, err
	}
	br.cmds = newCommands(conf, br.shaper.dec.Channels())
	if unused := br.cmds.unpublished(br.shaper.unused); len(unused) > 0 {
		// Say so once rather than let such a mapping look like it works.
		br.log.Warn("mapping channels decoded but not published: joint:<i>, gripper/dg (with a gripper section) and wheel:left|right, base:linear|angular (with a base section) are",
			"channels", unused)
	}
	return br, nil
}

// OnJointState takes a joint_states sample. Called on the ROS executor: it
// never waits on anything but a short lock.
func (b *Bridge) OnJointState(m JointSample) {
	now, ok := b.received()
	if !ok {
		return
	}
	if g := b.cmds.gripper; g != nil {
		g.observe(m, now)
	}
	if err := b.joints.update(m, now); err != nil {
		b.stats.badJointStates.Add(1)
		b.warnf("bad_joint_state", "joint_states rejected", "err", err)
	}
}

// received is the receipt time of a sample, on the bridge's clock; ok is
// false while the clock does not tell the time (sim time before the first
// /clock): such a sample is dropped, since no age could ever be measured
// from it, so nothing is measured and nothing moves until /clock arrives.
func (b *Bridge) received() (now time.Time, ok bool) {
	now = b.clk.Now()
	if now.IsZero() {
		if !b.noClock.Swap(true) {
			b.log.Warn("sim time unknown: no /clock message yet; samples are ignored and nothing is commanded until one arrives")
		}
		return now, false
	}
	return now, true
}

// OnNeed takes an io:need. Called on the socket goroutine.
func (b *Bridge) OnNeed(n brain.Need) { b.enqueue(event{need: &n}) }

// OnCycle takes a cycle:update. Called on the socket goroutine, which
// handles it there and then when nothing else waits for the bridge
// goroutine or runs on it (inplace.go).
func (b *Bridge) OnCycle(c brain.CycleUpdate) {
	if !b.cycleInPlace(&c) {
		b.enqueue(event{cycle: &c})
	}
}

// OnLink takes a change of the brain link. Called on the session's
// goroutines. Never dropped, since a lost link must hold the arm: the
// newest change waits for the bridge goroutine, whatever the event queue
// holds.
func (b *Bridge) OnLink(l brain.Link) {
	b.linkMu.Lock()
	b.linkNext = &l
	b.linkMu.Unlock()
	select {
	case b.linkSig <- struct{}{}:
	default:
	}
}

func (b *Bridge) takeLink() (brain.Link, bool) {
	b.linkMu.Lock()
	defer b.linkMu.Unlock()
	l := b.linkNext
	b.linkNext = nil
	if l == nil {
		return brain.Link{}, false
	}
	return *l, true
}

func (b *Bridge) enqueue(e event) {
	b.handOvers.Add(1)
	select {
	case b.events <- e:
	default:
		b.handOvers.Add(-1)
		b.stats.droppedEvents.Add(1)
		b.warnf("queue_full", "bridge is behind: brain event dropped")
	}
}

// Run handles brain events and streams robot:state until ctx ends. Only one
// Run may be active at a time.
func (b *Bridge) Run(ctx context.Context, brain Brain, cmd Commander) error {
	b.turn.Lock()
	b.brain, b.cmd, b.running = brain, cmd, true
	b.turn.Unlock()
	defer func() {
		b.turn.Lock()
		b.running = false
		b.turn.Unlock()
	}()
	var tick <-chan time.Time
	if b.conf.StateRate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / b.conf.StateRate))
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case p := <-b.adopt:
			b.handOver(func() { b.switchRun(p) })
		case f := <-b.tune:
			b.handOver(f)
		case <-b.paused.sig:
			b.inTurn(b.holdIfPaused)
		case <-b.linkSig:
			if l, ok := b.takeLink(); ok {
				b.inTurn(func() { b.onLink(l) })
			}
		case why := <-b.holds:
			b.inTurn(func() { b.holdArm(why) })
		case e := <-b.events:
			b.turn.Lock()
			b.handle(e)
			b.handOvers.Add(-1)
			b.turn.Unlock()
		case <-tick:
			b.turn.Lock()
			b.sendState()
			b.turn.Unlock()
		}
	}
}

// handle runs one event on the bridge's turn.
func (b *Bridge) handle(e event) {
	switch {
	case e.need != nil:
		b.answerNeed(e.need)
	case e.cycle != nil:
		b.cycle(e.cycle)
	case e.device != nil:
		report := b.handleDeviceCycle(e.device)
		report.Reward = b.learnAfter(e.device.cycle)
		if b.conf.OnCycleDone != nil {
			b.conf.OnCycleDone(report)
		}
	}
}

// cycle handles a cycle:update and the learning signals after it.
func (b *Bridge) cycle(c *brain.CycleUpdate) {
	report := b.handleCycle(c)
	report.Reward = b.learn(c)
	if b.conf.OnCycleDone != nil {
		b.conf.OnCycleDone(report)
	}
}

func (b *Bridge) sendState() {
	if b.hold.linkDown || b.hold.awaitNeed {
		return // no brain, or one that may not know the run: nobody to tell
	}
	n := len(b.conf.Joints)
	q, dq := make([]float64, n), make([]float64, n)
	oldest, ok := b.joints.sample(q)
	if !ok || b.stale(oldest) != "" || oldest.Before(b.hold.since) {
		return // nothing measured, or nothing measured lately: nothing to tell
	}
	b.joints.velocities(dq)
	// dt is the time between two states on the bridge's clock (sim time
	// runs slower or faster than the ticker), the nominal period for the
	// first one or when that clock stood still.
	now := b.clk.Now()
	dt := 1 / b.conf.StateRate
	if !b.lastState.IsZero() && now.After(b.lastState) {
		dt = now.Sub(b.lastState).Seconds()
	}
	st := brain.RobotState{Q: q, DQ: dq, DT: dt}
	if err := b.brain.SendState(st); err != nil {
		b.stats.droppedStates.Add(1)
		return
	}
	b.stats.states.Add(1)
	b.lastState = now
}

// warnf logs at most one line per kind per interval, saying how many were
// suppressed in between.
func (b *Bridge) warnf(kind, msg string, args ...any) {
	if n, ok := b.warn.allow(kind); ok {
		if n > 0 {
			args = append(args, "suppressed", n)
		}
		b.log.Warn(msg, append(args, "kind", kind)...)
	}
}
