package integration

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type triggerAnswer struct {
	Service string  `json:"service"`
	Success bool    `json:"success"`
	Message string  `json:"message"`
	T       float64 `json:"t"`
}

// callTriggers calls std_srvs/Trigger services in order from an rclpy peer.
func callTriggers(t *testing.T, env []string, services ...string) []triggerAnswer {
	t.Helper()
	cmd := exec.Command(venvPython(t), append([]string{filepath.Join(repoRoot(t), "test", "peers", "trigger_call.py")}, services...)...)
	cmd.Env = env
	p := startProc(t, "trigger-call", cmd)
	var as []triggerAnswer
	peerResult(t, p, 60*time.Second, &as)
	return as
}

func unixTime(f float64) time.Time { return time.Unix(0, int64(f*1e9)) }

// TestPauseAndResumeServices: ~/pause (std_srvs/Trigger) holds the arm —
// one hold at the robot's last positions, then no motion — while the run
// goes on (the brain keeps cycling); a second pause says so; ~/resume
// brings motion back. Every trajectory passes the stock-controller check.
func TestPauseAndResumeServices(t *testing.T) {
	env := rosEnv(t)
	b := newFaultBrain(t, env, "local")
	b.start()
	robot := startFaultRobot(t, env, false)
	n := startFaultNode(t, env, b)
	robot.firstMotionAfter(t, time.Time{}, 30*time.Second)

	paused := callTriggers(t, env, "/arm/ab_bridge/pause", "/arm/ab_bridge/pause")
	require.Len(t, paused, 2)
	assert.True(t, paused[0].Success, paused[0].Message)
	assert.False(t, paused[1].Success)
	assert.Equal(t, "already paused", paused[1].Message)
	cyclesAtPause := ioState(t, b.url())["cycle"].(float64)
	time.Sleep(2 * time.Second)
	cyclesLater := ioState(t, b.url())["cycle"].(float64)
	assert.Greater(t, cyclesLater-cyclesAtPause, 10.0, "the run goes on while paused")

	resumed := callTriggers(t, env, "/arm/ab_bridge/resume", "/arm/ab_bridge/resume")
	require.Len(t, resumed, 2)
	assert.True(t, resumed[0].Success)
	assert.False(t, resumed[1].Success)
	assert.Equal(t, "not paused", resumed[1].Message)
	pausedAt, resumedAt := unixTime(paused[0].T), unixTime(resumed[0].T)
	robot.firstMotionAfter(t, resumedAt, 10*time.Second)

	// The hold may reach the robot just before the service's answer does.
	holds, motions := robot.between(pausedAt.Add(-200*time.Millisecond), resumedAt)
	require.Len(t, holds, 1, "one hold when paused")
	// At positions the robot published lately (it moves on between samples).
	assert.LessOrEqual(t, *holds[0].DRecent, 1e-9, "held where the robot was")
	for _, m := range motions {
		assert.True(t, m.At.Before(holds[0].At), "no motion after the hold while paused (motion at %v, hold at %v)", m.At, holds[0].At)
	}
	counters := n.stop(t)
	assert.Positive(t, counters["cycles_while_paused"])
	sum := robot.finish(t)
	assert.Zero(t, sum.Contract.Refused, "controller refusals")
	assert.Positive(t, sum.Contract.Accepted)
}
