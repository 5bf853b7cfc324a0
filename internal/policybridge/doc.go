// Package policybridge is the policy side of the bridge for brain.kind
// roboactions: it turns what the robot senses (the bridge's joints,
// gripper and camera frames) into a RoboActions observation, asks the
// policy for action chunks (internal/roboactions), and plays them into the
// bridge as absolute targets or deltas, one cycle at a time, the way
// LeRobot's asynchronous inference does: the next chunk is asked for while
// the current one still plays, actions whose time passed while the policy
// thought are dropped, and where a new chunk overlaps what is queued the
// two are blended. Trajectories, limits, holds and commands stay the
// bridge's: this package never sees ROS.
package policybridge
