package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLimitsSection(t *testing.T) {
	base := "joints:\n  - name: a\n"
	cfg, err := Parse("l.yaml", []byte(base))
	require.NoError(t, err)
	assert.False(t, cfg.Limits.FromURDF, "off by default")
	assert.Equal(t, "robot_description", cfg.Limits.DescriptionTopic())

	cfg, err = Parse("l.yaml", []byte(base+"limits:\n  from_urdf: true\n  topic: arm/robot_description\n"))
	require.NoError(t, err)
	assert.True(t, cfg.Limits.FromURDF)
	assert.Equal(t, "arm/robot_description", cfg.Limits.DescriptionTopic())

	tests := map[string]string{
		"limits:\n  from_urdf: true\n  topic: 'bad name'\n": `l.yaml:5: limits.topic "bad name" is not a valid ROS topic name`,
		"limits:\n  topic: /a//b\n":                         `l.yaml:4: limits.topic "/a//b" is not a valid ROS topic name`,
		"limits:\n  from_urdf: yes please\n":                "l.yaml:4",
		"limits:\n  urdf: true\n":                           `l.yaml:4: unknown key "urdf"`,
	}
	for doc, want := range tests {
		_, err := Parse("l.yaml", []byte(base+doc))
		require.Error(t, err, doc)
		assert.Contains(t, err.Error(), want, doc)
	}
}

func TestDescriptionQoS(t *testing.T) {
	q := DefaultQoS(RoleDescription)
	assert.Equal(t, QoS{Reliability: Reliable, Durability: TransientLocal, History: KeepLast, Depth: 1}, q,
		"robot_state_publisher's: a volatile or best-effort subscription would miss the one message")
}
