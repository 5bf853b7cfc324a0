package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/joho/godotenv"
)

// APIKey finds the brain's API key, in order: the environment variable named
// by api_key_env, the same name in the env_file (a .env file; a missing one is
// fine), the contents of api_key_file. It returns where the key came from so
// the node can log the source — never the key. An empty key is not an error:
// the local brain needs none.
func (b Brain) APIKey(getenv func(string) string) (key, source string, err error) {
	if b.APIKeyEnv != "" {
		if v := strings.TrimSpace(getenv(b.APIKeyEnv)); v != "" {
			return v, "environment variable " + b.APIKeyEnv, nil
		}
	}
	if b.EnvFile != "" && b.APIKeyEnv != "" {
		vals, err := godotenv.Read(b.EnvFile)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return "", "", fmt.Errorf("env file %s: %w", b.EnvFile, err)
		default:
			if v := strings.TrimSpace(vals[b.APIKeyEnv]); v != "" {
				return v, "env file " + b.EnvFile, nil
			}
		}
	}
	if b.APIKeyFile != "" {
		data, err := os.ReadFile(b.APIKeyFile)
		if err != nil {
			return "", "", fmt.Errorf("api key file: %w", err)
		}
		if v := strings.TrimSpace(string(data)); v != "" {
			return v, "file " + b.APIKeyFile, nil
		}
		return "", "", fmt.Errorf("api key file %s is empty", b.APIKeyFile)
	}
	return "", "", nil
}
