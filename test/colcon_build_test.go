package integration

import (
	"context"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// colcon builds the repository as the ament_cmake package ab_bridge and
// installs it in the layout ros2 run / ros2 launch look up (the developer's
// route: env.sh sourced).
func TestColconBuildInstallsThePackage(t *testing.T) {
	colcon, err := exec.LookPath("colcon")
	require.NoError(t, err, "colcon is not on PATH: source env.sh (written by scripts/setup)")
	require.NotEmpty(t, os.Getenv("AMENT_PREFIX_PATH"), "AMENT_PREFIX_PATH is not set: source env.sh (written by scripts/setup)")

	tmp := t.TempDir()
	install := filepath.Join(tmp, "install")
	out := runBounded(t, 10*time.Minute, tmp, nil, colcon,
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
	checkInstalledLayout(t, pkg)

	t.Run("installed abctl runs", func(t *testing.T) {
		abctl := filepath.Join(pkg, "lib", "ab_bridge", "abctl")
		help := runBounded(t, time.Minute, tmp, nil, abctl, "--help")
		assert.Contains(t, help, "usage: abctl")
	})

	t.Run("installed node accepts the installed configuration", func(t *testing.T) {
		node := filepath.Join(pkg, "lib", "ab_bridge", "ab_bridge_node")
		out := runBounded(t, time.Minute, tmp, nil, node, "--check-config", "--config", filepath.Join(pkg, "share", "ab_bridge", "config", "bridge.yaml"))
		assert.Contains(t, out, "configuration is valid")
	})
}

// The ROS user's route: a workspace holding a copy of the sources, an
// environment holding only what sourcing /opt/ros/jazzy/setup.bash sets
// (the ROS prefix env.sh names stands in for /opt/ros/jazzy), and
// `colcon build --packages-select ab_bridge`. No env.sh, so no CGO_* flags:
// the CMake step has to find every header and library itself. The installed
// node then runs with that environment plus what install/setup.bash adds.
func TestColconBuildWithOnlyASourcedROS(t *testing.T) {
	prefix := os.Getenv("AB_ROS_PREFIX")
	require.NotEmpty(t, prefix, "AB_ROS_PREFIX is not set: source env.sh (written by scripts/setup)")
	goExe, err := exec.LookPath("go")
	require.NoError(t, err)
	colcon, err := exec.LookPath("colcon")
	require.NoError(t, err, "colcon is not on PATH: source env.sh (written by scripts/setup)")

	ws := t.TempDir()
	src := filepath.Join(ws, "src", "ab_bridge")
	copyCheckout(t, repoRoot(t), src)

	env := sourcedROSEnv(t, prefix, filepath.Dir(goExe), filepath.Dir(colcon))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		require.False(t, strings.HasPrefix(name, "CGO_") || strings.HasPrefix(name, "AB_"),
			"%s is set by env.sh, not by a sourced ROS", name)
	}

	started := time.Now()
	out := runBounded(t, 10*time.Minute, ws, env, "colcon", "build",
		"--packages-select", "ab_bridge", "--event-handlers", "console_cohesion+")
	t.Logf("colcon build --packages-select ab_bridge: %.1f s", time.Since(started).Seconds())
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("colcon build:\n%s", out)
		}
	})

	// The flags came from the ament index: rclgo's headers live in
	// include/<pkg>/<pkg>/ and only a -I for that folder finds them.
	assert.Contains(t, out, "CGO_CFLAGS: -O2 -g -Wno-deprecated-declarations")
	assert.Contains(t, out, "-I"+filepath.Join(prefix, "include", "rcl_action"))
	assert.Contains(t, out, "-I"+filepath.Join(prefix, "include", "rosidl_runtime_c"))

	pkg := filepath.Join(ws, "install", "ab_bridge")
	checkInstalledLayout(t, pkg)

	// What a user runs after `. install/setup.bash`: the setup script is
	// sourced for real, so the node gets exactly what it adds.
	withSetup := func(t *testing.T, args ...string) string {
		t.Helper()
		script := `. install/setup.bash && exec "$@"`
		return runBounded(t, time.Minute, ws, env, "bash", append([]string{"-c", script, "bash"}, args...)...)
	}
	node := filepath.Join(pkg, "lib", "ab_bridge", "ab_bridge_node")

	t.Run("installed node reports its version", func(t *testing.T) {
		out := withSetup(t, node, "--version")
		assert.True(t, strings.HasPrefix(out, "ab_bridge_node "), "--version printed %q", out)
	})

	t.Run("installed node accepts the installed configuration", func(t *testing.T) {
		out := withSetup(t, node, "--check-config", "--config", filepath.Join(pkg, "share", "ab_bridge", "config", "bridge.yaml"))
		assert.Contains(t, out, "configuration is valid")
	})

	t.Run("setup.bash puts the package in the ament index", func(t *testing.T) {
		out := withSetup(t, "sh", "-c", `echo "$AMENT_PREFIX_PATH"`)
		assert.Equal(t, pkg+":"+prefix, strings.TrimSpace(out))
	})
}

// package.xml names every system dependency by its rosdep key, so that
// `rosdep install --from-paths src` brings what the build needs: the Go
// toolchain, libturbojpeg (internal/sensor links it), and every ROS package
// the CMake step looks up (rclgo's and the generated bindings').
func TestPackageXMLDeclaresTheBuildDependencies(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "package.xml"))
	require.NoError(t, err)
	var manifest struct {
		Format    string   `xml:"format,attr"`
		Buildtool []string `xml:"buildtool_depend"`
		Build     []string `xml:"build_depend"`
		Depend    []string `xml:"depend"`
	}
	require.NoError(t, xml.Unmarshal(b, &manifest))
	assert.Equal(t, "3", manifest.Format)
	atBuild := append(append(append([]string{}, manifest.Buildtool...), manifest.Build...), manifest.Depend...)

	assert.Contains(t, atBuild, "ament_cmake")
	assert.Contains(t, atBuild, "golang-go")
	assert.Contains(t, manifest.Depend, "libturbojpeg", "needed to build and to run")

	entries, err := os.ReadDir(filepath.Join(repoRoot(t), "msgs"))
	require.NoError(t, err)
	var msgs []string
	for _, e := range entries {
		if e.IsDir() {
			msgs = append(msgs, e.Name())
		}
	}
	require.NotEmpty(t, msgs)
	rclgo := []string{"rcl", "rcl_action", "rcl_yaml_param_parser", "rcutils", "rmw", "rmw_implementation",
		"rosidl_runtime_c", "rosidl_typesupport_c", "rosidl_typesupport_interface",
		"action_msgs", "unique_identifier_msgs"}
	for _, p := range append(rclgo, msgs...) {
		assert.Contains(t, manifest.Depend, p, "package.xml does not declare <depend>%s</depend>", p)
	}
}

// sourcedROSEnv is what a shell holds after sourcing a ROS 2 Jazzy
// setup.bash installed at prefix, and nothing else: the ROS variables, a
// system PATH with the Go toolchain and colcon on it, and HOME and the GO*
// variables (the user's Go caches and settings, not ROS's nor env.sh's).
func sourcedROSEnv(t *testing.T, prefix, goDir, colconDir string) []string {
	t.Helper()
	site, err := filepath.Glob(filepath.Join(prefix, "lib", "python3*", "site-packages"))
	require.NoError(t, err)
	require.NotEmpty(t, site, "no lib/python3*/site-packages under %s", prefix)

	path := []string{filepath.Join(prefix, "bin"), goDir}
	if colconDir != filepath.Join(prefix, "bin") {
		path = append(path, colconDir)
	}
	path = append(path, "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")

	env := []string{
		"AMENT_PREFIX_PATH=" + prefix,
		"CMAKE_PREFIX_PATH=" + prefix,
		"LD_LIBRARY_PATH=" + filepath.Join(prefix, "lib"),
		"PATH=" + strings.Join(path, ":"),
		"PYTHONPATH=" + site[0],
		"ROS_DISTRO=jazzy",
		"ROS_VERSION=2",
		"ROS_PYTHON_VERSION=3",
		"HOME=" + os.Getenv("HOME"),
	}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GO") || strings.HasPrefix(kv, "TMPDIR=") {
			env = append(env, kv)
		}
	}
	return env
}

// copyCheckout copies what a clone of the checkout would hold (tracked and
// new, not ignored files: no .ros venv, no env.sh, no caches) into dst.
func copyCheckout(t *testing.T, root, dst string) {
	t.Helper()
	list := runBounded(t, time.Minute, root, nil, "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	copied := 0
	for _, rel := range strings.Split(strings.TrimRight(list, "\x00"), "\x00") {
		from := filepath.Join(root, rel)
		fi, err := os.Lstat(from)
		if os.IsNotExist(err) {
			continue // deleted in the work tree, not yet in the index
		}
		require.NoError(t, err)
		to := filepath.Join(dst, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(to), 0o755))
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(from)
			require.NoError(t, err)
			require.NoError(t, os.Symlink(target, to))
		case fi.Mode().IsRegular():
			copyFile(t, from, to, fi.Mode().Perm())
		}
		copied++
	}
	require.NotZero(t, copied, "git ls-files listed nothing in %s", root)
}

func copyFile(t *testing.T, from, to string, perm os.FileMode) {
	t.Helper()
	in, err := os.Open(from)
	require.NoError(t, err)
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	require.NoError(t, err)
	_, err = io.Copy(out, in)
	require.NoError(t, err)
	require.NoError(t, out.Close())
}

// checkInstalledLayout checks the files ros2 run / ros2 launch look up in
// an installed ab_bridge.
func checkInstalledLayout(t *testing.T, pkg string) {
	t.Helper()
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
}

// runBounded runs a command in its own process group, killed with its
// children when the timeout expires, and fails the test unless it exits 0.
// A nil env means the test's own environment. With an env, name is looked
// up on that env's PATH, as a shell holding it would.
func runBounded(t *testing.T, timeout time.Duration, dir string, env []string, name string, args ...string) string {
	t.Helper()
	if env != nil && !strings.Contains(name, "/") {
		name = lookPathIn(t, name, env)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s %v:\n%s", name, args, b)
	return string(b)
}

// lookPathIn finds an executable on the PATH of env.
func lookPathIn(t *testing.T, name string, env []string) string {
	t.Helper()
	for _, kv := range env {
		if path, ok := strings.CutPrefix(kv, "PATH="); ok {
			for _, dir := range filepath.SplitList(path) {
				p := filepath.Join(dir, name)
				if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
					return p
				}
			}
		}
	}
	t.Fatalf("%s is not on the PATH of the environment", name)
	return ""
}
