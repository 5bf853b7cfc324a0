package roboactions

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// APIError is an answer outside 2xx, after any retries.
type APIError struct {
	Endpoint   string
	Status     int
	Message    string        // the server's message or detail, if it sent one
	RetryAfter time.Duration // from Retry-After on 429/503, 0 if none
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("roboactions %s: %d %s", e.Endpoint, e.Status, msg)
}

// Fatal says retrying cannot help: the key is wrong (401), lacks access to
// the policy (403), or the policy does not exist (404). Other 4xx are the
// request's fault and fatal too, except 408 and 429.
func (e *APIError) Fatal() bool { return !retryable(e.Status) }

// IsFatal says err is an APIError that retrying cannot help.
func IsFatal(err error) bool {
	var a *APIError
	return errors.As(err, &a) && a.Fatal()
}

// retryable is the SDK's status_forcelist: 408, 429 and the 5xx it lists;
// any other 5xx is retried too (a proxy's 520 is as transient as a 502).
func retryable(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

// errorMessage reads the message the SDK would show: "message", then a
// "detail" string, then a detail list's messages (FastAPI's validation
// errors), else the body's first line.
func errorMessage(body []byte) string {
	var p struct {
		Message any `json:"message"`
		Detail  any `json:"detail"`
	}
	if json.Unmarshal(body, &p) != nil {
		line, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
		return clip(line)
	}
	if m, ok := p.Message.(string); ok && strings.TrimSpace(m) != "" {
		return clip(strings.TrimSpace(m))
	}
	switch d := p.Detail.(type) {
	case string:
		return clip(strings.TrimSpace(d))
	case []any:
		var parts []string
		for _, item := range d {
			switch it := item.(type) {
			case string:
				parts = append(parts, strings.TrimSpace(it))
			case map[string]any:
				for _, k := range []string{"message", "msg"} {
					if m, ok := it[k].(string); ok && strings.TrimSpace(m) != "" {
						parts = append(parts, strings.TrimSpace(m))
						break
					}
				}
			}
		}
		return clip(strings.Join(parts, "; "))
	}
	return ""
}

// clip keeps a hostile server's message from flooding the log.
func clip(s string) string {
	const max = 300
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}

// retryAfter reads Retry-After as seconds or an HTTP date; 0 when absent
// or unreadable.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs < 0 || secs > 1e6 || secs != secs {
			return 0
		}
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
