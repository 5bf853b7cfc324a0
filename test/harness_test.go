package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/abbridge/ab_bridge/internal/testsupport"
)

// repoRoot is the checkout this test file belongs to.
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test source")
	}
	return filepath.Dir(filepath.Dir(file))
}

// venvPython is the interpreter of the project's ROS 2 runtime, which also
// carries the reference SDK and python-socketio.
func venvPython(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("AB_PYTHON"); p != "" {
		return p
	}
	p := filepath.Join(repoRoot(t), ".ros", "bin", "python")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("no project Python at %s: run scripts/setup first (%v)", p, err)
	}
	return p
}

// rosEnv is the environment for one test's ROS 2 graph: its own random
// domain so parallel runs never hear each other, discovery kept on loopback.
func rosEnv(t testing.TB, extra ...string) []string {
	t.Helper()
	if os.Getenv("AMENT_PREFIX_PATH") == "" {
		t.Fatal("AMENT_PREFIX_PATH is not set: source env.sh (written by scripts/setup)")
	}
	domain := 1 + rand.IntN(100)
	env := append(os.Environ(),
		fmt.Sprintf("ROS_DOMAIN_ID=%d", domain),
		"ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST",
		"PYTHONUNBUFFERED=1",
	)
	return append(env, extra...)
}

// proc is a process a test started; the test stops it.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  *testsupport.SyncBuffer
	done chan struct{}
	err  error
}

// startProc starts cmd in its own process group and registers its stop
// (SIGINT, then SIGKILL after a grace period) with t.Cleanup. Its combined
// output is kept and printed when the test fails.
func startProc(t testing.TB, name string, cmd *exec.Cmd) *proc {
	t.Helper()
	return startProcTee(t, name, cmd, nil)
}

// startProcTee is startProc with the output also written to tee, for a
// test that reacts to lines as they come (nil: none).
func startProcTee(t testing.TB, name string, cmd *exec.Cmd, tee io.Writer) *proc {
	t.Helper()
	p := &proc{name: name, cmd: cmd, out: &testsupport.SyncBuffer{}, done: make(chan struct{})}
	var out io.Writer = p.out
	if tee != nil {
		out = io.MultiWriter(p.out, tee)
	}
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop(3 * time.Second)
		if t.Failed() {
			t.Logf("---- output of %s ----\n%s", name, p.out.String())
		}
	})
	return p
}

// stop interrupts the process group and waits up to grace before killing it.
func (p *proc) stop(grace time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitOutput waits until the process has printed want, or fails the test.
func (p *proc) waitOutput(t testing.TB, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if strings.Contains(p.out.String(), want) {
			return
		}
		if p.exited() {
			t.Fatalf("%s exited (%v) before printing %q", p.name, p.err, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s did not print %q within %s", p.name, want, timeout)
}

var (
	buildMu    sync.Mutex
	builtBins  = map[string]string{}
	buildDirMu sync.Once
	buildDir   string
)

// goBinary builds a package of this module once per test binary and returns
// the executable's path.
func goBinary(t testing.TB, pkg string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := builtBins[pkg]; ok {
		return p
	}
	buildDirMu.Do(func() {
		d, err := os.MkdirTemp("", "ab_bridge_test_bin")
		if err != nil {
			panic(err)
		}
		buildDir = d
	})
	out := filepath.Join(buildDir, filepath.Base(pkg))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./"+pkg)
	cmd.Dir = repoRoot(t)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	if err := evictFromPageCache(out); err != nil {
		t.Fatalf("go build %s: %v", pkg, err)
	}
	builtBins[pkg] = out
	return out
}

// evictFromPageCache writes a file back and drops its pages from the page
// cache, so a process started from it reads it from disk as an installed
// binary is read. A file the linker has just written sits in the cache as
// large dirty folios that the kernel maps whole: the node's RSS then counts
// all of its text (21.5 MB, against 17.6 MB read back from disk), which no
// installed node, and none of the Python processes it is compared with,
// carries.
func evictFromPageCache(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write back %s: %w", path, err)
	}
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		return fmt.Errorf("drop %s from the page cache: %w", path, err)
	}
	return nil
}

// peerResult waits up to timeout for a peer process to end and decodes the
// JSON of its last "RESULT " line into v: the one way test peers report.
func peerResult(t testing.TB, p *proc, timeout time.Duration, v any) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		t.Fatalf("%s did not finish within %s", p.name, timeout)
	}
	out := p.out.String()
	i := strings.LastIndex(out, "RESULT ")
	if i < 0 {
		t.Fatalf("%s printed no result:\n%s", p.name, out)
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(out[i+len("RESULT "):])), v); err != nil {
		t.Fatalf("%s's result: %v\n%s", p.name, err, out)
	}
}
