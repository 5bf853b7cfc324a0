package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// primalux.build on the real graph: the stand-in starts with no brain
// installed, the node builds the example's design on it before starting the
// brain, and the arm moves; a design the device refuses ends the node with
// the device's reason before anything runs.

// buildNodeConfig is the example configuration with primalux.build on and
// design as the contract.
func buildNodeConfig(t *testing.T, url, design string) string {
	t.Helper()
	path := primaLuxNodeConfig(t, url)
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	example := "contract: " + filepath.Join(repoRoot(t), "config", "prima_lux_arm.abdesign.json")
	cfg := strings.Replace(string(raw), example, "contract: "+design, 1)
	cfg = strings.Replace(cfg, "\nprimalux:\n", "\nprimalux:\n  build: true\n  build_timeout: 60s\n", 1)
	require.Equal(t, 1, strings.Count(cfg, "  build: true\n"), "primalux.build switched on")
	require.Contains(t, cfg, "contract: "+design)
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return path
}

// startEmptyStandIn is abctl prima-lux with no brain installed and a build
// that takes buildDelay; it returns the stand-in and its URL.
func startEmptyStandIn(t *testing.T, key, buildDelay string, flags ...string) (*proc, string) {
	t.Helper()
	sa := exec.Command(goBinary(t, "cmd/abctl"), append([]string{"prima-lux", "--listen", "127.0.0.1:0", "--tick-hz", "20",
		"--build-delay", buildDelay, "--reward", "REWARD", "--seed", "5"}, flags...)...)
	sa.Env = append(os.Environ(), "AB_DEVICE_API_KEY="+key, "AB_DEVICE_CONTRACT=")
	dev := startProc(t, "abctl prima-lux", sa)
	dev.waitOutput(t, "prima-lux stand-in listening on ", 30*time.Second)
	require.Contains(t, dev.out.String(), "no brain installed")
	return dev, standInReady.FindStringSubmatch(dev.out.String())[1]
}

func TestPrimaLuxNodeBuildsTheDesignFirst(t *testing.T) {
	env := rosEnv(t)
	key := "plx_" + randomKey(t)
	dev, url := startEmptyStandIn(t, key, "3s")

	sim := startArmSim(t, env)
	design := filepath.Join(repoRoot(t), "config", "prima_lux_arm.abdesign.json")
	node := exec.Command(goBinary(t, "cmd/ab_bridge_node"), "--log-format", "text", "--config", buildNodeConfig(t, url, design))
	node.Env = append(env, "AB_DEVICE_API_KEY="+key)
	n := startProc(t, "ab_bridge_node", node)
	n.waitOutput(t, `msg="prima-lux brain running"`, 60*time.Second)
	require.Eventually(t, func() bool { return len(cycleTarget.FindAllString(n.out.String(), -1)) >= 3 },
		30*time.Second, 50*time.Millisecond, "the arm moves on the built brain")
	n.stop(40 * time.Second)
	require.NoError(t, n.err, "node exit status")

	out := n.out.String()
	started := strings.Index(out, `msg="brain build started"`)
	progress := strings.Index(out, `msg="brain build in progress"`)
	installed := strings.Index(out, `msg="brain built and installed"`)
	running := strings.Index(out, `msg="prima-lux brain running"`)
	require.True(t, started >= 0 && progress > started && installed > progress && running > installed,
		"started (%d), in progress (%d), installed (%d), then the brain runs (%d)", started, progress, installed, running)
	line, _, _ := strings.Cut(out[installed:], "\n")
	t.Log(line)
	assert.Contains(t, line, `design="Two-joint arm"`)
	assert.Contains(t, dev.out.String(), `msg="brain built and installed" name="Two-joint arm"`, "the stand-in built it")
	assert.NotContains(t, out, key, "the device key is never logged")
	assert.Zero(t, logValue(t, out, "prima-lux device stopped", "sensor_failures"), "the device took every frame")
	requireSimAcceptedAll(t, sim, logValue(t, out, "bridge stopped", "trajectories")/2)
}

// A build the device refuses (an HTTP 500 to the upload, by the stand-in's
// fault knob; a design it cannot build is TestBuildDeviceBrain's, in
// cmd/ab_bridge_node): the node ends with the device's answer and starts no
// brain.
func TestPrimaLuxNodeEndsWhenTheBuildFails(t *testing.T) {
	env := rosEnv(t)
	key := "plx_" + randomKey(t)
	_, url := startEmptyStandIn(t, key, "100ms", "--faults")
	knob(t, deviceStandIn{url: url, key: key}, "fail", `{"status": 500, "count": 1, "path": "/api/brain/build"}`)
	design := filepath.Join(repoRoot(t), "config", "prima_lux_arm.abdesign.json")
	node := exec.Command(goBinary(t, "cmd/ab_bridge_node"), "--log-format", "text", "--config", buildNodeConfig(t, url, design))
	node.Env = append(env, "AB_DEVICE_API_KEY="+key)
	n := startProc(t, "ab_bridge_node", node)
	select {
	case <-n.done:
	case <-time.After(60 * time.Second):
		t.Fatal("the node did not end after a refused build")
	}
	require.Error(t, n.err, "a failed build is a failed start")
	out := n.out.String()
	i := strings.Index(out, `msg="brain build failed"`)
	require.GreaterOrEqual(t, i, 0, "the failure is logged")
	line, _, _ := strings.Cut(out[i:], "\n")
	t.Log(line)
	assert.Contains(t, line, "Injected fault: HTTP 500", "the device's answer")
	assert.NotContains(t, out, `msg="prima-lux brain running"`)
	assert.NotContains(t, out, key)
}
