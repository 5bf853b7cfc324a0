package localbrain

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRunOptions(t *testing.T) {
	def := runOptions{LockStep: false, Learning: true, Seed: 5}
	tests := []struct {
		name    string
		body    string // as a start call sends it, so numbers arrive as float64
		want    runOptions
		wantErr string // the key the message must name
	}{
		{"empty body keeps the defaults", `{}`, def, ""},
		{"nulls keep the defaults", `{"lockStep": null, "learning": null, "seed": null}`, def, ""},
		{"lockStep", `{"lockStep": true}`, runOptions{LockStep: true, Learning: true, Seed: 5}, ""},
		{"learning", `{"learning": false}`, runOptions{Learning: false, Seed: 5}, ""},
		{"seed", `{"seed": 7}`, runOptions{Learning: true, Seed: 7}, ""},
		{"seed zero", `{"seed": 0}`, runOptions{Learning: true, Seed: 0}, ""},
		{"largest seed", `{"seed": 9007199254740992}`, runOptions{Learning: true, Seed: 1 << 53}, ""},
		{"all at once", `{"lockStep": true, "learning": false, "seed": 7}`, runOptions{LockStep: true, Seed: 7}, ""},
		{"unknown keys ignored", `{"speed": 3, "mode": "fast", "lockstep": "lower case is another key"}`, def, ""},
		{"lockStep as a string", `{"lockStep": "yes"}`, runOptions{}, optLockStep},
		{"lockStep as a number", `{"lockStep": 1}`, runOptions{}, optLockStep},
		{"learning as a string", `{"learning": "false"}`, runOptions{}, optLearning},
		{"learning as an object", `{"learning": {}}`, runOptions{}, optLearning},
		{"seed as a string", `{"seed": "7"}`, runOptions{}, optSeed},
		{"seed as a bool", `{"seed": true}`, runOptions{}, optSeed},
		{"negative seed", `{"seed": -1}`, runOptions{}, optSeed},
		{"fractional seed", `{"seed": 1.5}`, runOptions{}, optSeed},
		{"seed beyond 2^53", `{"seed": 1e17}`, runOptions{}, optSeed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body map[string]any
			require.NoError(t, json.Unmarshal([]byte(tc.body), &body))
			got, err := parseRunOptions(body, def)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr, "the message names the key")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestStartOptionsOverHTTP(t *testing.T) {
	tests := []struct {
		name         string
		conf         Config
		body         string
		wantCode     int
		wantErr      string
		wantLearning bool
		wantLockStep bool
		wantSeed     uint64
	}{
		{"bad type refused", Config{}, `{"lockStep": "yes"}`, http.StatusBadRequest, "lockStep", false, false, 0},
		{"bad seed refused", Config{}, `{"seed": -2}`, http.StatusBadRequest, "seed", false, false, 0},
		{"options shown in io/state", Config{}, `{"lockStep": true, "learning": false, "seed": 7}`, http.StatusOK, "", false, true, 7},
		{"server defaults", Config{Seed: 3}, `{}`, http.StatusOK, "", true, false, 3},
		{"server defaults flipped", Config{LockStep: true, NoLearning: true}, ``, http.StatusOK, "", false, true, 0},
		{"body overrides server defaults", Config{LockStep: true, NoLearning: true, Seed: 3}, `{"lockStep": false, "learning": true, "seed": 4}`, http.StatusOK, "", true, false, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.conf.CycleInterval = time.Hour // no socket joins: no cycle is wanted
			s := newTestServer(t, tc.conf)
			code, body := call(t, "POST", s.URL()+"/api/robot/demo/start", "", tc.body)
			require.Equal(t, tc.wantCode, code, "%v", body)
			if tc.wantErr != "" {
				assert.Equal(t, false, body["ok"])
				assert.Contains(t, body["error"], tc.wantErr)
				assert.Empty(t, s.Runs(), "a refused start starts nothing")
				return
			}
			id, _ := body["runId"].(string)
			learning := ioState(t, s)["learning"].(map[string]any)
			assert.Equal(t, tc.wantLearning, learning["enabled"])
			assert.Equal(t, tc.wantLockStep, learning["lockStep"])
			assert.Equal(t, 0.0, learning["rewardsApplied"])
			r := s.runByID(id)
			require.NotNil(t, r)
			assert.Equal(t, tc.wantSeed, r.opts.Seed, "the seed is not in io/state; the run keeps it")
		})
	}
}
