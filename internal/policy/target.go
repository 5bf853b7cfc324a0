package policy

import (
	"fmt"
	"math"
	"time"
)

// targetSource says where target joint positions come from: a JointState
// topic while it is fresh, else the fixed targets of the policy file.
type targetSource struct {
	topic   string
	timeout time.Duration
	fixed   map[string]float64
}

// targets fills out with the target of each joint. A stale topic falls back
// to the fixed targets (counted) when they cover every joint.
func (ts *targetSource) targets(cs *cycleState, joints []string, out []float64) error {
	if ts.topic != "" {
		sample, have := cs.in.JointStates[ts.topic]
		if have && fresh(sample.At, cs.in.Time, ts.timeout) {
			for i, j := range joints {
				v, ok := sample.Positions[j]
				if !ok {
					if v, ok = ts.fixed[j]; !ok {
						return errMissing{fmt.Sprintf("joint %q not in target topic %s", j, ts.topic)}
					}
				}
				out[i] = v
			}
			return nil
		}
		if !ts.covers(joints) {
			return errMissing{"no target: " + staleWhy(ts.topic, ts.timeout)}
		}
		cs.stats.Fallbacks++
	}
	for i, j := range joints {
		out[i] = ts.fixed[j]
	}
	return nil
}

func (ts *targetSource) covers(joints []string) bool {
	for _, j := range joints {
		if _, ok := ts.fixed[j]; !ok {
			return false
		}
	}
	return true
}

// positions fills out with the current position of each joint.
func positions(in *Inputs, joints []string, out []float64) error {
	for i, j := range joints {
		v, ok := in.Positions[j]
		if !ok {
			return errMissing{fmt.Sprintf("joint %q not in joint_states", j)}
		}
		out[i] = v
	}
	return nil
}

// jointTarget scores the distance from the joints to their target the way
// the SDK's default reward policy scores a cycle: success, improved, or
// otherwise.
type jointTarget struct {
	joints          []string
	src             targetSource
	successDistance float64
	minImprovement  float64
	success         float64
	improved        float64
	otherwise       float64

	target, actual []float64
	prev           float64
	havePrev       bool
}

func (j *jointTarget) reward(cs *cycleState) (float64, error) {
	if err := j.src.targets(cs, j.joints, j.target); err != nil {
		return 0, err
	}
	if err := positions(cs.in, j.joints, j.actual); err != nil {
		return 0, err
	}
	sum := 0.0
	for i := range j.joints {
		d := j.target[i] - j.actual[i]
		sum += d * d
	}
	d := math.Sqrt(sum)
	if !finite(d) {
		return math.NaN(), nil
	}
	improved := j.havePrev && j.prev-d > j.minImprovement
	j.prev, j.havePrev = d, true
	switch {
	case d <= j.successDistance:
		return j.success, nil
	case improved:
		return j.improved, nil
	}
	return j.otherwise, nil
}

// jointError is the deviation of one joint from its target, normalised by a
// range: (actual − target)/range, negated with invert, over T timesteps
// either constant or ramped linearly from the previous cycle's error.
type jointError struct {
	joint  string
	src    targetSource
	rng    float64
	ramp   bool
	invert bool

	buf  [1]float64
	prev float64
}

func (j *jointError) deviation(cs *cycleState, out []float64) error {
	joints := []string{j.joint}
	if err := j.src.targets(cs, joints, j.buf[:]); err != nil {
		return err
	}
	target := j.buf[0]
	if err := positions(cs.in, joints, j.buf[:]); err != nil {
		return err
	}
	e := (j.buf[0] - target) / j.rng // PROTOCOL §5: positive means above target
	if j.invert {
		e = -e
	}
	if !finite(e) {
		out[0] = e
		return nil
	}
	from := e
	if j.ramp {
		from = j.prev
	}
	T := float64(len(out))
	for t := range out {
		out[t] = from + (e-from)*float64(t+1)/T
	}
	j.prev = e
	return nil
}
