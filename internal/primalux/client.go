package primalux

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The device's API, as the reference SDK calls it.
const (
	pathStatus        = "/api/status"
	pathRun           = "/api/brain/run"
	pathStop          = "/api/brain/stop"
	pathReset         = "/api/brain/reset"
	pathResetDynamics = "/api/brain/reset-dynamics"
	pathSensor        = "/api/brain/sensor"
	pathLoad          = "/api/brain/load"
	pathStream        = "/api/brain/stream"
)

// DefaultTimeout bounds one request, as the SDK's AB_DEVICE_TIMEOUT default.
const DefaultTimeout = 15 * time.Second

// maxBody bounds what is read of any answer but the stream.
const maxBody = 4 << 20

// Client talks to one Prima-Lux device. It is safe for concurrent use.
type Client struct {
	origin *url.URL
	key    Key
	http   *http.Client // requests, each bounded by timeout
	stream *http.Client // the event stream: no overall timeout
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error
}

// Options are a Client's settings; URL and Key are required.
type Options struct {
	URL     string
	Key     Key
	Timeout time.Duration // per request; 0 means DefaultTimeout
	// Transport carries the requests; nil means a clone of
	// http.DefaultTransport without proxies (the SDK ignores proxy
	// variables too: a device is reached directly).
	Transport http.RoundTripper
}

// New checks the address against the transport rule and the key, and
// returns a client; nothing is sent yet.
func New(o Options) (*Client, error) {
	origin, err := CheckOrigin(o.URL)
	if err != nil {
		return nil, err
	}
	if o.Key.IsZero() {
		return nil, errNoKey
	}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	if timeout < 0 {
		return nil, fmt.Errorf("prima-lux request timeout %s: want a positive duration", timeout)
	}
	rt := o.Transport
	if rt == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.Proxy = nil
		rt = t
	}
	return &Client{
		origin: origin,
		key:    o.Key,
		http:   &http.Client{Transport: rt, Timeout: timeout, CheckRedirect: noRedirect},
		stream: &http.Client{Transport: rt, CheckRedirect: noRedirect},
		now:    time.Now,
		sleep:  sleepCtx,
	}, nil
}

// A redirect could carry the bearer key to another host, or downgrade to
// plain http; a device has no reason to redirect.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Origin is the device's address (no key in it).
func (c *Client) Origin() string { return c.origin.String() }

func (c *Client) newRequest(ctx context.Context, method, path string, q url.Values, body io.Reader) (*http.Request, error) {
	u := *c.origin
	u.Path = path
	if q != nil {
		u.RawQuery = q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, &Error{Kind: Protocol, Method: method, Path: path, Err: err}
	}
	req.Header.Set("Authorization", c.key.bearer())
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// do sends one request and decodes its answer, which must be a JSON
// object, into out.
func (c *Client) do(ctx context.Context, method, path string, body []byte, contentType string, out any) error {
	return c.doWith(ctx, method, path, body, contentType, nil, out)
}

// doWith is do with extra request headers.
func (c *Client) doWith(ctx context.Context, method, path string, body []byte, contentType string, headers map[string]string, out any) error {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := c.newRequest(ctx, method, path, nil, r)
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return &Error{Kind: Retryable, Method: method, Path: path, Err: netCause(err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return &Error{Kind: Retryable, Method: method, Path: path, Status: 0, Err: fmt.Errorf("reading the answer: %w", netCause(err))}
	}
	if err := c.statusError(method, path, resp, data); err != nil {
		return err
	}
	if len(data) > maxBody {
		return &Error{Kind: Protocol, Method: method, Path: path, Detail: fmt.Sprintf("answer larger than %d bytes", maxBody)}
	}
	if !bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		return &Error{Kind: Protocol, Method: method, Path: path, Detail: "answer is not a JSON object: " + clip(string(data))}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &Error{Kind: Protocol, Method: method, Path: path, Detail: "answer does not decode", Err: err}
	}
	return nil
}

// statusError turns a non-2xx answer into an *Error with its body's detail
// and Retry-After.
func (c *Client) statusError(method, path string, resp *http.Response, body []byte) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return &Error{
		Kind:       kindOf(resp.StatusCode),
		Method:     method,
		Path:       path,
		Status:     resp.StatusCode,
		Detail:     detailOf(body),
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), c.now()),
	}
}

// netCause strips the URL from a transport error: it names the device, which
// the Error already does, and keeps the message short.
func netCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Ack is a command's acknowledgement; Raw keeps every field the device sent.
type Ack struct {
	OK  bool
	Raw map[string]any
}

func (c *Client) command(ctx context.Context, path string) (Ack, error) {
	var raw map[string]any
	if err := c.do(ctx, http.MethodPost, path, nil, "", &raw); err != nil {
		return Ack{}, err
	}
	return Ack{OK: raw["ok"] == true, Raw: raw}, nil
}

// Run asks the device to start the installed brain (acknowledged only; see
// Start for a confirmed start).
func (c *Client) Run(ctx context.Context) (Ack, error) { return c.command(ctx, pathRun) }

// RequestStop asks for a stop without waiting for it (see Stop).
func (c *Client) RequestStop(ctx context.Context) (Ack, error) { return c.command(ctx, pathStop) }

// ResetDynamics restores the installed brain's neural dynamics to their
// initial state; the device does it asynchronously (poll Status).
func (c *Client) ResetDynamics(ctx context.Context) (Ack, error) {
	return c.command(ctx, pathResetDynamics)
}

// Reset is the older Device Manager releases' reset route.
func (c *Client) Reset(ctx context.Context) (Ack, error) { return c.command(ctx, pathReset) }

// Device limits on one sensor post, as the SDK's send_sensors enforces them.
const (
	MaxSensorChannels = 128 // populations in one post
	MaxChannelID      = 128 // characters in a population's id
	MaxPopulation     = 498 // values in one population (and neurons per input)
)

// ValidateSensors checks one post against the device's limits: 1 to 128
// populations, ids of 1 to 128 characters, 1 to 498 values each, every value
// finite and within [0, 1]. The SDK refuses the same posts.
func ValidateSensors(channels map[string][]float64) error {
	if len(channels) == 0 || len(channels) > MaxSensorChannels {
		return fmt.Errorf("sensor post has %d populations: want 1 to %d", len(channels), MaxSensorChannels)
	}
	for id, v := range channels {
		if id == "" || len([]rune(id)) > MaxChannelID {
			return fmt.Errorf("sensor population id %q: want 1 to %d characters", clip(id), MaxChannelID)
		}
		if len(v) == 0 || len(v) > MaxPopulation {
			return fmt.Errorf("sensor population %s has %d values: want 1 to %d", id, len(v), MaxPopulation)
		}
		for i, x := range v {
			if !(x >= 0 && x <= 1) { // NaN fails both
				return fmt.Errorf("sensor population %s value %d is %v: want a finite value within [0, 1]", id, i, x)
			}
		}
	}
	return nil
}

// SendSensors posts one frame of normalised population vectors, observed
// together. It does not retry: a lost answer leaves the delivery unknown,
// and the device owns the timing, so a repeat would be a second observation.
func (c *Client) SendSensors(ctx context.Context, channels map[string][]float64) error {
	if err := ValidateSensors(channels); err != nil {
		return err
	}
	body, err := json.Marshal(channels)
	if err != nil {
		return fmt.Errorf("sensor post: %w", err)
	}
	var reply map[string]any
	if err := c.do(ctx, http.MethodPost, pathSensor, body, "application/json", &reply); err != nil {
		return err
	}
	if reply["ok"] != true || reply["queued"] != true {
		return &Error{Kind: Protocol, Method: http.MethodPost, Path: pathSensor,
			Detail: "device did not acknowledge the sensor frame (want ok and queued true); its delivery is unknown"}
	}
	return nil
}

// States the engine reports that end any wait: the device cannot proceed.
func faultState(s string) bool {
	switch s {
	case "ERROR", "FAULT", "SAFE_MODE", "UNAVAILABLE":
		return true
	}
	return false
}

// cut returns s with everything after the first line dropped, for messages.
func cut(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}
