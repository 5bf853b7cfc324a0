package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Profiles show the process's memory: the endpoint is off unless asked
// for, and never on an address other machines reach.
func TestPprofOptInLoopbackOnly(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == pprofEnv {
				return v
			}
			return ""
		}
	}
	addr, err := startPprof(env(""))
	require.NoError(t, err)
	assert.Empty(t, addr, "off by default")

	for _, bad := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "example.com:0", "nonsense"} {
		_, err := startPprof(env(bad))
		assert.Error(t, err, bad)
	}

	addr, err = startPprof(env("127.0.0.1:0"))
	require.NoError(t, err)
	resp, err := http.Get("http://" + addr + "/debug/pprof/heap?debug=1")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}
