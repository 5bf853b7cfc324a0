package primalux

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// CheckOrigin parses the device's address and applies the SDK's transport
// rule: an http(s) origin (no credentials, path, query or fragment), plain
// http only to a loopback, private (RFC 1918, IPv6 ULA) or link-local
// address, localhost or a *.local name; https anywhere. Addresses Python's
// is_private also admits (documentation and benchmark ranges) are refused
// here: a device is never on them.
func CheckOrigin(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(raw), "/"))
	if err != nil {
		return nil, fmt.Errorf("device url %q: want an http(s) URL (%w)", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
		return nil, fmt.Errorf("device url %q: want an http(s) URL without credentials", redactUser(u, raw))
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return nil, fmt.Errorf("device url %q: give the device's origin (scheme://host:port), not an API path", raw)
	}
	u.Path = ""
	if u.Scheme == "http" && !localHost(u.Hostname()) {
		return nil, fmt.Errorf("device url %q: plain http only to loopback, private, link-local or .local hosts; use https", raw)
	}
	return u, nil
}

func localHost(host string) bool {
	if a, err := netip.ParseAddr(host); err == nil {
		a = a.Unmap()
		return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast()
	}
	h := strings.ToLower(host)
	return h == "localhost" || strings.HasSuffix(h, ".local")
}

func redactUser(u *url.URL, raw string) string {
	if u.User == nil {
		return raw
	}
	c := *u
	c.User = nil
	return c.String()
}

var errNoKey = errors.New("a Prima-Lux developer key is required")
