package localdevice

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewRefusesBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		conf Config
		want string
	}{
		{"no key", Config{}, "must begin plx_"},
		{"not a device key", Config{APIKey: "sk_123456789"}, "must begin plx_"},
		{"negative rate", Config{APIKey: testKey, TickRate: -1}, "tick rate"},
		{"too many steps", Config{APIKey: testKey, StepsPerFrame: 5000}, "steps per frame"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.conf)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestAuthAnswersTheDevicesErrorShape(t *testing.T) {
	d := newTestDevice(t, nil)
	for _, tc := range []struct {
		name, auth string
		status     int
		detail     string
	}{
		{"missing", "", http.StatusUnauthorized, "Missing developer API key"},
		{"wrong", "Bearer plx_someone_else", http.StatusUnauthorized, "Invalid developer API key"},
		{"not bearer", testKey, http.StatusUnauthorized, "Invalid developer API key"},
		{"right", "Bearer " + testKey, http.StatusOK, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := d.callKey(t, tc.auth, http.MethodGet, "/api/status", nil)
			assert.Equal(t, tc.status, code)
			if tc.detail != "" {
				assert.Contains(t, body["detail"], tc.detail)
			} else {
				assert.Equal(t, true, body["ok"])
			}
		})
	}
	assert.Equal(t, 3, d.Counters().Unauthorized)
}

func TestStatusReportsTheInstalledBrain(t *testing.T) {
	for _, tc := range []struct {
		name    string
		brain   *Brain
		state   string
		hasName bool
	}{
		{"installed", testBrain(), StateReady, true},
		{"none", nil, StateIdle, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDevice(t, func(c *Config) { c.Brain = tc.brain })
			code, st := d.call(t, http.MethodGet, "/api/status", nil)
			require.Equal(t, http.StatusOK, code)
			e := st["engine"].(map[string]any)
			assert.Equal(t, tc.state, e["state"])
			assert.Equal(t, tc.brain != nil, e["has_brain"])
			assert.Equal(t, false, e["busy"])
			assert.Equal(t, true, e["available"])
			pkg := st["package"].(map[string]any)
			assert.Equal(t, false, pkg["pending"])
			if tc.hasName {
				assert.Equal(t, "unit", e["native_brain_name"])
				assert.Equal(t, "unit", pkg["active"].(map[string]any)["name"])
			} else {
				assert.Nil(t, pkg["active"])
			}
		})
	}
}

func TestEngineStates(t *testing.T) {
	d := newTestDevice(t, func(c *Config) { c.StopDelay = 150 * time.Millisecond })
	code, body := d.call(t, http.MethodPost, "/api/brain/stop", nil)
	require.Equal(t, http.StatusOK, code, "stop before any run: %v", body)
	require.Eventually(t, func() bool { return d.engine(t)["state"] == StateStopped }, 2*time.Second, 10*time.Millisecond)

	epoch := d.run(t)
	assert.Equal(t, StateRunning, d.engine(t)["state"])
	code, body = d.call(t, http.MethodPost, "/api/brain/run", nil)
	assert.Equal(t, http.StatusConflict, code)
	assert.Contains(t, body["detail"], "already running")

	code, body = d.call(t, http.MethodPost, "/api/brain/stop", nil)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, map[string]any{"accepted": "stop"}, body["native_response"])
	e := d.engine(t)
	assert.Equal(t, StateStopping, e["state"], "Stop is acknowledged before it completes")
	assert.Equal(t, true, e["busy"])
	code, body = d.call(t, http.MethodPost, "/api/brain/run", nil)
	assert.Equal(t, http.StatusConflict, code)
	assert.Contains(t, body["detail"], "stopping")
	require.Eventually(t, func() bool {
		e := d.engine(t)
		return e["state"] == StateStopped && e["busy"] == false
	}, 2*time.Second, 10*time.Millisecond)
	assert.NotEqual(t, epoch, d.run(t), "every run is a new epoch")
}

func TestEngineRequestsNeedABrain(t *testing.T) {
	d := newTestDevice(t, func(c *Config) { c.Brain = nil })
	for _, path := range []string{"/api/brain/run", "/api/brain/stop", "/api/brain/reset", "/api/brain/reset-dynamics"} {
		code, body := d.call(t, http.MethodPost, path, nil)
		assert.Equal(t, http.StatusConflict, code, path)
		assert.Contains(t, body["detail"], "No brain is installed", path)
	}
}

func TestResetStartsANewEpochAndKeepsTheState(t *testing.T) {
	for _, op := range []string{"reset", "reset-dynamics"} {
		t.Run(op, func(t *testing.T) {
			d := newTestDevice(t, nil)
			epoch := d.run(t)
			code, body := d.call(t, http.MethodPost, "/api/brain/"+op, nil)
			require.Equal(t, http.StatusOK, code)
			assert.Equal(t, map[string]any{"accepted": op}, body["native_response"])
			e := d.engine(t)
			assert.NotEqual(t, epoch, e["epoch"])
			assert.Equal(t, StateRunning, e["state"])
		})
	}
}

func TestSensorFramesAreValidated(t *testing.T) {
	d := newTestDevice(t, nil)
	d.run(t)
	long := strings.Repeat("x", 129)
	many := map[string]any{}
	for i := range 129 {
		many[strings.Repeat("p", i+1)] = []float64{0}
	}
	for _, tc := range []struct {
		name   string
		body   any
		status int
		detail string
	}{
		{"good", map[string]any{"SENSE": []float64{0, 0.5, 1, 0.25}}, http.StatusOK, ""},
		{"good with reward", map[string]any{"SENSE": []float64{0, 0, 0, 0}, "REWARD": []float64{1, 1, 0, 0}}, http.StatusOK, ""},
		{"not json", `{"SENSE": [`, http.StatusBadRequest, "must be a JSON object"},
		{"a list", `[1, 2]`, http.StatusBadRequest, "must be a JSON object"},
		{"null", `null`, http.StatusBadRequest, "must be a JSON object"},
		{"empty", map[string]any{}, http.StatusBadRequest, "has 0 populations, want 1 to 128"},
		{"too many", many, http.StatusBadRequest, "has 129 populations"},
		{"long name", map[string]any{long: []float64{0}}, http.StatusBadRequest, "must have 1 to 128 characters"},
		{"unknown", map[string]any{"EYES": []float64{0}}, http.StatusBadRequest, "EYES: not an input of the installed brain (inputs: SENSE, REWARD)"},
		{"scalar", map[string]any{"SENSE": 0.5}, http.StatusBadRequest, "SENSE: want a list of 1 to 498 values, got 0.5"},
		{"empty vector", map[string]any{"SENSE": []float64{}}, http.StatusBadRequest, "must contain 1..498 values, got 0"},
		{"too long", map[string]any{"SENSE": make([]float64, 499)}, http.StatusBadRequest, "must contain 1..498 values, got 499"},
		{"wrong size", map[string]any{"SENSE": []float64{0, 1}}, http.StatusBadRequest, "SENSE: 2 values for a population of 4 neurons"},
		{"above one", map[string]any{"SENSE": []float64{0, 1.5, 0, 0}}, http.StatusBadRequest, "SENSE[1]: 1.5 is not a number within [0,1]"},
		{"negative", map[string]any{"SENSE": []float64{0, 0, 0, -0.1}}, http.StatusBadRequest, "SENSE[3]: -0.1 is not"},
		{"a bool", `{"SENSE": [true, 0, 0, 0]}`, http.StatusBadRequest, "SENSE[0]: true is not"},
		{"a string", `{"SENSE": ["1", 0, 0, 0]}`, http.StatusBadRequest, `SENSE[0]: "1" is not`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := d.call(t, http.MethodPost, "/api/brain/sensor", tc.body)
			assert.Equal(t, tc.status, code)
			if tc.detail == "" {
				assert.Equal(t, true, body["ok"])
				assert.Equal(t, true, body["queued"])
			} else {
				assert.Contains(t, body["detail"], tc.detail)
			}
		})
	}
	c := d.Counters()
	assert.Equal(t, 2, c.SensorFrames)
	assert.Equal(t, 15, c.SensorRejected)
	assert.Equal(t, 1, c.Rewards)
}

func TestSensorFramesNeedARunningBrainAndRoom(t *testing.T) {
	d := newTestDevice(t, func(c *Config) { c.Queue = 2; c.TickRate = 0.5 })
	frame := map[string]any{"SENSE": []float64{0, 0, 0, 0}}
	code, body := d.call(t, http.MethodPost, "/api/brain/sensor", frame)
	assert.Equal(t, http.StatusConflict, code)
	assert.Contains(t, body["detail"], "not running (state READY)")

	d.run(t)
	for range 2 {
		code, _ = d.call(t, http.MethodPost, "/api/brain/sensor", frame)
		require.Equal(t, http.StatusOK, code)
	}
	code, body = d.call(t, http.MethodPost, "/api/brain/sensor", frame)
	assert.Equal(t, http.StatusServiceUnavailable, code, "the third frame waits for a tick 2 s away")
	assert.Contains(t, body["detail"], "Input queue full (2 frames)")
}

func TestUnknownRoutesAnswerJSON(t *testing.T) {
	d := newTestDevice(t, nil)
	code, body := d.call(t, http.MethodGet, "/api/brain/nothing", nil)
	assert.Equal(t, http.StatusNotFound, code)
	assert.Equal(t, "Not Found", body["detail"])
}

func TestEventsListTheNewestFrames(t *testing.T) {
	d := newTestDevice(t, nil)
	d.run(t)
	require.Eventually(t, func() bool { return d.engine(t)["sequence"].(float64) >= 3 }, 2*time.Second, 10*time.Millisecond)
	code, body := d.call(t, http.MethodGet, "/api/brain/events", nil)
	require.Equal(t, http.StatusOK, code)
	items := body["items"].([]any)
	require.GreaterOrEqual(t, len(items), 3)
	prev := 0.0
	for _, it := range items {
		step := it.(map[string]any)["step"].(float64)
		assert.Greater(t, step, prev)
		assert.Equal(t, 0.0, float64(int(step)%5), "a frame is 5 steps")
		prev = step
	}
}

func TestRewardPopulationsTeachTheNetwork(t *testing.T) {
	for _, tc := range []struct {
		name    string
		frozen  bool
		reward  []float64
		changes bool
	}{
		{"rewarded", false, []float64{1, 1, 1, 1}, true},
		{"punished", false, []float64{0, 0, 0, 0}, true},
		{"neutral", false, []float64{1, 1, 0, 0}, false},
		{"frozen", true, []float64{1, 1, 1, 1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDevice(t, func(c *Config) { c.NoLearning = tc.frozen })
			d.run(t)
			var learning map[string]any
			for range 200 {
				code, body := d.call(t, http.MethodPost, "/api/brain/sensor", map[string]any{"SENSE": []float64{1, 1, 1, 1}, "REWARD": tc.reward})
				require.Equal(t, http.StatusOK, code, "%v", body)
				time.Sleep(5 * time.Millisecond)
				_, st := d.call(t, http.MethodGet, "/api/status", nil)
				learning = st["learning"].(map[string]any)
				if learning["rewards"].(float64) >= 20 {
					break
				}
			}
			require.GreaterOrEqual(t, learning["rewards"].(float64), 20.0, "rewards reach the network")
			if tc.changes {
				assert.Positive(t, learning["weight_change"])
			} else {
				assert.Zero(t, learning["weight_change"])
			}
		})
	}
}
