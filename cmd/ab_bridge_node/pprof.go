package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"
)

// pprofEnv names the opt-in profiling endpoint's address. The node has no
// other HTTP server of its own, and a memory or CPU question about a
// running robot is answered by a heap profile, not by guesses; off unless
// set, and loopback only, because profiles reveal the process's memory.
const pprofEnv = "AB_PPROF_ADDR"

// startPprof serves net/http/pprof on the loopback address in AB_PPROF_ADDR,
// if set. It returns the address listened on ("" when off).
func startPprof(getenv func(string) string) (string, error) {
	addr := getenv(pprofEnv)
	if addr == "" {
		return "", nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%s=%q: %w", pprofEnv, addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", fmt.Errorf("%s=%q: only a loopback address is allowed", pprofEnv, addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("%s: %w", pprofEnv, err)
	}
	// Its own mux rather than DefaultServeMux (which the import fills too):
	// the endpoint exists only when asked for.
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "ab_bridge_node: pprof:", err)
		}
	}()
	return ln.Addr().String(), nil
}
