package bridge

import (
	"time"

	"github.com/abbridge/ab_bridge/internal/brain"
)

// Brain is what the bridge sends to the brain. Sends never block on the
// network and fail while disconnected (nothing is queued).
type Brain interface {
	SendChunk(brain.Chunk) error
	SendState(brain.RobotState) error
	SendReward(brain.Reward) error
}

// Commander carries commands to the robot. The bridge reuses the trajectory's
// slices after the call returns: a Commander must copy what it keeps.
// PublishGripper and PublishTwist are called only for the outputs
// CommandOutputs reports.
type Commander interface {
	PublishTrajectory(*Trajectory) error
	PublishGripper(position float64) error
	PublishTwist(Twist) error
}

// JointSample is one joint_states message, in the robot's own joint order.
type JointSample struct {
	Names      []string
	Positions  []float64
	Velocities []float64 // empty when the robot does not report them
	Stamp      time.Time // header stamp; the receive time when the header has none
}

// Trajectory is a joint trajectory in the configured joint order.
type Trajectory struct {
	JointNames []string
	Points     []TrajectoryPoint
}

// TrajectoryPoint is one waypoint, due at TimeFromStart after receipt.
type TrajectoryPoint struct {
	Positions     []float64
	Velocities    []float64
	TimeFromStart time.Duration
}
