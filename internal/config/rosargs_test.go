package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}

// The argv a real `ros2 launch` gives a launch_ros Node (ROS2.md §5).
func TestParseROSArgsFromLaunch(t *testing.T) {
	shared := writeFile(t, "bridge.yaml", `
/arm/ab_bridge:
  ros__parameters:
    config: /share/config/bridge.yaml
    brain:
      url: local
/**:
  ros__parameters:
    use_sim_time: false
    config: /wrong
`)
	launchParams := writeFile(t, "launch_params", `
/**:
  ros__parameters:
    brain:
      project: demo2
`)
	argv := []string{"--ros-args", "--log-level", "debug", "--ros-args", "-r", "__node:=ab_bridge", "-r", "__ns:=/arm",
		"--params-file", shared, "--params-file", launchParams, "-r", "joint_states:=/robot/joint_states"}
	a, err := ParseROSArgs(argv)
	require.NoError(t, err)
	assert.Equal(t, "ab_bridge", a.NodeName)
	assert.Equal(t, "/arm", a.Namespace)
	assert.Equal(t, "debug", a.LogLevel)
	assert.Equal(t, map[string]string{"joint_states": "/robot/joint_states"}, a.Remaps)
	assert.Empty(t, a.Own)

	p, err := a.Parameters("ignored")
	require.NoError(t, err)
	assert.Equal(t, map[string]any{
		"config":        "/share/config/bridge.yaml", // the exact node key beats /**
		"brain.url":     "local",
		"brain.project": "demo2",
		"use_sim_time":  false,
	}, p)
}

func TestParseROSArgsOwnAndOverrides(t *testing.T) {
	a, err := ParseROSArgs([]string{"--config", "c.yaml", "--ros-args", "-p", "rate:=20", "-p", "name:=x", "--", "--check-config"})
	require.NoError(t, err)
	assert.Equal(t, []string{"--config", "c.yaml", "--check-config"}, a.Own)
	assert.Equal(t, "/ab_bridge", a.FullName("ab_bridge"))
	p, err := a.Parameters("ab_bridge")
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"rate": 20, "name": "x"}, p)
}

func TestParseROSArgsErrors(t *testing.T) {
	tests := []struct {
		name string
		argv []string
		want string
	}{
		{"missing value", []string{"--ros-args", "-r"}, "needs a value"},
		{"bad remap", []string{"--ros-args", "-r", "nope"}, "from:=to"},
		{"bad param", []string{"--ros-args", "-p", "x"}, "name:=value"},
		{"unknown", []string{"--ros-args", "--frobnicate"}, "unknown argument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseROSArgs(tc.argv)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestMatchNodeKey(t *testing.T) {
	tests := []struct {
		key, full string
		want      bool
	}{
		{"/**", "/ab_bridge", true},
		{"/**", "/a/b/ab_bridge", true},
		{"ab_bridge", "/ab_bridge", true},
		{"/ab_bridge", "/arm/ab_bridge", false},
		{"/arm/*", "/arm/ab_bridge", true},
		{"/*", "/arm/ab_bridge", false},
		{"/**/ab_bridge", "/x/y/ab_bridge", true},
		{"/arm/other", "/arm/ab_bridge", false},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, matchNodeKey(tc.key, tc.full), "%s vs %s", tc.key, tc.full)
	}
}

func TestParamsFileErrors(t *testing.T) {
	bad := writeFile(t, "bad.yaml", "/**:\n  params: {}\n")
	a := &ROSArgs{Namespace: "/", ParamFiles: []string{bad}}
	_, err := a.Parameters("n")
	require.ErrorContains(t, err, "no ros__parameters")

	a.ParamFiles = []string{filepath.Join(t.TempDir(), "missing.yaml")}
	_, err = a.Parameters("n")
	require.ErrorContains(t, err, "params file")
}
