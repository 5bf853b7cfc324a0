package diagnostics

import (
	"fmt"
	"strings"
	"time"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/bridge"
)

// Thresholds, each documented where it decides a level.
const (
	// DefaultPeriod is how often diagnostics are published: 1 Hz, what
	// diagnostic_updater publishes at and diagnostic_aggregator expects.
	DefaultPeriod = time.Second
	// DefaultLostError is how long the brain may stay lost before the link
	// is an ERROR rather than a WARN: the session's backoff redials every
	// 1 to 5 s, so two or three failed dials mean more than a blip.
	DefaultLostError = 10 * time.Second
	// slowCycles: a brain cycling at less than this share of the rate
	// trajectory.cycle_duration is tuned for leaves the arm at rest between
	// trajectories (each ends at rest stop_time after its cycle).
	slowCycles = 0.5
)

// MonitorConf is what a Monitor is built from.
type MonitorConf struct {
	// Node is the node's name (without namespace): every status is named
	// "<Node>: <component>", as diagnostic_updater names its tasks.
	Node string
	// Robot is the hardware_id of the robot-side statuses (inputs,
	// commands): the node's namespace, which tells robots of a fleet apart.
	Robot string
	// BrainURL is the hardware_id of the brain-side statuses (link, cycles,
	// learning), already redacted (see RedactURL).
	BrainURL string
	// CycleDuration is trajectory.cycle_duration: the expected cycle period.
	CycleDuration time.Duration
	// Silence is the session's silence window (brain.lost_after_cycles ×
	// cycle_duration): a component with no brain activity for that long is
	// STALE, as the session itself then counts the brain as lost.
	Silence time.Duration
	// LostError is how long the link may be down before it is an ERROR.
	// Defaults to DefaultLostError.
	LostError time.Duration
	// Policies says which policies are loaded, for the learning status.
	Policies string
	// Start is when the node started; counters are zero then.
	Start time.Time
	// Device: the brain is a Prima-Lux device (brain.kind primalux). The
	// brain link is then its output stream, the inputs are judged by the
	// sensor frames it accepts (it sends no io:need), cycles are its output
	// cycles, and a sixth status carries the device's own counters
	// (Sample.Device).
	Device bool
	// Policy: the brain is a RoboActions policy (brain.kind roboactions).
	// The brain link is then the policy server, the inputs are judged by
	// the observations it answers, and a sixth status carries the policy
	// side's counters (Sample.Policy).
	Policy bool
}

// Sample is everything the statuses are made of, read at one instant.
type Sample struct {
	At       time.Time
	Link     LinkState
	Refused  error  // the session's refusal (it stays down for good), or nil
	Run      string // the run the node serves
	Bridge   bridge.Stats
	Session  brain.SessionStats
	Inputs   []bridge.InputStats
	Learning bridge.LearningStats
	Device   Device // with MonitorConf.Device only
	Policy   Policy // with MonitorConf.Policy only
}

// Monitor turns successive samples into statuses: levels from what changed
// since the previous sample, figures as totals since start. It is owned by
// one goroutine.
type Monitor struct {
	conf       MonitorConf
	prev       Sample
	lastCycle  time.Time // when the cycle count last grew (Start before)
	lastNeed   time.Time // the device path: the last accepted sensor frame
	lastFrame  time.Time // the device path: when output frames last came
	prevInputs map[string]bridge.InputStats
}

// NewMonitor builds a Monitor whose first sample is compared with zero
// counters at conf.Start.
func NewMonitor(conf MonitorConf) *Monitor {
	if conf.LostError <= 0 {
		conf.LostError = DefaultLostError
	}
	return &Monitor{conf: conf, prev: Sample{At: conf.Start}, lastCycle: conf.Start, lastNeed: conf.Start,
		lastFrame: conf.Start, prevInputs: map[string]bridge.InputStats{}}
}

// delta is what one period added to the counters.
type delta struct {
	dt time.Duration
	b  bridge.Stats
	s  brain.SessionStats // only the scalar counters
	l  bridge.LearningStats
}

// Update diagnoses one sample: one status per component, in a fixed order
// (link, cycles, inputs, commands, learning, and the device on that path).
func (m *Monitor) Update(s Sample) []Status {
	if m.conf.Device {
		dv := s.Device
		s.Link = LinkState{Up: dv.StreamUp, Joined: dv.StreamConnected, Run: s.Run, Reason: dv.StreamLoss, Since: dv.StreamSince}
	}
	if m.conf.Policy {
		pl := s.Policy
		s.Link = LinkState{Up: pl.answered() && !pl.Lost, Joined: pl.answered(), Run: s.Run, Reason: pl.LastError, Since: pl.Since}
	}
	d := m.delta(s)
	if d.b.Cycles > 0 {
		m.lastCycle = s.At
	}
	if d.b.Needs > 0 || (m.conf.Device && s.Device.SensorFrames > m.prev.Device.SensorFrames) ||
		(m.conf.Policy && s.Policy.Chunks > m.prev.Policy.Chunks) {
		m.lastNeed = s.At
	}
	if s.Device.OutputFrames > m.prev.Device.OutputFrames {
		m.lastFrame = s.At
	}
	out := []Status{m.link(s, d), m.cycles(s, d), m.inputs(s, d), m.commands(s, d), m.learning(s, d)}
	if m.conf.Device {
		out = append(out, m.device(s))
	}
	if m.conf.Policy {
		out = append(out, m.policy(s))
	}
	m.prev = s
	for _, in := range s.Inputs {
		m.prevInputs[in.ID] = in
	}
	return out
}

func (m *Monitor) delta(s Sample) delta {
	p := m.prev
	b, pb := s.Bridge, p.Bridge
	l, pl := s.Learning, p.Learning
	return delta{
		dt: s.At.Sub(p.At),
		b: bridge.Stats{
			Needs: b.Needs - pb.Needs, Chunks: b.Chunks - pb.Chunks, LateNeeds: b.LateNeeds - pb.LateNeeds,
			MissingProvider: b.MissingProvider - pb.MissingProvider, StaleInputs: b.StaleInputs - pb.StaleInputs,
			FailedChunks: b.FailedChunks - pb.FailedChunks, Cycles: b.Cycles - pb.Cycles,
			Trajectories: b.Trajectories - pb.Trajectories, MalformedRows: b.MalformedRows - pb.MalformedRows,
			NoJointState: b.NoJointState - pb.NoJointState, FailedPublishes: b.FailedPublishes - pb.FailedPublishes,
			BadJointStates: b.BadJointStates - pb.BadJointStates, DroppedEvents: b.DroppedEvents - pb.DroppedEvents,
			Holds: b.Holds - pb.Holds, StaleJointStates: b.StaleJointStates - pb.StaleJointStates,
			CyclesWhileLost: b.CyclesWhileLost - pb.CyclesWhileLost, LimitClamps: b.LimitClamps - pb.LimitClamps,
		},
		s: brain.SessionStats{
			RewardClamps:  s.Session.RewardClamps - p.Session.RewardClamps,
			HandlerPanics: s.Session.HandlerPanics - p.Session.HandlerPanics,
		},
		l: bridge.LearningStats{
			Rewards: l.Rewards - pl.Rewards, FailedRewards: l.FailedRewards - pl.FailedRewards,
			BadSignals: l.BadSignals - pl.BadSignals, FeedbackRepaired: l.FeedbackRepaired - pl.FeedbackRepaired,
		},
	}
}

func (m *Monitor) status(component, hw string, v verdict, ok string, values []KeyValue) Status {
	return Status{Level: v.level, Name: m.conf.Node + ": " + component, Message: v.message(ok), HardwareID: hw, Values: values}
}

func (m *Monitor) stale(component, hw, msg string, values []KeyValue) Status {
	return Status{Level: Stale, Name: m.conf.Node + ": " + component, Message: msg, HardwareID: hw, Values: values}
}

// silent says since when the brain sent no cycle, when that is longer than
// the silence window; "" while cycles flow.
func (m *Monitor) silent(at time.Time, last time.Time, what string) string {
	if gap := at.Sub(last); gap >= m.conf.Silence {
		if last.Equal(m.conf.Start) {
			return fmt.Sprintf("no %s yet (%s since start)", what, round(gap))
		}
		return fmt.Sprintf("no %s for %s (silence window %s)", what, round(gap), m.conf.Silence)
	}
	return ""
}

// link: OK joined; WARN connecting or reconnecting; ERROR refused, or lost
// for LostError or more; STALE joined but no cycle:update for the silence
// window (the session is about to count the brain lost).
func (m *Monitor) link(s Sample, d delta) Status {
	if m.conf.Device {
		return m.deviceLink(s)
	}
	if m.conf.Policy {
		return m.policyLink(s)
	}
	ss := s.Session
	st, since := "joined", s.Link.Since
	var v verdict
	switch {
	case s.Refused != nil:
		st = "refused"
		v.add(Error, "refused by the brain: "+s.Refused.Error())
	case s.Link.Up:
	case !s.Link.Joined:
		st, since = "connecting", m.conf.Start
		if gap := s.At.Sub(m.conf.Start); gap >= m.conf.LostError {
			v.add(Error, fmt.Sprintf("not joined %s after start", round(gap)))
		} else {
			v.add(Warn, "connecting")
		}
	default:
		st = "reconnecting"
		if gap := s.At.Sub(since); gap >= m.conf.LostError {
			st = "lost"
			v.add(Error, fmt.Sprintf("lost for %s: %s", round(gap), s.Link.Reason))
		} else {
			v.add(Warn, "reconnecting: "+s.Link.Reason)
		}
	}
	var dropped int64
	for _, n := range ss.Dropped {
		dropped += n
	}
	values := []KeyValue{
		{"state", st}, {"run", s.Run}, {"url", m.conf.BrainURL},
		{"in state for (s)", secs(s.At.Sub(since))},
		{"last loss", s.Link.Reason},
		{"connects", itoa(ss.Connects)}, {"reconnects", itoa(ss.Reconnects)}, {"disconnects", itoa(ss.Disconnects)},
		{"silences", itoa(ss.Silences)}, {"runs gone", itoa(ss.RunsGone)}, {"server closes", itoa(ss.ServerCloses)},
		{"sends dropped while disconnected", itoa(dropped)},
	}
	if st == "joined" {
		if why := m.silent(s.At, later(m.lastCycle, s.Link.Since), "cycle:update since the join"); why != "" {
			return m.stale(ComponentLink, m.conf.BrainURL, "joined run "+s.Run+", but "+why, values)
		}
	}
	return m.status(ComponentLink, m.conf.BrainURL, v, "joined run "+s.Run, values)
}

// cycles: OK; WARN on late needs, dropped or malformed brain events,
// handler panics, or a cycle rate below slowCycles of the expected one;
// STALE when no cycle:update came for the silence window.
func (m *Monitor) cycles(s Sample, d delta) Status {
	b := s.Bridge
	rate := perSecond(d.b.Cycles, d.dt)
	expected := 0.0
	if m.conf.CycleDuration > 0 {
		expected = float64(time.Second) / float64(m.conf.CycleDuration)
	}
	values := []KeyValue{
		{"cycle rate (Hz)", fmt.Sprintf("%.1f", rate)}, {"expected rate (Hz)", fmt.Sprintf("%.1f", expected)},
		{"need rate (Hz)", fmt.Sprintf("%.1f", perSecond(d.b.Needs, d.dt))},
		{"cycles", itoa(b.Cycles)}, {"needs", itoa(b.Needs)}, {"chunks sent", itoa(b.Chunks)},
		{"late needs", itoa(b.LateNeeds)}, {"dropped events", itoa(b.DroppedEvents)},
		{"malformed rows", itoa(b.MalformedRows)}, {"handler panics", itoa(s.Session.HandlerPanics)},
	}
	if why := m.silent(s.At, m.lastCycle, m.cycleEvent()); why != "" {
		return m.stale(ComponentCycles, m.conf.BrainURL, why, values)
	}
	var v verdict
	if n := d.b.LateNeeds; n > 0 {
		v.add(Warn, fmt.Sprintf("%d io:need answered after their deadline", n))
	}
	if n := d.b.DroppedEvents; n > 0 {
		v.add(Warn, fmt.Sprintf("%d brain events dropped: the bridge is behind", n))
	}
	if n := d.b.MalformedRows; n > 0 {
		v.add(Warn, fmt.Sprintf("%d malformed cycle:update rows skipped", n))
	}
	if n := d.s.HandlerPanics; n > 0 {
		v.add(Warn, fmt.Sprintf("%d handler panics recovered", n))
	}
	// Judged only over a period the link was up for all of: the first
	// period after a join is partial.
	if s.Link.Up && !s.Link.Since.After(m.prev.At) && expected > 0 && rate < slowCycles*expected {
		v.add(Warn, fmt.Sprintf("brain cycles at %.1f Hz, below half the %.1f Hz trajectory.cycle_duration expects", rate, expected))
	}
	return m.status(ComponentCycles, m.conf.BrainURL, v, fmt.Sprintf("%.1f Hz", rate), values)
}

// inputs: OK; WARN when a need went unanswered (stale sample, oversize
// chunk, no input configured, send failed), a message was rejected, audio
// was dropped, or joint_states were rejected; STALE when the brain asked
// for nothing for the silence window.
func (m *Monitor) inputs(s Sample, d delta) Status {
	b := s.Bridge
	values := []KeyValue{
		{"needs", itoa(b.Needs)}, {"chunks sent", itoa(b.Chunks)}, {"stale", itoa(b.StaleInputs)},
		{"no input configured", itoa(b.MissingProvider)}, {"failed sends", itoa(b.FailedChunks)},
		{"bad joint_states", itoa(b.BadJointStates)},
	}
	var v verdict
	var stale, oversize, rejected, dropped []string
	for _, in := range s.Inputs {
		p := m.prevInputs[in.ID]
		values = append(values,
			KeyValue{in.ID + " sent", itoa(in.Sent)}, KeyValue{in.ID + " stale", itoa(in.Stale)},
			KeyValue{in.ID + " oversize", itoa(in.Oversize)})
		if in.Kind == "Image" || in.Kind == "Audio" {
			values = append(values, KeyValue{in.ID + " received", itoa(in.Received)},
				KeyValue{in.ID + " rejected", itoa(in.Rejected)})
		}
		if in.Kind == "Audio" {
			values = append(values, KeyValue{in.ID + " audio frames dropped", itoa(in.AudioDropped)})
		}
		stale = appendIf(stale, in.ID, in.Stale > p.Stale)
		oversize = appendIf(oversize, in.ID, in.Oversize > p.Oversize)
		rejected = appendIf(rejected, in.ID, in.Rejected > p.Rejected)
		dropped = appendIf(dropped, in.ID, in.AudioDropped > p.AudioDropped)
	}
	if m.conf.Device {
		dv, p := s.Device, m.prev.Device
		values = append(values, KeyValue{"sensor frames posted", itoa(dv.SensorFrames)},
			KeyValue{"sensor frames failed", itoa(dv.SensorFailures)}, KeyValue{"incomplete sensor frames", itoa(dv.IncompleteFrames)})
		if why := m.silent(s.At, m.lastNeed, "sensor frame accepted by the device"); why != "" {
			return m.stale(ComponentInputs, m.conf.Robot, why, values)
		}
		if n := dv.IncompleteFrames - p.IncompleteFrames; n > 0 {
			v.add(Warn, fmt.Sprintf("%d sensor frames incomplete (stale or missing samples left out)", n))
		}
		if n := dv.SensorFailures - p.SensorFailures; n > 0 {
			v.add(Warn, fmt.Sprintf("%d sensor frames not accepted by the device", n))
		}
	} else if m.conf.Policy {
		values = append(values, KeyValue{"observations answered", itoa(s.Policy.Chunks)},
			KeyValue{"observations not sent", itoa(s.Policy.NotReady)})
		if why := m.silent(s.At, m.lastNeed, "observation answered by the policy"); why != "" {
			return m.stale(ComponentInputs, m.conf.Robot, why, values)
		}
	} else if why := m.silent(s.At, m.lastNeed, "io:need"); why != "" {
		return m.stale(ComponentInputs, m.conf.Robot, why, values)
	}
	if len(stale) > 0 {
		v.add(Warn, "stale, not sent: "+strings.Join(stale, ", "))
	}
	if len(oversize) > 0 {
		v.add(Warn, "over max_bytes, not sent: "+strings.Join(oversize, ", "))
	}
	if len(rejected) > 0 {
		v.add(Warn, "messages rejected: "+strings.Join(rejected, ", "))
	}
	if len(dropped) > 0 {
		v.add(Warn, "audio dropped (more than max_duration between needs): "+strings.Join(dropped, ", "))
	}
	if n := d.b.MissingProvider; n > 0 {
		v.add(Warn, fmt.Sprintf("%d needs for inputs not configured", n))
	}
	if n := d.b.FailedChunks; n > 0 {
		v.add(Warn, fmt.Sprintf("%d io:chunk not sent (brain disconnected)", n))
	}
	if n := d.b.BadJointStates; n > 0 {
		v.add(Warn, fmt.Sprintf("%d joint_states rejected", n))
	}
	ok := fmt.Sprintf("%d chunks sent", d.b.Chunks)
	if m.conf.Device {
		ok = fmt.Sprintf("%d sensor frames accepted", s.Device.SensorFrames-m.prev.Device.SensorFrames)
	}
	if m.conf.Policy {
		ok = fmt.Sprintf("%d observations answered", s.Policy.Chunks-m.prev.Policy.Chunks)
	}
	return m.status(ComponentInputs, m.conf.Robot, v, ok, values)
}

// commands: OK; ERROR when a trajectory could not be published; WARN when
// cycles were not turned into motion (no joint_states, stale ones: the arm
// is held), a hold went out, or joint limits clamped positions; STALE when
// no cycle:update came for the silence window.
func (m *Monitor) commands(s Sample, d delta) Status {
	b := s.Bridge
	values := []KeyValue{
		{"trajectories", itoa(b.Trajectories)}, {"holds", itoa(b.Holds)}, {"limit clamps", itoa(b.LimitClamps)},
		{"failed publishes", itoa(b.FailedPublishes)}, {"cycles without joint_states", itoa(b.NoJointState)},
		{"cycles with stale joint_states", itoa(b.StaleJointStates)}, {"cycles while lost", itoa(b.CyclesWhileLost)},
	}
	if why := m.silent(s.At, m.lastCycle, m.cycleEvent()); why != "" {
		return m.stale(ComponentCommands, m.conf.Robot, why, values)
	}
	var v verdict
	if n := d.b.FailedPublishes; n > 0 {
		v.add(Error, fmt.Sprintf("%d trajectories not published", n))
	}
	if n := d.b.NoJointState; n > 0 {
		v.add(Warn, fmt.Sprintf("no joint_states for every configured joint: %d cycles not published", n))
	}
	if n := d.b.StaleJointStates; n > 0 {
		v.add(Warn, fmt.Sprintf("joint_states older than trajectory.max_state_age: %d cycles held", n))
	}
	if n := d.b.Holds; n > 0 {
		v.add(Warn, fmt.Sprintf("%d holds at the last measured positions", n))
	}
	if n := d.b.LimitClamps; n > 0 {
		v.add(Warn, fmt.Sprintf("%d positions clamped by joint limits", n))
	}
	return m.status(ComponentCommands, m.conf.Robot, v, fmt.Sprintf("%d trajectories", d.b.Trajectories), values)
}

// learning: OK; ERROR when learn:reward fails and none went out; WARN on
// failed rewards, rewards clamped into [0, 1], policy component failures
// or non-finite results, fallbacks (stale or missing policy topics), bad
// policy topic messages or repaired feedback; STALE when no cycle:update
// came for the silence window (rewards follow cycles).
func (m *Monitor) learning(s Sample, d delta) Status {
	l, pl := s.Learning, m.prev.Learning
	values := []KeyValue{
		{"policies", m.conf.Policies},
		{"rewards sent", itoa(l.Rewards)}, {"rewards failed", itoa(l.FailedRewards)},
		{"rewards clamped into [0, 1]", itoa(s.Session.RewardClamps)},
		{"bad signal messages", itoa(l.BadSignals)}, {"feedback repaired", itoa(l.FeedbackRepaired)},
		{"reward errors", u64(l.Reward.Errors + l.Reward.NonFinite)}, {"reward clamped", u64(l.Reward.Clamped + l.Reward.ModulationClamped)},
		{"reward fallbacks", u64(l.Reward.Fallbacks)},
		{"deviation errors", u64(l.Deviation.Errors + l.Deviation.NonFinite)}, {"deviation clamped", u64(l.Deviation.Clamped)},
		{"deviation fallbacks", u64(l.Deviation.Fallbacks)},
	}
	if why := m.silent(s.At, m.lastCycle, m.cycleEvent()); why != "" {
		return m.stale(ComponentLearning, m.conf.BrainURL, why, values)
	}
	var v verdict
	switch n := d.l.FailedRewards; {
	case n > 0 && d.l.Rewards == 0:
		v.add(Error, fmt.Sprintf("no learn:reward sent: %d failed", n))
	case n > 0:
		v.add(Warn, fmt.Sprintf("%d learn:reward failed", n))
	}
	if n := d.s.RewardClamps; n > 0 {
		v.add(Warn, fmt.Sprintf("%d reward values clamped into [0, 1]", n))
	}
	errs := (l.Reward.Errors + l.Reward.NonFinite + l.Deviation.Errors + l.Deviation.NonFinite) -
		(pl.Reward.Errors + pl.Reward.NonFinite + pl.Deviation.Errors + pl.Deviation.NonFinite)
	if errs > 0 {
		v.add(Warn, fmt.Sprintf("%d policy component failures replaced by neutral values", errs))
	}
	if n := l.Reward.Fallbacks + l.Deviation.Fallbacks - pl.Reward.Fallbacks - pl.Deviation.Fallbacks; n > 0 {
		v.add(Warn, fmt.Sprintf("%d policy inputs stale or missing, answered by their fallback", n))
	}
	if n := l.Reward.Clamped + l.Reward.ModulationClamped + l.Deviation.Clamped -
		(pl.Reward.Clamped + pl.Reward.ModulationClamped + pl.Deviation.Clamped); n > 0 {
		v.add(Warn, fmt.Sprintf("%d policy values clamped", n))
	}
	if n := d.l.BadSignals; n > 0 {
		v.add(Warn, fmt.Sprintf("%d policy topic messages rejected", n))
	}
	if n := d.l.FeedbackRepaired; n > 0 {
		v.add(Warn, fmt.Sprintf("%d feedback values repaired", n))
	}
	return m.status(ComponentLearning, m.conf.BrainURL, v, fmt.Sprintf("%d rewards sent", d.l.Rewards), values)
}

// cycleEvent names what makes a cycle on this path, for STALE messages.
func (m *Monitor) cycleEvent() string {
	if m.conf.Device {
		return "output cycle from the device"
	}
	if m.conf.Policy {
		return "action cycle from the policy"
	}
	return "cycle:update"
}

func perSecond(n int64, dt time.Duration) float64 {
	if dt <= 0 {
		return 0
	}
	return float64(n) / dt.Seconds()
}

func appendIf(l []string, s string, ok bool) []string {
	if ok {
		return append(l, s)
	}
	return l
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func round(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }

func secs(d time.Duration) string { return fmt.Sprintf("%.1f", d.Seconds()) }

func u64(n uint64) string { return fmt.Sprint(n) }
