package primalux

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSettingsResolve(t *testing.T) {
	dir := t.TempDir()
	envFile := filepath.Join(dir, ".env")
	require.NoError(t, os.WriteFile(envFile, []byte("AB_DEVICE_URL=http://10.42.0.2:8080\nAB_DEVICE_API_KEY=plx_dotenv\nAB_DEVICE_CONTRACT=brain.abdesign.json\nAB_DEVICE_TIMEOUT=2.5\n"), 0o600))
	for _, tc := range []struct {
		name     string
		s        Settings
		env      map[string]string
		url      string
		timeout  time.Duration
		contract string
		source   string
		err      string
	}{
		{name: "all from the .env file", s: Settings{EnvFile: envFile},
			url: "http://10.42.0.2:8080", timeout: 2500 * time.Millisecond, contract: "brain.abdesign.json", source: "env file " + envFile},
		{name: "the environment wins over .env", s: Settings{EnvFile: envFile},
			env: map[string]string{URLEnv: "http://127.0.0.1:9000", KeyEnv: "plx_env", TimeoutEnv: "4"},
			url: "http://127.0.0.1:9000", timeout: 4 * time.Second, contract: "brain.abdesign.json", source: "environment variable AB_DEVICE_API_KEY"},
		{name: "the section wins over both", s: Settings{EnvFile: envFile, URL: "https://plx.example.com", Timeout: time.Second, Contract: "c.json"},
			env: map[string]string{URLEnv: "http://127.0.0.1:9000"},
			url: "https://plx.example.com", timeout: time.Second, contract: "c.json", source: "env file " + envFile},
		{name: "no address", s: Settings{}, env: map[string]string{KeyEnv: "plx_k"}, err: "no Prima-Lux device address"},
		{name: "public plain http", s: Settings{URL: "http://8.8.8.8"}, env: map[string]string{KeyEnv: "plx_k"}, err: "plain http only"},
		{name: "bad timeout", s: Settings{URL: "http://127.0.0.1"}, env: map[string]string{KeyEnv: "plx_k", TimeoutEnv: "soon"}, err: "AB_DEVICE_TIMEOUT"},
		{name: "zero timeout", s: Settings{URL: "http://127.0.0.1"}, env: map[string]string{KeyEnv: "plx_k", TimeoutEnv: "0"}, err: "positive number"},
		{name: "no key", s: Settings{URL: "http://127.0.0.1"}, err: "no Prima-Lux developer key"},
		{name: "unreadable env file", s: Settings{URL: "http://127.0.0.1", EnvFile: dir}, err: "env file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := tc.s.Resolve(func(n string) string { return tc.env[n] })
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.url, r.Options.URL)
			assert.Equal(t, tc.timeout, r.Options.Timeout)
			assert.Equal(t, tc.contract, r.ContractPath)
			assert.Equal(t, tc.source, r.KeySource)
			_, err = New(r.Options)
			assert.NoError(t, err)
		})
	}
}
