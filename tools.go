//go:build tools

// Package tools pins the code generator for msgs/ to the rclgo version in go.mod.
package tools

import _ "github.com/tiiuae/rclgo/cmd/rclgo-gen"
