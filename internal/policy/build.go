package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/abbridge/ab_bridge/internal/yamlfile"

	"gopkg.in/yaml.v3"
)

// decodeStrict decodes one YAML document into v, rejecting unknown keys,
// and returns its node tree for locating later problems.
func decodeStrict(file string, data []byte, v any) (*yaml.Node, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlfile.DecodeErrors(file, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlfile.DecodeErrors(file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, &Error{File: file, Line: extra.Line, Msg: "a policy file holds one YAML document"}
	}
	return &root, nil
}

// builder turns decoded components into running ones, recording every
// problem at its line.
type builder struct {
	l       *located
	sigs    map[string]*signal
	topics  topicSet
	perStep bool // deviation: expressions run once per timestep
}

func (b *builder) bad(msg string, path ...any) {
	b.l.Add(pathString(path)+": "+msg, path...)
}

// kindOf finds the one kind key of the component at path.
func (b *builder) kindOf(kinds []string, path []any) (string, bool) {
	var found []string
	for _, k := range yamlfile.MapKeys(b.l.Root, path...) {
		if slices.Contains(kinds, k) {
			found = append(found, k)
		}
	}
	switch len(found) {
	case 1:
		return found[0], true
	case 0:
		b.bad("needs one of "+strings.Join(kinds, ", "), path...)
	default:
		b.bad(fmt.Sprintf("has %s: give exactly one kind per component", strings.Join(found, " and ")), path...)
	}
	return "", false
}

func (b *builder) timeout(d *time.Duration, path []any) time.Duration {
	if d == nil {
		return DefaultTopicTimeout
	}
	if *d < 0 {
		b.bad("timeout must not be negative", with(path, "timeout")...)
	}
	return *d
}

// number checks an optional number against [lo, hi] and returns it or def.
func (b *builder) number(v *float64, def, lo, hi float64, path ...any) float64 {
	if v == nil {
		return def
	}
	if !finite(*v) || *v < lo || *v > hi {
		b.bad(fmt.Sprintf("%v is not in [%g, %g]", *v, lo, hi), path...)
	}
	return *v
}

func (b *builder) expression(src *string, path []any) (*expression, bool) {
	if src == nil || strings.TrimSpace(*src) == "" {
		b.bad("is empty", path...)
		return nil, false
	}
	return compileExpression(b.l, *src, b.sigs, b.perStep, path)
}

func with(path []any, more ...any) []any {
	return append(append(make([]any, 0, len(path)+len(more)), path...), more...)
}

// stream builds one reward: its components and how they combine.
func (b *builder) stream(conf streamConf, path []any) *stream {
	s := &stream{where: pathString(path), combine: conf.Combine}
	switch s.combine {
	case "":
		s.combine = combineMean
	case combineMean, combineMin, combineMax:
	default:
		b.bad(fmt.Sprintf("combine %q is not mean, min or max", conf.Combine), with(path, "combine")...)
	}
	if len(conf.Components) == 0 {
		b.bad("needs at least one component", with(path, "components")...)
	}
	for i, cc := range conf.Components {
		p := with(path, "components", i)
		comp, where, ok := b.rewardComponent(cc, p)
		if !ok {
			continue
		}
		w := b.number(cc.Weight, 1, 0, 1e9, with(p, "weight")...)
		if cc.Weight != nil && w <= 0 {
			b.bad("weight must be positive", with(p, "weight")...)
		}
		s.parts = append(s.parts, part{where: where, weight: w, comp: comp})
	}
	s.vals = make([]float64, len(s.parts))
	return s
}

// rewardComponent builds the component at path and names it for logs.
func (b *builder) rewardComponent(cc rewardCompConf, path []any) (rewardComponent, string, bool) {
	kind, ok := b.kindOf(rewardKinds, path)
	if !ok {
		return nil, "", false
	}
	p := with(path, kind)
	comp, ok := b.rewardKind(kind, cc, p)
	return comp, pathString(p), ok
}

func (b *builder) rewardKind(kind string, cc rewardCompConf, p []any) (rewardComponent, bool) {
	switch kind {
	case "constant":
		if cc.Constant == nil || cc.Constant.Value == nil {
			b.bad("needs a value", p...)
			return nil, false
		}
		return constant{value: b.number(cc.Constant.Value, 0, 0, 1, with(p, "value")...)}, true
	case "topic":
		return b.scalarTopic(cc.Topic, p)
	case "joint_target":
		return b.jointTarget(cc.JointTarget, p)
	default:
		e, ok := b.expression(cc.Expression, p)
		return rewardExpression{e: e}, ok
	}
}

func (b *builder) scalarTopic(c *scalarTopicConf, path []any) (rewardComponent, bool) {
	if c == nil || c.Topic == "" {
		b.bad("needs a topic", path...)
		return nil, false
	}
	typ := c.Type
	switch typ {
	case "":
		typ = TypeFloat64
	case TypeFloat64, TypeFloat32:
	default:
		b.bad(fmt.Sprintf("type %q is not %s or %s", c.Type, TypeFloat64, TypeFloat32), with(path, "type")...)
	}
	b.topics.add(b.l, c.Topic, typ, with(path, "topic")...)
	return scalarTopic{
		topic:    c.Topic,
		timeout:  b.timeout(c.Timeout, path),
		fallback: b.number(c.Fallback, NeutralReward, 0, 1, with(path, "fallback")...),
	}, true
}

// targets reads the shared target settings of joint_target and joint_error.
func (b *builder) targets(fixed map[string]float64, topic string, timeout *time.Duration, path []any) targetSource {
	for j, v := range fixed {
		if !finite(v) {
			b.bad(fmt.Sprintf("target of joint %q is not a finite number", j), with(path, "target", j)...)
		}
	}
	ts := targetSource{topic: topic, timeout: b.timeout(timeout, path), fixed: fixed}
	if topic != "" {
		b.topics.add(b.l, topic, TypeJointState, with(path, "target_topic")...)
	}
	return ts
}

func (b *builder) jointTarget(c *jointTargetConf, path []any) (rewardComponent, bool) {
	if c == nil || (len(c.Target) == 0 && c.TargetTopic == "") {
		b.bad("needs a target (joint: position) or a target_topic", path...)
		return nil, false
	}
	joints := c.Joints
	if len(joints) == 0 {
		if c.TargetTopic != "" && len(c.Target) == 0 {
			b.bad("needs the joints to read from target_topic", path...)
		}
		for j := range c.Target {
			joints = append(joints, j)
		}
		sort.Strings(joints)
	}
	for i, j := range joints {
		if _, ok := c.Target[j]; !ok && c.TargetTopic == "" {
			b.bad(fmt.Sprintf("joint %q has no target", j), with(path, "joints", i)...)
		}
	}
	jt := &jointTarget{
		joints:          joints,
		src:             b.targets(c.Target, c.TargetTopic, c.Timeout, path),
		successDistance: b.number(c.SuccessDistance, DefaultSuccessDistance, 0, 1e9, with(path, "success_distance")...),
		minImprovement:  b.number(c.MinImprovement, 0, 0, 1e9, with(path, "min_improvement")...),
		success:         b.number(c.Success, DefaultSuccessReward, 0, 1, with(path, "success")...),
		improved:        b.number(c.Improved, DefaultImprovedReward, 0, 1, with(path, "improved")...),
		otherwise:       b.number(c.Otherwise, DefaultOtherwiseReward, 0, 1, with(path, "otherwise")...),
		target:          make([]float64, len(joints)),
		actual:          make([]float64, len(joints)),
	}
	return jt, true
}

// modulation builds one modulator per reward stream, or nil when off.
func (b *builder) modulation(c modulationConf) func() *modulator {
	path := []any{"modulation"}
	tau := DefaultTimeConstant
	if c.TimeConstant != nil {
		tau = *c.TimeConstant
		if tau <= 0 {
			b.bad("time_constant must be positive", with(path, "time_constant")...)
		}
	}
	gain := b.number(c.Gain, DefaultGain, 0, 1e6, with(path, "gain")...)
	baseline := b.number(c.Baseline, NeutralReward, 0, 1, with(path, "baseline")...)
	if !c.Enabled {
		return func() *modulator { return nil }
	}
	return func() *modulator { return &modulator{tau: tau, gain: gain, baseline: baseline} }
}

// deviationComponent builds the component at path and names it for logs.
func (b *builder) deviationComponent(c deviationCompConf, path []any) (deviationComponent, string, bool) {
	kind, ok := b.kindOf(deviationKinds, path)
	if !ok {
		return nil, "", false
	}
	p := with(path, kind)
	comp, ok := b.deviationKind(kind, c, p)
	return comp, pathString(p), ok
}

func (b *builder) deviationKind(kind string, c deviationCompConf, p []any) (deviationComponent, bool) {
	switch kind {
	case "zero":
		return zero{}, true
	case "joint_error":
		return b.jointError(c.JointError, p)
	case "topic":
		return b.arrayTopic(c.Topic, p)
	default:
		e, ok := b.expression(c.Expression, p)
		return deviationExpression{e: e}, ok
	}
}

func (b *builder) jointError(c *jointErrorConf, path []any) (deviationComponent, bool) {
	if c == nil || c.Joint == "" {
		b.bad("needs a joint", path...)
		return nil, false
	}
	if c.Target == nil && c.TargetTopic == "" {
		b.bad("needs a target (a position) or a target_topic", path...)
	}
	var fixed map[string]float64
	if c.Target != nil {
		fixed = map[string]float64{c.Joint: *c.Target}
	}
	je := &jointError{joint: c.Joint, src: b.targets(fixed, c.TargetTopic, c.Timeout, path), invert: c.Invert}
	if c.Range == nil {
		b.bad("needs a range (the error that maps to ±1)", path...)
	} else if je.rng = *c.Range; !finite(je.rng) || je.rng <= 0 {
		b.bad("range must be a positive number", with(path, "range")...)
	}
	switch c.Shape {
	case "", "constant":
	case "ramp":
		je.ramp = true
	default:
		b.bad(fmt.Sprintf("shape %q is not constant or ramp", c.Shape), with(path, "shape")...)
	}
	return je, true
}

func (b *builder) arrayTopic(c *arrayTopicConf, path []any) (deviationComponent, bool) {
	if c == nil || c.Topic == "" {
		b.bad("needs a topic", path...)
		return nil, false
	}
	at := arrayTopic{topic: c.Topic, timeout: b.timeout(c.Timeout, path), mode: c.Fit}
	switch c.Fit {
	case "":
		at.mode = fitResample
	case fitResample, fitHold, fitZeros:
	default:
		b.bad(fmt.Sprintf("fit %q is not resample, hold or zeros", c.Fit), with(path, "fit")...)
	}
	b.topics.add(b.l, c.Topic, TypeFloat64MultiArray, with(path, "topic")...)
	return at, true
}
