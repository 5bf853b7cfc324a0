// Package cdr reads the ROS 2 wire form (OMG CDR, as rmw_fastrtps writes
// it) of the messages the node takes serialized instead of through rclgo's
// generated conversion: sensor_msgs/Image. A 640×480 camera frame through
// the generated path is copied from DDS into a C struct, then byte by byte
// into a fresh Go slice (rclgo's sequence conversion is a per-element
// loop), then into the bridge's frame buffer; taken serialized into a
// reused buffer (internal/ros/take.go) and read here, it is copied once,
// into the frame buffer, and the pixels are never boxed or zeroed. The reader is strict: anything but plain CDR
// (XCDR1) in either byte order, a length that runs past the buffer, or a
// string without its NUL is an error, and the caller falls back to the
// library's own deserialization of the same bytes.
package cdr
