// Package integration holds the cross-language integration tests: real
// processes (the node, abctl, rclpy peers, the MuJoCo sim, the reference
// Python SDK) on a real ROS 2 graph and real Socket.IO connections over
// loopback. They need the environment written by scripts/setup.
package integration
