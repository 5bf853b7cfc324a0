package brain

import (
	"fmt"
	"net/url"
	"strings"
)

// DefaultBaseURL is the hosted Artificial Brains API.
const DefaultBaseURL = "https://app.artificialbrains.ai/api"

// NormalizeBaseURL makes a configured base URL end in "/api", the way the
// reference SDK does: surrounding spaces and trailing slashes go first, then
// "/api" is appended unless it is already the last path segment.
func NormalizeBaseURL(s string) string {
	base := strings.TrimRight(strings.TrimSpace(s), "/")
	if base == "" {
		return ""
	}
	if !strings.HasSuffix(base, "/api") {
		base += "/api"
	}
	return base
}

// parseBaseURL normalises and checks a base URL.
func parseBaseURL(s string) (*url.URL, error) {
	norm := NormalizeBaseURL(s)
	if norm == "" {
		norm = DefaultBaseURL
	}
	u, err := url.Parse(norm)
	if err != nil {
		return nil, fmt.Errorf("brain: base url %q: %w", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("brain: base url %q: scheme must be http or https", s)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("brain: base url %q has no host", s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("brain: base url %q must not carry a query or fragment", s)
	}
	return u, nil
}

// stripAPI is the base URL without its final "/api": where the realtime
// server lives when the contract does not say.
func stripAPI(base string) string {
	return strings.TrimSuffix(base, "/api")
}

// normalizeNamespace gives a namespace its leading slash; empty means def.
func normalizeNamespace(ns, def string) string {
	ns = strings.TrimSpace(ns)
	if ns == "" {
		ns = def
	}
	if !strings.HasPrefix(ns, "/") {
		ns = "/" + ns
	}
	return ns
}

// realtimeURL is where the Socket.IO client connects: scheme and host of
// raw with the namespace as path (the client reads the namespace from the
// path). raw's own path is dropped, as the reference SDK drops it; its
// query is kept.
func realtimeURL(raw, namespace string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("brain: realtime url %q: %w", raw, err)
	}
	switch u.Scheme {
	case "http", "https":
	case "ws":
		u.Scheme = "http"
	case "wss":
		u.Scheme = "https"
	default:
		return nil, fmt.Errorf("brain: realtime url %q: scheme must be http, https, ws or wss", raw)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("brain: realtime url %q has no host", raw)
	}
	return &url.URL{Scheme: u.Scheme, User: u.User, Host: u.Host, Path: namespace, RawQuery: u.RawQuery}, nil
}
