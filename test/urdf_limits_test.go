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

// urdfUpper and urdfVelocity are the test URDF's shoulder limits: tighter
// than config/bridge.yaml's (2.9, 4.0), and below the 0.6 the demo brain
// drives the shoulder toward, so only the URDF keeps it there.
const (
	urdfUpper    = 0.3
	urdfVelocity = 0.5
)

const testURDF = `<?xml version="1.0"?>
<robot name="ab_arm">
  <link name="base"/><link name="upper"/><link name="fore"/>
  <joint name="shoulder" type="revolute">
    <parent link="base"/><child link="upper"/>
    <limit lower="-1.5" upper="0.3" velocity="0.5" effort="10"/>
  </joint>
  <joint name="elbow" type="continuous">
    <parent link="upper"/><child link="fore"/>
    <limit effort="10" velocity="0"/>
  </joint>
</robot>
`

// The node with limits.from_urdf hears a robot_description published
// before it started (transient local) and keeps every point of every
// trajectory within the URDF's shoulder limits, which the controller
// contract accepts throughout.
func TestNodeAppliesURDFLimits(t *testing.T) {
	env := rosEnv(t)
	dir := t.TempDir()
	urdfPath := filepath.Join(dir, "arm.urdf")
	require.NoError(t, os.WriteFile(urdfPath, []byte(testURDF), 0o600))
	pub := exec.Command(venvPython(t), filepath.Join(repoRoot(t), "test", "peers", "description_publisher.py"), urdfPath)
	pub.Env = env
	startProc(t, "description-publisher", pub).waitOutput(t, "READY", 30*time.Second)

	// The shoulder starts just below the URDF's upper limit, so the demo
	// brain's pull toward 0.6 meets it within seconds.
	rcmd := exec.Command(venvPython(t), filepath.Join(repoRoot(t), "test", "peers", "fault_robot.py"), "--initial", "0.2,0.3")
	rcmd.Env = env
	robot := &faultRobot{marks: map[string]time.Time{}}
	stdin, err := rcmd.StdinPipe()
	require.NoError(t, err)
	robot.stdin = stdin
	robot.p = startProcTee(t, "fault-robot", rcmd, &lineTap{onLine: robot.line})
	robot.p.waitOutput(t, "READY", 30*time.Second)

	argv := append(nodeArgv(writeNodeConfig(t, "/arm/ab_bridge", "\n  from_urdf: false\n", "\n  from_urdf: true\n")),
		"-r", "robot_description:=/robot_description")
	ncmd := exec.Command(goBinary(t, "cmd/ab_bridge_node"), argv...)
	ncmd.Env = env
	node := startProc(t, "ab_bridge_node", ncmd)
	node.waitOutput(t, `msg="joint limits applied" topic=robot_description joint=shoulder min=-1.5 max=0.3 max_velocity=0.5 max_acceleration=100 from_urdf=min,max,max_velocity`, 30*time.Second)
	node.waitOutput(t, `msg="joint limits applied" topic=robot_description joint=elbow min=-2.9 max=2.9 max_velocity=4 max_acceleration=100 from_urdf="none (the configuration is tighter)"`, 5*time.Second)
	node.waitOutput(t, "realtime joined", 30*time.Second)
	applied := time.Now()

	// Long enough for the shoulder to reach 0.3 and be held there.
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && !reached(robot.received(), applied) {
		time.Sleep(100 * time.Millisecond)
	}
	require.True(t, reached(robot.received(), applied), "the shoulder never came within 0.01 of the URDF's upper limit")
	time.Sleep(2 * time.Second) // pressing on the limit
	node.stop(5 * time.Second)
	require.NoError(t, node.err, "node exit status")
	s := robot.finish(t) // zero refusals
	assert.Positive(t, s.Motions)
	assert.Regexp(t, `limit_clamps=[1-9]`, node.out.String(), "pressing on the URDF's limit is counted")
	assert.Equal(t, 2, strings.Count(node.out.String(), `msg="joint limits applied"`), "logged once per joint")

	checked := 0
	for _, r := range robot.received() {
		if r.Refused != nil || r.PMax == nil || r.At.Before(applied) {
			continue
		}
		checked++
		assert.LessOrEqual(t, r.PMax[0], urdfUpper+1e-9, "shoulder position within the URDF's upper")
		assert.GreaterOrEqual(t, r.PMin[0], -1.5-1e-9, "shoulder position within the URDF's lower")
		assert.LessOrEqual(t, r.VMax[0], urdfVelocity+1e-6, "shoulder speed within the URDF's velocity")
	}
	assert.Greater(t, checked, 20, "trajectories checked")
	t.Logf("%d trajectories within the URDF's limits", checked)
}

// reached says whether a trajectory after t0 brought the shoulder to the
// URDF's upper limit.
func reached(trs []trajRec, t0 time.Time) bool {
	for _, r := range trs {
		if r.At.After(t0) && r.PMax != nil && r.PMax[0] > urdfUpper-0.01 {
			return true
		}
	}
	return false
}
