package localdevice

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/abbridge/ab_bridge/internal/contract"
)

// Build states as GET /api/brain/build/{id} reports them.
const (
	BuildRunning = "BUILDING"
	BuildReady   = "READY"
	BuildFailed  = "FAILED"
)

// maxDesignBody is the SDK's own bound on a public design.
const maxDesignBody = 1 << 20

const buildFeedbackSchema = "artificial-brains/build-feedback/v1"

// build is one brain build the device was asked for.
type build struct {
	id     string
	digest string
	brain  *Brain
	status string
	code   string // build feedback code of a failed build
}

func (b *build) answer() map[string]any {
	a := map[string]any{
		"build_id": b.id, "design_sha256": b.digest, "status": b.status,
		"installed": b.status == BuildReady, "failed": b.status == BuildFailed,
	}
	if b.status == BuildFailed {
		a["build_feedback"] = map[string]any{
			"schema": buildFeedbackSchema, "design_sha256": b.digest, "code": b.code,
			"populations": []string{}, "resources": map[string]any{},
		}
	}
	return a
}

// serveBuild is POST /api/brain/build {design, design_sha256}: accepted at
// once, installed after the build delay (the package is pending and the
// engine busy meanwhile), then READY in a new epoch. The design must be
// the SDK's semantic design, whose digest it names. A design the stand-in
// cannot run (no output, a bad population) fails with INVALID_DESIGN
// feedback, as the SDK's build_on_device reads it.
func (d *Device) serveBuild(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxDesignBody+4096))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("Brain design larger than %d bytes.", maxDesignBody))
		return
	}
	design, digest, err := parseBuildRequest(raw)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if b := d.build; b != nil && b.digest == digest && b.status != BuildFailed {
		// The SDK repeats a build whose answer it lost (X-PrimaLux-Resume-Build).
		writeJSON(w, http.StatusOK, mergeAccepted(b.answer()))
		return
	}
	switch {
	case d.state == StateRunning || d.state == StateStopping:
		writeError(w, http.StatusConflict, "Stop the brain before building another.")
		return
	case d.build != nil && d.build.status == BuildRunning:
		writeError(w, http.StatusConflict, "Another brain build is in progress.")
		return
	}
	b := &build{id: "build_" + token(8), digest: digest, status: BuildRunning}
	brain, err := designBrain(design)
	if err == nil {
		err = d.markRewards(brain)
	}
	if err != nil {
		b.status, b.code = BuildFailed, "INVALID_DESIGN"
		d.conf.Logger.Warn("build refused", "err", err)
	} else {
		sum := sha256.Sum256(raw)
		brain.SHA256 = hex.EncodeToString(sum[:])
		b.brain = brain
		time.AfterFunc(d.conf.BuildDelay, func() { d.install(b) })
	}
	d.builds[b.id] = b
	d.build = b
	writeJSON(w, http.StatusOK, mergeAccepted(b.answer()))
}

func mergeAccepted(a map[string]any) map[string]any {
	a["accepted"] = a["status"] != BuildFailed
	return a
}

// install makes a finished build the installed brain.
func (d *Device) install(b *build) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if b.status != BuildRunning {
		return
	}
	b.status = BuildReady
	d.brain = b.brain
	d.state = StateReady
	d.netGen++
	d.newEpochLocked("build", true)
	d.conf.Logger.Info("brain built and installed", "name", b.brain.Name)
}

// markRewards flags the inputs named as reward populations.
func (d *Device) markRewards(b *Brain) error {
	for i, p := range b.Inputs {
		b.Inputs[i].Reward = slices.Contains(d.conf.Rewards, p.ID)
	}
	return b.check()
}

// serveBuildStatus is GET /api/brain/build/{id}.
func (d *Device) serveBuildStatus(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	b, ok := d.builds[r.PathValue("id")]
	if !ok {
		writeError(w, http.StatusNotFound, "Unknown build.")
		return
	}
	writeJSON(w, http.StatusOK, b.answer())
}

// parseBuildRequest reads {design, design_sha256} and checks the digest.
func parseBuildRequest(raw []byte) (map[string]any, string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var req map[string]any
	if err := dec.Decode(&req); err != nil {
		return nil, "", errors.New("build request must be a JSON object {design, design_sha256}")
	}
	design, ok := req["design"].(map[string]any)
	if !ok {
		return nil, "", errors.New("build request has no design object")
	}
	want, _ := req["design_sha256"].(string)
	if _, err := contract.CanonicalJSON(design); err != nil {
		return nil, "", fmt.Errorf("design: %w", err)
	}
	got, err := DesignSHA256(design)
	if err != nil {
		return nil, "", err
	}
	if want != got {
		return nil, "", fmt.Errorf("design_sha256 %q is not the design's digest %s", want, got)
	}
	return design, got, nil
}
