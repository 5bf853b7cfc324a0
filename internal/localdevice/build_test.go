package localdevice

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// buildRequest is what the SDK's build_on_device posts for the testdata
// design: its semantic form and digest.
func buildRequest(t *testing.T, edit func(map[string]any)) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "brain.abdesign.json"))
	require.NoError(t, err)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var design map[string]any
	require.NoError(t, dec.Decode(&design))
	if edit != nil {
		edit(design)
	}
	digest, err := DesignSHA256(design)
	require.NoError(t, err)
	return map[string]any{"design": design, "design_sha256": digest}
}

func TestBuildInstallsTheDesign(t *testing.T) {
	d := newTestDevice(t, func(c *Config) { c.Brain = nil; c.Rewards = []string{"REWARD"}; c.BuildDelay = 100 * time.Millisecond })
	req := buildRequest(t, nil)
	code, ans := d.call(t, http.MethodPost, "/api/brain/build", req)
	require.Equal(t, http.StatusOK, code, "%v", ans)
	assert.Equal(t, true, ans["accepted"])
	assert.Equal(t, BuildRunning, ans["status"])
	assert.Equal(t, designDigest, ans["design_sha256"], "the SDK's digest")
	id := ans["build_id"].(string)
	assert.Regexp(t, `^[A-Za-z0-9_-]{8,100}$`, id, "the build id the SDK accepts")

	_, st := d.call(t, http.MethodGet, "/api/status", nil)
	assert.Equal(t, true, st["package"].(map[string]any)["pending"])
	assert.Equal(t, true, st["engine"].(map[string]any)["busy"])
	code, _ = d.call(t, http.MethodPost, "/api/brain/run", nil)
	assert.Equal(t, http.StatusConflict, code, "no run while the brain is built")

	code, again := d.call(t, http.MethodPost, "/api/brain/build", req)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, id, again["build_id"], "a repeated build reconnects to the running one")

	require.Eventually(t, func() bool {
		_, b := d.call(t, http.MethodGet, "/api/brain/build/"+id, nil)
		return b["status"] == BuildReady && b["installed"] == true
	}, wait, 10*time.Millisecond)
	_, st = d.call(t, http.MethodGet, "/api/status", nil)
	e := st["engine"].(map[string]any)
	assert.Equal(t, StateReady, e["state"])
	assert.Equal(t, true, e["has_brain"])
	pkg := st["package"].(map[string]any)
	assert.Equal(t, false, pkg["pending"])
	assert.Equal(t, designDigest, pkg["active"].(map[string]any)["design_sha256"])
	inputs := st["io"].(map[string]any)["inputs"].([]any)
	assert.Equal(t, true, inputs[1].(map[string]any)["reward"], "REWARD carries the reward")
	d.run(t)
}

func TestBuildRefusals(t *testing.T) {
	for _, tc := range []struct {
		name    string
		body    any
		running bool
		status  int
		detail  string
		code    string // build feedback code of a FAILED answer
	}{
		{"not json", `{`, false, http.StatusBadRequest, "must be a JSON object", ""},
		{"no design", map[string]any{"design_sha256": "00"}, false, http.StatusBadRequest, "no design object", ""},
		{"wrong digest", map[string]any{"design": buildRequest(t, nil)["design"], "design_sha256": "00"}, false, http.StatusBadRequest, "is not the design's digest", ""},
		{"running", buildRequest(t, nil), true, http.StatusConflict, "Stop the brain", ""},
		{"no output", buildRequest(t, func(d map[string]any) {
			d["nodes"] = d["nodes"].([]any)[:2]
		}), false, http.StatusOK, "", "INVALID_DESIGN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDevice(t, nil)
			if tc.running {
				d.run(t)
			}
			code, ans := d.call(t, http.MethodPost, "/api/brain/build", tc.body)
			assert.Equal(t, tc.status, code, "%v", ans)
			if tc.detail != "" {
				assert.Contains(t, ans["detail"], tc.detail)
				return
			}
			assert.Equal(t, BuildFailed, ans["status"])
			assert.Equal(t, true, ans["failed"])
			assert.Equal(t, false, ans["accepted"])
			fb := ans["build_feedback"].(map[string]any)
			assert.Equal(t, tc.code, fb["code"])
			assert.Equal(t, ans["design_sha256"], fb["design_sha256"])
		})
	}
}

func TestBuildStatusOfAnUnknownBuild(t *testing.T) {
	d := newTestDevice(t, nil)
	code, ans := d.call(t, http.MethodGet, "/api/brain/build/build_nothing", nil)
	assert.Equal(t, http.StatusNotFound, code)
	assert.Equal(t, "Unknown build.", ans["detail"])
}
