package spikes

import (
	"strconv"
	"strings"
)

// Channel names of the arm convention.
const (
	JointChannelPrefix = "joint:"
	GripperChannel     = "gripper"
	GripperChannelDG   = "dg"
)

// ArmCommand is one step in the convention of arms: a delta per joint and
// one for the gripper.
type ArmCommand struct {
	DQ []float64
	DG float64
}

// NewArmCommand folds a step into an arm of dof joints (see JointDeltas).
func NewArmCommand(step Step, dof int) ArmCommand {
	a := ArmCommand{DQ: make([]float64, max(dof, 0))}
	a.DG = JointDeltas(a.DQ, step)
	return a
}

// JointDeltas adds the step's "joint:<i>" deltas into dq[i], ignoring
// indices outside dq and other channels, and returns the sum of its
// "gripper" and "dg" deltas. It allocates nothing, for the cycle's hot path.
// The index is a decimal integer as strconv.Atoi reads it ("+1" and "01"
// are 1); the SDK's int() also takes " 1", which no channel should be.
func JointDeltas(dq []float64, step Step) (dg float64) {
	for _, d := range step.Deltas {
		switch {
		case d.Channel == GripperChannel || d.Channel == GripperChannelDG:
			dg += d.Delta
		case strings.HasPrefix(d.Channel, JointChannelPrefix):
			i, err := strconv.Atoi(d.Channel[len(JointChannelPrefix):])
			if err == nil && i >= 0 && i < len(dq) {
				dq[i] += d.Delta
			}
		}
	}
	return dg
}
