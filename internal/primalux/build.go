package primalux

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

const pathBuild = "/api/brain/build"

// buildID is the form of the ids the device gives builds.
var buildID = regexp.MustCompile(`^[A-Za-z0-9_-]{8,100}$`)

// Built is a design the device built and installed.
type Built struct {
	DesignSHA256 string
	DeviceID     string
	Watch        Watch
}

// BuildProgress is what a build's answers said so far: its id, the status
// the device last gave it (BUILDING until installed or failed), how many
// requests were made and how long it has taken; LastErr is the last lost
// answer (a network failure the build is repeated through), if any.
type BuildProgress struct {
	BuildID string
	Status  string
	Polls   int
	Elapsed time.Duration
	LastErr error
}

// BuildError is a build the device refused, with its diagnostic code (one
// of the SDK's public build-feedback codes) and the populations it names.
type BuildError struct {
	Code        string
	Message     string
	Populations []string
}

func (e *BuildError) Error() string {
	s := "prima-lux could not build the brain: [" + e.Code + "] " + e.Message
	if len(e.Populations) > 0 {
		s += " Populations: " + strings.Join(e.Populations, ", ") + "."
	}
	return s
}

// buildMessages are the SDK's texts for the device's build-feedback codes;
// a code outside them is not shown (the SDK forwards no device text).
var buildMessages = map[string]string{
	"INVALID_DESIGN":             "check the design fields, connection endpoints and numeric values.",
	"MISSING_INPUT":              "add a sensory input to the design.",
	"NO_EXCITATORY_PATH":         "the named populations have no construction path from an input.",
	"AMBIGUOUS_FEEDBACK":         "the recurrent connections do not identify an unambiguous construction path; mark the return connections as feedback.",
	"OPERAND_IS_RETURN":          "an operand connection is also a recurrent return.",
	"MIXED_OPERAND_ROLES":        "a target mixes operand connections with ordinary excitation.",
	"MIXED_SOURCE_RHYTHMS":       "the sources into a target need compatible rhythms.",
	"NO_CONSTRUCTION_EXCITATION": "an OPU needs a construction excitation source.",
	"POPULATION_CAPACITY":        "a population exceeds the device's population capacity.",
	"NEURON_CAPACITY":            "the design exceeds the 10,000-neuron construction budget, inputs included.",
	"OPERATING_BAND":             "a source and target combination has no supported operating band.",
	"OUTPUT_SOURCE":              "an output needs excitation from beta or high-gamma OPUs.",
	"INVALID_UNITS":              "operand units must be positive and finite, on an operand connection.",
	"INVALID_STRENGTH":           "inhibitory strength must be finite and at least 0.1.",
	"INVALID_TNORM":              "TNorm must be finite, from 0 to 10.",
	"DUPLICATE_CONNECTION":       "the same source and target are connected more than once.",
	"INVALID_DIRECTION":          "inputs excite OPUs; outputs can feed back into OPUs.",
	"MATRIX_CAPACITY":            "the connection matrices exceed the prepared-image budget.",
	"PACKAGE_PREPARATION_FAILED": "package preparation failed.",
	"BUILD_TIME_LIMIT":           "the device stopped waiting for this build.",
}

// BuildDesign has the device build and install a brain from a design, as
// the SDK's build_on_device does: POST /api/brain/build {design,
// design_sha256}, then, unless the answer is already READY and installed,
// GET /api/brain/build/{id} until it is, and finally a status that shows the
// design installed and READY. Every answer must name this design's digest.
// A lost answer (network) does not cancel a device's build: requests are
// repeated until the deadline, a repeated POST marked
// X-PrimaLux-Resume-Build. w.Timeout 0 waits until ctx ends. progress, when
// not nil, is called with every answer about the build (the POST's and each
// poll's), so a caller can show a build that takes minutes.
func (c *Client) BuildDesign(ctx context.Context, d Design, w WaitOptions, progress func(BuildProgress)) (Built, error) {
	if w.Timeout < 0 || w.Poll < 0 {
		return Built{}, errors.New("build timeout and poll interval must be positive")
	}
	poll := w.Poll
	if poll == 0 {
		poll = 500 * time.Millisecond
	}
	if w.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, w.Timeout)
		defer cancel()
	}
	body := append(append([]byte(`{"design":`), d.Canonical...), []byte(`,"design_sha256":"`+d.Digest+`"}`)...)
	var watch Watch
	start := c.now()
	tell := func(answer map[string]any) {
		if progress == nil {
			return
		}
		id, _ := answer["build_id"].(string)
		status, _ := answer["status"].(string)
		progress(BuildProgress{BuildID: id, Status: status, Polls: watch.Polls, Elapsed: c.now().Sub(start), LastErr: watch.LastErr})
	}
	var answer map[string]any
	err := c.persist(ctx, poll, &watch, func(resumed bool) error {
		hdr := ""
		if resumed {
			hdr = "1"
		}
		return c.doHeader(ctx, http.MethodPost, pathBuild, body, hdr, &answer)
	})
	var e *Error
	if errors.As(err, &e) && (e.Status == http.StatusNotFound || e.Status == http.StatusMethodNotAllowed) {
		return Built{}, fmt.Errorf("prima-lux device manager update required for brain builds: %w", err)
	}
	if err == nil {
		tell(answer)
		err = c.awaitBuild(ctx, d.Digest, answer, poll, &watch, tell)
	}
	watch.Elapsed = c.now().Sub(start)
	if err != nil {
		if ctx.Err() != nil {
			return Built{Watch: watch}, fmt.Errorf("stopped waiting for the brain build (it may still run on the device; build again to reconnect): %w", err)
		}
		return Built{Watch: watch}, err
	}
	var s Status
	err = c.persist(ctx, poll, &watch, func(bool) (err error) { s, err = c.Status(ctx); return err })
	if err != nil {
		return Built{Watch: watch}, err
	}
	watch.LastState, watch.LastBusy = s.Engine.State, s.Engine.Busy
	if s.Engine.State != "READY" || !s.Engine.HasBrain || s.Package.Pending || s.Package.Active.DesignSHA256 != d.Digest {
		return Built{Watch: watch}, fmt.Errorf("brain build completed but prima-lux has not confirmed it READY (state %s, active design %s)", s.Engine.State, s.Package.Active.DesignSHA256)
	}
	return Built{DesignSHA256: d.Digest, DeviceID: s.DeviceID, Watch: watch}, nil
}

// awaitBuild follows the device's answer to a build request until the
// build is READY and installed.
func (c *Client) awaitBuild(ctx context.Context, digest string, answer map[string]any, poll time.Duration, w *Watch,
	tell func(map[string]any)) error {
	ready, err := buildReady(answer, digest)
	if err != nil || ready {
		return err
	}
	id, _ := answer["build_id"].(string)
	if answer["accepted"] != true || !buildID.MatchString(id) {
		return errors.New("prima-lux did not accept the brain build request")
	}
	for {
		if err := c.sleep(ctx, poll); err != nil {
			return err
		}
		var progress map[string]any
		err := c.persist(ctx, poll, w, func(bool) error {
			return c.do(ctx, http.MethodGet, pathBuild+"/"+id, nil, "", &progress)
		})
		if err != nil {
			return err
		}
		if progress == nil { // a JSON null: buildReady refuses it below
			progress = map[string]any{}
		}
		if progress["build_id"] == nil {
			progress["build_id"] = id
		}
		tell(progress)
		if ready, err := buildReady(progress, digest); err != nil || ready {
			return err
		}
	}
}

// persist repeats call through network failures (not HTTP answers) until
// ctx ends; resumed says a previous attempt's answer was lost.
func (c *Client) persist(ctx context.Context, poll time.Duration, w *Watch, call func(resumed bool) error) error {
	for attempt := 0; ; attempt++ {
		err := call(attempt > 0)
		w.Polls++
		var e *Error
		if err == nil || !errors.As(err, &e) || e.Status != 0 || e.Kind != Retryable || ctx.Err() != nil {
			return err
		}
		w.LastErr = err
		if serr := c.sleep(ctx, max(time.Second, poll)); serr != nil {
			return fmt.Errorf("%w (last: %v)", serr, err)
		}
	}
}

// buildReady checks an answer is about this design and says whether it is
// installed and READY; a failed build is a *BuildError when the device gave
// a known diagnostic.
func buildReady(answer map[string]any, digest string) (bool, error) {
	if answer["design_sha256"] != digest {
		return false, errors.New("prima-lux did not confirm the requested brain design (design_sha256 differs)")
	}
	status, _ := answer["status"].(string)
	if truthy(answer["failed"]) || status == "ERROR" || status == "FAILED" {
		if fb, ok := answer["build_feedback"].(map[string]any); ok && fb["design_sha256"] == digest {
			code, _ := fb["code"].(string)
			if msg, known := buildMessages[code]; known {
				be := &BuildError{Code: code, Message: msg}
				pops, _ := fb["populations"].([]any)
				for _, p := range pops[:min(len(pops), 8)] {
					if name, ok := p.(string); ok && populationName.MatchString(name) && !contains(be.Populations, name) {
						be.Populations = append(be.Populations, name)
					}
				}
				return false, be
			}
		}
		return false, errors.New("prima-lux could not prepare the brain: check the device status")
	}
	return status == "READY" && answer["installed"] == true, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// doHeader is do with the resume-build header when resume is "1".
func (c *Client) doHeader(ctx context.Context, method, path string, body []byte, resume string, out any) error {
	if resume == "" {
		return c.do(ctx, method, path, body, "application/json", out)
	}
	return c.doWith(ctx, method, path, body, "application/json", map[string]string{"X-PrimaLux-Resume-Build": resume}, out)
}
