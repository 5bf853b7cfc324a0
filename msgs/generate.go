package msgs

// The #cgo paths in the output are rewritten to /opt/ros/jazzy so the
// committed bindings are the same on every machine.
//go:generate ../scripts/gen-msgs
