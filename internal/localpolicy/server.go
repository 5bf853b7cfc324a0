package localpolicy

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"sync"
	"time"
)

// Server is one RoboActions-compatible policy: its health, its features,
// its reach policy, its counters and its fault knobs.
type Server struct {
	conf    Config
	policy  reach
	handler http.Handler
	now     func() time.Time

	mu          sync.Mutex
	status      string
	statusUntil time.Time // zero: the status holds until changed
	queue       [][]float64
	episode     Episode
	counters    Counters
	last        LastObservation
	inFlight    int
	faults      []Fault
	delays      []delay
	drops       []drop

	srv *http.Server
	ln  net.Listener
}

// Counters are what the server saw since it started; Reset leaves them.
type Counters struct {
	// Requests counts every request per endpoint (healthz, input_features,
	// output_features, reset, predict_action_chunk, select_action, list,
	// standin, other), answered or not.
	Requests       map[string]int `json:"requests"`
	Observations   int            `json:"observations"`     // observations accepted
	Rejected       int            `json:"rejected"`         // 422: keys, shapes, dtypes, values
	Malformed      int            `json:"malformed"`        // 400: not msgpack, not a map
	Unauthorized   int            `json:"unauthorized"`     // 401
	WrongPolicy    int            `json:"wrong_policy"`     // x-policy-id missing or not this policy
	BadContentType int            `json:"bad_content_type"` // 415 and 406
	TooLarge       int            `json:"too_large"`        // 413
	NotReady       int            `json:"not_ready"`        // 503: inference while not HEALTHY
	Resets         int            `json:"resets"`
	Injected       int            `json:"injected"` // fault answers
	Delayed        int            `json:"delayed"`
	Dropped        int            `json:"dropped"`
	PeakInFlight   int            `json:"peak_in_flight"` // most inference requests at once
}

// Episode is what the policy did since the last reset.
type Episode struct {
	Observations int `json:"observations"`
	Chunks       int `json:"chunks"`  // chunks computed (predict, and select_action's refills)
	Actions      int `json:"actions"` // action vectors answered
}

// LastObservation is the newest accepted observation, for tests of what a
// client sends: the state, the task, each image's mean.
type LastObservation struct {
	State      []float64          `json:"state"`
	Task       string             `json:"task"`
	ImageMeans map[string]float64 `json:"image_means"`
	UserAgent  string             `json:"user_agent"`
}

// Stats is everything a test reads, also served as GET /standin/stats.
type Stats struct {
	Counters
	Episode     Episode         `json:"episode"`
	Status      string          `json:"status"`
	Last        LastObservation `json:"last"`
	PolicyID    string          `json:"policy_id"`
	ChunkLength int             `json:"chunk_length"`
	ActionSteps int             `json:"action_steps"`
	Rate        float64         `json:"rate"`
	Target      []float64       `json:"target"`
}

// New checks the config and makes the server; its deploy time starts now.
func New(conf Config) (*Server, error) {
	conf, err := conf.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{
		conf:     conf,
		policy:   reach{target: conf.Target, gain: conf.Gain, maxStep: conf.MaxSpeed / conf.Rate},
		now:      time.Now,
		status:   StatusHealthy,
		counters: Counters{Requests: map[string]int{}},
	}
	if conf.DeployTime > 0 {
		s.status, s.statusUntil = StatusDeploying, s.now().Add(conf.DeployTime)
	}
	s.handler = s.routes()
	return s, nil
}

// Handler serves the policy's API (and the knobs, with Config.Faults).
func (s *Server) Handler() http.Handler { return s.handler }

// Serve listens on Config.Addr and answers until Close; it returns the
// base URL clients use (the SDK's base_url, without /v1).
func (s *Server) Serve() (string, error) {
	ln, err := net.Listen("tcp", s.conf.Addr)
	if err != nil {
		return "", fmt.Errorf("listen %s: %w", s.conf.Addr, err)
	}
	s.ln = ln
	s.srv = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.conf.Logger.Error("serve", "err", err)
		}
	}()
	return "http://" + ln.Addr().String(), nil
}

// Close stops serving: in-flight answers get a second to finish.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		return s.srv.Close()
	}
	return nil
}

// Status is the health /v1/healthz answers now.
func (s *Server) Status() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.statusLocked()
}

// statusLocked ends a timed status: after it the policy is HEALTHY.
func (s *Server) statusLocked() string {
	if !s.statusUntil.IsZero() && !s.now().Before(s.statusUntil) {
		s.status, s.statusUntil = StatusHealthy, time.Time{}
	}
	return s.status
}

// Stats is a copy of the counters, the episode and the last observation.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.counters
	c.Requests = maps.Clone(c.Requests)
	last := s.last
	last.State = append([]float64(nil), last.State...)
	last.ImageMeans = maps.Clone(last.ImageMeans)
	return Stats{
		Counters: c, Episode: s.episode, Status: s.statusLocked(), Last: last,
		PolicyID: s.conf.PolicyID, ChunkLength: s.conf.ChunkLength, ActionSteps: s.conf.ActionSteps,
		Rate: s.conf.Rate, Target: append([]float64(nil), s.conf.Target...),
	}
}

// Reset is what GET /v1/policy/reset does: the queued actions and the
// episode are forgotten; the counters stay.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue, s.episode = nil, Episode{}
	s.counters.Resets++
}
