package config

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAPIKeySources(t *testing.T) {
	dir := t.TempDir()
	envFile := writeFile(t, ".env", "# comment\nexport AB_API_KEY=\"from-dotenv\"\nOTHER=x\n")
	keyFile := writeFile(t, "key", "from-file\n")
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	tests := []struct {
		name       string
		b          Brain
		env        map[string]string
		key, src   string
		errContain string
	}{
		{"environment wins", Brain{APIKeyEnv: "AB_API_KEY", EnvFile: envFile, APIKeyFile: keyFile},
			map[string]string{"AB_API_KEY": "from-env"}, "from-env", "environment variable AB_API_KEY", ""},
		{"dotenv next", Brain{APIKeyEnv: "AB_API_KEY", EnvFile: envFile, APIKeyFile: keyFile},
			nil, "from-dotenv", "env file " + envFile, ""},
		{"key file last", Brain{APIKeyEnv: "NOPE", EnvFile: envFile, APIKeyFile: keyFile},
			nil, "from-file", "key file " + keyFile, ""},
		{"missing dotenv is fine", Brain{APIKeyEnv: "AB_API_KEY", EnvFile: filepath.Join(dir, "none")},
			nil, "", "", ""},
		{"missing key file is an error", Brain{APIKeyFile: filepath.Join(dir, "none")},
			nil, "", "", "key file"},
		{"empty key file is an error", Brain{APIKeyFile: writeFile(t, "empty", "\n")},
			nil, "", "", "is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key, src, err := tc.b.APIKey(env(tc.env))
			if tc.errContain != "" {
				require.ErrorContains(t, err, tc.errContain)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.key, key)
			assert.Equal(t, tc.src, src)
		})
	}
}
