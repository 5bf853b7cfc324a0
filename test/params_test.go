package integration

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type paramValue struct {
	Type  int `json:"type"`
	Value any `json:"value"`
}

type paramResult struct {
	Successful bool   `json:"successful"`
	Reason     string `json:"reason"`
}

type paramEvent struct {
	Node    string         `json:"node"`
	Stamp   float64        `json:"stamp"`
	New     map[string]any `json:"new"`
	Changed map[string]any `json:"changed"`
}

type paramClientResult struct {
	Error      string
	List       struct{ Names, Prefixes []string }
	ListJoints struct{ Names, Prefixes []string } `json:"list_joints"`
	Get        map[string]paramValue
	GetAfter   map[string]paramValue `json:"get_after"`
	Describe   []struct {
		Name        string
		Type        int
		ReadOnly    bool `json:"read_only"`
		Description string
		Constraints string
	}
	Types        []int
	Set          []paramResult
	SetReadOnly  []paramResult `json:"set_read_only"`
	SetWrongType []paramResult `json:"set_wrong_type"`
	SetLogLevel  []paramResult `json:"set_log_level"`
	Events       []paramEvent
}

// rcl_interfaces/msg/ParameterType.
const (
	paramNotSet = 0
	paramBool   = 1
	paramDouble = 3
	paramString = 4
)

// TestParametersTheROSWay: rclpy's own parameter client lists, gets,
// describes and sets the node's parameters through the services rclcpp
// and rclpy name and type; -p values are the initial ones; changes reach
// the bridge (its log says so) and /parameter_events; read-only ones and
// wrong types are refused with a reason; log_level debug turns debug lines
// on at once.
func TestParametersTheROSWay(t *testing.T) {
	env := rosEnv(t)
	argv := append(nodeArgv(writeNodeConfig(t, "/arm/ab_bridge")),
		"-p", "joints.elbow.max_velocity:=3", "-p", "trajectory.publish_idle:=true")
	cmd := exec.Command(goBinary(t, "cmd/ab_bridge_node"), argv...)
	cmd.Env = env
	n := startProc(t, "ab_bridge_node", cmd)
	n.waitOutput(t, "realtime joined", 30*time.Second)

	pc := exec.Command(venvPython(t), filepath.Join(repoRoot(t), "test", "peers", "param_client.py"), "--node", "/arm/ab_bridge", "--joint", "shoulder")
	pc.Env = env
	p := startProc(t, "param-client", pc)
	var r paramClientResult
	peerResult(t, p, 90*time.Second, &r)
	require.Empty(t, r.Error)
	time.Sleep(300 * time.Millisecond) // the node's last log lines
	logs := n.out.String()
	n.stop(5 * time.Second)

	// list: every declared name, with their prefixes; and under a prefix.
	for _, name := range []string{"config", "brain.url", "brain.project", "use_sim_time", "log_level", "trajectory.publish_idle",
		"trajectory.cycle_duration", "joints.shoulder.max_velocity", "joints.shoulder.max_acceleration", "joints.elbow.max_velocity"} {
		assert.Contains(t, r.List.Names, name)
	}
	assert.Contains(t, r.List.Prefixes, "joints.shoulder")
	assert.Equal(t, []string{"joints.elbow.max_acceleration", "joints.elbow.max_velocity", "joints.shoulder.max_acceleration", "joints.shoulder.max_velocity"}, r.ListJoints.Names)

	// get: the values in effect; -p as initial values; unknown names not set.
	assert.Equal(t, paramValue{paramString, "local"}, r.Get["brain.url"], "the configuration's brain (the embedded one)")
	assert.Equal(t, paramValue{paramString, "demo"}, r.Get["brain.project"])
	assert.Equal(t, paramValue{paramBool, true}, r.Get["trajectory.publish_idle"])
	assert.Equal(t, paramValue{paramDouble, 4.0}, r.Get["joints.shoulder.max_velocity"], "config/bridge.yaml")
	assert.Equal(t, paramValue{paramDouble, 3.0}, r.Get["joints.elbow.max_velocity"], "-p joints.elbow.max_velocity:=3, an integer taken as a double")
	assert.Equal(t, paramValue{paramString, "info"}, r.Get["log_level"], "--log-level info")
	assert.Equal(t, paramNotSet, r.Get["no.such.parameter"].Type)

	require.Len(t, r.Describe, 3)
	assert.True(t, r.Describe[0].ReadOnly, "brain.project")
	assert.False(t, r.Describe[1].ReadOnly)
	assert.Equal(t, paramDouble, r.Describe[1].Type)
	assert.Contains(t, r.Describe[1].Constraints, "0: unlimited")
	assert.Contains(t, r.Describe[2].Description, "follows /clock", "use_sim_time says what it switches")
	assert.Equal(t, []int{paramBool, paramNotSet}, r.Types)

	// set: both live parameters at once; the bridge says it took them.
	require.Len(t, r.Set, 2)
	assert.Equal(t, []paramResult{{true, ""}, {true, ""}}, r.Set)
	assert.Contains(t, logs, `msg="trajectory.publish_idle changed" publish_idle=false`)
	assert.Contains(t, logs, `msg="joint limits changed" joint=shoulder max_velocity=1.5 max_acceleration=100`)
	assert.Equal(t, paramValue{paramBool, false}, r.GetAfter["trajectory.publish_idle"])
	assert.Equal(t, paramValue{paramDouble, 1.5}, r.GetAfter["joints.shoulder.max_velocity"])

	require.Len(t, r.SetReadOnly, 1)
	assert.False(t, r.SetReadOnly[0].Successful)
	assert.Contains(t, r.SetReadOnly[0].Reason, "read-only")
	assert.Equal(t, paramValue{paramString, "demo"}, r.GetAfter["brain.project"])
	require.Len(t, r.SetWrongType, 1)
	assert.False(t, r.SetWrongType[0].Successful)
	assert.Contains(t, r.SetWrongType[0].Reason, "wrong type")

	// log_level debug: the get that follows logs its request at debug.
	assert.Equal(t, []paramResult{{true, ""}}, r.SetLogLevel)
	assert.Equal(t, paramValue{paramString, "debug"}, r.GetAfter["log_level"])
	before, after, found := strings.Cut(logs, "name=log_level value=debug")
	require.True(t, found, "the change is logged")
	assert.NotContains(t, before, "level=DEBUG", "no debug line at info")
	assert.Regexp(t, `level=DEBUG msg="parameter request" service=get_parameters`, after)

	// /parameter_events: each accepted change, from the node's full name,
	// stamped now; nothing for the refused ones.
	changed := map[string]any{}
	for _, ev := range r.Events {
		assert.Equal(t, "/arm/ab_bridge", ev.Node)
		assert.InDelta(t, float64(time.Now().Unix()), ev.Stamp, 120)
		for k, v := range ev.Changed {
			changed[k] = v
		}
	}
	assert.Equal(t, map[string]any{"trajectory.publish_idle": false, "joints.shoulder.max_velocity": 1.5, "log_level": "debug"}, changed)
}
