package urdf

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/config"
)

func f(v float64) *float64 { return &v }

const arm = `<?xml version="1.0"?>
<robot name="arm">
  <link name="base"/><link name="upper"/><link name="fore"/><link name="wheel"/>
  <joint name="shoulder" type="revolute">
    <parent link="base"/><child link="upper"/>
    <limit lower="-1.5" upper=" 0.3 " velocity="2.0" effort="10"/>
  </joint>
  <joint name="elbow" type="prismatic">
    <limit lower="0" upper="0.2" velocity="0"/>
  </joint>
  <joint name="spin" type="continuous">
    <limit lower="-1" upper="1" velocity="5"/>
  </joint>
  <joint name="mount" type="fixed"/>
</robot>`

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		want    map[string]Joint
		wantErr string
	}{
		{name: "good", doc: arm, want: map[string]Joint{
			"shoulder": {Name: "shoulder", Type: "revolute", Lower: f(-1.5), Upper: f(0.3), Velocity: f(2)},
			"elbow":    {Name: "elbow", Type: "prismatic", Lower: f(0), Upper: f(0.2)}, // velocity 0: none
			"spin":     {Name: "spin", Type: "continuous", Velocity: f(5)},             // no position limits
			"mount":    {Name: "mount", Type: "fixed"},
		}},
		{name: "missing limits", doc: `<robot name="r"><joint name="a" type="revolute"/><joint name="b" type="revolute"><limit velocity="1"/></joint></robot>`,
			want: map[string]Joint{"a": {Name: "a", Type: "revolute"}, "b": {Name: "b", Type: "revolute", Velocity: f(1)}}},
		{name: "malformed XML", doc: `<robot name="r"><joint name="a" type="revolute"><limit lower="0" upper="1"></joint>`, wantErr: "urdf: XML syntax error"},
		{name: "not a robot", doc: `<sdf version="1.9"/>`, wantErr: "expected element type <robot>"},
		{name: "empty", doc: ``, wantErr: "urdf: EOF"},
		{name: "xacro property", doc: `<robot name="r"><joint name="a" type="revolute"><limit lower="0" upper="${pi}"/></joint></robot>`, wantErr: "unexpanded xacro"},
		{name: "xacro element", doc: `<robot name="r" xmlns:xacro="http://www.ros.org/wiki/xacro"><xacro:include filename="arm.xacro"/></robot>`, wantErr: "unexpanded xacro element <xacro:include>"},
		{name: "lower not below upper", doc: `<robot name="r"><joint name="a" type="revolute"><limit lower="1" upper="1" velocity="1"/></joint><joint name="b" type="revolute"><limit lower="0" upper="1"/></joint></robot>`,
			want: map[string]Joint{"b": {Name: "b", Type: "revolute", Lower: f(0), Upper: f(1)}}, wantErr: `joint "a": lower 1 is not below upper 1`},
		{name: "only one bound", doc: `<robot name="r"><joint name="a" type="revolute"><limit upper="1"/></joint></robot>`,
			want: map[string]Joint{}, wantErr: "only one of lower and upper"},
		{name: "not a number", doc: `<robot name="r"><joint name="a" type="revolute"><limit lower="x" upper="1"/></joint></robot>`,
			want: map[string]Joint{}, wantErr: `<limit lower="x"> is not a finite number`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse([]byte(tc.doc))
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestMerge(t *testing.T) {
	inf := math.Inf(1)
	joints := []config.Joint{
		{Name: "shoulder", Min: f(-2.9), Max: f(2.9), MaxVelocity: f(4), MaxAcceleration: f(100)},
		{Name: "elbow", Min: f(-0.1), Max: f(0.1), MaxVelocity: f(3)},
		{Name: "spin"},
		{Name: "absent", Max: f(1)},
		{Name: "apart", Min: f(1), Max: f(2)},
	}
	desc := map[string]Joint{
		"shoulder": {Lower: f(-1.5), Upper: f(0.3), Velocity: f(2)},
		"elbow":    {Lower: f(-1), Upper: f(1), Velocity: f(9)}, // looser: the configuration stays
		"spin":     {Velocity: f(5)},
		"apart":    {Lower: f(-1), Upper: f(0)},
	}
	got, problems := Merge(joints, desc)
	require.Len(t, problems, 1)
	assert.Contains(t, problems[0].Error(), `joint "apart"`)
	assert.Equal(t, []Bounds{
		{Joint: "shoulder", Min: -1.5, Max: 0.3, Velocity: 2, Acceleration: 100, InURDF: true, MinURDF: true, MaxURDF: true, VelURDF: true},
		{Joint: "elbow", Min: -0.1, Max: 0.1, Velocity: 3, Acceleration: inf, InURDF: true},
		{Joint: "spin", Min: -inf, Max: inf, Velocity: 5, Acceleration: inf, InURDF: true, VelURDF: true},
		{Joint: "absent", Min: -inf, Max: 1, Velocity: inf, Acceleration: inf},
		{Joint: "apart", Min: 1, Max: 2, Velocity: inf, Acceleration: inf},
	}, got)
}
