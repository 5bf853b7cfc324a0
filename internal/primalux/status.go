package primalux

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Status is GET /api/status as far as the SDK reads it. Flags follow Python
// truthiness (the SDK tests `not engine.get('busy')`), so 0, "", null and
// absent are all false.
type Status struct {
	Engine   Engine  `json:"engine"`
	Package  Package `json:"package"`
	DeviceID string  `json:"device_id"`
	// EngineMissing: no "engine" object, so nothing can be confirmed.
	EngineMissing bool `json:"-"`
}

// Engine is the native engine's state.
type Engine struct {
	State           string // upper-cased: READY, RUNNING, STOPPED, ERROR, ...
	HasBrain        bool
	Busy            bool
	Error           string // empty when the device reports none
	Unavailable     bool   // "available": false
	NativeBrainName string
}

// Package is the installed (active), installing (pending) and failed brain package.
type Package struct {
	Pending    bool
	Active     PackageInfo
	FailedLoad *FailedLoad
}

// PackageInfo names a brain package.
type PackageInfo struct {
	Name         string `json:"name"`
	SHA256       string `json:"sha256"`
	DesignSHA256 string `json:"design_sha256"`
}

// FailedLoad is the device's report of a package it could not install.
type FailedLoad struct {
	Name  string
	Error string
}

// Status reads the device's state.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var raw map[string]any
	if err := c.do(ctx, http.MethodGet, pathStatus, nil, "", &raw); err != nil {
		return Status{}, err
	}
	return statusOf(raw), nil
}

func statusOf(raw map[string]any) Status {
	var s Status
	s.DeviceID, _ = raw["device_id"].(string)
	eng, ok := raw["engine"].(map[string]any)
	state, stateOK := eng["state"].(string)
	s.EngineMissing = !ok || !stateOK
	s.Engine = Engine{
		State:           strings.ToUpper(state),
		HasBrain:        eng["has_brain"] == true,
		Busy:            truthy(eng["busy"]),
		Error:           textOf(eng["error"]),
		Unavailable:     eng["available"] == false,
		NativeBrainName: strings.TrimSpace(textOf(eng["native_brain_name"])),
	}
	pkg, _ := raw["package"].(map[string]any)
	s.Package.Pending = truthy(pkg["pending"])
	s.Package.Active = infoOf(pkg["active"])
	if f, ok := pkg["failed_load"].(map[string]any); ok && len(f) > 0 {
		s.Package.FailedLoad = &FailedLoad{Name: textOf(f["name"]), Error: textOf(f["error"])}
		if s.Package.FailedLoad.Error == "" {
			s.Package.FailedLoad.Error = "unknown"
		}
	}
	return s
}

func infoOf(v any) PackageInfo {
	m, _ := v.(map[string]any)
	var p PackageInfo
	p.Name, _ = m["name"].(string)
	p.SHA256, _ = m["sha256"].(string)
	p.DesignSHA256, _ = m["design_sha256"].(string)
	return p
}

// truthy is Python's truth of a decoded JSON value.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case float64:
		return x != 0
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}

// textOf is a reported value as text; "" for none or false.
func textOf(v any) string {
	if !truthy(v) {
		return ""
	}
	if s, ok := v.(string); ok {
		return cut(clip(s))
	}
	b, _ := json.Marshal(v)
	return clip(string(b))
}

// WaitOptions bound a wait on the device.
type WaitOptions struct {
	Timeout time.Duration // overall; 0 means the operation's default
	Poll    time.Duration // between status reads; 0 means the default
}

func (w WaitOptions) orDefault(timeout, poll time.Duration) (time.Duration, time.Duration, error) {
	if w.Timeout < 0 || w.Poll < 0 {
		return 0, 0, errors.New("wait timeout and poll interval must be positive")
	}
	if w.Timeout == 0 {
		w.Timeout = timeout
	}
	if w.Poll == 0 {
		w.Poll = poll
	}
	return w.Timeout, w.Poll, nil
}

// Watch is what a wait saw, reported whether it succeeded or not.
type Watch struct {
	Polls     int
	LastState string
	LastBusy  bool
	LastErr   error // the last status read that failed, if any
	Elapsed   time.Duration
}

// Defaults of the SDK's stop_and_wait: saving the neural dynamics can take minutes.
const (
	DefaultStopTimeout = 180 * time.Second
	DefaultStopPoll    = 250 * time.Millisecond
)

// Stop asks the brain to stop and waits, polling status, until the device
// reports STOPPED and not busy: only then are the neural dynamics saved.
// READY does not count (it does not prove a stop). A fault state or an engine
// error ends the wait at once; a status read that fails with a retryable
// error is polled again (honouring Retry-After) until the deadline, which the
// SDK does not do. The Watch says what the wait saw either way.
func (c *Client) Stop(ctx context.Context, w WaitOptions) (Watch, error) {
	timeout, poll, err := w.orDefault(DefaultStopTimeout, DefaultStopPoll)
	if err != nil {
		return Watch{}, err
	}
	ack, err := c.RequestStop(ctx)
	if err != nil {
		return Watch{}, err
	}
	if !ack.OK {
		return Watch{}, &Error{Kind: Protocol, Method: http.MethodPost, Path: pathStop, Detail: "device did not accept stop (ok is not true)"}
	}
	if native, ok := ack.Raw["native_response"].(map[string]any); ok && native["accepted"] != "stop" {
		return Watch{}, &Error{Kind: Protocol, Method: http.MethodPost, Path: pathStop, Detail: "device did not acknowledge stop (native_response.accepted is not \"stop\")"}
	}
	return c.waitFor(ctx, timeout, poll, "stop", func(s Status) (bool, error) {
		if s.EngineMissing {
			return false, &Error{Kind: Protocol, Method: http.MethodGet, Path: pathStatus, Detail: "cannot confirm stop: status has no engine state"}
		}
		if s.Engine.Error != "" {
			return false, fmt.Errorf("prima-lux stop failed: %s", s.Engine.Error)
		}
		if s.Engine.Unavailable || faultState(s.Engine.State) {
			return false, fmt.Errorf("prima-lux stop failed: device state is %s", s.Engine.State)
		}
		return s.Engine.State == "STOPPED" && !s.Engine.Busy, nil
	}, "neural dynamics save is unconfirmed")
}

// DefaultStartTimeout is how long the SDK waits for RUNNING after Run.
const DefaultStartTimeout = 15 * time.Second

// Start checks that a brain is installed and READY or STOPPED, asks it to
// run and waits until the device reports RUNNING, as the SDK's
// start_session(start_brain=True) does.
func (c *Client) Start(ctx context.Context, w WaitOptions) (Watch, error) {
	timeout, poll, err := w.orDefault(DefaultStartTimeout, 200*time.Millisecond)
	if err != nil {
		return Watch{}, err
	}
	s, err := c.Status(ctx)
	if err != nil {
		return Watch{}, err
	}
	if !s.Engine.HasBrain || s.Package.Pending {
		return Watch{LastState: s.Engine.State}, errors.New("prima-lux has no installed ready brain: load one before starting")
	}
	if s.Engine.State != "READY" && s.Engine.State != "STOPPED" {
		return Watch{LastState: s.Engine.State}, fmt.Errorf("prima-lux brain is %s: it must be READY or STOPPED to start", s.Engine.State)
	}
	if _, err := c.Run(ctx); err != nil {
		return Watch{}, err
	}
	return c.waitFor(ctx, timeout, poll, "start", func(s Status) (bool, error) {
		if faultState(s.Engine.State) {
			return false, fmt.Errorf("prima-lux brain did not start: device state is %s", s.Engine.State)
		}
		return s.Engine.State == "RUNNING", nil
	}, "the brain may not be running")
}

// waitFor polls status until done says so, an error, or the deadline.
func (c *Client) waitFor(ctx context.Context, timeout, poll time.Duration, what string,
	done func(Status) (bool, error), unconfirmed string) (Watch, error) {
	start := c.now()
	deadline := start.Add(timeout)
	var w Watch
	for {
		s, err := c.Status(ctx)
		w.Polls++
		w.Elapsed = c.now().Sub(start)
		delay := poll
		switch {
		case err == nil:
			w.LastState, w.LastBusy, w.LastErr = s.Engine.State, s.Engine.Busy, nil
			ok, derr := done(s)
			if derr != nil || ok {
				return w, derr
			}
		case IsRetryable(err) && ctx.Err() == nil:
			w.LastErr = err
			delay = max(poll, RetryDelay(err, poll))
		default:
			return w, err
		}
		left := deadline.Sub(c.now())
		if left <= 0 {
			return w, &WaitError{What: what, Timeout: timeout, Watch: w, Consequence: unconfirmed}
		}
		if err := c.sleep(ctx, min(delay, left)); err != nil {
			return w, err
		}
	}
}

// WaitError is a wait that ran out of time, with what it last saw.
type WaitError struct {
	What        string
	Timeout     time.Duration
	Watch       Watch
	Consequence string
}

func (e *WaitError) Error() string {
	state := e.Watch.LastState
	if state == "" {
		state = "UNKNOWN"
	}
	msg := fmt.Sprintf("prima-lux %s not confirmed within %s after %d status reads (last state %s, busy %t)",
		e.What, e.Timeout, e.Watch.Polls, state, e.Watch.LastBusy)
	if e.Watch.LastErr != nil {
		msg += "; last status error: " + e.Watch.LastErr.Error()
	}
	return msg + "; " + e.Consequence
}

// Package uploads, as the SDK's upload_abp checks them.
const (
	packageMagic   = "ABPKG001"
	minPackageSize = 32
	maxPackageSize = 64 << 20
	// DefaultInstallTimeout is the SDK's wait for an uploaded package.
	DefaultInstallTimeout = 180 * time.Second
)

// Installed is a package the device confirmed READY.
type Installed struct {
	Package PackageInfo
	Watch   Watch
}

// UploadPackage sends an already compiled and signed brain package (an .abp
// file, ABPKG001) and waits until the device reports it installed: not
// pending, READY, a brain present, and the active package's sha256 the one
// the upload answered. A failed load of that package, or a fault state, ends
// the wait with the device's reason.
func (c *Client) UploadPackage(ctx context.Context, name string, data []byte, w WaitOptions) (Installed, error) {
	timeout, poll, err := w.orDefault(DefaultInstallTimeout, 500*time.Millisecond)
	if err != nil {
		return Installed{}, err
	}
	if !strings.EqualFold(fileExt(name), ".abp") {
		return Installed{}, fmt.Errorf("brain package %q: want an .abp file", name)
	}
	if len(data) < minPackageSize || len(data) > maxPackageSize {
		return Installed{}, fmt.Errorf("brain package %q is %d bytes: want 32 bytes to 64 MiB", name, len(data))
	}
	if string(data[:len(packageMagic)]) != packageMagic {
		return Installed{}, fmt.Errorf("brain package %q is not a signed ABPKG001 package (graph JSON is not accepted)", name)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreatePart(fileHeader(name))
	if err == nil {
		_, err = io.Copy(part, bytes.NewReader(data))
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return Installed{}, fmt.Errorf("brain package %q: %w", name, err)
	}
	var raw map[string]any
	if err := c.do(ctx, http.MethodPost, pathLoad, body.Bytes(), mw.FormDataContentType(), &raw); err != nil {
		return Installed{}, err
	}
	if raw["accepted"] != true {
		msg := textOf(raw["message"])
		if msg == "" {
			msg = "package staged but not installed: native engine unavailable"
		}
		return Installed{}, fmt.Errorf("prima-lux refused brain package %q: %s", name, msg)
	}
	expected := infoOf(raw["package"])
	var active PackageInfo
	watch, err := c.waitFor(ctx, timeout, poll, "package install", func(s Status) (bool, error) {
		if f := s.Package.FailedLoad; f != nil && (expected.Name == "" || f.Name == expected.Name) {
			return false, fmt.Errorf("prima-lux could not install brain package %q: %s", name, f.Error)
		}
		if !s.Package.Pending && s.Engine.State == "READY" && s.Engine.HasBrain && s.Package.Active.SHA256 == expected.SHA256 {
			active = s.Package.Active
			return true, nil
		}
		if faultState(s.Engine.State) {
			return false, fmt.Errorf("prima-lux native manager is %s: %s", s.Engine.State, s.Engine.Error)
		}
		return false, nil
	}, "inspect the device's status before running")
	return Installed{Package: active, Watch: watch}, err
}

func fileExt(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i:]
	}
	return ""
}

func fileHeader(name string) map[string][]string {
	base := name[strings.LastIndexAny(name, `/\`)+1:]
	esc := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(base)
	return map[string][]string{
		"Content-Disposition": {`form-data; name="file"; filename="` + esc + `"`},
		"Content-Type":        {"application/octet-stream"},
	}
}

const pathEvents = "/api/brain/events"

// Events reads the device's recent outputs once (GET /api/brain/events),
// the SDK's polling path beside the stream: the answer's "items" or
// "events" list, or the answer itself when it is one item, sorted by step.
// An answer of another shape is a protocol error: no outputs are invented.
func (c *Client) Events(ctx context.Context) ([]Item, error) {
	var raw map[string]json.RawMessage
	if err := c.do(ctx, http.MethodGet, pathEvents, nil, "", &raw); err != nil {
		return nil, err
	}
	var list []json.RawMessage
	switch {
	case json.Unmarshal(raw["items"], &list) == nil && list != nil:
	case json.Unmarshal(raw["events"], &list) == nil && list != nil:
	case raw["step"] != nil:
		whole, _ := json.Marshal(raw)
		list = []json.RawMessage{whole}
	case string(raw["ok"]) == "true":
	default:
		return nil, &Error{Kind: Protocol, Method: http.MethodGet, Path: pathEvents, Detail: "unknown answer shape: want items or events"}
	}
	items := make([]Item, 0, len(list))
	for i, r := range list {
		var it struct {
			Step json.RawMessage `json:"step"`
		}
		if json.Unmarshal(r, &it) != nil {
			return nil, &Error{Kind: Protocol, Method: http.MethodGet, Path: pathEvents, Detail: fmt.Sprintf("event %d is not an object", i)}
		}
		step, err := intOf(it.Step)
		if err != nil {
			return nil, &Error{Kind: Protocol, Method: http.MethodGet, Path: pathEvents, Detail: fmt.Sprintf("event %d has no integer step", i)}
		}
		item, err := ParseItem(r)
		if err != nil { // the SDK's poller takes items without outputs (actuation only)
			item = Item{Step: step}
			var act struct {
				Actuation json.RawMessage `json:"actuation"`
			}
			_ = json.Unmarshal(r, &act)
			item.Actuation = act.Actuation
		}
		items = append(items, item)
	}
	slices.SortStableFunc(items, func(a, b Item) int { return cmp.Compare(a.Step, b.Step) })
	return items, nil
}
