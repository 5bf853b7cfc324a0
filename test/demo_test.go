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

// The demo prints in ROS's console format, as a user sees it.
var cycleLine = regexp.MustCompile(`\[INFO\] \[\d+\.\d+\] \[ab_bridge\]: cycle cycle=\d+ cycles_total=\d+ shoulder=`)

// simStatus is the sim's periodic status line with its trajectory counts.
var simStatus = regexp.MustCompile(`t=\s*\d+\.\d+s .* accepted=(\d+) refused=(\d+)`)

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
	assert.Contains(t, out, `]: run stopped run=`)
	assert.Contains(t, out, `]: local brain closed`)
	// The demo stops the sim with its log follower, so its exit tally may not
	// be shown: the last status line has the counts.
	status := simStatus.FindAllStringSubmatch(out, -1)
	require.NotEmpty(t, status, "sim status lines")
	last := status[len(status)-1]
	t.Logf("arm sim at its last status line: %s trajectories accepted, %s refused", last[1], last[2])
	assert.Equal(t, "0", last[2], "trajectories the controller contract refuses")
	assert.NotEqual(t, "0", last[1], "trajectories the arm sim accepted")
}
