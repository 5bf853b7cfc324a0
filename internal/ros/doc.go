// Package ros is the only place that touches ROS 2: an rclgo node with the
// bridge's subscriptions and publishers, and the conversion between ROS
// messages and the bridge's own types. Everything above it is plain Go.
package ros
