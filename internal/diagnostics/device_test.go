package diagnostics

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/bridge"
)

func testDeviceMonitor() *Monitor {
	return NewMonitor(MonitorConf{Node: "ab_bridge", Robot: "/arm", BrainURL: "http://127.0.0.1:8080", CycleDuration: 100 * time.Millisecond,
		Silence: 2 * time.Second, Policies: "reward neutral, deviation neutral", Start: t0, Device: true})
}

// deviceHealthy is one second of a device streaming at 20 frames a second
// (10 cycles of 2) after n seconds, every sensor frame accepted.
func deviceHealthy(n int64) Sample {
	at := t0.Add(time.Duration(n) * time.Second)
	return Sample{
		At:       at,
		Run:      "prima-lux",
		Bridge:   bridge.Stats{Cycles: 10 * n, Trajectories: 10 * n},
		Inputs:   []bridge.InputStats{{ID: "CAM", Kind: "Image", Received: 20 * n, Sent: 20 * n}},
		Learning: bridge.LearningStats{Rewards: 10 * n},
		Device: Device{StreamUp: true, StreamConnected: true, StreamSince: t0.Add(100 * time.Millisecond), LastAccepted: at,
			SensorFrames: 20 * n, OutputFrames: 20 * n, OutputCycles: 10 * n, Connects: 1, Starts: 1},
	}
}

func TestDeviceStatuses(t *testing.T) {
	m := testDeviceMonitor()
	m.Update(deviceHealthy(1))
	sts := m.Update(deviceHealthy(2))
	var names []string
	for _, s := range sts {
		names = append(names, s.Name)
		assert.Equal(t, OK, s.Level, "%s: %s", s.Name, s.Message)
	}
	assert.Equal(t, []string{"ab_bridge: brain link", "ab_bridge: cycles", "ab_bridge: inputs", "ab_bridge: commands",
		"ab_bridge: learning", "ab_bridge: prima-lux device"}, names, "the cloud path's five, then the device's own")
	link := byName(t, sts, ComponentLink)
	assert.Equal(t, "output stream up", link.Message)
	state, _ := link.Value("state")
	assert.Equal(t, "streaming", state)
	assert.Equal(t, "http://127.0.0.1:8080", link.HardwareID)
	rate, _ := byName(t, sts, ComponentCycles).Value("cycle rate (Hz)")
	assert.Equal(t, "10.0", rate)
	in := byName(t, sts, ComponentInputs)
	assert.Equal(t, "20 sensor frames accepted", in.Message)
	posted, _ := byName(t, sts, ComponentDevice).Value("sensor frames posted")
	assert.Equal(t, "40", posted)
}

// TestDeviceLevels: a healthy second 1, then a second 2 changed by edit.
func TestDeviceLevels(t *testing.T) {
	cases := []struct {
		name      string
		component string
		edit      func(s *Sample)
		want      Level
		message   string
	}{
		{"connecting", ComponentLink, func(s *Sample) { s.Device.StreamUp, s.Device.StreamConnected = false, false }, Warn, "connecting to the output stream"},
		{"not connected for long", ComponentLink, func(s *Sample) {
			s.Device.StreamUp, s.Device.StreamConnected, s.Device.StreamLoss = false, false, "503 Service Unavailable"
			s.At = t0.Add(DefaultLostError)
		}, Error, "not connected 10s after start: 503"},
		{"reconnecting", ComponentLink, func(s *Sample) {
			s.Device.StreamUp, s.Device.StreamLoss, s.Device.StreamSince, s.Device.Drops = false, "output stream dropped: EOF", s.At.Add(-time.Second), 1
		}, Warn, "reconnecting: output stream dropped: EOF"},
		{"lost for long", ComponentLink, func(s *Sample) {
			s.Device.StreamUp, s.Device.StreamLoss, s.Device.StreamSince = false, "output stream ended: 401", s.At.Add(-DefaultLostError)
		}, Error, "output stream lost for 10s: output stream ended: 401"},
		{"gap", ComponentLink, func(s *Sample) { s.Device.Gaps, s.Device.Holds = 1, 1 }, Warn, "1 gaps in the device's outputs"},
		{"reset and restart", ComponentLink, func(s *Sample) { s.Device.Resets, s.Device.Restarts = 1, 1 }, Warn,
			"1 resets of the device's run (held); the device stopped running the brain: started again 1 times"},
		{"stream reopened", ComponentLink, func(s *Sample) { s.Device.StreamEnds = 1 }, Warn, "ended 1 times"},
		{"up, no frames", ComponentLink, func(s *Sample) { s.Device.OutputFrames = 20; s.At = s.At.Add(2 * time.Second) }, Stale,
			"output stream up, but no output frame"},
		{"sensor frames refused", ComponentDevice, func(s *Sample) { s.Device.SensorFailures = 5 }, Warn, "5 sensor frames not accepted"},
		{"senses stale: held", ComponentDevice, func(s *Sample) {
			s.Device.SensorFailures, s.Device.SensesHeld, s.Device.SenseHolds = 45, true, 1
		}, Error, "the device accepts no sensor frame: the arm is held"},
		{"repeated and skipped", ComponentDevice, func(s *Sample) { s.Device.Repeated, s.Device.Skipped = 1, 2 }, Warn,
			"1 output frames repeated; 2 output frames missing by sequence"},
		{"not decoded", ComponentDevice, func(s *Sample) { s.Device.DecodeErrors = 2 }, Warn, "2 output frames not decoded"},
		{"encoder", ComponentDevice, func(s *Sample) { s.Device.EncodeErrors = 3 }, Warn, "3 encoder failures"},
		{"inputs: refused", ComponentInputs, func(s *Sample) { s.Device.SensorFailures = 5; s.Device.SensorFrames -= 5 }, Warn,
			"5 sensor frames not accepted by the device"},
		{"inputs: incomplete", ComponentInputs, func(s *Sample) { s.Device.IncompleteFrames = 4 }, Warn, "4 sensor frames incomplete"},
		{"inputs: none accepted", ComponentInputs, func(s *Sample) { s.Device.SensorFrames = 20; s.At = s.At.Add(2 * time.Second) }, Stale,
			"no sensor frame accepted by the device for"},
		{"no cycles", ComponentCommands, func(s *Sample) { s.Bridge.Cycles = 10; s.At = s.At.Add(2 * time.Second) }, Stale,
			"no output cycle from the device"},
		{"slow", ComponentCycles, func(s *Sample) { s.Bridge.Cycles = 12 }, Warn, "brain cycles at 2.0 Hz"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := testDeviceMonitor()
			m.Update(deviceHealthy(1))
			s := deviceHealthy(2)
			c.edit(&s)
			st := byName(t, m.Update(s), c.component)
			assert.Equal(t, c.want, st.Level, "message: %s", st.Message)
			assert.Contains(t, st.Message, c.message)
		})
	}
}

// TestDeviceFirstSample: before any connect, within LostError, the link is
// connecting and nothing is stale yet.
func TestDeviceFirstSample(t *testing.T) {
	m := testDeviceMonitor()
	sts := m.Update(Sample{At: t0.Add(500 * time.Millisecond), Run: "prima-lux"})
	require.Len(t, sts, 6)
	link := byName(t, sts, ComponentLink)
	assert.Equal(t, Warn, link.Level, link.Message)
	state, _ := link.Value("state")
	assert.Equal(t, "connecting", state)
	for _, c := range []string{ComponentCycles, ComponentInputs, ComponentCommands, ComponentLearning, ComponentDevice} {
		assert.NotEqual(t, Stale, byName(t, sts, c).Level, c)
	}
	acc, _ := byName(t, sts, ComponentDevice).Value("since a sensor frame was accepted (s)")
	assert.Equal(t, "never", acc)
}
