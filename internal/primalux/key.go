package primalux

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/joho/godotenv"
)

// KeyEnv is the environment variable the reference SDK reads the device's
// developer key from; the same name is looked up in a .env file.
const KeyEnv = "AB_DEVICE_API_KEY"

// keyPrefix starts every developer key the device's UI issues.
const keyPrefix = "plx_"

const redacted = "[redacted]"

// Key is a device developer key. It never prints: every fmt verb, slog and
// JSON show it redacted. The text sits behind a pointer so that even a struct
// holding a Key in an unexported field, printed with %v, shows an address
// rather than the secret (fmt cannot call methods on unexported fields).
type Key struct{ secret *string }

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
	return Key{secret: &s}, nil
}

// IsZero says no key was given.
func (k Key) IsZero() bool { return k.secret == nil }

// bearer is the Authorization header's value, the one place the text is used.
func (k Key) bearer() string {
	if k.secret == nil {
		return ""
	}
	return "Bearer " + *k.secret
}

func (k Key) String() string               { return redacted }
func (k Key) GoString() string             { return redacted }
func (k Key) LogValue() slog.Value         { return slog.StringValue(redacted) }
func (k Key) MarshalText() ([]byte, error) { return []byte(redacted), nil }
func (k Key) Format(f fmt.State, _ rune)   { _, _ = f.Write([]byte(redacted)) }
func (k Key) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
func (k *Key) UnmarshalText(_ []byte) error {
	return errors.New("a Prima-Lux key is never read from configuration text")
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
	if v := strings.TrimSpace(getenv(name)); v != "" {
		k, err := NewKey(v)
		return k, "environment variable " + name, wrapKeyErr(err, "environment variable "+name)
	}
	if s.EnvFile != "" {
		vals, err := godotenv.Read(s.EnvFile)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return Key{}, "", fmt.Errorf("env file %s: %w", s.EnvFile, err)
		default:
			if v := strings.TrimSpace(vals[name]); v != "" {
				k, err := NewKey(v)
				return k, "env file " + s.EnvFile, wrapKeyErr(err, "env file "+s.EnvFile)
			}
		}
	}
	if s.File != "" {
		data, err := os.ReadFile(s.File)
		if err != nil {
			return Key{}, "", fmt.Errorf("key file: %w", err)
		}
		k, err := NewKey(string(data))
		return k, "file " + s.File, wrapKeyErr(err, "key file "+s.File)
	}
	return Key{}, "", fmt.Errorf("no Prima-Lux developer key: set %s (environment or .env) or name a key file", name)
}

func wrapKeyErr(err error, where string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", where, err)
}
