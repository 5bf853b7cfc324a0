package primalux

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Kind sorts a failure by what the caller should do next.
type Kind int

const (
	// Retryable: the device is busy, slow or unreachable (408, 429, 5xx,
	// network); the same request may succeed later, after RetryAfter.
	Retryable Kind = iota + 1
	// Fatal: the key is refused or the device has no such API (401, 403,
	// 404); retrying cannot help until someone changes the key or firmware.
	Fatal
	// Rejected: the device refused this request (another 4xx); the link is
	// fine but the same request will be refused again.
	Rejected
	// Protocol: the device answered something this client cannot map
	// faithfully (not JSON, not an object, an unacknowledged sensor frame).
	Protocol
)

func (k Kind) String() string {
	switch k {
	case Retryable:
		return "retryable"
	case Fatal:
		return "fatal"
	case Rejected:
		return "rejected"
	case Protocol:
		return "protocol"
	}
	return "unknown"
}

// Error is a failed device request.
type Error struct {
	Kind       Kind
	Method     string
	Path       string
	Status     int           // HTTP status; 0 for network and protocol failures
	Detail     string        // the body's "detail" (as the SDK reports it), else its text
	RetryAfter time.Duration // from Retry-After; 0 when absent
	Err        error         // the cause, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "prima-lux %s %s: ", e.Method, e.Path)
	switch {
	case e.Status != 0:
		fmt.Fprintf(&b, "HTTP %d", e.Status)
		if e.Detail != "" {
			b.WriteString(": " + e.Detail)
		} else {
			b.WriteString(" " + http.StatusText(e.Status))
		}
	case e.Detail != "":
		b.WriteString(e.Detail)
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	}
	if e.Status != 0 && e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	fmt.Fprintf(&b, " (%s", e.Kind)
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, ", retry after %s", e.RetryAfter)
	}
	b.WriteString(")")
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// IsRetryable says err is worth repeating later; RetryDelay says when.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == Retryable
}

// IsFatal says err cannot be cured by waiting (401, 403, 404).
func IsFatal(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == Fatal
}

// RetryDelay is the device's Retry-After when err carries one, else fallback.
func RetryDelay(err error, fallback time.Duration) time.Duration {
	var e *Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		return e.RetryAfter
	}
	return fallback
}

// kindOf sorts an HTTP status.
func kindOf(status int) Kind {
	switch {
	case status == http.StatusUnauthorized, status == http.StatusForbidden, status == http.StatusNotFound:
		return Fatal
	case status == http.StatusRequestTimeout, status == http.StatusTooManyRequests, status >= 500:
		return Retryable
	}
	return Rejected
}

// maxRetryAfter bounds what a device may ask us to wait, so a bad header
// cannot park the node.
const maxRetryAfter = 5 * time.Minute

// parseRetryAfter reads delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0
		}
		d = time.Duration(min(n, int64(maxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return max(0, min(d, maxRetryAfter))
}

// maxDetail bounds how much of an error body goes into a message.
const maxDetail = 512

// detailOf is what an error body says: its "detail" (FastAPI's convention,
// the field the SDK reports), "message" or "error", else the text itself.
func detailOf(body []byte) string {
	var obj map[string]any
	if json.Unmarshal(body, &obj) == nil {
		for _, k := range []string{"detail", "message", "error"} {
			switch v := obj[k].(type) {
			case string:
				if v != "" {
					return clip(v)
				}
			case nil:
			default:
				if b, err := json.Marshal(v); err == nil {
					return clip(string(b))
				}
			}
		}
	}
	return clip(strings.TrimSpace(string(body)))
}

func clip(s string) string {
	if len(s) <= maxDetail {
		return s
	}
	return s[:maxDetail] + "…"
}
