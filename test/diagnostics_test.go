package integration

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type diagStatus struct {
	Level      int               `json:"level"`
	Name       string            `json:"name"`
	Message    string            `json:"message"`
	HardwareID string            `json:"hardware_id"`
	Values     map[string]string `json:"values"`
}

type diagArray struct {
	Stamp    float64      `json:"stamp"`
	Received float64      `json:"received"`
	Status   []diagStatus `json:"status"`
}

func (a diagArray) status(name string) (diagStatus, bool) {
	for _, s := range a.Status {
		if s.Name == name {
			return s, true
		}
	}
	return diagStatus{}, false
}

// listenDiagnostics runs the /diagnostics listener for seconds and returns
// what it heard.
func listenDiagnostics(t *testing.T, env []string, seconds float64) func() []diagArray {
	t.Helper()
	cmd := exec.Command(venvPython(t), filepath.Join(repoRoot(t), "test", "peers", "diagnostics_listener.py"), "--seconds", strconv.FormatFloat(seconds, 'f', -1, 64))
	cmd.Env = env
	p := startProc(t, "diagnostics-listener", cmd)
	p.waitOutput(t, "READY", 30*time.Second)
	return func() []diagArray {
		var r struct{ Arrays []diagArray }
		peerResult(t, p, time.Duration(seconds+30)*time.Second, &r)
		return r.Arrays
	}
}

const apiKeySentinel = "diag-test-key-7f3a9c"

// TestDiagnostics: the node against the embedded brain, with no robot:
// /diagnostics carries one array a second with the five statuses named
// "ab_bridge: <component>"; once joined the link is OK with the run id; the
// commands status is WARN because no joint_states arrive, and says so; the
// start-up summary table is in the log, and the API key nowhere.
func TestDiagnostics(t *testing.T) {
	env := rosEnv(t, "AB_API_KEY="+apiKeySentinel)
	heard := listenDiagnostics(t, env, 8)
	argv := append([]string{"--log-format", "ros"}, nodeArgv(writeNodeConfig(t, "/arm/ab_bridge"))[2:]...)
	cmd := exec.Command(goBinary(t, "cmd/ab_bridge_node"), argv...)
	cmd.Env = env
	n := startProc(t, "ab_bridge_node", cmd)
	n.waitOutput(t, "realtime joined", 30*time.Second)
	arrays := heard()
	n.stop(5 * time.Second)

	require.GreaterOrEqual(t, len(arrays), 2, "arrays on /diagnostics")
	for i := 1; i < len(arrays); i++ {
		gap := arrays[i].Stamp - arrays[i-1].Stamp
		assert.InDelta(t, 1.0, gap, 0.25, "stamps of arrays %d and %d", i-1, i)
	}
	last := arrays[len(arrays)-1]
	assert.InDelta(t, last.Received, last.Stamp, 2, "stamped now (wall time)")
	var names []string
	for _, s := range last.Status {
		names = append(names, s.Name)
	}
	assert.Equal(t, []string{"ab_bridge: brain link", "ab_bridge: cycles", "ab_bridge: inputs", "ab_bridge: commands", "ab_bridge: learning"}, names)

	link, ok := last.status("ab_bridge: brain link")
	require.True(t, ok)
	assert.Equal(t, 0, link.Level, "link OK once joined: %s", link.Message)
	assert.Regexp(t, `^joined run \S+$`, link.Message)
	assert.NotEmpty(t, link.Values["run"])
	assert.Equal(t, "joined", link.Values["state"])
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+`, link.HardwareID)

	cmds, ok := last.status("ab_bridge: commands")
	require.True(t, ok)
	assert.Equal(t, 1, cmds.Level, "commands WARN without joint_states: %s", cmds.Message)
	assert.Contains(t, cmds.Message, "no joint_states")
	assert.Equal(t, "/arm", cmds.HardwareID)
	assert.NotEqual(t, "0", cmds.Values["cycles without joint_states"])

	cycles, _ := last.status("ab_bridge: cycles")
	rate, err := strconv.ParseFloat(cycles.Values["cycle rate (Hz)"], 64)
	require.NoError(t, err)
	assert.InDelta(t, 20, rate, 6, "the local brain cycles at 20 Hz")

	out := n.out.String()
	assert.NotContains(t, out, apiKeySentinel, "the API key is never logged")
	require.Contains(t, out, "start-up summary")
	table := out[strings.Index(out, "start-up summary"):]
	for _, re := range []string{
		`(?m)^brain +http://127\.0\.0\.1:\d+`,
		`(?m)^run +\S+$`,
		`(?m)^contract sha256 +[0-9a-f]{64}$`,
		`(?m)^policies +reward \S+`,
		`(?m)^commands +joint_trajectory → /joint_trajectory \(trajectory_msgs/JointTrajectory\)$`,
		`(?m)^shoulder_pos +Proprioception +joint_states → /joint_states +sensor_msgs/JointState +position of shoulder$`,
		`(?m)^overhead_cam +Image +camera/image_raw +sensor_msgs/Image`,
		`(?m)^shoulder_motor +joint:0 +shoulder +bipolarSplit$`,
	} {
		assert.Regexp(t, regexp.MustCompile(re), table)
	}
}
