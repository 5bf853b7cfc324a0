package primalux

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/joho/godotenv"
)

// Environment variables the SDK reads its device settings from (besides
// KeyEnv and ContractEnv).
const (
	URLEnv     = "AB_DEVICE_URL"
	TimeoutEnv = "AB_DEVICE_TIMEOUT" // seconds, a decimal number
)

// Settings is the device backend's configuration section as the node's
// YAML would carry it; empty fields fall back to the SDK's environment
// variables, then to the same names in EnvFile (the environment wins, as
// the SDK's .env loading never overrides it).
type Settings struct {
	URL         string        `yaml:"url"`
	APIKeyEnv   string        `yaml:"api_key_env"`
	APIKeyFile  string        `yaml:"api_key_file"`
	EnvFile     string        `yaml:"env_file"`
	Contract    string        `yaml:"contract"` // a contract JSON or a design file
	Timeout     time.Duration `yaml:"timeout"`
	StopTimeout time.Duration `yaml:"stop_timeout"`
	Replay      bool          `yaml:"replay"`
}

// Resolved is what Settings come to: the client's options, the contract
// file, and where the key came from (never the key).
type Resolved struct {
	Options      Options
	ContractPath string
	KeySource    string
	StopTimeout  time.Duration
	Replay       bool
}

// Resolve applies the fallbacks and checks the result (the URL against the
// transport rule, the key's form), so a bad setting fails at start-up.
func (s Settings) Resolve(getenv func(string) string) (Resolved, error) {
	var dotenv map[string]string
	if s.EnvFile != "" {
		vals, err := godotenv.Read(s.EnvFile)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return Resolved{}, fmt.Errorf("env file %s: %w", s.EnvFile, err)
		default:
			dotenv = vals
		}
	}
	lookup := func(name string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return strings.TrimSpace(dotenv[name])
	}
	r := Resolved{StopTimeout: s.StopTimeout, Replay: s.Replay}
	url := s.URL
	if url == "" {
		url = lookup(URLEnv)
	}
	if url == "" {
		return Resolved{}, fmt.Errorf("no Prima-Lux device address: set url or %s (e.g. http://10.42.0.2:8080)", URLEnv)
	}
	if _, err := CheckOrigin(url); err != nil {
		return Resolved{}, err
	}
	timeout := s.Timeout
	if timeout == 0 {
		if v := lookup(TimeoutEnv); v != "" {
			secs, err := strconv.ParseFloat(v, 64)
			if err != nil || !(secs > 0) || math.IsInf(secs, 0) {
				return Resolved{}, fmt.Errorf("%s=%q: want a positive number of seconds", TimeoutEnv, v)
			}
			timeout = time.Duration(secs * float64(time.Second))
		}
	}
	if timeout < 0 || s.StopTimeout < 0 {
		return Resolved{}, errors.New("prima-lux timeouts must be positive")
	}
	key, source, err := KeySource{Env: s.APIKeyEnv, EnvFile: s.EnvFile, File: s.APIKeyFile}.LoadKey(getenv)
	if err != nil {
		return Resolved{}, err
	}
	r.Options = Options{URL: url, Key: key, Timeout: timeout}
	r.KeySource = source
	r.ContractPath = s.Contract
	if r.ContractPath == "" {
		r.ContractPath = lookup(ContractEnv)
	}
	return r, nil
}
