package spikes

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestJointDeltas(t *testing.T) {
	tests := []struct {
		name   string
		deltas []ChannelDelta
		dof    int
		wantDQ []float64
		wantDG float64
	}{
		{"joints by index", []ChannelDelta{{Channel: "joint:0", Delta: 0.5}, {Channel: "joint:2", Delta: -0.25}}, 3, []float64{0.5, 0, -0.25}, 0},
		{"gripper and dg both feed dg", []ChannelDelta{{Channel: "gripper", Delta: 0.5}, {Channel: "dg", Delta: 0.25}}, 1, []float64{0}, 0.75},
		{"out-of-range joints ignored", []ChannelDelta{{Channel: "joint:3", Delta: 1}, {Channel: "joint:-1", Delta: 1}, {Channel: "joint:1", Delta: 2}}, 2, []float64{0, 2}, 0},
		{"malformed joint indices ignored", []ChannelDelta{{Channel: "joint:", Delta: 1}, {Channel: "joint:x", Delta: 1}, {Channel: "joint:1.0", Delta: 1}}, 2, []float64{0, 0}, 0},
		{"sign and leading zeros read as Atoi does", []ChannelDelta{{Channel: "joint:+1", Delta: 1}, {Channel: "joint:01", Delta: 2}}, 2, []float64{0, 3}, 0},
		{"other channels ignored", []ChannelDelta{{Channel: "wheel:left", Delta: 1}, {Channel: "Joint:0", Delta: 1}, {Channel: "grip", Delta: 1}}, 1, []float64{0}, 0},
		{"no joints", []ChannelDelta{{Channel: "joint:0", Delta: 1}, {Channel: "gripper", Delta: -1}}, 0, []float64{}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := NewArmCommand(Step{T: 1, Deltas: tt.deltas}, tt.dof)
			assert.Equal(t, tt.wantDQ, a.DQ)
			assert.Equal(t, tt.wantDG, a.DG)
		})
	}
}

func TestJointDeltasAddsIntoExisting(t *testing.T) {
	dq := []float64{1, 1}
	dg := JointDeltas(dq, Step{Deltas: []ChannelDelta{{Channel: "joint:1", Delta: 0.5}, {Channel: "gripper", Delta: 2}}})
	assert.Equal(t, []float64{1, 1.5}, dq)
	assert.Equal(t, 2.0, dg)
	assert.Zero(t, testing.AllocsPerRun(20, func() {
		JointDeltas(dq, Step{Deltas: []ChannelDelta{{Channel: "joint:0", Delta: 1}}})
	}))
}
