package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Prima-Lux stand-in (abctl prima-lux) against the official SDK 0.4.0
// device client, run by test/peers/primalux_sdk_client.py from the SDK's
// own venv (.cache/sdk040, made by scripts/setup).

// standInDesign is a brain design as the SDK's designer saves it: a
// 16-neuron sensor, an 8-neuron reward input, an OPU, an 8-neuron output.
const standInDesign = `{
  "schema": "artificial-brains/design/v1",
  "name": "Stand-in Brain",
  "nodes": [
    {"name": "SENSE", "kind": "input", "x": 160.0, "y": 160.0, "neurons": 16},
    {"name": "REWARD", "kind": "input", "x": 450.0, "y": 160.0, "neurons": 8},
    {"name": "HUB", "kind": "opu", "x": 740.0, "y": 160.0, "rhythm": "beta", "tnorm": 2.0},
    {"name": "MOTOR", "kind": "output", "x": 1030.0, "y": 160.0, "neurons": 8}
  ],
  "connections": [
    {"from": "SENSE", "to": "HUB", "type": "exc"},
    {"from": "HUB", "to": "MOTOR", "type": "exc"},
    {"from": "REWARD", "to": "HUB", "type": "exc"}
  ]
}
`

var standInReady = regexp.MustCompile(`prima-lux stand-in listening on (http://127\.0\.0\.1:\d+)`)

// standInSDKPython is the SDK 0.4.0 venv's interpreter; without it the test
// fails: the proof is the official client, nothing else.
func standInSDKPython(t *testing.T) string {
	t.Helper()
	p := os.Getenv("AB_SDK040_PYTHON")
	if p == "" {
		p = filepath.Join(repoRoot(t), ".cache", "sdk040", "bin", "python")
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("no SDK 0.4.0 venv at %s: run scripts/setup (%v)", p, err)
	}
	return p
}

type deviceStandIn struct {
	url, key, design string
}

// startPrimaLuxStandIn runs abctl prima-lux with the fault knobs on, the
// design installed or not.
func startPrimaLuxStandIn(t *testing.T, installed bool, extra ...string) deviceStandIn {
	t.Helper()
	standInSDKPython(t) // fail before starting anything when the SDK is missing
	dir := t.TempDir()
	s := deviceStandIn{key: "plx_" + randomKey(t), design: filepath.Join(dir, "brain.abdesign.json")}
	require.NoError(t, os.WriteFile(s.design, []byte(standInDesign), 0o600))
	args := []string{"prima-lux", "--listen", "127.0.0.1:0", "--reward", "REWARD", "--faults", "--tick-hz", "20", "--seed", "3"}
	if installed {
		args = append(args, "--brain", s.design)
	}
	args = append(args, extra...)
	cmd := exec.Command(goBinary(t, "cmd/abctl"), args...)
	cmd.Env = append(os.Environ(), "AB_DEVICE_API_KEY="+s.key)
	p := startProc(t, "abctl prima-lux", cmd)
	p.waitOutput(t, "prima-lux stand-in listening on ", 30*time.Second)
	s.url = standInReady.FindStringSubmatch(p.out.String())[1]
	return s
}

type standInSDKError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

type standInControl struct {
	Command string `json:"command"`
	Reason  string `json:"reason"`
	Error   string `json:"error"`
}

// standInResult is what the peer prints.
type standInResult struct {
	Phases []string `json:"phases"`
	Error  *string  `json:"error"`
	Status struct {
		State               string `json:"state"`
		HasBrain            bool   `json:"hasBrain"`
		Busy                bool   `json:"busy"`
		BrainName           string `json:"brainName"`
		DesignDigestMatches bool   `json:"designDigestMatches"`
	} `json:"status"`
	WrongKey     *standInSDKError `json:"wrongKey"`
	NonDeviceKey *standInSDKError `json:"nonDeviceKey"`
	RunState     string           `json:"runState"`
	SensorAcks   struct {
		Sent      int  `json:"sent"`
		AllQueued bool `json:"allQueued"`
	} `json:"sensorAcks"`
	BadFrame *standInSDKError `json:"badFrame"`
	Learning struct {
		Rewards      int     `json:"rewards"`
		WeightChange float64 `json:"weight_change"`
	} `json:"learning"`
	Drop struct {
		SeqBefore int     `json:"seqBefore"`
		SeqAfter  int     `json:"seqAfter"`
		Error     *string `json:"error"`
		Controls  int     `json:"controls"`
	} `json:"drop"`
	Restart struct {
		Controls    []standInControl `json:"controls"`
		StreamError *string          `json:"streamError"`
		StateAfter  string           `json:"stateAfter"`
	} `json:"restart"`
	Items struct {
		Frames          int  `json:"frames"`
		StepsIncreasing bool `json:"stepsIncreasing"`
		FirstStep       int  `json:"firstStep"`
		LastStep        int  `json:"lastStep"`
		Spikes          int  `json:"spikes"`
		BadNeurons      int  `json:"badNeurons"`
	} `json:"items"`
	Decoded struct {
		Commands    int      `json:"commands"`
		WithDeltas  int      `json:"withDeltas"`
		MaxAbsDelta float64  `json:"maxAbsDelta"`
		DeltaBound  float64  `json:"deltaBound"`
		Channels    []string `json:"channels"`
	} `json:"decoded"`
	Stop struct {
		Engine map[string]any `json:"engine"`
	} `json:"stop"`
	Reset struct {
		Ack          map[string]any   `json:"ack"`
		Controls     []standInControl `json:"controls"`
		EpochChanged bool             `json:"epochChanged"`
	} `json:"reset"`
	ResetDynamics map[string]any `json:"resetDynamics"`
	Injected503   struct {
		Sensor      *standInSDKError `json:"sensor"`
		SensorAfter *standInSDKError `json:"sensorAfter"`
		Status      *standInSDKError `json:"status"`
		StatusAfter *standInSDKError `json:"statusAfter"`
	} `json:"injected503"`
	Stream503 struct {
		Controls    []standInControl `json:"controls"`
		StreamError *string          `json:"streamError"`
		Frames      int              `json:"frames"`
	} `json:"stream503"`
	SlowStop struct {
		ShortTimeout *standInSDKError `json:"shortTimeout"`
		Confirmed    map[string]any   `json:"confirmed"`
		Seconds      float64          `json:"seconds"`
	} `json:"slowStop"`
	Gap struct {
		Controls []standInControl `json:"controls"`
	} `json:"gap"`
	Empty struct {
		State     string           `json:"state"`
		HasBrain  bool             `json:"hasBrain"`
		BrainName *standInSDKError `json:"brainName"`
		Session   *standInSDKError `json:"session"`
	} `json:"empty"`
	Build map[string]any `json:"build"`
	Built struct {
		State               string   `json:"state"`
		BrainName           string   `json:"brainName"`
		DesignDigestMatches bool     `json:"designDigestMatches"`
		RewardInputs        []string `json:"rewardInputs"`
	} `json:"built"`
	BuiltSession struct {
		Frames     int `json:"frames"`
		BadNeurons int `json:"badNeurons"`
	} `json:"builtSession"`
}

func runStandInPeer(t *testing.T, s deviceStandIn, scenario string) standInResult {
	t.Helper()
	cmd := exec.Command(standInSDKPython(t), filepath.Join(repoRoot(t), "test", "peers", "primalux_sdk_client.py"),
		"--url", s.url, "--design", s.design, "--scenario", scenario)
	cmd.Env = append(os.Environ(), "AB_DEVICE_API_KEY="+s.key, "PYTHONUNBUFFERED=1")
	p := startProc(t, "SDK 0.4.0 peer", cmd)
	var res standInResult
	peerResult(t, p, 2*time.Minute, &res)
	require.Nil(t, res.Error, "the peer's phases ran: %v", res.Phases)
	return res
}

// standInStopped is the one control the SDK's live stream sends when it
// gives up: stop, with the device's message.
func standInStopped(t *testing.T, controls []standInControl, message string) {
	t.Helper()
	require.Len(t, controls, 1)
	assert.Equal(t, "stop", controls[0].Command)
	assert.Equal(t, "output_stream_error", controls[0].Reason)
	assert.Contains(t, controls[0].Error, message)
}

func TestPrimaLuxStandInAgainstSDK(t *testing.T) {
	s := startPrimaLuxStandIn(t, true)
	r := runStandInPeer(t, s, "main")
	assert.Equal(t, []string{"status", "wrongKey", "session", "reset", "injected503", "stream503", "slowStop"}, r.Phases)

	t.Run("status", func(t *testing.T) {
		assert.Equal(t, "READY", r.Status.State)
		assert.True(t, r.Status.HasBrain)
		assert.False(t, r.Status.Busy)
		assert.Equal(t, "Stand-in Brain", r.Status.BrainName, "the SDK's installed_brain_name")
		assert.True(t, r.Status.DesignDigestMatches, "package.active.design_sha256 is the SDK's design_sha256")
	})
	t.Run("keys", func(t *testing.T) {
		require.NotNil(t, r.WrongKey)
		assert.Equal(t, standInSDKError{"PrimaLuxError", "Prima-Lux HTTP 401: Invalid developer API key."}, *r.WrongKey)
		require.NotNil(t, r.NonDeviceKey, "the SDK refuses a key that is not plx_ before sending it")
		assert.Equal(t, "ValueError", r.NonDeviceKey.Type)
	})
	t.Run("run, sensors, frames, decoding", func(t *testing.T) {
		assert.Equal(t, "RUNNING", r.RunState, "start_session(start_brain=True) saw RUNNING")
		assert.Positive(t, r.SensorAcks.Sent)
		assert.True(t, r.SensorAcks.AllQueued, "every frame acknowledged {ok, queued}")
		require.NotNil(t, r.BadFrame)
		assert.Equal(t, "Prima-Lux HTTP 400: SENSE: 3 values for a population of 16 neurons", r.BadFrame.Message)
		assert.GreaterOrEqual(t, r.Items.Frames, 40, "frames through the SDK's live stream")
		assert.True(t, r.Items.StepsIncreasing)
		assert.Equal(t, 10, r.Items.FirstStep, "replay from the run's first frame (10 steps per frame)")
		assert.Equal(t, 10*r.Items.Frames, r.Items.LastStep, "no frame skipped (the SDK also refuses gaps itself)")
		assert.Positive(t, r.Items.Spikes)
		assert.Zero(t, r.Items.BadNeurons, "every neuron id is MOTOR:0..7")
		assert.Equal(t, r.Items.Frames, r.Decoded.Commands, "GenericSpikeDecoder decoded every frame")
		assert.Positive(t, r.Decoded.WithDeltas, "some frames move the joint")
		assert.Equal(t, []string{"joint:0"}, r.Decoded.Channels)
		assert.Positive(t, r.Decoded.MaxAbsDelta)
		assert.LessOrEqual(t, r.Decoded.MaxAbsDelta, r.Decoded.DeltaBound, "bipolarSplit of 8 neurons moves at most 4 × per_step_max")
		assert.Positive(t, r.Learning.Rewards, "publish_reward reached the network")
		assert.Positive(t, r.Learning.WeightChange, "a reward of 0.9 changed weights")
	})
	t.Run("dropped stream", func(t *testing.T) {
		assert.Nil(t, r.Drop.Error, "the SDK resumed from its cursor")
		assert.Zero(t, r.Drop.Controls)
		assert.Greater(t, r.Drop.SeqAfter, r.Drop.SeqBefore)
	})
	t.Run("restart mid-stream", func(t *testing.T) {
		standInStopped(t, r.Restart.Controls, "epoch changed")
		assert.Equal(t, "READY", r.Restart.StateAfter, "the device came back with its brain, not running")
		assert.Equal(t, "STOPPED", r.Stop.Engine["state"], "the session's stop confirmed")
		assert.Equal(t, false, r.Stop.Engine["busy"])
	})
	t.Run("reset", func(t *testing.T) {
		assert.Equal(t, map[string]any{"accepted": "reset"}, r.Reset.Ack["native_response"])
		standInStopped(t, r.Reset.Controls, "epoch changed (reset)")
		assert.True(t, r.Reset.EpochChanged)
		assert.Equal(t, true, r.ResetDynamics["ok"])
	})
	t.Run("injected 503", func(t *testing.T) {
		want := standInSDKError{"PrimaLuxError", "Prima-Lux HTTP 503: Injected fault: HTTP 503 (stand-in fault knob)."}
		require.NotNil(t, r.Injected503.Sensor)
		assert.Equal(t, want, *r.Injected503.Sensor, "publish_input raises; the SDK does not retry")
		assert.Nil(t, r.Injected503.SensorAfter, "one request failed, the next went through")
		require.NotNil(t, r.Injected503.Status)
		assert.Equal(t, want, *r.Injected503.Status)
		assert.Nil(t, r.Injected503.StatusAfter)
		// The refusal may come before the peer's on_control handler is set
		// (the SDK opens the stream inside start_session): then the stream's
		// error is all the SDK keeps, and it must name the 503.
		require.NotNil(t, r.Stream503.StreamError, "the SDK's output stream did not stop")
		assert.Contains(t, *r.Stream503.StreamError, "Live outputs HTTP 503")
		if len(r.Stream503.Controls) > 0 {
			standInStopped(t, r.Stream503.Controls, "Live outputs HTTP 503")
		}
		assert.Zero(t, r.Stream503.Frames, "frames through a refused stream")
	})
	t.Run("slow stop", func(t *testing.T) {
		require.NotNil(t, r.SlowStop.ShortTimeout)
		assert.Contains(t, r.SlowStop.ShortTimeout.Message, "Stop was not confirmed within 0.5s (last state: STOPPING)")
		assert.Equal(t, map[string]any{"ok": true, "confirmed": true, "state": "STOPPED"}, r.SlowStop.Confirmed)
		assert.GreaterOrEqual(t, r.SlowStop.Seconds, 1.4, "stop_and_wait waited out the 1.5 s save")
	})
}

func TestPrimaLuxStandInGapAgainstSDK(t *testing.T) {
	// 4 frames kept at 50 frames/s: the SDK's 0.5 s reconnect pause loses more.
	s := startPrimaLuxStandIn(t, true, "--replay-frames", "4", "--tick-hz", "50")
	r := runStandInPeer(t, s, "gap")
	assert.Equal(t, []string{"gap"}, r.Phases)
	standInStopped(t, r.Gap.Controls, "no longer kept")
}

func TestPrimaLuxStandInBuildAgainstSDK(t *testing.T) {
	s := startPrimaLuxStandIn(t, false, "--build-delay", "300ms")
	r := runStandInPeer(t, s, "build")
	assert.Equal(t, []string{"empty", "build", "builtSession"}, r.Phases)
	assert.Equal(t, "IDLE", r.Empty.State)
	assert.False(t, r.Empty.HasBrain)
	require.NotNil(t, r.Empty.BrainName)
	assert.Equal(t, "No runnable brain is currently installed on Prima-Lux.", r.Empty.BrainName.Message)
	require.NotNil(t, r.Empty.Session)
	assert.Contains(t, r.Empty.Session.Message, "No installed ready brain")
	assert.Equal(t, "READY", r.Build["status"], "build_on_device's answer")
	assert.Equal(t, true, r.Build["device_ready"])
	assert.Equal(t, "READY", r.Built.State)
	assert.Equal(t, "Stand-in Brain", r.Built.BrainName)
	assert.True(t, r.Built.DesignDigestMatches)
	assert.Equal(t, []string{"REWARD"}, r.Built.RewardInputs)
	assert.GreaterOrEqual(t, r.BuiltSession.Frames, 5)
	assert.Zero(t, r.BuiltSession.BadNeurons)
}
