package policy

import (
	"errors"
	"time"
)

// scalarTopic is the latest value of a Float64/Float32 topic published by a
// task node, or a fallback once it is older than the timeout.
type scalarTopic struct {
	topic    string
	timeout  time.Duration
	fallback float64
}

func (s scalarTopic) reward(cs *cycleState) (float64, error) {
	sample, have := cs.in.Scalars[s.topic]
	if have && fresh(sample.At, cs.in.Time, s.timeout) {
		return sample.Value, nil
	}
	cs.stats.Fallbacks++
	return s.fallback, nil
}

// arrayTopic is the latest Float64MultiArray of a topic fitted to T
// timesteps, or zeros once it is older than the timeout.
type arrayTopic struct {
	topic   string
	timeout time.Duration
	mode    string
}

var errEmptyArray = errors.New("the topic sent an empty array")

func (a arrayTopic) deviation(cs *cycleState, out []float64) error {
	sample, have := cs.in.Arrays[a.topic]
	if !have || !fresh(sample.At, cs.in.Time, a.timeout) {
		cs.stats.Fallbacks++
		clear(out)
		return nil
	}
	if len(sample.Values) == 0 {
		return errEmptyArray
	}
	fit(sample.Values, out, a.mode)
	return nil
}
