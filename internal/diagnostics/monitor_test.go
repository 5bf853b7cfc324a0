package diagnostics

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/bridge"
	"github.com/abbridge/ab_bridge/internal/policy"
)

var t0 = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

func testMonitor() *Monitor {
	return NewMonitor(MonitorConf{Node: "ab_bridge", Robot: "/arm", BrainURL: "http://brain", CycleDuration: 50 * time.Millisecond,
		Silence: time.Second, Policies: "reward loaded, deviation neutral", Start: t0})
}

// healthy is one second of a joined run at 20 Hz after n seconds.
func healthy(n int64) Sample {
	return Sample{
		At:       t0.Add(time.Duration(n) * time.Second),
		Link:     LinkState{Up: true, Joined: true, Run: "r1", Since: t0.Add(100 * time.Millisecond)},
		Run:      "r1",
		Bridge:   bridge.Stats{Cycles: 20 * n, Needs: 20 * n, Chunks: 60 * n, Trajectories: 20 * n},
		Inputs:   []bridge.InputStats{{ID: "cam", Kind: "Image", Received: 15 * n, Sent: 20 * n}},
		Learning: bridge.LearningStats{Rewards: 20 * n},
	}
}

func byName(t *testing.T, sts []Status, component string) Status {
	t.Helper()
	for _, s := range sts {
		if s.Name == "ab_bridge: "+component {
			return s
		}
	}
	t.Fatalf("no status %q in %v", component, sts)
	return Status{}
}

func TestStatusNamesAndHardwareIDs(t *testing.T) {
	m := testMonitor()
	m.Update(healthy(1))
	sts := m.Update(healthy(2))
	var names []string
	for _, s := range sts {
		names = append(names, s.Name)
		assert.Equal(t, OK, s.Level, "%s: %s", s.Name, s.Message)
	}
	assert.Equal(t, []string{"ab_bridge: brain link", "ab_bridge: cycles", "ab_bridge: inputs", "ab_bridge: commands", "ab_bridge: learning"}, names)
	assert.Equal(t, "http://brain", byName(t, sts, ComponentLink).HardwareID)
	assert.Equal(t, "/arm", byName(t, sts, ComponentCommands).HardwareID)
	run, ok := byName(t, sts, ComponentLink).Value("run")
	assert.True(t, ok)
	assert.Equal(t, "r1", run)
	rate, _ := byName(t, sts, ComponentCycles).Value("cycle rate (Hz)")
	assert.Equal(t, "20.0", rate)
}

// TestLevels: each case is a healthy second 1, then a second 2 changed by
// edit; want is the component's level and a piece of its message.
func TestLevels(t *testing.T) {
	cases := []struct {
		name      string
		component string
		edit      func(s *Sample)
		want      Level
		message   string
	}{
		{"joined", ComponentLink, func(*Sample) {}, OK, "joined run r1"},
		{"reconnecting", ComponentLink, func(s *Sample) {
			s.Link = LinkState{Joined: true, Run: "r1", Reason: "transport close", Since: s.At.Add(-2 * time.Second)}
		}, Warn, "reconnecting: transport close"},
		{"lost for long", ComponentLink, func(s *Sample) {
			s.Link = LinkState{Joined: true, Run: "r1", Reason: "silence", Since: s.At.Add(-DefaultLostError)}
		}, Error, "lost for 10s: silence"},
		{"refused", ComponentLink, func(s *Sample) { s.Refused = errors.New("bad key") }, Error, "refused by the brain: bad key"},
		{"connecting", ComponentLink, func(s *Sample) { s.Link = LinkState{} }, Warn, "connecting"},
		{"never joined", ComponentLink, func(s *Sample) { s.Link = LinkState{}; s.At = t0.Add(11 * time.Second) }, Error, "not joined 11s after start"},
		{"joined but silent", ComponentLink, func(s *Sample) { s.Bridge.Cycles -= 20; s.At = s.At.Add(500 * time.Millisecond) }, Stale, "no cycle:update since the join for 1.5s"},
		{"cycles flow", ComponentCycles, func(*Sample) {}, OK, "20.0 Hz"},
		{"late needs", ComponentCycles, func(s *Sample) { s.Bridge.LateNeeds = 3 }, Warn, "3 io:need answered after their deadline"},
		{"queue full", ComponentCycles, func(s *Sample) { s.Bridge.DroppedEvents = 2 }, Warn, "2 brain events dropped"},
		{"slow brain", ComponentCycles, func(s *Sample) { s.Bridge.Cycles = 20 + 5 }, Warn, "below half"},
		{"no cycles", ComponentCycles, func(s *Sample) { s.Bridge.Cycles = 20; s.At = s.At.Add(time.Second) }, Stale, "no cycle:update for 2s"},
		{"inputs fine", ComponentInputs, func(*Sample) {}, OK, "60 chunks sent"},
		{"stale camera", ComponentInputs, func(s *Sample) { s.Inputs[0].Stale = 4; s.Bridge.StaleInputs = 4 }, Warn, "stale, not sent: cam"},
		{"oversize", ComponentInputs, func(s *Sample) { s.Inputs[0].Oversize = 1 }, Warn, "over max_bytes, not sent: cam"},
		{"audio dropped", ComponentInputs, func(s *Sample) { s.Inputs[0].AudioDropped = 100 }, Warn, "audio dropped"},
		{"no provider", ComponentInputs, func(s *Sample) { s.Bridge.MissingProvider = 2 }, Warn, "2 needs for inputs not configured"},
		{"no needs", ComponentInputs, func(s *Sample) { s.Bridge.Needs = 20; s.At = s.At.Add(time.Second) }, Stale, "no io:need"},
		{"trajectories", ComponentCommands, func(*Sample) {}, OK, "20 trajectories"},
		{"no joint_states", ComponentCommands, func(s *Sample) { s.Bridge.Trajectories = 20; s.Bridge.NoJointState = 20 },
			Warn, "no joint_states for every configured joint: 20 cycles not published"},
		{"stale joint_states", ComponentCommands, func(s *Sample) { s.Bridge.StaleJointStates = 5; s.Bridge.Holds = 1 },
			Warn, "joint_states older than trajectory.max_state_age: 5 cycles held; 1 holds"},
		{"clamps", ComponentCommands, func(s *Sample) { s.Bridge.LimitClamps = 7 }, Warn, "7 positions clamped by joint limits"},
		{"failed publish", ComponentCommands, func(s *Sample) { s.Bridge.FailedPublishes = 1; s.Bridge.LimitClamps = 1 },
			Error, "1 trajectories not published; 1 positions clamped"},
		{"no cycle, no command", ComponentCommands, func(s *Sample) { s.Bridge.Cycles = 20; s.At = s.At.Add(time.Second) }, Stale, "no cycle:update"},
		{"rewards", ComponentLearning, func(*Sample) {}, OK, "20 rewards sent"},
		{"some rewards failed", ComponentLearning, func(s *Sample) { s.Learning.Rewards -= 5; s.Learning.FailedRewards = 5 }, Warn, "5 learn:reward failed"},
		{"all rewards failed", ComponentLearning, func(s *Sample) { s.Learning.Rewards = 20; s.Learning.FailedRewards = 20 }, Error, "no learn:reward sent: 20 failed"},
		{"reward clamps", ComponentLearning, func(s *Sample) { s.Session.RewardClamps = 3 }, Warn, "3 reward values clamped into [0, 1]"},
		{"policy errors", ComponentLearning, func(s *Sample) { s.Learning.Reward = policy.Stats{Errors: 1, NonFinite: 1} }, Warn, "2 policy component failures"},
		{"fallbacks", ComponentLearning, func(s *Sample) { s.Learning.Deviation = policy.Stats{Fallbacks: 20} }, Warn, "20 policy inputs stale or missing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := testMonitor()
			m.Update(healthy(1))
			s := healthy(2)
			c.edit(&s)
			st := byName(t, m.Update(s), c.component)
			assert.Equal(t, c.want, st.Level, "message: %s", st.Message)
			assert.Contains(t, st.Message, c.message)
		})
	}
}

// TestDeltas: a problem counted once is a WARN for that period only; the
// figures keep the totals.
func TestDeltas(t *testing.T) {
	m := testMonitor()
	m.Update(healthy(1))
	s := healthy(2)
	s.Bridge.LateNeeds = 2
	require.Equal(t, Warn, byName(t, m.Update(s), ComponentCycles).Level)
	s = healthy(3)
	s.Bridge.LateNeeds = 2
	st := byName(t, m.Update(s), ComponentCycles)
	assert.Equal(t, OK, st.Level, st.Message)
	late, _ := st.Value("late needs")
	assert.Equal(t, "2", late)
}

// TestStartUp: before the first cycle and within the silence window nothing
// is stale, the link is connecting; a run that stops cycling turns STALE.
func TestStartUp(t *testing.T) {
	m := testMonitor()
	sts := m.Update(Sample{At: t0.Add(500 * time.Millisecond)})
	assert.Equal(t, Warn, byName(t, sts, ComponentLink).Level)
	for _, c := range []string{ComponentCycles, ComponentInputs, ComponentCommands, ComponentLearning} {
		assert.NotEqual(t, Stale, byName(t, sts, c).Level, c)
	}
	sts = m.Update(Sample{At: t0.Add(1500 * time.Millisecond)})
	st := byName(t, sts, ComponentCycles)
	assert.Equal(t, Stale, st.Level)
	assert.Contains(t, st.Message, "no cycle:update yet")
}

func TestLinkWatch(t *testing.T) {
	h := &handler{}
	w := WatchLink(h)
	at := t0.Add(time.Second)
	w.OnLink(brain.Link{Up: true, Run: "r1", At: at})
	w.OnLink(brain.Link{Up: false, Run: "r1", Reason: "server close", At: at.Add(time.Second)})
	assert.Equal(t, LinkState{Joined: true, Run: "r1", Reason: "server close", Since: at.Add(time.Second)}, w.State())
	assert.Equal(t, 2, h.links, "every change handed on")
	w.OnNeed(brain.Need{})
	assert.Equal(t, 1, h.needs)
}

type handler struct{ links, needs int }

func (h *handler) OnNeed(brain.Need)         { h.needs++ }
func (h *handler) OnCycle(brain.CycleUpdate) {}
func (h *handler) OnLink(brain.Link)         { h.links++ }

var _ brain.Handler = (*handler)(nil)
