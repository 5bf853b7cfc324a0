package diagnostics

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/contract"
)

func TestRedactURL(t *testing.T) {
	cases := []struct{ name, raw, key, want string }{
		{"plain", "https://app.example/api", "k3y", "https://app.example/api"},
		{"password", "https://user:s3cret@app.example/api", "", "https://user:REDACTED@app.example/api"},
		{"query token", "https://app.example/api?api_key=abc&x=1", "", "https://app.example/api?api_key=REDACTED&x=1"},
		{"the key anywhere", "https://app.example/k3y/api", "k3y", "https://app.example/REDACTED/api"},
		{"unparsable", "http://[::1%zz/k3y", "k3y", "http://[::1%zz/REDACTED"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, RedactURL(c.raw, c.key))
		})
	}
}

// TestStartupTable: the shipped configuration against a contract with one
// input and one output it does not configure; every row is there, columns
// are aligned, and the table has no key in it.
func TestStartupTable(t *testing.T) {
	cfg, err := config.Load(filepath.Join("..", "..", "config", "bridge.yaml"))
	require.NoError(t, err)
	ct := &contract.Contract{RunID: "r1", IO: contract.IO{
		Inputs:  []contract.Port{{ID: "shoulder_pos", Kind: "Proprioception"}, {ID: "lidar", Kind: "Lidar"}},
		Outputs: []contract.Port{{ID: "shoulder_motor"}, {ID: "elbow_motor"}, {ID: "gripper_motor"}},
	}}
	s := NewStartup(cfg, ct, map[string]string{"joint_states": "/robot/joint_states"}, "joint_states", "joint_trajectory")
	s.Node, s.BrainURL, s.RealtimeURL, s.Namespace, s.Run = "/arm/ab_bridge", RedactURL("https://x/api?token=k3y", "k3y"), "https://x", "/ab", "r1"
	s.ContractDigest, s.Policies = "abc123", []string{"reward loaded", "deviation neutral"}
	table := s.Table()
	t.Log("\n" + table)
	assert.NotContains(t, table, "k3y")
	for _, want := range []string{
		"brain            https://x/api?token=REDACTED",
		"contract sha256  abc123",
		"policies         reward loaded, deviation neutral",
		"commands         joint_trajectory (trajectory_msgs/JointTrajectory)",
	} {
		assert.Contains(t, table, want)
	}
	rows := map[string]string{}
	for _, l := range strings.Split(table, "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			rows[f[0]] = l
		}
	}
	assert.Regexp(t, `^shoulder_pos +Proprioception +joint_states → /robot/joint_states +sensor_msgs/JointState +position of shoulder$`, rows["shoulder_pos"])
	assert.Regexp(t, `^overhead_cam +Image +camera/image_raw +sensor_msgs/Image`, rows["overhead_cam"])
	assert.Regexp(t, `^shoulder_fb +Feedback +— +deviation_f32 +from the deviation policy$`, rows["shoulder_fb"])
	assert.Regexp(t, `^lidar +Lidar .*not configured`, rows["lidar"])
	assert.Regexp(t, `^shoulder_motor +joint:0 +shoulder +bipolarSplit$`, rows["shoulder_motor"])
	assert.Regexp(t, `^elbow_motor +joint:1 +elbow +bipolarSplit$`, rows["elbow_motor"])
	assert.Regexp(t, `^gripper_motor +— +— \(no mapping entry\)`, rows["gripper_motor"])
	// Aligned: the TOPIC column starts at the same offset on every input row.
	header := rows["INPUT"]
	col := strings.Index(header, "TOPIC")
	for _, id := range []string{"shoulder_pos", "overhead_cam", "shoulder_fb"} {
		assert.Equal(t, col, strings.Index(rows[id], strings.Fields(rows[id])[2]), id)
	}
}

// TestStartupTableOnADevice: the device example's configuration; the
// realtime line is the output stream, with no namespace, and the joints'
// inputs and the motors' outputs are there as on the cloud path.
func TestStartupTableOnADevice(t *testing.T) {
	cfg, err := config.Load(filepath.Join("..", "..", "config", "bridge_primalux.yaml"))
	require.NoError(t, err)
	ct := &contract.Contract{RunID: "prima-lux", IO: contract.IO{
		Inputs:  []contract.Port{{ID: "SHOULDER_POS", Kind: "Proprioception"}, {ID: "ELBOW_POS", Kind: "Proprioception"}, {ID: "OVERHEAD_CAM", Kind: "Image"}},
		Outputs: []contract.Port{{ID: "SHOULDER_MOTOR"}, {ID: "ELBOW_MOTOR"}},
	}}
	s := NewStartup(cfg, ct, nil, "joint_states", "joint_trajectory")
	s.Node, s.BrainURL, s.RealtimeURL, s.Run = "/ab_bridge", "prima-lux http://127.0.0.1:8080", "http://127.0.0.1:8080/api/brain/stream", "prima-lux"
	table := s.Table()
	t.Log("\n" + table)
	assert.Regexp(t, `(?m)^realtime +http://127\.0\.0\.1:8080/api/brain/stream$`, table)
	assert.NotContains(t, table, "namespace")
	assert.Regexp(t, `(?m)^SHOULDER_POS +Proprioception +joint_states +sensor_msgs/JointState +position of shoulder$`, table)
	assert.Regexp(t, `(?m)^ELBOW_MOTOR +joint:1 +elbow +bipolarSplit$`, table)
}

// TestStartupTableNamesTheGripperAndTheBase: gripper and base channels are
// published when their sections are configured, and the table says so;
// without them they are decoded only.
func TestStartupTableNamesTheGripperAndTheBase(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"configured", "joints:\n  - name: a\ngripper: {joint: finger, min: 0, max: 0.04}\n" +
			"base: {wheel_radius: 0.05, wheel_separation: 0.4, max_linear: 1, max_angular: 1}\n" +
			"mapping:\n  - {node_id: G, channel: gripper}\n  - {node_id: W, channel: \"wheel:left\"}\n",
			[]string{`(?m)^G +gripper +finger \(gripper\)`, `(?m)^W +wheel:left +cmd_vel \(base\)`}},
		{"not configured", "joints:\n  - name: a\nmapping:\n  - {node_id: X, channel: \"servo:7\"}\n",
			[]string{`(?m)^X +servo:7 +— \(decoded, not published\)`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Parse("k.yaml", []byte(tc.yaml))
			require.NoError(t, err)
			ct := &contract.Contract{RunID: "r"}
			for _, m := range cfg.Mapping {
				ct.IO.Outputs = append(ct.IO.Outputs, contract.Port{ID: m.NodeID})
			}
			table := NewStartup(cfg, ct, nil, "joint_states", "joint_trajectory").Table()
			for _, re := range tc.want {
				assert.Regexp(t, re, table)
			}
		})
	}
}
