package roboactions

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Status is a policy's health as /v1/healthz reports it.
type Status string

// The SDK's PolicyStatus values.
const (
	Healthy   Status = "HEALTHY"
	Unhealthy Status = "UNHEALTHY"
	Deploying Status = "DEPLOYING"
	Stopped   Status = "STOPPED"
	NotFound  Status = "NOT_FOUND"
	Unknown   Status = "UNKNOWN"
)

// Status asks /v1/healthz; a value the SDK does not know is Unknown.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var p struct {
		Status any `json:"status"`
	}
	if err := c.getJSON(ctx, "/v1/healthz", &p); err != nil {
		return Unknown, err
	}
	s, _ := p.Status.(string)
	switch st := Status(strings.ToUpper(strings.TrimSpace(s))); st {
	case Healthy, Unhealthy, Deploying, Stopped, NotFound:
		return st, nil
	}
	return Unknown, nil
}

// WaitDeployed polls Status every interval while the policy is DEPLOYING
// (the SDK's wait_until_deployed, which has no bound: this one ends with
// ctx) and returns the first other status. progress, if not nil, hears
// each DEPLOYING answer, for the log.
func (c *Client) WaitDeployed(ctx context.Context, interval time.Duration, progress func(waited time.Duration)) (Status, error) {
	if interval <= 0 {
		return Unknown, fmt.Errorf("roboactions: poll interval must be positive")
	}
	start := time.Now()
	stillDeploying := func() (Status, error) {
		return Deploying, fmt.Errorf("roboactions: policy %s still DEPLOYING after %s: %w", c.o.PolicyID, time.Since(start).Round(time.Second), ctx.Err())
	}
	for polls := 0; ; polls++ {
		st, err := c.Status(ctx)
		if err != nil && polls > 0 && ctx.Err() != nil {
			return stillDeploying() // the bound ended during a poll, not between two
		}
		if err != nil || st != Deploying {
			return st, err
		}
		if progress != nil {
			progress(time.Since(start))
		}
		t := time.NewTimer(interval)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return stillDeploying()
		}
	}
}

// Reset asks /v1/policy/reset (a GET, as the SDK sends it); an answer of
// {"reset": false, "error": …} is an error.
func (c *Client) Reset(ctx context.Context) error {
	var p struct {
		Reset any    `json:"reset"`
		Error string `json:"error"`
	}
	if err := c.getJSON(ctx, "/v1/policy/reset", &p); err != nil {
		return err
	}
	if ok, _ := p.Reset.(bool); !ok {
		if p.Error == "" {
			p.Error = "no reason given"
		}
		return fmt.Errorf("roboactions /v1/policy/reset: the policy did not reset: %s", clip(p.Error))
	}
	return nil
}

// PredictActionChunk posts an observation (keys as the input features
// name them, arrays as ndarray.Array, "task" a string) and returns the
// decoded answer; Chunk reads actions out of it.
func (c *Client) PredictActionChunk(ctx context.Context, obs map[string]any) (any, error) {
	return c.infer(ctx, "/v1/policy/predict_action_chunk", obs)
}

// SelectAction is PredictActionChunk's one-step sibling.
func (c *Client) SelectAction(ctx context.Context, obs map[string]any) (any, error) {
	return c.infer(ctx, "/v1/policy/select_action", obs)
}
