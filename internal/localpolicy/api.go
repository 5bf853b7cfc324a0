package localpolicy

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/abbridge/ab_bridge/internal/ndarray"
)

// The content type of inference bodies, both ways.
const msgpackType = "application/msgpack"

// endpoints names each route for the request counters.
var endpoints = map[string]string{
	"/v1/healthz":                     "healthz",
	"/v1/policy/input_features":       "input_features",
	"/v1/policy/output_features":      "output_features",
	"/v1/policy/reset":                "reset",
	"/v1/policy/predict_action_chunk": "predict_action_chunk",
	"/v1/policy/select_action":        "select_action",
	"/v1/policy/list":                 "list",
}

func endpointOf(path string) string {
	if e, ok := endpoints[path]; ok {
		return e
	}
	if strings.HasPrefix(path, faultPrefix) {
		return "standin"
	}
	return "other"
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v1/healthz", s.policyRoute(http.MethodGet, s.serveHealth))
	mux.Handle("/v1/policy/input_features", s.policyRoute(http.MethodGet, s.serveInputs))
	mux.Handle("/v1/policy/output_features", s.policyRoute(http.MethodGet, s.serveOutputs))
	mux.Handle("/v1/policy/reset", s.policyRoute(http.MethodGet, s.serveReset))
	mux.Handle("/v1/policy/predict_action_chunk", s.policyRoute(http.MethodPost, s.inference(s.answerChunk)))
	mux.Handle("/v1/policy/select_action", s.policyRoute(http.MethodPost, s.inference(s.answerAction)))
	// The SDK's list() sends no x-policy-id: the key alone lists.
	mux.Handle("/v1/policy/list", s.method(http.MethodGet, s.authorize(http.HandlerFunc(s.serveList))))
	for _, p := range []string{"/v1/policy/create", "/v1/policy/delete"} {
		mux.Handle(p, s.method(http.MethodPost, s.authorize(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			writeError(w, http.StatusNotImplemented, "The policy stand-in serves one policy from its config: it creates and deletes none.")
		}))))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { writeError(w, http.StatusNotFound, "Not Found") })
	if s.conf.Faults {
		s.faultRoutes(mux)
	}
	return s.count(s.injectFaults(mux))
}

// writeJSON answers v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers {"detail": message}, FastAPI's error shape, which the
// SDK's errors carry as their message.
func writeError(w http.ResponseWriter, status int, detail string) {
	writeJSON(w, status, map[string]any{"detail": detail})
}

// count counts every request by endpoint before anything can refuse it.
func (s *Server) count(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.counters.Requests[endpointOf(r.URL.Path)]++
		s.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// method refuses other methods with a JSON 405, as the SDK reads errors.
func (s *Server) method(want string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != want {
			w.Header().Set("Allow", want)
			writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s %s: use %s", r.Method, r.URL.Path, want))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// policyRoute is a route of the policy: its method, the key, the policy id.
func (s *Server) policyRoute(method string, h http.HandlerFunc) http.Handler {
	return s.method(method, s.authorize(s.forPolicy(h)))
}

// authorize admits requests that carry the key as a bearer token; the key
// is never logged.
func (s *Server) authorize(next http.Handler) http.Handler {
	want := []byte("Bearer " + s.conf.APIKey.Reveal())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			s.mu.Lock()
			s.counters.Unauthorized++
			s.mu.Unlock()
			detail := "Invalid API key."
			if len(got) == 0 {
				detail = "Missing API key: send Authorization: Bearer <key>."
			}
			s.conf.Logger.Info("refused: unauthorized", "path", r.URL.Path, "key_sent", len(got) > 0)
			w.Header().Set("WWW-Authenticate", `Bearer realm="roboactions"`)
			writeError(w, http.StatusUnauthorized, detail)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// forPolicy admits requests for this policy: x-policy-id names it.
func (s *Server) forPolicy(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("x-policy-id")
		if id == s.conf.PolicyID {
			next(w, r)
			return
		}
		s.mu.Lock()
		s.counters.WrongPolicy++
		s.mu.Unlock()
		if id == "" {
			writeError(w, http.StatusBadRequest, "Missing x-policy-id header: every policy request names its policy.")
			return
		}
		writeError(w, http.StatusNotFound, fmt.Sprintf("Policy %q not found (this server serves %q).", id, s.conf.PolicyID))
	})
}

func (s *Server) serveHealth(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"status": s.Status()})
}

func (s *Server) serveInputs(w http.ResponseWriter, _ *http.Request) {
	if s.conf.WrapInputs {
		writeJSON(w, http.StatusOK, map[string]any{"input_features": s.conf.Inputs})
		return
	}
	writeJSON(w, http.StatusOK, s.conf.Inputs)
}

func (s *Server) serveOutputs(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.conf.Outputs)
}

func (s *Server) serveList(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, []map[string]any{{"policy_id": s.conf.PolicyID, "display_name": "Local reach policy"}})
}

// serveReset answers as the SDK's reset documents: {"reset": true}, or
// {"reset": false, "error": ...} when the policy cannot.
func (s *Server) serveReset(w http.ResponseWriter, _ *http.Request) {
	if st := s.Status(); st != StatusHealthy {
		writeJSON(w, http.StatusOK, map[string]any{"reset": false, "error": "policy is " + st})
		return
	}
	s.Reset()
	s.conf.Logger.Info("reset")
	writeJSON(w, http.StatusOK, map[string]any{"reset": true})
}

// answerer turns a checked observation into the answer's array.
type answerer func(observation) ndarray.Array

// inference is the msgpack route: content types, health, size, the
// observation checked against the input features, then the answer.
func (s *Server) inference(answer answerer) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.checkTypes(w, r) {
			return
		}
		if st := s.Status(); st != StatusHealthy {
			s.bump(func(c *Counters) { c.NotReady++ })
			writeError(w, http.StatusServiceUnavailable, fmt.Sprintf("Policy %s is %s: wait for /v1/healthz to say HEALTHY.", s.conf.PolicyID, st))
			return
		}
		done := s.enter()
		defer done()
		body, err := s.readBody(w, r)
		if err != nil {
			return
		}
		obs, ok := s.observationOf(w, body)
		if !ok {
			return
		}
		obs.userAgent = r.Header.Get("User-Agent")
		s.accepted(obs)
		a := answer(obs)
		if s.conf.TensorAnswers {
			a.Tensor, a.Device = true, s.conf.TensorDevice
		}
		out, err := ndarray.Marshal(a)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "encoding the answer: "+err.Error())
			return
		}
		if !s.sleep(r, s.conf.Latency) {
			return
		}
		w.Header().Set("Content-Type", msgpackType)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(out)
		s.conf.Logger.Debug("answered", "endpoint", endpointOf(r.URL.Path), "state", obs.state, "shape", a.Shape, "bytes", len(out))
	}
}

func (s *Server) answerChunk(obs observation) ndarray.Array {
	c := s.predictChunk(obs.state)
	dim := len(obs.state)
	flat := make([]float32, 0, len(c)*dim)
	for _, a := range c {
		for _, v := range a {
			flat = append(flat, float32(v))
		}
	}
	// LeRobot's predict_action_chunk: (batch, chunk, action dim).
	return ndarray.FromFloat32([]int{1, len(c), dim}, flat)
}

func (s *Server) answerAction(obs observation) ndarray.Array {
	a := s.selectAction(obs.state)
	flat := make([]float32, len(a))
	for i, v := range a {
		flat[i] = float32(v)
	}
	// LeRobot's select_action: (batch, action dim).
	return ndarray.FromFloat32([]int{1, len(a)}, flat)
}

// checkTypes wants what the SDK sends: a msgpack body, a msgpack answer.
func (s *Server) checkTypes(w http.ResponseWriter, r *http.Request) bool {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != msgpackType {
		s.bump(func(c *Counters) { c.BadContentType++ })
		writeError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type %q: send the observation as %s.", r.Header.Get("Content-Type"), msgpackType))
		return false
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if t, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && t == msgpackType {
			return true
		}
	}
	s.bump(func(c *Counters) { c.BadContentType++ })
	writeError(w, http.StatusNotAcceptable, fmt.Sprintf("Accept %q: the answer is %s; accept it.", r.Header.Get("Accept"), msgpackType))
	return false
}

// readBody reads at most MaxBody bytes; more is 413.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	tooLarge := func() {
		s.bump(func(c *Counters) { c.TooLarge++ })
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("Observation body larger than %d bytes.", s.conf.MaxBody))
	}
	if r.ContentLength > s.conf.MaxBody {
		tooLarge()
		return nil, errors.New("too large")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.conf.MaxBody))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		tooLarge()
		return nil, err
	case err != nil:
		writeError(w, http.StatusBadRequest, "reading the body: "+err.Error())
		return nil, err
	}
	return body, nil
}

// enter counts an inference request in flight; done when it is answered.
func (s *Server) enter() (done func()) {
	s.mu.Lock()
	s.inFlight++
	s.counters.PeakInFlight = max(s.counters.PeakInFlight, s.inFlight)
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}
}

func (s *Server) bump(f func(*Counters)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.counters)
}

// sleep waits d unless the client goes away first (then false).
func (s *Server) sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}
