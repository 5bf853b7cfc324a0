package primalux

import (
	"errors"
	"fmt"
	"strings"

	"github.com/abbridge/ab_bridge/internal/secret"
)

// KeyEnv is the environment variable the reference SDK reads the device's
// developer key from; the same name is looked up in a .env file.
const KeyEnv = "AB_DEVICE_API_KEY"

// keyPrefix starts every developer key the device's UI issues.
const keyPrefix = "plx_"

// Key is a device developer key. It never prints (secret.Secret): every
// fmt verb, slog and JSON show it redacted.
type Key struct{ secret.Secret }

// NewKey checks that s looks like a developer key (begins plx_, as the SDK
// requires) and wraps it.
func NewKey(s string) (Key, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Key{}, errors.New("empty Prima-Lux developer key")
	}
	if !strings.HasPrefix(s, keyPrefix) || len(s) == len(keyPrefix) {
		return Key{}, errors.New("a Prima-Lux developer key begins plx_ (create one in the Prima-Lux UI)")
	}
	if strings.ContainsAny(s, "\r\n\x00") {
		return Key{}, errors.New("a Prima-Lux developer key is one line")
	}
	return Key{secret.New(s)}, nil
}

// bearer is the Authorization header's value, the one place the text is used.
func (k Key) bearer() string {
	if k.IsZero() {
		return ""
	}
	return "Bearer " + k.Reveal()
}

// KeySource says where to look for the key, the way internal/config does for
// the 0.1 API key: an environment variable, the same name in a .env file (a
// missing file is fine), then a key file. Argv is never a source.
type KeySource struct {
	Env     string // variable name; "" means KeyEnv
	EnvFile string // a .env file, optional
	File    string // a file holding only the key, optional
}

// LoadKey finds the key and says where it came from (never what it is).
func (s KeySource) LoadKey(getenv func(string) string) (Key, string, error) {
	name := s.Env
	if name == "" {
		name = KeyEnv
	}
	v, where, err := secret.Source{Env: name, EnvFile: s.EnvFile, File: s.File}.Lookup(getenv)
	if err != nil {
		return Key{}, "", err
	}
	if v == "" {
		return Key{}, "", fmt.Errorf("no Prima-Lux developer key: set %s (environment or .env) or name a key file", name)
	}
	k, err := NewKey(v)
	if err != nil {
		return Key{}, "", fmt.Errorf("%s: %w", where, err)
	}
	return k, where, nil
}
