package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// The Gazebo example's launch file (examples/gazebo_arm) under the launch
// stand-in: Gazebo and ros2_control are not installable here, so what it
// would start is checked against its controllers file, and the bridge's
// command line is handed to the real node's --check-config. The example's
// files themselves are checked in internal/config/gazebo_example_test.go.
func TestGazeboExampleLaunch(t *testing.T) {
	example := filepath.Join(repoRoot(t), "examples", "gazebo_arm")
	controllersFile := filepath.Join(example, "config", "controllers.yaml")
	node := goBinary(t, "cmd/ab_bridge_node")
	r, errMsg := runLaunch(t, filepath.Join(example, "launch", "gazebo_arm.launch.py"),
		// ros_gz_sim's launch file is recorded, not followed.
		[]string{"--share", "ros_gz_sim=@share/ros_gz_sim", "--exe", "ab_bridge/ab_bridge_node=" + node})
	require.Empty(t, errMsg)

	// The controllers the file configures, by type.
	b, err := os.ReadFile(controllersFile)
	require.NoError(t, err)
	var f map[string]struct {
		Params map[string]any `yaml:"ros__parameters"`
	}
	require.NoError(t, yaml.Unmarshal(b, &f))
	byType := map[string]string{}
	for name, v := range f["controller_manager"].Params {
		if m, ok := v.(map[string]any); ok {
			byType[m["type"].(string)] = name
		}
	}
	jtc := byType["joint_trajectory_controller/JointTrajectoryController"]
	jsb := byType["joint_state_broadcaster/JointStateBroadcaster"]
	require.NotEmpty(t, jtc)
	require.NotEmpty(t, jsb)

	// Both controllers are spawned, the trajectory controller with the file.
	var spawned [][]string
	for _, p := range r.Processes {
		if p.Package == "controller_manager" && p.Executable == "spawner" {
			spawned = append(spawned, p.Argv[1:])
		}
	}
	assert.Equal(t, [][]string{{jsb, "--ros-args"}, {jtc, "--param-file", controllersFile, "--ros-args"}}, spawned)

	// The URDF gets the same controllers file (xacro's controllers:=).
	rsp := r.process(t, "robot_state_publisher", "robot_state_publisher")
	require.Len(t, rsp.Params, 1)
	desc, _ := rsp.Params[0].Parameters["robot_description"].(string)
	assert.Contains(t, desc, filepath.Join(example, "urdf", "arm.urdf.xacro")+" controllers:="+controllersFile)
	assert.Equal(t, true, rsp.Params[0].Parameters["use_sim_time"])

	// The bridge: remapped onto the broadcaster's /joint_states and the
	// trajectory controller's ~/joint_trajectory, on sim time, with the
	// example's config, started last (after the controller is up).
	require.NotEmpty(t, r.Processes)
	last := r.Processes[len(r.Processes)-1]
	assert.Equal(t, "ab_bridge", last.Package, "the bridge starts after the controllers")
	br := r.process(t, "ab_bridge", "ab_bridge_node")
	argv := strings.Join(br.Argv, " ")
	assert.Contains(t, argv, "-r joint_states:=/joint_states")
	assert.Contains(t, argv, "-r joint_trajectory:=/"+jtc+"/joint_trajectory")
	require.Len(t, br.Params, 1)
	assert.Equal(t, map[string]any{"config": filepath.Join(example, "config", "bridge.yaml"), "use_sim_time": true}, br.Params[0].Parameters,
		"no brain URL or project unless given: the example config's apply")

	// The node accepts the configuration it is given that way.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, br.Argv[0], append([]string{"--check-config"}, br.Argv[1:]...)...)
	cmd.Env = rosEnv(t)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "configuration is valid")
}
