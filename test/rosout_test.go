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

type rosoutLine struct {
	Name  string `json:"name"`
	Level int    `json:"level"`
	Msg   string `json:"msg"`
}

// listenRosout runs the /rosout listener for seconds and returns what it heard.
func listenRosout(t *testing.T, env []string, seconds float64) func() []rosoutLine {
	t.Helper()
	cmd := exec.Command(venvPython(t), filepath.Join(repoRoot(t), "test", "peers", "rosout_listener.py"), "--seconds", strconv.FormatFloat(seconds, 'f', -1, 64))
	cmd.Env = env
	p := startProc(t, "rosout-listener", cmd)
	p.waitOutput(t, "READY", 30*time.Second)
	return func() []rosoutLine {
		var r struct{ Messages []rosoutLine }
		peerResult(t, p, time.Duration(seconds+30)*time.Second, &r)
		return r.Messages
	}
}

var rosConsoleLine = regexp.MustCompile(`(?m)^\[INFO\] \[\d+\.\d+\] \[arm\.ab_bridge\]: realtime joined url=\S+ namespace=/ab run=\S+ joins=1$`)

// TestLogsReachRosout: every log line of the node also reaches /rosout as
// rcl_interfaces/Log with the node's full name and the severity mapped
// (INFO 20, WARN 30), and the console shows ROS's format by default, or
// slog's JSON when asked, without ROS-format duplicates.
func TestLogsReachRosout(t *testing.T) {
	for _, format := range []string{"ros", "json"} {
		t.Run(format, func(t *testing.T) {
			env := rosEnv(t)
			heard := listenRosout(t, env, 6)
			argv := append([]string{"--log-format", format}, nodeArgv(writeNodeConfig(t, "/arm/ab_bridge"))[2:]...)
			cmd := exec.Command(goBinary(t, "cmd/ab_bridge_node"), argv...)
			cmd.Env = env
			n := startProc(t, "ab_bridge_node", cmd)
			n.waitOutput(t, "realtime joined", 30*time.Second)
			lines := heard()
			n.stop(5 * time.Second)

			var joined, noJoints *rosoutLine
			for i, l := range lines {
				switch {
				case strings.HasPrefix(l.Msg, "realtime joined "):
					joined = &lines[i]
				case strings.HasPrefix(l.Msg, "cycle not published: no joint_states"):
					noJoints = &lines[i]
				}
			}
			require.NotNil(t, joined, "realtime joined on /rosout: %v", lines)
			assert.Equal(t, "arm.ab_bridge", joined.Name)
			assert.Equal(t, 20, joined.Level, "INFO")
			assert.Contains(t, joined.Msg, "namespace=/ab")
			require.NotNil(t, noJoints, "the warning about missing joint_states (no robot here) on /rosout")
			assert.Equal(t, 30, noJoints.Level, "WARN")

			out := n.out.String()
			switch format {
			case "ros":
				assert.Regexp(t, rosConsoleLine, out)
				assert.Regexp(t, `(?m)^\[WARN\] \[\d+\.\d+\] \[arm\.ab_bridge\]: cycle not published: no joint_states`, out)
			case "json":
				assert.Contains(t, out, `"msg":"realtime joined"`)
				assert.NotContains(t, out, "[INFO] [", "rcl prints nothing itself when the logs are structured")
			}
		})
	}
}
