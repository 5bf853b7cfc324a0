package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Without a qos section every topic gets its role's default: best-effort
// subscriptions (they match reliable and best-effort publishers), reliable
// commands, keep-last and volatile throughout.
func TestQoSDefaults(t *testing.T) {
	cfg, err := Parse("mini.yaml", []byte("joints:\n  - name: a\n"))
	require.NoError(t, err)
	tests := []struct {
		topic string
		role  Role
		want  QoS
	}{
		{"joint_states", RoleJointStates, QoS{BestEffort, Volatile, KeepLast, 10}},
		{"joint_trajectory", RoleCommand, QoS{Reliable, Volatile, KeepLast, 10}},
		{"camera/image_raw", RoleImage, QoS{BestEffort, Volatile, KeepLast, 2}},
		{"mic", RoleAudio, QoS{BestEffort, Volatile, KeepLast, 50}},
		{"task/score", RolePolicy, QoS{BestEffort, Volatile, KeepLast, 5}},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, cfg.TopicQoS(tc.topic, tc.role), tc.topic)
	}
	assert.NoError(t, cfg.UnusedQoS(nil), "no entry, nothing unused")
	assert.Equal(t, "best_effort volatile keep_last(10)", DefaultQoS(RoleJointStates).String())
}

// An entry sets only what it names; the rest stays the role's default.
func TestQoSOverrides(t *testing.T) {
	cfg, err := Load(filepath.Join("testdata", "valid", "qos.yaml"))
	require.NoError(t, err)
	assert.Equal(t, QoS{Reliable, Volatile, KeepLast, 50}, cfg.TopicQoS("joint_states", RoleJointStates))
	assert.Equal(t, QoS{Reliable, TransientLocal, KeepLast, 1}, cfg.TopicQoS("joint_trajectory", RoleCommand))
	assert.Equal(t, QoS{BestEffort, Volatile, KeepLast, 1}, cfg.TopicQoS("camera/image_raw", RoleImage))
	assert.Equal(t, QoS{Reliable, TransientLocal, KeepLast, 5}, cfg.TopicQoS("task/score", RolePolicy))
	assert.Equal(t, QoS{BestEffort, Volatile, KeepLast, 2}, cfg.TopicQoS("other", RoleImage), "a topic without an entry")
}

// An entry for a topic the node does not use is reported at its line once
// the node knows its topics (policy topics come with the policies).
func TestUnusedQoS(t *testing.T) {
	cfg, err := Load(filepath.Join("testdata", "valid", "qos.yaml"))
	require.NoError(t, err)
	assert.NoError(t, cfg.UnusedQoS([]string{"joint_states", "joint_trajectory", "camera/image_raw", "task/score"}))
	err = cfg.UnusedQoS([]string{"joint_states", "joint_trajectory", "camera/image_raw"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `qos.yaml:13: qos: topic "task/score" is not one the node subscribes or publishes`)
	assert.Len(t, strings.Split(err.Error(), "\n"), 1)
}

// Every bad value is reported at its own line, an unknown key too.
func TestQoSProblems(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "invalid", "bad_qos.yaml"))
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, `bad_qos.yaml:12: unknown key "reliabilty" (in QoS)`, "strict: a misspelt key is refused")

	// The values, once the misspelt key is gone: a file that does not decode
	// is not validated further.
	_, err = Parse("bad_qos.yaml", []byte(strings.Replace(mustRead(t, "bad_qos.yaml"), "reliabilty", "reliability", 1)))
	require.Error(t, err)
	want := []string{
		`bad_qos.yaml:5: qos "joint_states": reliability "sometimes" is not reliable or best_effort`,
		`bad_qos.yaml:6: qos "joint_states": durability "transient" is not volatile or transient_local`,
		`bad_qos.yaml:7: qos "joint_states": history "keep_all" is not keep_last`,
		`bad_qos.yaml:8: qos "joint_states": depth 0 is not within 1..10000`,
		`bad_qos.yaml:9: qos "joint_trajectory": depth 20000 is not within 1..10000`,
		`bad_qos.yaml:10: qos "bad//name": is not a valid ROS topic name`,
	}
	msg = err.Error()
	for _, w := range want {
		assert.Contains(t, msg, w)
	}
	assert.Len(t, strings.Split(msg, "\n"), len(want), "no other problem reported:\n%s", msg)
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "invalid", name))
	require.NoError(t, err)
	return string(b)
}

// The shipped file spells out the defaults of joint_states and
// joint_trajectory: documentation that cannot drift from the code.
func TestShippedQoSIsTheDefault(t *testing.T) {
	cfg, err := Load("../../config/bridge.yaml")
	require.NoError(t, err)
	require.Contains(t, cfg.QoS, "joint_states")
	require.Contains(t, cfg.QoS, "joint_trajectory")
	assert.Equal(t, DefaultQoS(RoleJointStates), cfg.QoS["joint_states"])
	assert.Equal(t, DefaultQoS(RoleCommand), cfg.QoS["joint_trajectory"])
}
