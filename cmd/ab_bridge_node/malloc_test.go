package main

import (
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Threads that allocate at once get no arenas of their own.
func TestMallocArenasAreLimited(t *testing.T) {
	require.Equal(t, 1, mallocArenaLimit())
	before := arenaCount()
	require.Positive(t, before, "malloc_info lists no heap")
	require.True(t, allocOnThreads(8))
	assert.Equal(t, before, arenaCount(), "threads that allocated at once made arenas of their own")
}

// A limit in the environment is glibc's to apply: the node sets none, and
// glibc's is in force.
func TestMallocArenaLimitLeavesTheEnvironmentsAlone(t *testing.T) {
	if os.Getenv("AB_ARENA_CHILD") != "" {
		// In the child: say what the node did and how many arenas 8
		// allocating threads left.
		allocOnThreads(8)
		os.Stdout.WriteString("limit=" + strconv.Itoa(mallocArenaLimit()) + " arenas=" + strconv.Itoa(arenaCount()) + "\n")
		return
	}
	for _, env := range []string{"MALLOC_ARENA_MAX=3", "GLIBC_TUNABLES=glibc.malloc.arena_max=3"} {
		t.Run(env, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestMallocArenaLimitLeavesTheEnvironmentsAlone$", "-test.count=1")
			cmd.Env = append(os.Environ(), "AB_ARENA_CHILD=1", env)
			out, err := cmd.Output()
			require.NoError(t, err, "%s", out)
			assert.Contains(t, string(out), "limit=0 arenas=3\n")
		})
	}
}
