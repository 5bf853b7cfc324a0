package integration

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var cycleLine = regexp.MustCompile(`msg=cycle cycle=\d+ cycles_total=\d+ shoulder=`)

// The README's first command, as a user runs it: it prints cycles and joint
// motion and, told to stop, stops everything it started and exits 0.
func TestDemoScript(t *testing.T) {
	cmd := exec.Command(filepath.Join(repoRoot(t), "scripts", "demo"), "--seconds", "10")
	cmd.Dir = repoRoot(t)
	cmd.Env = rosEnv(t)
	p := startProc(t, "scripts/demo", cmd)
	select {
	case <-p.done:
	case <-time.After(3 * time.Minute):
		t.Fatal("scripts/demo --seconds 10 did not end within 3 minutes")
	}
	require.NoError(t, p.err, "exit status")
	out := p.out.String()
	assert.GreaterOrEqual(t, len(cycleLine.FindAllString(out, -1)), 3, "cycles printed once a second")
	assert.Regexp(t, `t=\s+\d+\.\d+s shoulder=[+-]\d\.\d{3} elbow=`, out, "the sim prints joint positions")
	assert.Contains(t, out, `msg="run stopped"`)
	assert.Contains(t, out, `msg="local brain closed"`)
}
