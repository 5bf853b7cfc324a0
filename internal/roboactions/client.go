package roboactions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/abbridge/ab_bridge/internal/ndarray"
	"github.com/abbridge/ab_bridge/internal/secret"
)

const (
	// DefaultBaseURL is the SDK's DEFAULT_REMOTE_POLICY_BASE_URL.
	DefaultBaseURL = "https://api.roboactions.com"
	// KeyEnv is the variable the SDK reads the API key from.
	KeyEnv = "ROBOACTIONS_API_KEY"
	// ProtocolVersion is the SDK release whose protocol this is.
	ProtocolVersion = "0.1.2"
)

// Options configure a Client; zero values take the defaults noted.
type Options struct {
	BaseURL  string        // DefaultBaseURL
	PolicyID string        // required: sent as x-policy-id
	Key      secret.Secret // required
	// Timeout bounds one request (the SDK's default is 60 s; an
	// inference that slow is useless to a robot, so the node sets less).
	Timeout time.Duration // 60 s
	// Retries after the first attempt for 408, 429, 5xx and network
	// errors (the SDK's max_attempts), each after Backoff·2^n or the
	// server's Retry-After; a Retry-After longer than MaxRetryAfter is not
	// waited out but returned, for the caller to decide.
	Retries       int           // 3
	Backoff       time.Duration // 500 ms
	MaxRetryAfter time.Duration // 30 s
	MaxRequest    int64         // 64 MiB
	MaxAnswer     int64         // 32 MiB
	UserAgent     string        // "ab_bridge roboactions/<ProtocolVersion>"
	HTTP          *http.Client  // a fresh one
}

// Client speaks to one deployed policy. Safe for concurrent use; requests
// are served one at a time.
type Client struct {
	o       Options
	base    string
	http    *http.Client
	inFight chan struct{} // one request at a time
}

// New checks the options: a policy id, a key, and a base URL that is
// https, or http only to this machine (a key must not cross a network in
// the clear).
func New(o Options) (*Client, error) {
	if strings.TrimSpace(o.PolicyID) == "" {
		return nil, errors.New("roboactions: a policy id is required")
	}
	if o.Key.IsZero() || o.Key.Reveal() == "" {
		return nil, fmt.Errorf("roboactions: an API key is required (set %s, a .env file or a key file)", KeyEnv)
	}
	if o.BaseURL == "" {
		o.BaseURL = DefaultBaseURL
	}
	u, err := url.Parse(o.BaseURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("roboactions: base URL %q is not an absolute URL", o.BaseURL)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	case u.Scheme == "http":
		return nil, fmt.Errorf("roboactions: base URL %s: plain http only to this machine (the key would travel in the clear); use https", u.Redacted())
	default:
		return nil, fmt.Errorf("roboactions: base URL %s: scheme must be https", u.Redacted())
	}
	defaults(&o)
	return &Client{o: o, base: strings.TrimRight(o.BaseURL, "/"), http: o.HTTP, inFight: make(chan struct{}, 1)}, nil
}

func defaults(o *Options) {
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	if o.Retries < 0 {
		o.Retries = 0
	} else if o.Retries == 0 {
		o.Retries = 3
	}
	if o.Backoff <= 0 {
		o.Backoff = 500 * time.Millisecond
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = 30 * time.Second
	}
	if o.MaxRequest <= 0 {
		o.MaxRequest = 64 << 20
	}
	if o.MaxAnswer <= 0 {
		o.MaxAnswer = 32 << 20
	}
	if o.UserAgent == "" {
		o.UserAgent = "ab_bridge roboactions/" + ProtocolVersion
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{}
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// BaseURL is where the client sends requests.
func (c *Client) BaseURL() string { return c.base }

// request is one call: its endpoint, and a msgpack body or none.
type request struct {
	method, path string
	msgpack      []byte
}

// do sends r, retrying what may be retried, and returns the 2xx body.
func (c *Client) do(ctx context.Context, r request) ([]byte, error) {
	if int64(len(r.msgpack)) > c.o.MaxRequest {
		return nil, fmt.Errorf("roboactions %s: observation of %d bytes exceeds the %d-byte cap", r.path, len(r.msgpack), c.o.MaxRequest)
	}
	select {
	case c.inFight <- struct{}{}:
		defer func() { <-c.inFight }()
	case <-ctx.Done():
		return nil, fmt.Errorf("roboactions %s: %w", r.path, ctx.Err())
	}
	for attempt := 0; ; attempt++ {
		body, err := c.once(ctx, r)
		if err == nil {
			return body, nil
		}
		wait, ok := c.retryWait(ctx, err, attempt)
		if !ok {
			return nil, err
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%w (gave up waiting to retry: %v)", err, ctx.Err())
		}
	}
}

// retryWait says whether err may be retried after attempt, and after how
// long: the server's Retry-After when it sent one, else the SDK's backoff.
func (c *Client) retryWait(ctx context.Context, err error, attempt int) (time.Duration, bool) {
	if attempt >= c.o.Retries || ctx.Err() != nil {
		return 0, false
	}
	var a *APIError
	if errors.As(err, &a) {
		if !retryable(a.Status) {
			return 0, false
		}
		if a.RetryAfter > c.o.MaxRetryAfter {
			return 0, false
		}
		if a.RetryAfter > 0 {
			return a.RetryAfter, true
		}
	} else if !errors.Is(err, errTransport) {
		return 0, false // an answer too large, a bad body: the same again
	}
	return c.o.Backoff << attempt, true
}

var errTransport = errors.New("network error")

// once is one HTTP exchange.
func (c *Client) once(ctx context.Context, r request) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.o.Timeout)
	defer cancel()
	var body io.Reader
	if r.msgpack != nil {
		body = bytes.NewReader(r.msgpack)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.base+r.path, body)
	if err != nil {
		return nil, fmt.Errorf("roboactions %s: %w", r.path, err)
	}
	c.headers(req.Header, r.msgpack != nil)
	resp, err := c.http.Do(req)
	if err != nil {
		// url.Error carries the URL, never the headers: the key stays out.
		return nil, fmt.Errorf("roboactions %s: %w: %v", r.path, errTransport, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.o.MaxAnswer+1))
	if err != nil {
		return nil, fmt.Errorf("roboactions %s: %w: reading the answer: %v", r.path, errTransport, err)
	}
	if int64(len(data)) > c.o.MaxAnswer {
		return nil, fmt.Errorf("roboactions %s: answer exceeds the %d-byte cap", r.path, c.o.MaxAnswer)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &APIError{Endpoint: r.path, Status: resp.StatusCode, Message: errorMessage(data),
			RetryAfter: retryAfter(resp.Header, time.Now())}
	}
	return data, nil
}

// headers are the SDK's: its defaults on every request, the msgpack types
// on inference.
func (c *Client) headers(h http.Header, msgpack bool) {
	h.Set("User-Agent", c.o.UserAgent)
	h.Set("Authorization", "Bearer "+c.o.Key.Reveal())
	h.Set("x-policy-id", c.o.PolicyID)
	if msgpack {
		h.Set("Content-Type", "application/msgpack")
		h.Set("Accept", "application/msgpack")
		return
	}
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json")
}

// getJSON fetches a JSON object.
func (c *Client) getJSON(ctx context.Context, path string, into any) error {
	data, err := c.do(ctx, request{method: http.MethodGet, path: path})
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		data = []byte("{}") // the SDK reads an empty body as {}
	}
	if err := json.Unmarshal(data, into); err != nil {
		return fmt.Errorf("roboactions %s: the answer is not the expected JSON: %w", path, err)
	}
	return nil
}

// infer posts an observation in msgpack and decodes the answer.
func (c *Client) infer(ctx context.Context, path string, obs map[string]any) (any, error) {
	body, err := ndarray.Marshal(obs)
	if err != nil {
		return nil, fmt.Errorf("roboactions %s: observation: %w", path, err)
	}
	data, err := c.do(ctx, request{method: http.MethodPost, path: path, msgpack: body})
	if err != nil {
		return nil, err
	}
	v, err := ndarray.Unmarshal(data)
	if err != nil {
		return nil, fmt.Errorf("roboactions %s: answer: %w", path, err)
	}
	return v, nil
}
