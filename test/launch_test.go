package integration

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/config"
)

// ros2 launch cannot be installed here (no launch/launch_ros wheels), so the
// launch files are run by test/peers/launch_argv.py, a stand-in for launch
// and launch_ros that records what a launch file builds and turns each Node
// into the command line launch_ros (jazzy) gives it. These tests check that
// command line, and start the node with it on a real ROS 2 graph.

// launchResult is what launch_argv.py prints.
type launchResult struct {
	Declared []struct {
		Name        string   `json:"name"`
		Default     *string  `json:"default"`
		Description string   `json:"description"`
		Choices     []string `json:"choices"`
	} `json:"declared"`
	Processes []launchProcess `json:"processes"`
	Includes  []struct {
		File            string            `json:"file"`
		LaunchArguments map[string]string `json:"launch_arguments"`
		Followed        bool              `json:"followed"`
	} `json:"includes"`
}

type launchProcess struct {
	Package    string   `json:"package"`
	Executable string   `json:"executable"`
	Argv       []string `json:"argv"`
	Params     []struct {
		File       string         `json:"file"`
		Key        *string        `json:"key"`
		Parameters map[string]any `json:"parameters"`
	} `json:"params"`
}

// process is the one process of the package and executable the launch runs.
func (r launchResult) process(t *testing.T, pkg, exe string) launchProcess {
	t.Helper()
	var found []launchProcess
	for _, p := range r.Processes {
		if p.Package == pkg && p.Executable == exe {
			found = append(found, p)
		}
	}
	require.Len(t, found, 1, "processes of %s/%s in %+v", pkg, exe, r.Processes)
	return found[0]
}

// runLaunch runs a launch file under the stand-in with launch arguments
// (name:=value) and returns what it would start, or the stand-in's error.
// The package ab_bridge's share is the checkout (it holds launch/ and
// config/ as the installed share does); opts are more stand-in flags
// (--exe pkg/exe=path, --share pkg=dir).
func runLaunch(t *testing.T, launchFile string, opts []string, args ...string) (launchResult, string) {
	t.Helper()
	tmp := t.TempDir()
	argv := []string{filepath.Join(repoRoot(t), "test", "peers", "launch_argv.py"), launchFile,
		"--tmp", tmp, "--share", "ab_bridge=" + repoRoot(t)}
	argv = append(argv, opts...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, venvPython(t), append(argv, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		require.True(t, strings.HasPrefix(msg, "ERROR ") || strings.Contains(msg, "\nERROR "), "stand-in failed without an ERROR line (%v):\n%s", err, msg)
		return launchResult{}, msg[strings.Index(msg, "ERROR ")+len("ERROR "):]
	}
	s := strings.TrimSpace(string(out))
	require.True(t, strings.HasPrefix(s, "RESULT "), "stand-in output:\n%s\n%s", s, stderr.String())
	var r launchResult
	require.NoError(t, json.Unmarshal([]byte(s[len("RESULT "):]), &r))
	return r, ""
}

func bridgeLaunchFile(t *testing.T) string {
	return filepath.Join(repoRoot(t), "launch", "bridge.launch.py")
}

const exeMark = "@ab_bridge/ab_bridge_node"

// The launch file declares exactly the arguments of the issue, none of them
// a key, and holds no default but the shipped config's path.
func TestBridgeLaunchDeclaresItsArguments(t *testing.T) {
	r, errMsg := runLaunch(t, bridgeLaunchFile(t), nil)
	require.Empty(t, errMsg)
	var names []string
	for _, d := range r.Declared {
		names = append(names, d.Name)
		assert.NotEmpty(t, d.Description, "%s has a description", d.Name)
		for _, bad := range []string{"key", "secret", "token", "password"} {
			assert.NotContains(t, strings.ToLower(d.Name), bad, "the API key is never a launch argument")
		}
		require.NotNil(t, d.Default, "%s has a default", d.Name)
		if d.Name == "config" {
			assert.Equal(t, filepath.Join(repoRoot(t), "config", "bridge.yaml"), *d.Default)
		} else {
			assert.Empty(t, *d.Default, "%s: the node or the YAML holds the default, not the launch file", d.Name)
		}
	}
	assert.Equal(t, []string{"config", "namespace", "node_name", "use_sim_time", "log_level", "brain_url", "project",
		"joint_states", "joint_trajectory", "gripper", "cmd_vel", "camera", "audio"}, names)
}

// Each argument becomes exactly the command-line piece launch_ros makes of
// it, and the node's own reading of that command line (config.ParseROSArgs,
// what loadConfig uses) sees the name, namespace and parameters meant.
func TestBridgeLaunchArgv(t *testing.T) {
	cfg := filepath.Join(repoRoot(t), "config", "bridge.yaml")
	tests := []struct {
		name     string
		args     []string
		pre      []string // between the executable and the last --ros-args
		rules    []string // after the last --ros-args, before the params file
		remaps   []string // after the params file
		key      string   // the params file's node key
		params   map[string]any
		fullName string // as the node resolves it
	}{
		{name: "defaults pass only the config", key: "/**", params: map[string]any{"config": cfg}, fullName: "/ab_bridge"},
		{name: "node_name", args: []string{"node_name:=lab_bridge"}, rules: []string{"-r", "__node:=lab_bridge"},
			key: "/**", params: map[string]any{"config": cfg}, fullName: "/lab_bridge"},
		{name: "namespace", args: []string{"namespace:=robot1"}, rules: []string{"-r", "__ns:=/robot1"},
			key: "/**", params: map[string]any{"config": cfg}, fullName: "/robot1/ab_bridge"},
		{name: "node_name and namespace key the params file", args: []string{"namespace:=/robot1/arm", "node_name:=lab_bridge"},
			rules: []string{"-r", "__node:=lab_bridge", "-r", "__ns:=/robot1/arm"},
			key:   "/robot1/arm/lab_bridge", params: map[string]any{"config": cfg}, fullName: "/robot1/arm/lab_bridge"},
		{name: "log_level", args: []string{"log_level:=debug"}, pre: []string{"--ros-args", "--log-level", "debug"},
			key: "/**", params: map[string]any{"config": cfg}, fullName: "/ab_bridge"},
		{name: "config", args: []string{"config:=/robots/r1.yaml"}, key: "/**", params: map[string]any{"config": "/robots/r1.yaml"}, fullName: "/ab_bridge"},
		{name: "brain_url and project override the YAML", args: []string{"brain_url:=https://brain.example/api", "project:=0042"},
			key: "/**", params: map[string]any{"config": cfg, "brain.url": "https://brain.example/api", "brain.project": "0042"}, fullName: "/ab_bridge"},
		{name: "use_sim_time true", args: []string{"use_sim_time:=true"}, key: "/**", params: map[string]any{"config": cfg, "use_sim_time": true}, fullName: "/ab_bridge"},
		{name: "use_sim_time false", args: []string{"use_sim_time:=false"}, key: "/**", params: map[string]any{"config": cfg, "use_sim_time": false}, fullName: "/ab_bridge"},
		{name: "remaps, in a fixed order", args: []string{"audio:=/mic/pcm", "camera:=/overhead/image", "cmd_vel:=/base/cmd_vel",
			"gripper:=/gripper_controller/commands", "joint_trajectory:=/arm_controller/joint_trajectory", "joint_states:=/robot/joint_states"},
			remaps: []string{"-r", "joint_states:=/robot/joint_states", "-r", "joint_trajectory:=/arm_controller/joint_trajectory",
				"-r", "gripper:=/gripper_controller/commands", "-r", "cmd_vel:=/base/cmd_vel",
				"-r", "camera/image_raw:=/overhead/image", "-r", "audio/pcm:=/mic/pcm"},
			key: "/**", params: map[string]any{"config": cfg}, fullName: "/ab_bridge"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, errMsg := runLaunch(t, bridgeLaunchFile(t), nil, tt.args...)
			require.Empty(t, errMsg)
			p := r.process(t, "ab_bridge", "ab_bridge_node")
			require.Len(t, p.Params, 1, "one parameters file")
			pf := p.Params[0]
			want := append([]string{exeMark}, tt.pre...)
			want = append(want, "--ros-args")
			want = append(want, tt.rules...)
			want = append(want, "--params-file", pf.File)
			want = append(want, tt.remaps...)
			assert.Equal(t, want, p.Argv)
			require.NotNil(t, pf.Key)
			assert.Equal(t, tt.key, *pf.Key)
			assert.Equal(t, tt.params, pf.Parameters)

			// The node's reading of that argv.
			ra, err := config.ParseROSArgs(p.Argv[1:])
			require.NoError(t, err)
			assert.Equal(t, tt.fullName, ra.FullName("ab_bridge"))
			got, err := ra.Parameters("ab_bridge")
			require.NoError(t, err)
			assert.Equal(t, tt.params, got, "parameters the node resolves")
			if len(tt.pre) > 0 {
				assert.Equal(t, tt.pre[len(tt.pre)-1], ra.LogLevel)
			}
		})
	}
}

// What launch (or the launch file) refuses never reaches the node.
func TestBridgeLaunchRefuses(t *testing.T) {
	tests := []struct {
		arg, want string
	}{
		{"log_level:=loud", "not valid"},
		{"use_sim_time:=yes", "not valid"},
		{"node_name:=1bridge", "invalid node name"},
		{"namespace:=robot-1", "invalid namespace"},
		{"config:=", "config is empty"},
		{"api_key:=sk-123", "not declared"},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			r, errMsg := runLaunch(t, bridgeLaunchFile(t), nil, tt.arg)
			assert.Contains(t, errMsg, tt.want)
			assert.Empty(t, r.Processes)
		})
	}
}

// graphResult is what test/peers/launch_graph_probe.py prints.
type graphResult struct {
	NodeSeen     bool            `json:"node_seen"`
	Publishes    []string        `json:"publishes"`
	Subscribes   []string        `json:"subscribes"`
	Nodes        []string        `json:"nodes"`
	Trajectories int             `json:"trajectories"`
	Contract     trajectoryTally `json:"contract"`
}

// The command line the launch file produces for every argument, run on a
// real ROS 2 graph: the node takes the given name and namespace, reads the
// brain URL and project from the parameters (the YAML's point at nothing),
// logs at the given level, subscribes and publishes the remapped topics and
// drives the robot there.
func TestBridgeLaunchArgvOnGraph(t *testing.T) {
	env := rosEnv(t)
	node := goBinary(t, "cmd/ab_bridge_node")
	_, brainURL := startLocalBrain(t, env)

	// The YAML names a brain nobody serves and a project no brain has: the
	// node joins only if the launch arguments override both.
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "config", "bridge.yaml"))
	require.NoError(t, err)
	yml := string(b)
	for _, r := range [][2]string{{"\n  url: local\n", "\n  url: http://127.0.0.1:9\n"}, {"\n  project: demo\n", "\n  project: no_such_project\n"}} {
		require.Contains(t, yml, r[0])
		yml = strings.Replace(yml, r[0], r[1], 1)
	}
	cfgPath := filepath.Join(t.TempDir(), "robot.yaml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(yml), 0o600))

	r, errMsg := runLaunch(t, bridgeLaunchFile(t), []string{"--exe", "ab_bridge/ab_bridge_node=" + node},
		"config:="+cfgPath, "node_name:=lab_bridge", "namespace:=robot1", "log_level:=debug", "use_sim_time:=false",
		"brain_url:="+brainURL, "project:=demo",
		"joint_states:=/sim/joint_states", "joint_trajectory:=/sim/arm_controller/joint_trajectory",
		"gripper:=/sim/gripper_controller/commands", "cmd_vel:=/sim/cmd_vel",
		"camera:=/sim/overhead/image", "audio:=/sim/mic")
	require.Empty(t, errMsg)
	p := r.process(t, "ab_bridge", "ab_bridge_node")
	require.Equal(t, node, p.Argv[0])
	for _, remap := range []string{"gripper:=/sim/gripper_controller/commands", "cmd_vel:=/sim/cmd_vel", "audio/pcm:=/sim/mic"} {
		assert.Contains(t, p.Argv, remap, "the argv carries the remap (the node may not use the topic yet)")
	}
	t.Logf("argv: %q", p.Argv)

	cmd := exec.Command(p.Argv[0], p.Argv[1:]...)
	cmd.Env = env
	n := startProc(t, "ab_bridge_node", cmd)

	probe := exec.Command(venvPython(t), filepath.Join(repoRoot(t), "test", "peers", "launch_graph_probe.py"),
		"--node", "/robot1/lab_bridge", "--joint-states", "/sim/joint_states",
		"--joint-trajectory", "/sim/arm_controller/joint_trajectory", "--min-trajectories", "20", "--timeout", "60")
	probe.Env = env
	pr := startProc(t, "launch-probe", probe)
	var g graphResult
	peerResult(t, pr, 90*time.Second, &g)

	require.True(t, g.NodeSeen, "node /robot1/lab_bridge on the graph; nodes seen: %v", g.Nodes)
	assert.Contains(t, g.Subscribes, "/sim/joint_states")
	assert.Contains(t, g.Subscribes, "/sim/overhead/image", "the default config's camera input, remapped")
	assert.Contains(t, g.Publishes, "/sim/arm_controller/joint_trajectory")
	for _, unmapped := range []string{"/robot1/joint_states", "/robot1/camera/image_raw"} {
		assert.NotContains(t, g.Subscribes, unmapped)
	}
	assert.NotContains(t, g.Publishes, "/robot1/joint_trajectory")
	assert.GreaterOrEqual(t, g.Trajectories, 20, "trajectories on the remapped topic")
	assert.Zero(t, g.Contract.Refused, "trajectories the controller contract refuses: %v %v", g.Contract.RefusedByRule, g.Contract.FirstRefusals)
	assert.Equal(t, g.Trajectories, g.Contract.Accepted)

	logs := n.out.String()
	assert.Contains(t, logs, "realtime joined", "the node joined the brain the launch arguments name")
	assert.Regexp(t, `ab_bridge_node starting.* brain=`+regexp.QuoteMeta(brainURL)+` project=demo`, logs)
	// "brain request" is logged at debug level only.
	assert.Contains(t, logs, "brain request", "log_level:=debug")
	assert.NotContains(t, logs, "no_such_project")
}
