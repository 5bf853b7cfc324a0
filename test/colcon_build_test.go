package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// colcon builds the repository as the ament_cmake package ab_bridge and
// installs it in the layout ros2 run / ros2 launch look up.
func TestColconBuildInstallsThePackage(t *testing.T) {
	colcon, err := exec.LookPath("colcon")
	require.NoError(t, err, "colcon is not on PATH: source env.sh (written by scripts/setup)")
	require.NotEmpty(t, os.Getenv("AMENT_PREFIX_PATH"), "AMENT_PREFIX_PATH is not set: source env.sh (written by scripts/setup)")

	tmp := t.TempDir()
	install := filepath.Join(tmp, "install")
	out := runBounded(t, 10*time.Minute, tmp, colcon,
		"--log-base", filepath.Join(tmp, "log"),
		"build",
		"--base-paths", repoRoot(t),
		"--build-base", filepath.Join(tmp, "build"),
		"--install-base", install,
		"--event-handlers", "console_cohesion+")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("colcon build:\n%s", out)
		}
	})

	pkg := filepath.Join(install, "ab_bridge")
	tests := []struct {
		path       string
		executable bool
	}{
		{"lib/ab_bridge/ab_bridge_node", true},
		{"lib/ab_bridge/abctl", true},
		{"share/ab_bridge/launch/bridge.launch.py", false},
		{"share/ab_bridge/config/bridge.yaml", false},
		{"share/ab_bridge/config/policies/reward_policy.yaml", false},
		{"share/ab_bridge/config/policies/deviation_policy.yaml", false},
		{"share/ab_bridge/config/policies/_contract.sha256", false},
		{"share/ab_bridge/package.xml", false},
		{"share/ament_index/resource_index/packages/ab_bridge", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			fi, err := os.Stat(filepath.Join(pkg, tt.path))
			require.NoError(t, err)
			require.True(t, fi.Mode().IsRegular(), "not a regular file")
			if tt.executable {
				assert.NotZero(t, fi.Mode().Perm()&0o111, "not executable: %v", fi.Mode())
			}
		})
	}

	t.Run("installed abctl runs", func(t *testing.T) {
		abctl := filepath.Join(pkg, "lib", "ab_bridge", "abctl")
		help := runBounded(t, time.Minute, tmp, abctl, "--help")
		assert.Contains(t, help, "usage: abctl")
	})

	t.Run("installed node accepts the installed configuration", func(t *testing.T) {
		node := filepath.Join(pkg, "lib", "ab_bridge", "ab_bridge_node")
		out := runBounded(t, time.Minute, tmp, node, "--check-config", "--config", filepath.Join(pkg, "share", "ab_bridge", "config", "bridge.yaml"))
		assert.Contains(t, out, "configuration is valid")
	})
}

// runBounded runs a command in its own process group, killed with its
// children when the timeout expires, and fails the test unless it exits 0.
func runBounded(t *testing.T, timeout time.Duration, dir, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s %v:\n%s", name, args, b)
	return string(b)
}
