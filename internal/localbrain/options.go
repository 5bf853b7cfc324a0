package localbrain

import (
	"fmt"
	"math"
)

// runOptions are a run's settings: the server's defaults (Config), each
// overridable by the start call's body.
type runOptions struct {
	// LockStep starts each cycle as soon as the previous one is sent, and
	// steps it as soon as every need is answered (NeedDeadline still bounds
	// the wait): tests and benchmarks run faster than real time and, for a
	// seed, repeat exactly.
	LockStep bool
	// Learning lets rewards change the motor weights; off, they are only
	// recorded (the control of a learning curve).
	Learning bool
	Seed     uint64
}

// Start option keys (the body of POST /api/robot/{projectId}/start). Other
// keys are accepted and ignored, as the platform's own options are.
const (
	optLockStep = "lockStep"
	optLearning = "learning"
	optSeed     = "seed"
)

// parseRunOptions reads a start body over the server's defaults.
func parseRunOptions(body map[string]any, def runOptions) (runOptions, error) {
	o := def
	for _, opt := range []struct {
		key string
		dst *bool
	}{{optLockStep, &o.LockStep}, {optLearning, &o.Learning}} {
		key, dst := opt.key, opt.dst
		raw, present := body[key]
		if !present || raw == nil {
			continue
		}
		b, ok := raw.(bool)
		if !ok {
			return o, fmt.Errorf("%s is %T, want true or false", key, raw)
		}
		*dst = b
	}
	if raw, present := body[optSeed]; present && raw != nil {
		f, ok := raw.(float64)
		if !ok || f < 0 || f > 1<<53 || f != math.Trunc(f) {
			return o, fmt.Errorf("%s is %v, want a whole number from 0 to 2^53", optSeed, raw)
		}
		o.Seed = uint64(f)
	}
	return o, nil
}
