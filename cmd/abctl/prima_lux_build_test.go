package main

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/abbridge/ab_bridge/internal/primalux"
	"github.com/abbridge/ab_bridge/internal/testsupport"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// armDesign is the example's design, which the stand-in builds.
var armDesign = filepath.Join("..", "..", "config", "prima_lux_arm.abdesign.json")

// TestPrimaLuxBuildInstallsTheDesign: the SDK's 'ab build brain' against
// the stand-in with no brain: progress printed while BUILDING, the design
// installed and READY, the key in no output.
func TestPrimaLuxBuildInstallsTheDesign(t *testing.T) {
	const key = "plx_build_cli_key_71c2"
	t.Setenv(deviceKeyEnv, key)
	t.Setenv(primalux.ContractEnv, "")
	t.Setenv(primalux.URLEnv, "")
	url, standin := startPrimaLux(t, "--build-delay", "1200ms", "--reward", "REWARD")
	code, st := deviceStatus(t, url, key)
	require.Equal(t, 200, code)
	require.Equal(t, false, st["engine"].(map[string]any)["has_brain"], "no brain before the build")

	var stdout, stderr testsupport.SyncBuffer
	err := run(context.Background(), []string{"prima-lux-build", "--url", url, "--brain", armDesign,
		"--env-file", filepath.Join(t.TempDir(), "none.env")}, &stdout, &stderr)
	require.NoError(t, err, "stderr: %s", stderr.String())
	d, err := primalux.LoadDesign(armDesign)
	require.NoError(t, err)
	out := stdout.String()
	assert.Contains(t, out, `building "Two-joint arm" (design_sha256 `+d.Digest+`) on `+url+", key from environment variable "+deviceKeyEnv)
	assert.Regexp(t, `build build_\w+: BUILDING after`, out)
	assert.Regexp(t, `installed "Two-joint arm" on standin-\w+: READY \(design_sha256 `+d.Digest, out)
	assert.NotContains(t, out+stderr.String(), key)

	_, st = deviceStatus(t, url, key)
	e := st["engine"].(map[string]any)
	assert.Equal(t, "READY", e["state"])
	assert.Equal(t, true, e["has_brain"])
	assert.Equal(t, d.Digest, st["package"].(map[string]any)["active"].(map[string]any)["design_sha256"])
	assert.Contains(t, standin.String(), "brain built and installed")
}

func TestPrimaLuxBuildRefusals(t *testing.T) {
	const key = "plx_build_cli_key_71c2"
	t.Setenv(primalux.ContractEnv, "")
	t.Setenv(primalux.URLEnv, "")
	t.Setenv(deviceKeyEnv, key)
	url, _ := startPrimaLux(t, "--build-delay", "50ms")
	noEnv := filepath.Join(t.TempDir(), "none.env")
	deaf := writeFile(t, "deaf.abdesign.json", `{"schema":"artificial-brains/design/v1","name":"Deaf","nodes":[{"name":"SENSE","kind":"input","neurons":4},
		{"name":"HUB","kind":"opu","rhythm":"beta","tnorm":2}],"connections":[{"from":"SENSE","to":"HUB"}]}`)
	for _, tc := range []struct {
		name  string
		args  []string
		key   string
		usage bool
		err   string
	}{
		{name: "refused by the device", args: []string{"--url", url, "--brain", deaf}, key: key, err: "[INVALID_DESIGN]"},
		{name: "a contract JSON", args: []string{"--url", url, "--brain", writeFile(t, "contract.json", primaLuxContract)}, key: key,
			err: "is a contract JSON, not a design file"},
		{name: "no design", args: []string{"--url", url}, key: key, usage: true, err: "no design: give --brain"},
		{name: "no key", args: []string{"--url", url, "--brain", armDesign}, err: "no Prima-Lux developer key"},
		{name: "a wrong key", args: []string{"--url", url, "--brain", armDesign}, key: "plx_not_the_key", err: "401"},
		{name: "no device address", args: []string{"--brain", armDesign}, key: key, err: "no Prima-Lux device address"},
		{name: "plain http to a public host", args: []string{"--url", "http://example.com:8080", "--brain", armDesign}, key: key, err: "https"},
		{name: "a timeout of zero", args: []string{"--url", url, "--brain", armDesign, "--timeout", "0s"}, key: key, usage: true, err: "--timeout must be positive"},
		{name: "an argument", args: []string{"--url", url, "plx_in_argv"}, key: key, usage: true, err: "takes no arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(deviceKeyEnv, tc.key)
			var stdout, stderr testsupport.SyncBuffer
			err := run(context.Background(), append([]string{"prima-lux-build", "--env-file", noEnv}, tc.args...), &stdout, &stderr)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.err)
			assert.Equal(t, tc.usage, errors.Is(err, errUsage), "usage error: %v", err)
			if tc.key != "" {
				assert.False(t, strings.Contains(err.Error()+stdout.String()+stderr.String(), tc.key), "the key is not shown")
			}
		})
	}
}
