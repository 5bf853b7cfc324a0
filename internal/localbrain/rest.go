package localbrain

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/abbridge/ab_bridge/internal/contract"
)

// maxBody bounds a REST request body.
const maxBody = 1 << 20

// stopWait bounds how long stop waits for the run's cycle loop to end.
const stopWait = 2 * time.Second

func (s *Server) routes(mux *http.ServeMux) {
	mux.Handle("POST /api/robot/{projectId}/start", s.authed(s.handleStart))
	mux.Handle("POST /api/robot/{projectId}/stop", s.authed(s.handleStop))
	mux.Handle("GET /api/robot/{projectId}/io/state", s.authed(s.handleIOState))
	mux.Handle("GET /api/robot/{projectId}/contract", s.authed(s.handleContract))
	mux.Handle("/api/", s.authed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no endpoint %s %s", r.Method, r.URL.Path))
	}))
	if s.conf.Admin {
		mux.Handle("POST /admin/runs/{runId}/disconnect", s.authed(s.loopbackOnly(s.handleKick)))
	}
}

// authed checks the API key (x-api-key, else Authorization: Bearer) when
// one is configured.
func (s *Server) authed(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.conf.APIKey != "" && !s.keyMatches(requestKey(r)) {
			s.log.Warn("request refused", "method", r.Method, "path", r.URL.Path, "reason", "missing or invalid API key")
			writeError(w, http.StatusUnauthorized, "missing or invalid API key")
			return
		}
		h(w, r)
	})
}

func (s *Server) loopbackOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			writeError(w, http.StatusForbidden, "admin routes answer loopback peers only")
			return
		}
		h(w, r)
	}
}

func requestKey(r *http.Request) string {
	if k := r.Header.Get("X-Api-Key"); k != "" {
		return k
	}
	return bearer(r.Header.Get("Authorization"))
}

func bearer(h string) string {
	const prefix = "Bearer "
	if len(h) > len(prefix) && strings.EqualFold(h[:len(prefix)], prefix) {
		return strings.TrimSpace(h[len(prefix):])
	}
	return ""
}

// keyMatches compares in constant time; with no key configured anything
// (including nothing) matches.
func (s *Server) keyMatches(k string) bool {
	if s.conf.APIKey == "" {
		return true
	}
	return subtle.ConstantTimeCompare([]byte(k), []byte(s.conf.APIKey)) == 1
}

func (s *Server) project(w http.ResponseWriter, r *http.Request) (*project, bool) {
	id := r.PathValue("projectId")
	p, ok := s.projects[id]
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("unknown project %q", id))
	}
	return p, ok
}

func (s *Server) handleStart(w http.ResponseWriter, r *http.Request) {
	p, ok := s.project(w, r)
	if !ok {
		return
	}
	body, err := readObject(r)
	if err == nil {
		var opts runOptions
		if opts, err = parseRunOptions(body, s.defaultOptions()); err == nil {
			// The request passed authed, so it presented the configured key
			// (or there is none): sockets presenting the same key resume
			// this run.
			s.answerStart(w, p, opts)
			return
		}
	}
	writeError(w, http.StatusBadRequest, "start options: "+err.Error())
}

func (s *Server) answerStart(w http.ResponseWriter, p *project, opts runOptions) {
	run, err := s.startRun(p, s.conf.APIKey, opts)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"ok":        true,
		"runId":     run.id,
		"projectId": p.ID,
		"constants": p.Constants,
		"io":        p.IO,
		"realtime":  map[string]any{"url": s.url, "namespace": contract.DefaultNamespace},
	})
}

func (s *Server) handleStop(w http.ResponseWriter, r *http.Request) {
	p, ok := s.project(w, r)
	if !ok {
		return
	}
	body, err := readObject(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "stop: "+err.Error())
		return
	}
	id, _ := body["runId"].(string)
	if id == "" {
		writeError(w, http.StatusBadRequest, "stop needs a runId")
		return
	}
	run := s.runByID(id)
	if run == nil || run.project != p {
		writeError(w, http.StatusNotFound, fmt.Sprintf("project %s has no run %q", p.ID, id))
		return
	}
	if run.stop(time.Now()) {
		s.log.Info("run stopped", "run", id)
	}
	select {
	case <-run.done:
	case <-time.After(stopWait):
		s.log.Warn("cycle loop still running after stop", "run", id)
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "runId": id, "stopped": true})
}

func (s *Server) handleIOState(w http.ResponseWriter, r *http.Request) {
	p, ok := s.project(w, r)
	if !ok {
		return
	}
	run := s.latestRun(p.ID)
	if run == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("project %s has no run yet", p.ID))
		return
	}
	writeJSON(w, http.StatusOK, run.ioState())
}

func (s *Server) handleContract(w http.ResponseWriter, r *http.Request) {
	p, ok := s.project(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "projectId": p.ID, "constants": p.Constants, "io": p.IO})
}

func (s *Server) handleKick(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("runId")
	if s.runByID(id) == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no run %q", id))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "runId": id, "disconnected": s.Kick(id)})
}

// readObject reads an optional JSON object body; empty means {}.
func readObject(r *http.Request) (map[string]any, error) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if len(raw) > maxBody {
		return nil, errors.New("body too large")
	}
	if len(strings.TrimSpace(string(raw))) == 0 {
		return map[string]any{}, nil
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		return nil, fmt.Errorf("body is not a JSON object: %w", err)
	}
	if body == nil {
		return nil, errors.New("body is not a JSON object")
	}
	return body, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"ok": false, "error": msg})
}
