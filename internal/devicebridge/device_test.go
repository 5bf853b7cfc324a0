package devicebridge

import (
	"context"
	"encoding/json"
	"errors"
	"image/color"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/bridge"
	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/localdevice"
	"github.com/abbridge/ab_bridge/internal/primalux"
	"github.com/abbridge/ab_bridge/internal/spikes"
)

const testKey = "plx_devicebridge_test"

// fakeBridge records what the device side asks of the bridge.
type fakeBridge struct {
	mu     sync.Mutex
	cycles [][]map[string]float64
	holds  []string
	links  []brain.Link
	q      []float64
	fresh  bool
	jpeg   []byte
	camErr error
	takes  int
	sent   map[string]int64 // DeviceAccepted, per input
}

func (f *fakeBridge) OnDeviceSteps(_ int64, steps []map[string]float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cycles = append(f.cycles, steps)
}

func (f *fakeBridge) OnDeviceHold(reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.holds = append(f.holds, reason)
}

func (f *fakeBridge) OnLink(l brain.Link) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.links = append(f.links, l)
}

func (f *fakeBridge) SensedJoints(dst []float64) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.fresh {
		return "stale", false
	}
	copy(dst, f.q)
	return "", true
}

// DeviceSamples answers the camera with a picture and the microphone with
// a few samples, or each with camErr when set.
func (f *fakeBridge) DeviceSamples(_ context.Context, samples []bridge.DeviceSample) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.takes++
	for i := range samples {
		s := &samples[i]
		s.Err = f.camErr
		switch s.ID {
		case "CAM":
			s.Data = append(s.Data[:0], f.jpeg...)
		case "MIC":
			s.Data, s.Channels = append(s.Data[:0], 0, 64, 0, 192), 1
		}
	}
	return nil
}

func (f *fakeBridge) DeviceAccepted(ids []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sent == nil {
		f.sent = map[string]int64{}
	}
	for _, id := range ids {
		f.sent[id]++
	}
}

func (f *fakeBridge) holdsFor(what string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, h := range f.holds {
		if strings.Contains(h, what) {
			n++
		}
	}
	return n
}

func (f *fakeBridge) cycleCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.cycles)
}

type rig struct {
	dev    *localdevice.Device
	d      *Device
	br     *fakeBridge
	cancel context.CancelFunc
	done   chan struct{}
}

func ptr(v float64) *float64 { return &v }

// newRig serves a stand-in device on loopback and runs a Device against
// it; the test's end stops both.
func newRig(t *testing.T, edit ...func(*Config)) *rig {
	t.Helper()
	return newRigServed(t, nil, edit...)
}

// newRigServed is newRig with the device's handler wrapped (nil: as it is).
func newRigServed(t *testing.T, wrap func(http.Handler) http.Handler, edit ...func(*Config)) *rig {
	t.Helper()
	dev, err := localdevice.New(localdevice.Config{Addr: "127.0.0.1:0", APIKey: testKey, TickRate: 100, StepsPerFrame: 5, Seed: 1,
		Heartbeat: time.Hour, StopDelay: 20 * time.Millisecond,
		Brain: &localdevice.Brain{Name: "unit",
			Inputs: []localdevice.Population{{ID: "SENSE", N: 8}, {ID: "CAM", N: 12}, {ID: "MIC", N: 4},
				{ID: "REWARD", N: 4, Reward: true}},
			Outputs: []localdevice.Population{{ID: "MOTOR", N: 8}}}})
	require.NoError(t, err)
	var url string
	if wrap == nil {
		url, err = dev.Serve()
		require.NoError(t, err)
	} else {
		srv := httptest.NewServer(wrap(dev.Handler()))
		t.Cleanup(srv.Close) // after the device has ended its streams
		url = srv.URL
	}
	t.Cleanup(func() { _ = dev.Close() })
	key, err := primalux.NewKey(testKey)
	require.NoError(t, err)
	client, err := primalux.New(primalux.Options{URL: url, Key: key, Timeout: 2 * time.Second})
	require.NoError(t, err)
	m := spikes.NewMappingEntry("MOTOR", "joint:0")
	m.Scheme = spikes.SchemeAddition
	px := config.Default().PrimaLux
	px.FrameRateHz, px.RewardInput = 100, "REWARD"
	conf := Config{Client: client,
		Contract: primalux.Contract{Inputs: []primalux.Input{{ID: "SENSE", Sensor: "SENSE", N: 8}, {ID: "CAM", Sensor: "CAM", N: 12},
			{ID: "MIC", Sensor: "MIC", N: 4}, {ID: "REWARD", Sensor: "REWARD", Kind: "Reward", N: 4}},
			Outputs: []primalux.Output{{ID: "MOTOR", Motor: "MOTOR", N: 8}}},
		Joints: []config.Joint{{Name: "a", Min: ptr(-1), Max: ptr(1)}},
		Inputs: []config.Input{{ID: "SENSE", Kind: "Proprioception", Joint: "a"}, {ID: "CAM", Kind: "Image"},
			{ID: "MIC", Kind: "Audio", SampleRate: 16000}},
		Mapping: []spikes.MappingEntry{m}, PrimaLux: px, CycleDuration: 20 * time.Millisecond,
		StopTimeout: 2 * time.Second, MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}
	for _, e := range edit {
		e(&conf)
	}
	d, err := New(conf)
	require.NoError(t, err)
	require.Equal(t, 2, d.Gamma(), "20 ms of 100 Hz frames")
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, d.Start(ctx, 5*time.Second))
	r := &rig{dev: dev, d: d, br: &fakeBridge{q: []float64{0.5}, fresh: true, jpeg: halves(t, 16, 8, color.RGBA{A: 255}, color.RGBA{255, 255, 255, 255})},
		cancel: cancel, done: make(chan struct{})}
	go func() { _ = d.Run(ctx, r.br); close(r.done) }()
	t.Cleanup(func() { cancel(); <-r.done })
	return r
}

func (r *rig) waitCycles(t *testing.T, more int) {
	t.Helper()
	n := r.br.cycleCount()
	require.Eventually(t, func() bool { return r.br.cycleCount() >= n+more }, 10*time.Second, 5*time.Millisecond)
}

func TestDeviceRunsAndSurvivesFaults(t *testing.T) {
	tests := []struct {
		name   string
		inject func(*localdevice.Device)
		check  func(*testing.T, Stats)
	}{
		{"dropped stream resumes from its cursor", func(d *localdevice.Device) { d.DropStreams() },
			func(t *testing.T, s Stats) {
				assert.GreaterOrEqual(t, s.Drops, int64(1))
				assert.GreaterOrEqual(t, s.Resumes, int64(1))
			}},
		{"5xx on reconnect", func(d *localdevice.Device) {
			require.NoError(t, d.FailNext(http.StatusServiceUnavailable, 3, "/api/brain/stream"))
			d.DropStreams()
		}, func(t *testing.T, s Stats) {
			assert.GreaterOrEqual(t, s.Resumes, int64(1))
			assert.Positive(t, s.Backlog, "what the device kept meanwhile is taken, not commanded")
			assert.LessOrEqual(t, s.Cycles*2, s.Frames-s.Backlog, "no backlog frame went into a cycle")
		}},
		{"4xx ends the stream, opened again", func(d *localdevice.Device) {
			require.NoError(t, d.FailNext(http.StatusBadRequest, 1, "/api/brain/stream"))
			d.DropStreams()
		}, func(t *testing.T, s Stats) { assert.GreaterOrEqual(t, s.StreamEnds, int64(1)) }},
		{"5xx on sensor posts", func(d *localdevice.Device) {
			require.NoError(t, d.FailNext(http.StatusInternalServerError, 3, "/api/brain/sensor"))
		}, func(t *testing.T, s Stats) { assert.GreaterOrEqual(t, s.PostFailures, int64(3)) }},
		{"device restart: reset, the brain started again", func(d *localdevice.Device) { d.Restart() },
			func(t *testing.T, s Stats) {
				assert.GreaterOrEqual(t, s.Resets, int64(1))
				assert.GreaterOrEqual(t, s.Restarts, int64(1))
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			r.waitCycles(t, 5)
			tc.inject(r.dev)
			r.waitCycles(t, 10) // motion resumed
			s := r.d.Stats()
			tc.check(t, s)
			assert.Zero(t, s.Repeated, "no frame handed on twice")
			assert.Zero(t, s.Skipped, "no frame lost within an epoch")
			assert.Zero(t, s.Malformed)
			assert.Positive(t, s.Posted)
		})
	}
}

func TestDeviceFramesAndStop(t *testing.T) {
	r := newRig(t)
	r.waitCycles(t, 3)
	r.br.mu.Lock()
	for _, c := range r.br.cycles {
		require.Len(t, c, 2, "gamma steps per cycle")
	}
	r.br.mu.Unlock()
	st := r.d.Stats()
	assert.Positive(t, st.Posted)
	assert.Zero(t, st.StaleFrames)
	assert.Zero(t, st.PostFailures, "every frame, camera and microphone included, as the device takes it")
	c := r.dev.Counters()
	assert.Positive(t, c.SensorFrames, "the device took the frames")

	r.br.mu.Lock()
	assert.Positive(t, r.br.takes, "cameras and microphones read each frame")
	r.br.fresh = false // stale joint_states: no joint values posted
	r.br.camErr = errors.New("camera frame too old")
	r.br.mu.Unlock()
	require.Eventually(t, func() bool { return r.d.Stats().StaleFrames > 2 }, 5*time.Second, 5*time.Millisecond)
	posted := r.d.Stats().Posted
	require.Eventually(t, func() bool { return r.d.Stats().Posted > posted+2 }, 5*time.Second, 5*time.Millisecond,
		"the reward population still goes out")
	assert.Zero(t, r.d.Stats().EncodeErrors)

	r.cancel()
	<-r.done
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	key, _ := primalux.NewKey(testKey)
	cl, err := primalux.New(primalux.Options{URL: r.d.client.Origin(), Key: key})
	require.NoError(t, err)
	s, err := cl.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, "STOPPED", s.Engine.State, "stopped at the end of Run")
}

func TestNewRefusesWhatTheDeviceLacks(t *testing.T) {
	key, _ := primalux.NewKey(testKey)
	client, err := primalux.New(primalux.Options{URL: "http://127.0.0.1:1", Key: key})
	require.NoError(t, err)
	ct := primalux.Contract{Inputs: []primalux.Input{{ID: "SENSE", N: 8}}, Outputs: []primalux.Output{{ID: "MOTOR", N: 8}}}
	joints := []config.Joint{{Name: "a"}}
	tests := []struct {
		name    string
		inputs  []config.Input
		mapping []spikes.MappingEntry
		reward  string
		want    string
	}{
		{"input", []config.Input{{ID: "NOPE", Kind: "Proprioception", Joint: "a"}}, nil, "", `input "NOPE" is not an input population`},
		{"joint", []config.Input{{ID: "SENSE", Kind: "Proprioception", Joint: "b"}}, nil, "", `joint "b" is not configured`},
		{"output", nil, []spikes.MappingEntry{spikes.NewMappingEntry("OUT", "joint:0")}, "", `node_id "OUT" is not an output population`},
		{"reward", nil, nil, "REWARD", `reward_input "REWARD" is not an input population`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			px := config.Default().PrimaLux
			px.RewardInput = tc.reward
			_, err := New(Config{Client: client, Contract: ct, Joints: joints, Inputs: tc.inputs, Mapping: tc.mapping, PrimaLux: px, CycleDuration: time.Second})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestSensorPostsFailingHoldTheArm: 500s on every sensor post for longer
// than the silence window hold the arm once; the device's outputs are taken
// but not commanded meanwhile; the first accepted frame lets the next
// cycles move it again.
func TestSensorPostsFailingHoldTheArm(t *testing.T) {
	const window = 150 * time.Millisecond
	r := newRig(t, func(c *Config) { c.SenseSilence = window })
	r.waitCycles(t, 5)
	require.Zero(t, r.br.holdsFor("no sensor frame"), "posts accepted: no hold")
	// 100 frames a second: 80 refusals are 800 ms without an accepted frame.
	require.NoError(t, r.dev.FailNext(http.StatusInternalServerError, 80, "/api/brain/sensor"))
	require.Eventually(t, func() bool { return r.d.Stats().SensesHeld }, 10*time.Second, 5*time.Millisecond, "held for stale senses")
	require.Eventually(t, func() bool { return r.d.Stats().FramesWhileSenseless > 0 }, 10*time.Second, 5*time.Millisecond,
		"outputs taken, not commanded")
	require.Eventually(t, func() bool { return !r.d.Stats().SensesHeld }, 10*time.Second, 5*time.Millisecond, "released once posts succeed")
	r.waitCycles(t, 5) // moving again
	s := r.d.Stats()
	assert.Equal(t, int64(1), s.SenseHolds, "one hold for one run of failures")
	assert.Equal(t, 1, r.br.holdsFor("accepted no sensor frame"), "the bridge was asked to hold once")
	assert.GreaterOrEqual(t, s.PostFailures, int64(80))
	assert.Contains(t, s.LastHold, "stale senses")
	assert.WithinDuration(t, time.Now(), s.LastAccepted, 5*time.Second)
	assert.Zero(t, s.Repeated)
	assert.Zero(t, s.Skipped)
}

// TestLinkFollowsTheStream: up once connected, down with the reason after a
// drop, up again after the resume.
func TestLinkFollowsTheStream(t *testing.T) {
	r := newRig(t)
	r.waitCycles(t, 2)
	l := r.d.Stats().Link
	require.True(t, l.Up)
	require.True(t, l.Connected)
	up := l.Since
	r.dev.DropStreams()
	require.Eventually(t, func() bool { return r.d.Stats().Resumes >= 1 }, 10*time.Second, 5*time.Millisecond)
	l = r.d.Stats().Link
	assert.True(t, l.Up)
	assert.Contains(t, l.Reason, "output stream dropped")
	assert.True(t, l.Since.After(up), "since the resume")
}

// TestActuationChannels: with an actuation mapping the device's outputs are
// decoded from each frame's actuation.channels counts (the stand-in counts
// the spiking neurons of each output population): every delta is a whole
// number of gains, within the limit.
func TestActuationChannels(t *testing.T) {
	const gain = 0.01
	r := newRig(t, func(c *Config) {
		c.Actuation = []primalux.ActuationEntry{{Channel: "MOTOR", Motor: "joint:0", Gain: gain, Limit: &[2]float64{-0.03, 0.03}}}
	})
	r.waitCycles(t, 20)
	r.br.mu.Lock()
	moved := 0
	for _, c := range r.br.cycles {
		for _, step := range c {
			v, ok := step["joint:0"]
			if !ok {
				continue
			}
			moved++
			assert.LessOrEqual(t, v, 0.03+1e-12, "limited")
			n := v / gain
			assert.InDelta(t, math.Round(n), n, 1e-9, "a count times the gain: %v", v)
		}
	}
	r.br.mu.Unlock()
	assert.Positive(t, moved, "channel counts became motion")
	assert.Zero(t, r.d.Stats().DecodeErrors)
}

// TestActuationFrameWithoutChannels: a frame without actuation.channels is
// refused by the decoder as the SDK refuses it; counted, and its step
// carries no motion.
func TestActuationFrameWithoutChannels(t *testing.T) {
	key, _ := primalux.NewKey(testKey)
	client, err := primalux.New(primalux.Options{URL: "http://127.0.0.1:1", Key: key})
	require.NoError(t, err)
	m := spikes.NewMappingEntry("MOTOR", "joint:0")
	px := config.Default().PrimaLux
	d, err := New(Config{Client: client, Contract: primalux.Contract{Outputs: []primalux.Output{{ID: "MOTOR", N: 8}}},
		Mapping: []spikes.MappingEntry{m}, PrimaLux: px, CycleDuration: 50 * time.Millisecond,
		Actuation: []primalux.ActuationEntry{{Channel: "MOTOR", Motor: "joint:0", Gain: 1}}})
	require.NoError(t, err)
	require.Equal(t, 1, d.Gamma())
	d.accepted(time.Now())
	br := &fakeBridge{}
	f := &follower{d: d, br: br}
	f.frame(&primalux.Frame{Epoch: "e", Sequence: 1, Item: primalux.Item{Step: 1, Outputs: []primalux.OutputStep{}}})
	f.frame(&primalux.Frame{Epoch: "e", Sequence: 2, Item: primalux.Item{Step: 2, Actuation: []byte(`{"channels":{"MOTOR":3}}`)}})
	assert.Equal(t, int64(1), d.Stats().DecodeErrors)
	require.Len(t, br.cycles, 2)
	assert.Empty(t, br.cycles[0][0], "no motion for the refused step")
	assert.Equal(t, map[string]float64{"joint:0": 3}, br.cycles[1][0])
}

// TestAcceptedFramesCountTheirInputs: each sensor frame the device accepts
// counts every input it carried as sent, joints as well as the camera and
// the microphone (the inputs status and the stop line read those counts); a
// frame the device refuses counts none, a joint left out is not counted.
func TestAcceptedFramesCountTheirInputs(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*testing.T, *rig)
		check func(t *testing.T, sent map[string]int64, s Stats)
	}{
		{"every frame accepted", func(*testing.T, *rig) {}, func(t *testing.T, sent map[string]int64, s Stats) {
			assert.Equal(t, map[string]int64{"SENSE": s.Posted, "CAM": s.Posted, "MIC": s.Posted}, sent)
		}},
		{"frames the device refuses count nothing", func(t *testing.T, r *rig) {
			require.NoError(t, r.dev.FailNext(http.StatusInternalServerError, 5, "/api/brain/sensor"))
			require.Eventually(t, func() bool { return r.d.Stats().PostFailures >= 5 }, 10*time.Second, 5*time.Millisecond)
		}, func(t *testing.T, sent map[string]int64, s Stats) {
			assert.GreaterOrEqual(t, s.PostFailures, int64(5))
			assert.Equal(t, map[string]int64{"SENSE": s.Posted, "CAM": s.Posted, "MIC": s.Posted}, sent)
		}},
		{"stale joints: the joint input left out", func(t *testing.T, r *rig) {
			r.br.mu.Lock()
			r.br.fresh = false
			r.br.mu.Unlock()
			require.Eventually(t, func() bool { return r.d.Stats().StaleFrames >= 5 }, 10*time.Second, 5*time.Millisecond)
		}, func(t *testing.T, sent map[string]int64, s Stats) {
			assert.Equal(t, s.Posted, sent["CAM"])
			assert.Equal(t, s.Posted, sent["MIC"])
			assert.LessOrEqual(t, sent["SENSE"], s.Posted-5, "the frames without joints do not count the joint")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			r.waitCycles(t, 3)
			tc.setup(t, r)
			r.waitCycles(t, 3)
			r.cancel()
			<-r.done // no frame in flight: the counts are final
			s := r.d.Stats()
			require.Positive(t, s.Posted)
			r.br.mu.Lock()
			defer r.br.mu.Unlock()
			tc.check(t, r.br.sent, s)
			assert.NotContains(t, r.br.sent, "REWARD", "the reward population is no input")
		})
	}
}

// sensorLog records the sensor frames a device is sent.
type sensorLog struct {
	mu     sync.Mutex
	frames []map[string][]float64
}

func (l *sensorLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/api/brain/sensor" {
			body, _ := io.ReadAll(r.Body)
			var f map[string][]float64
			if json.Unmarshal(body, &f) == nil {
				l.mu.Lock()
				l.frames = append(l.frames, f)
				l.mu.Unlock()
			}
			r.Body = io.NopCloser(strings.NewReader(string(body)))
		}
		next.ServeHTTP(w, r)
	})
}

// lastReward is the reward population of the newest frame recorded.
func (l *sensorLog) lastReward() []float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.frames) == 0 {
		return nil
	}
	return l.frames[len(l.frames)-1]["REWARD"]
}

// TestRewardReachesTheRewardPopulation: the reward the bridge computes
// after a cycle (Brain.SendReward: the reward policy's value) goes out in
// the next sensor frames as the SDK's reward population of that value;
// neutral (0.5) until the first.
func TestRewardReachesTheRewardPopulation(t *testing.T) {
	log := &sensorLog{}
	r := newRigServed(t, log.wrap)
	r.waitCycles(t, 2)
	assert.Equal(t, primalux.RewardVector(0.5, 4), log.lastReward(), "neutral before any reward")
	assert.Equal(t, []float64{1, 1, 0, 0}, primalux.RewardVector(0.5, 4))
	for _, m := range []float64{0.75, 0, 1, 0.2} {
		require.NoError(t, r.d.SendReward(brain.Reward{Global: m}))
		want := primalux.RewardVector(m, 4)
		require.Eventually(t, func() bool { return assert.ObjectsAreEqual(want, log.lastReward()) }, 5*time.Second, 5*time.Millisecond,
			"reward %v as %v (last sent %v)", m, want, log.lastReward())
	}
	assert.Positive(t, r.dev.Counters().Rewards, "the device took the reward populations")
}
