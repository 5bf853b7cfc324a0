package integration

import (
	"math"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The demo prints in ROS's console format, as a user sees it: each second
// the mean reward of that second's cycles and where the joints are sent.
var cycleLine = regexp.MustCompile(`\[INFO\] \[\d+\.\d+\] \[ab_bridge\]: cycle cycle=\d+ cycles_total=\d+ reward=(\d\.\d\d) shoulder=([+-]\d\.\d{3}) elbow=([+-]\d\.\d{3})`)

// demoSeconds is long enough for the demo's brain to learn the reach on
// the MuJoCo arm (it took 25–30 s in the runs of 2026-12).
const demoSeconds = 75

// simStatus is the sim's periodic status line with its trajectory counts.
var simStatus = regexp.MustCompile(`t=\s*\d+\.\d+s .* accepted=(\d+) refused=(\d+)`)

// The README's first command, as a user runs it: it prints cycles and joint
// motion and, told to stop, stops everything it started and exits 0; and,
// through the node, the ROS graph and the MuJoCo arm, the untrained brain
// learns to reach the target of the demo's reward policy, as the
// kinematic curve of internal/reach shows: the printed reward of the last
// fifth is clearly above the first fifth's, and the arm ends at the target.
func TestDemoScript(t *testing.T) {
	cmd := exec.Command(filepath.Join(repoRoot(t), "scripts", "demo"), "--seconds", strconv.Itoa(demoSeconds))
	cmd.Dir = repoRoot(t)
	cmd.Env = rosEnv(t)
	p := startProc(t, "scripts/demo", cmd)
	select {
	case <-p.done:
	case <-time.After(demoSeconds*time.Second + 3*time.Minute):
		t.Fatalf("scripts/demo --seconds %d did not end in time", demoSeconds)
	}
	require.NoError(t, p.err, "exit status")
	out := p.out.String()
	lines := cycleLine.FindAllStringSubmatch(out, -1)
	require.GreaterOrEqual(t, len(lines), demoSeconds/2, "cycles printed once a second")
	checkDemoLearns(t, lines)
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

// checkDemoLearns reads the demo's cycle lines: reward, shoulder, elbow.
func checkDemoLearns(t *testing.T, lines [][]string) {
	t.Helper()
	var rewards []float64
	for _, l := range lines {
		r, err := strconv.ParseFloat(l[1], 64)
		require.NoError(t, err)
		rewards = append(rewards, r)
	}
	fifth := len(rewards) / 5
	first, last := mean(rewards[:fifth]), mean(rewards[len(rewards)-fifth:])
	t.Logf("printed reward: first fifth %.3f, last fifth %.3f (%d lines): %v", first, last, len(rewards), rewards)
	assert.Greater(t, last, first+0.15, "the reward climbs as the brain learns")
	final := lines[len(lines)-1]
	shoulder, _ := strconv.ParseFloat(final[2], 64)
	elbow, _ := strconv.ParseFloat(final[3], 64)
	d := math.Hypot(shoulder-policyTarget["shoulder"], elbow-policyTarget["elbow"])
	assert.Less(t, d, 0.1, "the arm is sent to the policy's target at the end: shoulder %.3f elbow %.3f", shoulder, elbow)
}

// demoRoboActionsSeconds is the RoboActions demo's run: the stand-in's
// reach gets the arm to its target within about 3 s of the first chunk.
const demoRoboActionsSeconds = 20

var (
	demoReached   = regexp.MustCompile(`==> the arm reached the policy's target: shoulder=([+-]\d\.\d{3}) elbow=([+-]\d\.\d{3}) at t=\d+\.\d+s`)
	demoSimPose   = regexp.MustCompile(`(?m)^t=\s*\d+\.\d+s shoulder=([+-]\d\.\d{3}) elbow=([+-]\d\.\d{3}) `)
	demoSimTally  = regexp.MustCompile(`==> arm sim trajectories \{"accepted": (\d+), "refused": (\d+)`)
	demoPolicyEnd = regexp.MustCompile(`\]: roboactions policy stopped requests=(\d+) chunks=(\d+) .* failures=(\d+) malformed_answers=(\d+) .* latency_mean=(\S+)`)
)

// scripts/demo --brain roboactions: the RoboActions stand-in (its reach
// toward shoulder 0.6, elbow -0.5), the MuJoCo arm and the node on
// config/bridge_roboactions.yaml; it says when the arm is at the target,
// the sim's own printed pose confirms it, the sim's tally at the end has
// no refusal, the node's cycle lines carry no reward, the run's key is in
// no output, and it exits 0 having stopped everything.
func TestDemoScriptRoboActions(t *testing.T) {
	cmd := exec.Command(filepath.Join(repoRoot(t), "scripts", "demo"), "--brain", "roboactions",
		"--seconds", strconv.Itoa(demoRoboActionsSeconds))
	cmd.Dir = repoRoot(t)
	cmd.Env = rosEnv(t)
	p := startProc(t, "scripts/demo --brain roboactions", cmd)
	select {
	case <-p.done:
	case <-time.After(demoRoboActionsSeconds*time.Second + 3*time.Minute):
		t.Fatalf("scripts/demo --brain roboactions --seconds %d did not end in time", demoRoboActionsSeconds)
	}
	require.NoError(t, p.err, "exit status")
	out := p.out.String()

	m := demoReached.FindStringSubmatch(out)
	require.NotNil(t, m, "the demo says the arm reached the target")
	t.Log(m[0])
	poses := demoSimPose.FindAllStringSubmatch(out, -1)
	require.NotEmpty(t, poses, "the sim prints joint positions")
	last := poses[len(poses)-1]
	shoulder, _ := strconv.ParseFloat(last[1], 64)
	elbow, _ := strconv.ParseFloat(last[2], 64)
	assert.InDelta(t, 0.6, shoulder, 0.03, "the sim's last printed shoulder")
	assert.InDelta(t, -0.5, elbow, 0.03, "the sim's last printed elbow")

	tally := demoSimTally.FindStringSubmatch(out)
	require.NotNil(t, tally, "the sim's trajectory tally at the end")
	t.Log(tally[0])
	assert.Equal(t, "0", tally[2], "trajectories the controller contract refuses")
	assert.NotEqual(t, "0", tally[1], "trajectories the arm sim accepted")

	end := demoPolicyEnd.FindStringSubmatch(out)
	require.NotNil(t, end, "the node's policy counters at stop")
	t.Logf("requests %s, chunks %s, failures %s, latency mean %s", end[1], end[2], end[3], end[5])
	assert.NotEqual(t, "0", end[2], "chunks played")
	assert.Equal(t, "0", end[3], "policy failures")
	assert.Equal(t, "0", end[4], "malformed answers")

	assert.Regexp(t, `\]: cycle cycle=\d+ cycles_total=\d+ shoulder=[+-]\d\.\d{3} elbow=`, out, "cycle lines, without a reward")
	assert.NotContains(t, out, "reward=", "a RoboActions policy takes no reward")
	assert.NotContains(t, out, "rk_demo_", "the run's key is never printed")
	assert.Contains(t, out, "roboactions stand-in listening on http://127.0.0.1:")
}
