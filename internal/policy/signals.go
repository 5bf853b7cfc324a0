package policy

import (
	"fmt"
	"regexp"
	"sort"
	"time"

	"github.com/abbridge/ab_bridge/internal/yamlfile"

	"github.com/expr-lang/expr/builtin"
)

// signalSource says where a signal's value comes from.
type signalSource int

const (
	fromJoints          signalSource = iota // joint_states, by joint name
	fromScalarTopic                         // std_msgs/Float64 or Float32
	fromJointStateTopic                     // one joint of a sensor_msgs/JointState topic
	fromArrayTopic                          // std_msgs/Float64MultiArray, resampled to T
)

// signal is a named value an expression may use.
type signal struct {
	name     string
	source   signalSource
	joint    string
	velocity bool
	topic    string
	timeout  time.Duration
	fallback *float64
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Names an expression sees besides the signals: cycle and elapsed always,
// t and T in deviation expressions, and the functions expressions may call.
var reservedNames = map[string]bool{
	"cycle": true, "elapsed": true, "t": true, "T": true,
	"true": true, "false": true, "nil": true, "in": true, "not": true, "and": true, "or": true,
	"matches": true, "contains": true, "startsWith": true, "endsWith": true, "let": true, "if": true, "else": true,
}

func reserved(name string) bool {
	if reservedNames[name] {
		return true
	}
	if _, ok := builtin.Index[name]; ok {
		return true
	}
	_, ok := extraFunctions[name]
	return ok
}

// buildSignals checks the signals section; arrays are allowed in deviation
// policies only, where an expression runs once per timestep.
func buildSignals(l *located, names []string, confs map[string]signalConf, allowArrays bool, topics *topicSet) map[string]*signal {
	out := make(map[string]*signal, len(confs))
	for _, name := range names {
		conf := confs[name]
		path := []any{"signals", name}
		if !identifier.MatchString(name) || reserved(name) {
			l.AddAt(yamlfile.LineOf(l.Root, path...), fmt.Sprintf("signal name %q must be an identifier (letters, digits, _) and not a built-in name", name))
			continue
		}
		s, ok := buildSignal(l, name, conf, allowArrays, path)
		if !ok {
			continue
		}
		if s.topic != "" {
			topics.add(l, s.topic, signalTopicType(conf), path...)
		}
		out[name] = s
	}
	return out
}

func signalTopicType(conf signalConf) string {
	if conf.Type == "" {
		return TypeFloat64
	}
	return conf.Type
}

func buildSignal(l *located, name string, conf signalConf, allowArrays bool, path []any) (*signal, bool) {
	s := &signal{name: name, joint: conf.Joint, velocity: conf.Velocity, topic: conf.Topic, fallback: conf.Fallback, timeout: DefaultTopicTimeout}
	ok := true
	bad := func(msg string, sub ...any) {
		l.Add(fmt.Sprintf("signal %q: %s", name, msg), append(append([]any{}, path...), sub...)...)
		ok = false
	}
	if conf.Timeout != nil {
		s.timeout = *conf.Timeout
		if s.timeout < 0 {
			bad("timeout must not be negative", "timeout")
		}
	}
	if conf.Fallback != nil && !finite(*conf.Fallback) {
		bad("fallback must be a finite number", "fallback")
	}
	if conf.Topic == "" {
		s.source = fromJoints
		if conf.Joint == "" {
			bad("needs a joint (from joint_states) or a topic")
		}
		if conf.Type != "" || conf.Timeout != nil {
			bad("type and timeout only apply to a topic")
		}
		return s, ok
	}
	switch signalTopicType(conf) {
	case TypeFloat64, TypeFloat32:
		s.source = fromScalarTopic
		if conf.Joint != "" || conf.Velocity {
			bad("joint and velocity only apply to joint_states or a sensor_msgs/JointState topic")
		}
	case TypeJointState:
		s.source = fromJointStateTopic
		if conf.Joint == "" {
			bad("a sensor_msgs/JointState topic needs the joint to read")
		}
	case TypeFloat64MultiArray:
		s.source = fromArrayTopic
		if !allowArrays {
			bad("std_msgs/Float64MultiArray topics are for deviation policies only", "type")
		}
		if conf.Joint != "" || conf.Velocity {
			bad("joint and velocity do not apply to an array topic")
		}
	default:
		bad(fmt.Sprintf("type %q is not one of %s, %s, %s, %s", conf.Type, TypeFloat64, TypeFloat32, TypeJointState, TypeFloat64MultiArray), "type")
	}
	return s, ok
}

// errMissing says a signal or component had no usable input this cycle.
type errMissing struct{ what string }

func (e errMissing) Error() string { return e.what }

// scalar is the signal's value this cycle, or its fallback (counted), or an
// error when it has none.
func (s *signal) scalar(cs *cycleState) (float64, error) {
	v, ok, why := s.lookup(cs.in)
	if ok {
		return v, nil
	}
	return s.fallBack(cs, why)
}

func (s *signal) fallBack(cs *cycleState, why string) (float64, error) {
	if s.fallback != nil {
		cs.stats.Fallbacks++
		return *s.fallback, nil
	}
	return 0, errMissing{fmt.Sprintf("signal %s: %s", s.name, why)}
}

func (s *signal) lookup(in *Inputs) (v float64, ok bool, why string) {
	switch s.source {
	case fromJoints:
		m := in.Positions
		if s.velocity {
			m = in.Velocities
		}
		v, ok = m[s.joint]
		return v, ok, fmt.Sprintf("joint %q not in joint_states", s.joint)
	case fromScalarTopic:
		sample, have := in.Scalars[s.topic]
		if !have || !fresh(sample.At, in.Time, s.timeout) {
			return 0, false, staleWhy(s.topic, s.timeout)
		}
		return sample.Value, true, ""
	case fromJointStateTopic:
		sample, have := in.JointStates[s.topic]
		if !have || !fresh(sample.At, in.Time, s.timeout) {
			return 0, false, staleWhy(s.topic, s.timeout)
		}
		m := sample.Positions
		if s.velocity {
			m = sample.Velocities
		}
		v, ok = m[s.joint]
		return v, ok, fmt.Sprintf("joint %q not in topic %s", s.joint, s.topic)
	}
	return 0, false, "an array signal has no single value"
}

// series fills out with the array signal resampled to len(out), or with its
// fallback.
func (s *signal) series(cs *cycleState, out []float64) error {
	sample, have := cs.in.Arrays[s.topic]
	if have && fresh(sample.At, cs.in.Time, s.timeout) && len(sample.Values) > 0 {
		fit(sample.Values, out, fitResample)
		return nil
	}
	why := staleWhy(s.topic, s.timeout)
	if have && len(sample.Values) == 0 {
		why = "topic " + s.topic + " sent an empty array"
	}
	v, err := s.fallBack(cs, why)
	if err != nil {
		return err
	}
	for i := range out {
		out[i] = v
	}
	return nil
}

func staleWhy(topic string, timeout time.Duration) string {
	if timeout > 0 {
		return fmt.Sprintf("no message on %s within %v", topic, timeout)
	}
	return "no message on " + topic
}

// topicSet collects the topics a policy reads; one topic has one type.
type topicSet struct {
	types map[string]string
}

func (ts *topicSet) add(l *located, name, typ string, path ...any) {
	if ts.types == nil {
		ts.types = map[string]string{}
	}
	if old, ok := ts.types[name]; ok {
		if old != typ {
			l.Add(fmt.Sprintf("topic %s is read as %s here and as %s elsewhere", name, typ, old), path...)
		}
		return
	}
	ts.types[name] = typ
}

// specs lists the topics sorted by name.
func (ts *topicSet) specs() []TopicSpec {
	out := make([]TopicSpec, 0, len(ts.types))
	for n, typ := range ts.types {
		out = append(out, TopicSpec{Name: n, Type: typ})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
