package brain

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/abbridge/ab_bridge/internal/contract"
)

// DefaultHTTPTimeout is the SDK's timeout for one REST call.
const DefaultHTTPTimeout = 10 * time.Second

// maxBodySize bounds what the bridge reads of one REST answer; contracts are
// a few kilobytes, so anything near this is a misbehaving server.
const maxBodySize = 8 << 20

// Config is the REST client's configuration.
type Config struct {
	// (optional) BaseURL of the brain's API, with or without a trailing
	// "/api"; normalised to end in "/api". Defaults to DefaultBaseURL.
	BaseURL string
	// (optional) APIKey is the machine key, sent as x-api-key and as a
	// Bearer token. Empty sends no auth headers. Never logged.
	APIKey string
	// (optional) Namespace of the realtime channel when the contract names
	// none. Defaults to "/ab".
	Namespace string
	// (optional) HTTPTimeout bounds one REST call. Defaults to 10 s.
	HTTPTimeout time.Duration
	// (optional) Logger for request lines. Defaults to slog.Default().
	Logger *slog.Logger
}

// Client talks to the brain's REST API. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	apiKey    string
	namespace string
	http      *http.Client
	log       *slog.Logger
}

// NewClient checks conf and builds a client.
func NewClient(conf Config) (*Client, error) {
	base, err := parseBaseURL(conf.BaseURL)
	if err != nil {
		return nil, err
	}
	if conf.HTTPTimeout < 0 {
		return nil, fmt.Errorf("brain: http timeout %v is negative", conf.HTTPTimeout)
	}
	if conf.HTTPTimeout == 0 {
		conf.HTTPTimeout = DefaultHTTPTimeout
	}
	if conf.Logger == nil {
		conf.Logger = slog.Default()
	}
	c := &Client{
		base:      base,
		apiKey:    conf.APIKey,
		namespace: normalizeNamespace(conf.Namespace, contract.DefaultNamespace),
		log:       conf.Logger,
	}
	c.http = &http.Client{Timeout: conf.HTTPTimeout, CheckRedirect: keepKeyOnSameHost}
	return c, nil
}

// keepKeyOnSameHost stops the API key from following a redirect to another
// host: net/http already drops Authorization there, but not x-api-key.
func keepKeyOnSameHost(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if req.URL.Host != via[0].URL.Host {
		req.Header.Del("x-api-key")
		req.Header.Del("Authorization")
	}
	return nil
}

// BaseURL is the normalised base URL, ending in "/api".
func (c *Client) BaseURL() string { return c.base.String() }

// Close releases idle connections.
func (c *Client) Close() error {
	c.http.CloseIdleConnections()
	return nil
}

// Start starts a run of the project's brain (POST robot/{id}/start). opts
// are the optional start options; nil sends {}. The answer must carry a
// runId (contract.ErrNoRunID otherwise).
func (c *Client) Start(ctx context.Context, projectID string, opts map[string]any) (*contract.Contract, error) {
	if opts == nil {
		opts = map[string]any{}
	}
	body, err := c.call(ctx, http.MethodPost, projectID, "start", opts)
	if err != nil {
		return nil, err
	}
	ct, err := contract.ParseStart(body)
	if err != nil {
		return nil, fmt.Errorf("brain: start answer of project %q: %w", projectID, err)
	}
	return ct, nil
}

// Stop stops a run (POST robot/{id}/stop with {"runId"}). An empty runID
// sends {} as the SDK does; the server may then stop nothing.
func (c *Client) Stop(ctx context.Context, projectID, runID string) error {
	payload := map[string]any{}
	if runID != "" {
		payload["runId"] = runID
	}
	body, err := c.call(ctx, http.MethodPost, projectID, "stop", payload)
	if err != nil {
		return err
	}
	return checkNotRefused(body)
}

// checkNotRefused reads an optional {"ok": false, ...} in a 2xx answer.
func checkNotRefused(body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		return fmt.Errorf("brain: stop answer is not a JSON object: %w", err)
	}
	if ok, present := doc["ok"].(bool); present && !ok {
		return fmt.Errorf("brain: server refused to stop the run: %s", bodyMessage(body))
	}
	return nil
}

// Contract fetches the project's contract without starting a run
// (GET robot/{id}/contract). Its RunID is empty.
func (c *Client) Contract(ctx context.Context, projectID string) (*contract.Contract, error) {
	body, err := c.call(ctx, http.MethodGet, projectID, "contract", nil)
	if err != nil {
		return nil, err
	}
	ct, err := contract.Parse(body)
	if err != nil {
		return nil, fmt.Errorf("brain: contract of project %q: %w", projectID, err)
	}
	return ct, nil
}

// ContractDoc fetches the project's contract as the document it is (GET
// robot/{id}/contract), every number kept as its literal: its digest
// (contract.Digest) must be taken over what the server sent, as the
// reference SDK takes it. contract.FromMap gives the typed view.
func (c *Client) ContractDoc(ctx context.Context, projectID string) (map[string]any, error) {
	body, err := c.call(ctx, http.MethodGet, projectID, "contract", nil)
	if err != nil {
		return nil, err
	}
	doc, err := contract.DecodeDocument(body)
	if err != nil {
		return nil, fmt.Errorf("brain: contract of project %q: %w", projectID, err)
	}
	return doc, nil
}

// IOState fetches the server's view of the run's IO (GET
// robot/{id}/io/state), used to resynchronise after a gap.
func (c *Client) IOState(ctx context.Context, projectID string) (map[string]any, error) {
	body, err := c.call(ctx, http.MethodGet, projectID, "io/state", nil)
	if err != nil {
		return nil, err
	}
	var state map[string]any
	if err := json.Unmarshal(body, &state); err != nil {
		return nil, fmt.Errorf("brain: io state of project %q is not a JSON object: %w", projectID, err)
	}
	if state == nil {
		return nil, fmt.Errorf("brain: io state of project %q is null", projectID)
	}
	return state, nil
}

// RealtimeEndpoint says where the realtime channel of a run is: the
// contract's realtime.url, else the base URL without "/api"; the contract's
// namespace, else the configured one. ct may be nil.
func (c *Client) RealtimeEndpoint(ct *contract.Contract) (url, namespace string) {
	url = stripAPI(c.base.String())
	namespace = c.namespace
	if ct != nil {
		if u := strings.TrimSpace(ct.Realtime.URL); u != "" {
			url = u
		}
		namespace = normalizeNamespace(ct.Realtime.Namespace, c.namespace)
	}
	return url, namespace
}

// call sends one request to robot/{projectID}/{action} and returns the body
// of a 2xx answer.
func (c *Client) call(ctx context.Context, method, projectID, action string, payload any) ([]byte, error) {
	if err := checkProjectID(projectID); err != nil {
		return nil, err
	}
	target := c.base.JoinPath("robot", projectID, action)
	req, err := c.newRequest(ctx, method, target.String(), payload)
	if err != nil {
		return nil, err
	}
	began := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("brain: %s %s: %w", method, target.Redacted(), err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodySize+1))
	if err != nil {
		return nil, fmt.Errorf("brain: %s %s: read answer: %w", method, target.Redacted(), err)
	}
	c.log.Debug("brain request", "method", method, "url", target.Redacted(),
		"status", resp.StatusCode, "bytes", len(body), "took", time.Since(began))
	if len(body) > maxBodySize {
		return nil, fmt.Errorf("brain: %s %s: answer larger than %d bytes", method, target.Redacted(), maxBodySize)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &HTTPError{Method: method, URL: target.Redacted(), Status: resp.StatusCode, Message: bodyMessage(body)}
	}
	return body, nil
}

func (c *Client) newRequest(ctx context.Context, method, target string, payload any) (*http.Request, error) {
	var body io.Reader
	if payload != nil {
		raw, err := json.Marshal(payload)
		if err != nil {
			return nil, fmt.Errorf("brain: encode %s body: %w", method, err)
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, fmt.Errorf("brain: build %s request: %w", method, err)
	}
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	setAuth(req.Header, c.apiKey)
	return req, nil
}

// setAuth puts the key in both headers the server reads; no key, no headers.
func setAuth(h http.Header, key string) {
	if key == "" {
		return
	}
	h.Set("x-api-key", key)
	h.Set("Authorization", "Bearer "+key)
}

// checkProjectID refuses ids that would change the path's shape.
func checkProjectID(id string) error {
	switch {
	case strings.TrimSpace(id) == "":
		return errors.New("brain: project id is empty")
	case id == "." || id == ".." || strings.ContainsAny(id, "/?#\\"):
		return fmt.Errorf("brain: project id %q is not a single path segment", id)
	}
	return nil
}
