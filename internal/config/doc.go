// Package config owns ab_bridge_node's settings: the YAML schema with its
// defaults, the backend choice (brain.kind: the 0.1 cloud protocol or a
// Prima-Lux device, whose primalux section holds the device settings and
// per-input encodings), strict decoding (unknown keys are errors naming file:line),
// validation that reports every problem at once, the API key's sources
// (environment, .env, a key file — never argv), and the ROS 2 command-line
// arguments (--ros-args blocks, --params-file, -p) that rclgo has no API for.
package config
