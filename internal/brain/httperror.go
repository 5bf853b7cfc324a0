package brain

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// HTTPError is a non-2xx answer of the brain's REST API. The SDK raises on
// these without retrying, and so does the bridge: callers branch on Status.
type HTTPError struct {
	Method  string
	URL     string // never carries the API key: the key travels in headers
	Status  int
	Message string // the server's message, or the start of the body
}

func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("brain: %s %s: %d %s", e.Method, e.URL, e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// maxMessageLen bounds how much of an error body ends up in an error string.
const maxMessageLen = 300

// bodyMessage pulls a human message out of an error body: the usual JSON
// fields first ({"message"}, {"error"}, {"error":{"message"}}, {"detail"}),
// else the trimmed text.
func bodyMessage(body []byte) string {
	var doc map[string]any
	if json.Unmarshal(body, &doc) == nil {
		for _, key := range []string{"message", "error", "detail", "msg"} {
			switch v := doc[key].(type) {
			case string:
				if v != "" {
					return truncate(v)
				}
			case map[string]any:
				if m, ok := v["message"].(string); ok && m != "" {
					return truncate(m)
				}
			}
		}
	}
	return truncate(strings.TrimSpace(string(body)))
}

func truncate(s string) string {
	if len(s) <= maxMessageLen {
		return s
	}
	cut := maxMessageLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
