// Package diagnostics turns the bridge's and the realtime session's
// counters into diagnostic statuses, the shape diagnostic_msgs/DiagnosticStatus
// carries, and renders the node's start-up summary. It never sees ROS
// types: internal/ros converts its statuses into a DiagnosticArray.
//
// Each status is named "<node name>: <component>", the convention of
// diagnostic_updater, so that a diagnostic_aggregator GenericAnalyzer with
// `startswith: ["ab_bridge"]` (or `contains`) groups them. Levels follow
// DiagnosticStatus: OK, WARN, ERROR, and STALE for "nothing to judge" (no
// brain cycle within the silence window).
//
// On the device path (brain.kind primalux) the same five statuses are made
// from the same bridge counters, with MonitorConf.Device set: the brain
// link is the device's output stream (Sample.Device, plain data the node
// copies from internal/devicebridge), the inputs are judged by the sensor
// frames the device accepts, and a sixth status, "prima-lux device",
// carries the device side's own counters.
package diagnostics
