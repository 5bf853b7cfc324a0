package diagnostics

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/bridge"
)

func testPolicyMonitor() *Monitor {
	return NewMonitor(MonitorConf{Node: "ab_bridge", Robot: "/arm", BrainURL: "http://127.0.0.1:8090", CycleDuration: 100 * time.Millisecond,
		Silence: 2 * time.Second, Policies: "not used (a RoboActions policy takes no reward)", Start: t0, Policy: true})
}

// policyHealthy is one second of a policy at 10 actions a second, a chunk
// of 10 asked for every half chunk, after n seconds.
func policyHealthy(n int64) Sample {
	return Sample{
		At:       t0.Add(time.Duration(n) * time.Second),
		Run:      "roboactions",
		Bridge:   bridge.Stats{Cycles: 10 * n, Trajectories: 10 * n},
		Inputs:   []bridge.InputStats{{ID: "CAM", Kind: "Image", Received: 15 * n, Sent: 2 * n}},
		Learning: bridge.LearningStats{Rewards: 10 * n},
		Policy: Policy{Since: t0.Add(200 * time.Millisecond), Requests: 2 * n, Chunks: 2 * n, Actions: 10 * n, Blended: 10 * n,
			LatencyMean: 95 * time.Millisecond, LatencyMax: 99 * time.Millisecond},
	}
}

func TestPolicyStatuses(t *testing.T) {
	m := testPolicyMonitor()
	m.Update(policyHealthy(1))
	sts := m.Update(policyHealthy(2))
	var names []string
	for _, s := range sts {
		names = append(names, s.Name)
		assert.Equal(t, OK, s.Level, "%s: %s", s.Name, s.Message)
	}
	assert.Equal(t, []string{"ab_bridge: brain link", "ab_bridge: cycles", "ab_bridge: inputs", "ab_bridge: commands",
		"ab_bridge: learning", "ab_bridge: roboactions policy"}, names)
	link := byName(t, sts, ComponentLink)
	assert.Equal(t, "the policy server answers", link.Message)
	assert.Equal(t, "http://127.0.0.1:8090", link.HardwareID)
	assert.Equal(t, "2 observations answered", byName(t, sts, ComponentInputs).Message)
	lat, _ := byName(t, sts, ComponentPolicy).Value("observation to first command, mean (ms)")
	assert.Equal(t, "95.0", lat)
}

func TestPolicyLevels(t *testing.T) {
	for _, c := range []struct {
		name, component string
		edit            func(s *Sample)
		want            Level
		message         string
	}{
		{"failing", ComponentLink, func(s *Sample) {
			s.Policy.Lost, s.Policy.LastError, s.Policy.Since, s.Policy.Holds = true, "503 Service Unavailable", s.At.Add(-time.Second), 1
		}, Warn, "the policy server is failing (arm held): 503"},
		{"lost for long", ComponentLink, func(s *Sample) {
			s.Policy.Lost, s.Policy.LastError, s.Policy.Since = true, "connection refused", s.At.Add(-DefaultLostError)
		}, Error, "has failed for 10s (arm held): connection refused"},
		{"held", ComponentPolicy, func(s *Sample) { s.Policy.Lost = true }, Error, "the arm is held"},
		{"malformed", ComponentLink, func(s *Sample) { s.Policy.Malformed = 2 }, Warn, "2 answers were no usable action chunk"},
		{"stale", ComponentPolicy, func(s *Sample) { s.Policy.Stale = 4 }, Warn, "4 actions dropped: due before their chunk arrived"},
		{"starved", ComponentPolicy, func(s *Sample) { s.Policy.Starved = 3 }, Warn, "3 cycles with no action to play"},
		{"not ready", ComponentPolicy, func(s *Sample) { s.Policy.NotReady = 2 }, Warn, "2 observations not sent"},
		{"no answers", ComponentInputs, func(s *Sample) { s.Policy.Chunks = 2; s.At = s.At.Add(2 * time.Second) }, Stale,
			"no observation answered by the policy for"},
		{"no cycles", ComponentCommands, func(s *Sample) { s.Bridge.Cycles = 10; s.At = s.At.Add(2 * time.Second) }, Stale,
			"no action cycle from the policy"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := testPolicyMonitor()
			m.Update(policyHealthy(1))
			s := policyHealthy(2)
			c.edit(&s)
			st := byName(t, m.Update(s), c.component)
			assert.Equal(t, c.want, st.Level, "message: %s", st.Message)
			assert.Contains(t, st.Message, c.message)
		})
	}
}

func TestPolicyFirstSample(t *testing.T) {
	m := testPolicyMonitor()
	sts := m.Update(Sample{At: t0.Add(500 * time.Millisecond), Run: "roboactions"})
	require.Len(t, sts, 6)
	link := byName(t, sts, ComponentLink)
	assert.Equal(t, Warn, link.Level, link.Message)
	state, _ := link.Value("state")
	assert.Equal(t, "waiting for the first answer", state)
	sts = m.Update(Sample{At: t0.Add(DefaultLostError), Run: "roboactions", Policy: Policy{LastError: "401"}})
	assert.Equal(t, Error, byName(t, sts, ComponentLink).Level)
}
