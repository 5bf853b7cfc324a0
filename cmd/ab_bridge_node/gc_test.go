package main

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The node bounds its heap with memoryLimit, unless GOMEMLIMIT says
// otherwise, and leaves GOGC to the runtime (the environment's or 100).
func TestGCSettingsHonourEnvironment(t *testing.T) {
	oldLimit := debug.SetMemoryLimit(-1)
	oldPercent := debug.SetGCPercent(-1)
	debug.SetGCPercent(oldPercent)
	t.Cleanup(func() { debug.SetMemoryLimit(oldLimit) })

	env := func(kv map[string]string) func(string) string {
		return func(k string) string { return kv[k] }
	}

	assert.EqualValues(t, memoryLimit, applyGCSettings(env(nil)), "no GOMEMLIMIT: the node's limit")

	const fromEnv = 123 << 20 // what the runtime would have read from GOMEMLIMIT
	debug.SetMemoryLimit(fromEnv)
	assert.EqualValues(t, fromEnv, applyGCSettings(env(map[string]string{"GOMEMLIMIT": "123MiB"})), "GOMEMLIMIT set: kept")

	applyGCSettings(env(map[string]string{"GOGC": "250"}))
	assert.Equal(t, oldPercent, debug.SetGCPercent(oldPercent), "GOGC is never overridden")
}
