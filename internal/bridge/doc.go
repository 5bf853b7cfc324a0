// Package bridge is the orchestrator between a robot and a brain: it keeps the
// latest sample of every input (joints; camera frames, encoded to JPEG on
// arrival by one goroutine per camera, latest frame wins; audio buffered
// between needs), answers the brain's io:need with input chunks, streams
// robot:state, turns each cycle:update's output spikes into a joint
// trajectory, and after each cycle runs the learning policies: one
// learn:reward, and the deviations the next Feedback chunks carry. It sees
// neither ROS nor Socket.IO: both are ports (small interfaces defined here)
// so the whole cycle is testable in plain Go.
//
// One goroutine (Run) owns the bridge's state, with one exception: a
// cycle:update is handled on the socket's goroutine, under the same lock,
// while Run is idle and nothing handed to it waits (inplace.go), which
// saves the hop to Run and back. Callbacks from the ROS executor only hand
// their data over and return at once (a camera frame is copied into a
// reused buffer, nothing more): a slow brain can never stall the ROS
// executor, and the reverse.
//
// Every trajectory is one a stock joint_trajectory_controller (Jazzy
// defaults) accepts, its last point at rest (trajectory.go says how motion
// still flows from cycle to cycle). The arm is held — one trajectory at the
// last measured positions, then nothing until fresh data — when the brain
// link is lost (OnLink) or the joint_states a cycle would start from are
// older than trajectory.max_state_age; after the link comes back no sample
// measured before it is sent. A brain that decodes its own outputs (a
// Prima-Lux device, through internal/devicebridge) hands its motor deltas to
// OnDeviceSteps, which shapes them with the same limits, holds and learning
// as a cycle:update, and holds the arm with OnDeviceHold (device.go). Adopt switches to a new run's contract when a
// restarted brain forgot the old run.
package bridge
