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
// One goroutine (Run) owns the bridge's state. Callbacks from the ROS
// executor and the socket only hand their data over and return at once (a
// camera frame is copied into a reused buffer, nothing more): a slow brain
// can never stall the ROS executor, and the reverse.
package bridge
