package main

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The node sets gcPercent and memoryLimit unless GOGC or GOMEMLIMIT say
// otherwise.
func TestGCSettingsHonourEnvironment(t *testing.T) {
	oldLimit := debug.SetMemoryLimit(-1)
	oldPercent := debug.SetGCPercent(-1)
	debug.SetGCPercent(oldPercent)
	t.Cleanup(func() {
		debug.SetMemoryLimit(oldLimit)
		debug.SetGCPercent(oldPercent)
	})
	env := func(kv map[string]string) func(string) string {
		return func(k string) string { return kv[k] }
	}

	percent, limit := applyGCSettings(env(nil))
	assert.Equal(t, gcPercent, percent, "no GOGC: the node's")
	assert.EqualValues(t, memoryLimit, limit, "no GOMEMLIMIT: the node's limit")

	// What the runtime would have read from the environment is kept.
	debug.SetGCPercent(250)
	debug.SetMemoryLimit(123 << 20)
	percent, limit = applyGCSettings(env(map[string]string{"GOGC": "250", "GOMEMLIMIT": "123MiB"}))
	assert.Equal(t, 250, percent, "GOGC set: kept")
	assert.EqualValues(t, 123<<20, limit, "GOMEMLIMIT set: kept")
}
