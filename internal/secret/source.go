package secret

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/joho/godotenv"
)

// Source says where to look, in order: the environment variable Env, the
// same name in EnvFile (a missing file is fine: most machines have none),
// then the contents of File.
type Source struct {
	Env     string
	EnvFile string
	File    string
}

// Lookup returns the first value found, trimmed, and where it came from
// ("environment variable X", "env file F", "key file F") so that callers can
// log the source and never the value. Nothing found is "", "", nil: whether
// that is an error is the caller's to say. An unreadable or empty File is
// an error: it was named on purpose.
func (s Source) Lookup(getenv func(string) string) (value, where string, err error) {
	if s.Env != "" {
		if v := strings.TrimSpace(getenv(s.Env)); v != "" {
			return v, "environment variable " + s.Env, nil
		}
		if s.EnvFile != "" {
			vals, err := godotenv.Read(s.EnvFile)
			switch {
			case errors.Is(err, fs.ErrNotExist):
			case err != nil:
				return "", "", fmt.Errorf("env file %s: %w", s.EnvFile, err)
			default:
				if v := strings.TrimSpace(vals[s.Env]); v != "" {
					return v, "env file " + s.EnvFile, nil
				}
			}
		}
	}
	if s.File != "" {
		data, err := os.ReadFile(s.File)
		if err != nil {
			return "", "", fmt.Errorf("key file: %w", err)
		}
		if v := strings.TrimSpace(string(data)); v != "" {
			return v, "key file " + s.File, nil
		}
		return "", "", fmt.Errorf("key file %s is empty", s.File)
	}
	return "", "", nil
}
