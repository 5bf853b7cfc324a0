package policy

import "time"

// ROS message types a policy may ask the node to subscribe.
const (
	TypeFloat64           = "std_msgs/Float64"
	TypeFloat32           = "std_msgs/Float32"
	TypeJointState        = "sensor_msgs/JointState"
	TypeFloat64MultiArray = "std_msgs/Float64MultiArray"
)

// TopicSpec is one topic a policy reads, beside the node's joint_states.
type TopicSpec struct {
	Name string
	Type string // one of the Type* constants
}

// Inputs is what a policy sees in one cycle. Topic maps are keyed by topic
// name as written in the policy file; a sample with a zero At counts as
// never received.
type Inputs struct {
	Cycle int64
	Time  time.Time // the cycle's time; staleness is measured against it

	// Joint positions and velocities by joint name, from joint_states.
	Positions  map[string]float64
	Velocities map[string]float64

	Scalars     map[string]Scalar           // std_msgs/Float64 and Float32 topics
	Arrays      map[string]Array            // std_msgs/Float64MultiArray topics
	JointStates map[string]JointStateSample // sensor_msgs/JointState topics (targets)
}

// Scalar is the latest value of a Float64/Float32 topic.
type Scalar struct {
	Value float64
	At    time.Time
}

// Array is the latest data of a Float64MultiArray topic.
type Array struct {
	Values []float64
	At     time.Time
}

// JointStateSample is the latest JointState of a policy topic, by joint name.
type JointStateSample struct {
	Positions  map[string]float64
	Velocities map[string]float64
	At         time.Time
}

// fresh says whether a sample received at `at` may still be used at `now`;
// a zero timeout never lets it go stale.
func fresh(at, now time.Time, timeout time.Duration) bool {
	if at.IsZero() {
		return false
	}
	return timeout <= 0 || now.IsZero() || now.Sub(at) <= timeout
}
