package config

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// The Gazebo example (examples/gazebo_arm) cannot run here: no Gazebo, no
// ros2_control. These tests hold its files to what the stock pieces expect,
// so that the example cannot drift from the bridge or from the controllers:
// the bridge config loads with the node's own loader, its joints are the
// trajectory controller's and the URDF's, and the controllers' parameters
// are ones the controllers define.

const gazeboExample = "../../examples/gazebo_arm"

// jtcParameters are the parameters joint_trajectory_controller (jazzy)
// declares: the top-level names of ros2_controllers' jazzy
// joint_trajectory_controller/src/joint_trajectory_controller_parameters.yaml
// ("gains" and "constraints" hold per-joint maps).
var jtcParameters = map[string]bool{
	"joints": true, "command_joints": true, "command_interfaces": true, "state_interfaces": true,
	"speed_scaling": true, "allow_partial_joints_goal": true, "open_loop_control": true,
	"interpolate_from_desired_state": true, "allow_integration_in_goal_trajectories": true,
	"set_last_command_interface_value_as_state_on_activation": true, "action_monitor_rate": true,
	"interpolation_method": true, "allow_nonzero_velocity_at_trajectory_end": true, "cmd_timeout": true,
	"gains": true, "constraints": true,
}

// jtcContract are the parameters whose Jazzy defaults the bridge's
// trajectories are built for (see config/bridge.yaml, trajectory): the
// example must leave them alone.
var jtcContract = []string{"allow_nonzero_velocity_at_trajectory_end", "allow_partial_joints_goal",
	"interpolation_method", "allow_integration_in_goal_trajectories", "cmd_timeout"}

// jsbParameters are joint_state_broadcaster's (jazzy), from ros2_controllers'
// joint_state_broadcaster/src/joint_state_broadcaster_parameters.yaml.
var jsbParameters = map[string]bool{
	"use_local_topics": true, "joints": true, "extra_joints": true, "interfaces": true,
	"map_interface_to_joint_state": true, "use_urdf_to_filter": true, "frame_id": true,
	"publish_dynamic_joint_states": true,
}

// controllersFile is the controller manager's parameters file.
type controllersFile map[string]struct {
	Params map[string]any `yaml:"ros__parameters"`
}

func loadControllers(t *testing.T) controllersFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(gazeboExample, "config", "controllers.yaml"))
	require.NoError(t, err)
	var f controllersFile
	require.NoError(t, yaml.Unmarshal(b, &f))
	return f
}

func stringList(t *testing.T, v any, what string) []string {
	t.Helper()
	list, ok := v.([]any)
	require.True(t, ok, "%s is a list: %v", what, v)
	out := make([]string, len(list))
	for i, x := range list {
		s, ok := x.(string)
		require.True(t, ok, "%s[%d] is a string: %v", what, i, x)
		out[i] = s
	}
	return out
}

// controllerNamed returns the name of the one controller of the given type.
func controllerNamed(t *testing.T, f controllersFile, typ string) string {
	t.Helper()
	var names []string
	for name, v := range f["controller_manager"].Params {
		if m, ok := v.(map[string]any); ok && m["type"] == typ {
			names = append(names, name)
		}
	}
	require.Len(t, names, 1, "one controller of type %s", typ)
	return names[0]
}

func TestGazeboExampleBridgeConfigMatchesTheControllers(t *testing.T) {
	cfg, err := Load(filepath.Join(gazeboExample, "config", "bridge.yaml"))
	require.NoError(t, err)
	assert.Empty(t, cfg.Warnings)
	assert.False(t, cfg.Trajectory.AllowNonzeroVelocityAtEnd, "the controller keeps Jazzy's allow_nonzero_velocity_at_trajectory_end: false")
	for _, f := range []string{cfg.RewardPolicyPath(), cfg.DeviationPolicyPath()} {
		_, err := os.Stat(f)
		assert.NoError(t, err, "policy file")
	}

	f := loadControllers(t)
	cm := f["controller_manager"].Params
	require.NotNil(t, cm, "controller_manager parameters")
	rate, ok := cm["update_rate"].(int)
	assert.True(t, ok && rate > 0, "update_rate is a positive integer: %v", cm["update_rate"])
	jtc := controllerNamed(t, f, "joint_trajectory_controller/JointTrajectoryController")
	jsb := controllerNamed(t, f, "joint_state_broadcaster/JointStateBroadcaster")

	p := f[jtc].Params
	require.NotNil(t, p, "%s has parameters", jtc)
	for name := range p {
		assert.True(t, jtcParameters[name], "%s: %q is not a joint_trajectory_controller parameter", jtc, name)
	}
	for _, name := range jtcContract {
		assert.NotContains(t, p, name, "%s keeps Jazzy's default of %s", jtc, name)
	}
	joints := stringList(t, p["joints"], "joints")
	var bridgeJoints []string
	for _, j := range cfg.Joints {
		bridgeJoints = append(bridgeJoints, j.Name)
	}
	assert.Equal(t, joints, bridgeJoints, "the bridge's joints are the controller's, in its order")
	assert.Equal(t, []string{"position"}, stringList(t, p["command_interfaces"], "command_interfaces"))
	assert.Equal(t, []string{"position", "velocity"}, stringList(t, p["state_interfaces"], "state_interfaces"))

	// The broadcaster publishes /joint_states (not ~/joint_states), what
	// the example launch remaps the bridge's joint_states to.
	for name, v := range f[jsb].Params {
		assert.True(t, jsbParameters[name], "%s: %q is not a joint_state_broadcaster parameter", jsb, name)
		if name == "use_local_topics" {
			assert.Equal(t, false, v)
		}
	}
	for name := range f {
		assert.Contains(t, []string{"controller_manager", jtc, jsb}, name, "a parameters section for something that is not a controller")
	}
}

// urdf is the part of the URDF the controllers and gz_ros2_control read.
type urdf struct {
	Joints []struct {
		Name  string `xml:"name,attr"`
		Type  string `xml:"type,attr"`
		Limit *struct {
			Lower float64 `xml:"lower,attr"`
			Upper float64 `xml:"upper,attr"`
		} `xml:"limit"`
	} `xml:"joint"`
	ROS2Control []struct {
		Type     string `xml:"type,attr"`
		Hardware string `xml:"hardware>plugin"`
		Joints   []struct {
			Name    string `xml:"name,attr"`
			Command []struct {
				Name string `xml:"name,attr"`
			} `xml:"command_interface"`
			State []struct {
				Name string `xml:"name,attr"`
			} `xml:"state_interface"`
		} `xml:"joint"`
	} `xml:"ros2_control"`
	Gazebo []struct {
		Plugins []struct {
			Filename   string   `xml:"filename,attr"`
			Name       string   `xml:"name,attr"`
			Parameters []string `xml:"parameters"`
		} `xml:"plugin"`
	} `xml:"gazebo"`
}

func TestGazeboExampleURDFMatchesTheControllers(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(gazeboExample, "urdf", "arm.urdf.xacro"))
	require.NoError(t, err)
	var u urdf
	require.NoError(t, xml.Unmarshal(b, &u))

	f := loadControllers(t)
	jtc := controllerNamed(t, f, "joint_trajectory_controller/JointTrajectoryController")
	joints := stringList(t, f[jtc].Params["joints"], "joints")
	cfg, err := Load(filepath.Join(gazeboExample, "config", "bridge.yaml"))
	require.NoError(t, err)

	require.Len(t, u.ROS2Control, 1)
	rc := u.ROS2Control[0]
	assert.Equal(t, "system", rc.Type)
	assert.Equal(t, "gz_ros2_control/GazeboSimSystem", rc.Hardware)
	var rcJoints []string
	for _, j := range rc.Joints {
		rcJoints = append(rcJoints, j.Name)
		var cmd, state []string
		for _, c := range j.Command {
			cmd = append(cmd, c.Name)
		}
		for _, s := range j.State {
			state = append(state, s.Name)
		}
		assert.Equal(t, []string{"position"}, cmd, "%s: the controller's command interfaces", j.Name)
		assert.Equal(t, []string{"position", "velocity"}, state, "%s: the controller's state interfaces", j.Name)
	}
	sort.Strings(rcJoints)
	sorted := append([]string(nil), joints...)
	sort.Strings(sorted)
	assert.Equal(t, sorted, rcJoints, "the ros2_control tag holds exactly the controller's joints")

	// Each controller joint is a movable URDF joint whose limits hold the
	// bridge's min/max.
	for _, cj := range cfg.Joints {
		found := false
		for _, j := range u.Joints {
			if j.Name != cj.Name {
				continue
			}
			found = true
			assert.Equal(t, "revolute", j.Type, cj.Name)
			require.NotNil(t, j.Limit, "%s has limits", cj.Name)
			require.NotNil(t, cj.Min, "%s: the bridge clamps to min", cj.Name)
			require.NotNil(t, cj.Max, "%s: the bridge clamps to max", cj.Name)
			assert.GreaterOrEqual(t, *cj.Min, j.Limit.Lower, "%s min within the URDF's limits", cj.Name)
			assert.LessOrEqual(t, *cj.Max, j.Limit.Upper, "%s max within the URDF's limits", cj.Name)
		}
		assert.True(t, found, "joint %s in the URDF", cj.Name)
	}

	require.Len(t, u.Gazebo, 1)
	require.Len(t, u.Gazebo[0].Plugins, 1)
	pl := u.Gazebo[0].Plugins[0]
	assert.Equal(t, "gz_ros2_control-system", pl.Filename)
	assert.Equal(t, "gz_ros2_control::GazeboSimROS2ControlPlugin", pl.Name)
	require.Len(t, pl.Parameters, 1)
	assert.Equal(t, "$(arg controllers)", strings.TrimSpace(pl.Parameters[0]), "the controllers file, given to xacro by the launch file")
}
