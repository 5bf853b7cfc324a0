package policy

import (
	"log/slog"
	"time"
)

// Stats counts what a policy had to repair. Every count is also a reason the
// brain got a neutral or clamped value instead of the policy's own.
type Stats struct {
	Cycles            uint64 // Compute calls
	Errors            uint64 // component failures (missing input, runtime error), replaced by neutral
	NonFinite         uint64 // component results that were NaN or ±Inf, replaced by neutral
	Clamped           uint64 // output values pulled back into range
	Fallbacks         uint64 // stale or missing topics and signals answered by their fallback
	ModulationClamped uint64 // modulated rewards that hit 0 or 1
}

// Kinds of problem, as logged.
const (
	problemError     = "error"
	problemNonFinite = "non-finite"
)

// logEvery bounds how often the same problem of the same component is logged.
const logEvery = time.Minute

// Option adjusts a policy at load.
type Option func(*options)

type options struct {
	log *slog.Logger
}

// WithLogger sets where component problems are logged. Defaults to slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.log = l
		}
	}
}

func buildOptions(opts []Option) options {
	o := options{log: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// problems counts component failures and logs each (component, kind) once,
// then at most once per logEvery with the number left unlogged.
type problems struct {
	policy string
	log    *slog.Logger
	stats  *Stats
	seen   map[string]*problemLog
}

type problemLog struct {
	last       time.Time
	suppressed int
}

func newProblems(policy string, log *slog.Logger, stats *Stats) *problems {
	return &problems{policy: policy, log: log, stats: stats, seen: map[string]*problemLog{}}
}

// report records that the component `where` failed with a problem of kind at
// now; err says why.
func (p *problems) report(now time.Time, where, kind string, err error) {
	switch kind {
	case problemNonFinite:
		p.stats.NonFinite++
	default:
		p.stats.Errors++
	}
	if now.IsZero() {
		now = time.Now()
	}
	key := where + "\x00" + kind
	s, ok := p.seen[key]
	if ok && now.Sub(s.last) < logEvery {
		s.suppressed++
		return
	}
	if !ok {
		s = &problemLog{}
		p.seen[key] = s
	}
	p.log.Warn("policy component failed, sending the neutral value this cycle",
		"policy", p.policy, "component", where, "problem", kind, "err", err, "unlogged", s.suppressed)
	s.last, s.suppressed = now, 0
}
