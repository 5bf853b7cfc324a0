package spikes

import (
	"fmt"
	"math"
	"strings"
)

// The decoding schemes of PROTOCOL.md §4.
const (
	SchemeBipolarSplit     = "bipolarSplit"
	SchemeAddition         = "addition"
	SchemeBooleanThreshold = "booleanThreshold"
	SchemeBipolarScalar    = "bipolarScalar"
)

// Defaults of a mapping entry's optional fields (PROTOCOL.md §4).
const (
	DefaultScheme     = SchemeBipolarSplit
	DefaultPerStepMax = 0.01
	DefaultGain       = 1.0
)

// Range is a closed interval [Min, Max].
type Range struct{ Min, Max float64 }

// MappingEntry ties one output population to one actuator channel.
//
// Decoded from YAML or JSON (LoadMapping, UnmarshalYAML, UnmarshalJSON) it
// accepts the snake_case keys and the SDK's camelCase aliases: node_id
// [nodeId], channel [controllerChannel], scheme, per_step_max [perStepMax,
// perStepMaxRad], gain, deadzone, min_step [minStep, minStepRad], invert,
// threshold, clamp [limits] as [min, max] or {min: …, max: …}. Unlike the
// SDK, which quietly drops or coerces what it cannot use, decoding is
// strict and reports, with its line, each of: an unknown key, a value of
// the wrong type, a field given twice (under two aliases), a missing
// node_id or channel, an unknown scheme, a threshold on a scheme other
// than booleanThreshold, a negative deadzone or min_step, a clamp whose min
// is above its max. null stands for "not given" for scheme, threshold and
// clamp only.
type MappingEntry struct {
	NodeID     string  // output population whose rows feed this entry
	Channel    string  // actuator channel, e.g. "joint:0", "gripper", "wheel:left"
	Scheme     string  // one of the Scheme constants; "" means bipolarSplit
	PerStepMax float64 // largest delta one timestep may ask for, before gain
	Gain       float64
	Deadzone   float64 // |delta| below this becomes 0
	MinStep    float64 // a non-zero |delta| below this is raised to it
	Invert     bool
	Threshold  *int   // booleanThreshold only; nil means max(1, n/2)
	Clamp      *Range // applied last; nil means no clamp
}

// NewMappingEntry is an entry with the protocol's defaults.
func NewMappingEntry(nodeID, channel string) MappingEntry {
	return MappingEntry{
		NodeID:     nodeID,
		Channel:    channel,
		Scheme:     DefaultScheme,
		PerStepMax: DefaultPerStepMax,
		Gain:       DefaultGain,
	}
}

// MappingError is one problem of a mapping file or entry.
type MappingError struct {
	Line int // 1-based; 0 when unknown
	Msg  string
}

func (e *MappingError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// field is a mapping entry's field, whatever alias named it.
type field int

const (
	fieldNodeID field = iota
	fieldChannel
	fieldScheme
	fieldPerStepMax
	fieldGain
	fieldDeadzone
	fieldMinStep
	fieldInvert
	fieldThreshold
	fieldClamp
	fieldCount
)

var fieldNames = [fieldCount]string{"node_id", "channel", "scheme", "per_step_max", "gain", "deadzone", "min_step", "invert", "threshold", "clamp"}

var fieldOfKey = map[string]field{
	"node_id": fieldNodeID, "nodeId": fieldNodeID,
	"channel": fieldChannel, "controllerChannel": fieldChannel,
	"scheme":       fieldScheme,
	"per_step_max": fieldPerStepMax, "perStepMax": fieldPerStepMax, "perStepMaxRad": fieldPerStepMax,
	"gain":     fieldGain,
	"deadzone": fieldDeadzone,
	"min_step": fieldMinStep, "minStep": fieldMinStep, "minStepRad": fieldMinStep,
	"invert":    fieldInvert,
	"threshold": fieldThreshold,
	"clamp":     fieldClamp, "limits": fieldClamp,
}

// entryBuilder collects one entry's keys, from YAML or JSON alike, as
// generic values (string, number, bool, nil, list, map) with their lines.
type entryBuilder struct {
	entry   MappingEntry
	keyOf   [fieldCount]string
	lineOf  [fieldCount]int
	bad     [fieldCount]bool // already reported: finish says no more of it
	problem []*MappingError
}

func newEntryBuilder() *entryBuilder {
	return &entryBuilder{entry: NewMappingEntry("", "")}
}

func (b *entryBuilder) fail(line int, format string, args ...any) {
	b.problem = append(b.problem, &MappingError{Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (b *entryBuilder) set(key string, v any, line int) {
	f, ok := fieldOfKey[key]
	if !ok {
		b.fail(line, "unknown mapping key %q", key)
		return
	}
	if prev := b.keyOf[f]; prev != "" {
		b.fail(line, "%s given twice: as %s (line %d) and as %s", fieldNames[f], prev, b.lineOf[f], key)
		return
	}
	b.keyOf[f], b.lineOf[f] = key, line
	e := &b.entry
	var err string
	switch f {
	case fieldNodeID:
		e.NodeID, err = stringValue(v)
	case fieldChannel:
		e.Channel, err = stringValue(v)
	case fieldScheme:
		if v != nil {
			e.Scheme, err = stringValue(v)
		}
	case fieldPerStepMax:
		e.PerStepMax, err = finiteValue(v)
	case fieldGain:
		e.Gain, err = finiteValue(v)
	case fieldDeadzone:
		e.Deadzone, err = nonNegativeValue(v)
	case fieldMinStep:
		e.MinStep, err = nonNegativeValue(v)
	case fieldInvert:
		var ok bool
		if e.Invert, ok = v.(bool); !ok {
			err = "must be true or false, got " + typeName(v)
		}
	case fieldThreshold:
		e.Threshold, err = thresholdValue(v)
	case fieldClamp:
		e.Clamp, err = rangeValue(v)
	}
	if err != "" {
		b.bad[f] = true
		b.fail(line, "%s: %s", key, err)
	}
}

// finish checks what involves several keys; line locates the entry.
func (b *entryBuilder) finish(line int) (MappingEntry, []*MappingError) {
	e := &b.entry
	b.required(fieldNodeID, e.NodeID, line)
	b.required(fieldChannel, e.Channel, line)
	e.Scheme = strings.TrimSpace(e.Scheme)
	if e.Scheme == "" {
		e.Scheme = DefaultScheme
	}
	switch {
	case b.bad[fieldScheme]:
	case !KnownScheme(e.Scheme):
		b.fail(b.lineOf[fieldScheme], "unknown scheme %q (want %s, %s, %s or %s)", e.Scheme,
			SchemeBipolarSplit, SchemeAddition, SchemeBooleanThreshold, SchemeBipolarScalar)
	case e.Threshold != nil && e.Scheme != SchemeBooleanThreshold:
		b.fail(b.lineOf[fieldThreshold], "threshold applies to scheme %s only, not %s", SchemeBooleanThreshold, e.Scheme)
	}
	return *e, b.problem
}

func (b *entryBuilder) required(f field, value string, line int) {
	switch {
	case b.bad[f] || value != "":
	case b.keyOf[f] == "":
		b.fail(line, "mapping entry has no %s", fieldNames[f])
	default:
		b.fail(b.lineOf[f], "%s is empty", b.keyOf[f])
	}
}

// KnownScheme reports whether scheme names one of the four schemes.
func KnownScheme(scheme string) bool {
	switch scheme {
	case SchemeBipolarSplit, SchemeAddition, SchemeBooleanThreshold, SchemeBipolarScalar:
		return true
	}
	return false
}

func stringValue(v any) (string, string) {
	s, ok := v.(string)
	if !ok {
		return "", "must be a string, got " + typeName(v)
	}
	return s, ""
}

func finiteValue(v any) (float64, string) {
	f, ok := number(v)
	if !ok {
		return 0, "must be a number, got " + typeName(v)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Sprintf("must be a finite number, got %v", f)
	}
	return f, ""
}

func nonNegativeValue(v any) (float64, string) {
	f, err := finiteValue(v)
	if err == "" && f < 0 {
		return 0, fmt.Sprintf("must not be negative, got %v", f)
	}
	return f, err
}

// maxThreshold keeps thresholds well inside int on every platform.
const maxThreshold = 1 << 30

func thresholdValue(v any) (*int, string) {
	if v == nil {
		return nil, ""
	}
	f, ok := number(v)
	if !ok {
		return nil, "must be an integer, got " + typeName(v)
	}
	if f != math.Trunc(f) || math.Abs(f) > maxThreshold {
		return nil, fmt.Sprintf("must be an integer, got %v", f)
	}
	n := int(f)
	return &n, ""
}

func rangeValue(v any) (*Range, string) {
	var lo, hi any
	switch c := v.(type) {
	case nil:
		return nil, ""
	case []any:
		if len(c) != 2 {
			return nil, fmt.Sprintf("must be [min, max], got %d items", len(c))
		}
		lo, hi = c[0], c[1]
	case map[string]any:
		var okLo, okHi bool
		lo, okLo = c["min"]
		hi, okHi = c["max"]
		if !okLo || !okHi || len(c) != 2 {
			return nil, "must be {min: …, max: …} with exactly those two keys"
		}
	default:
		return nil, "must be [min, max] or {min: …, max: …}, got " + typeName(v)
	}
	min, err := finiteValue(lo)
	if err != "" {
		return nil, "min " + err
	}
	max, err := finiteValue(hi)
	if err != "" {
		return nil, "max " + err
	}
	if min > max {
		return nil, fmt.Sprintf("min %v is above max %v", min, max)
	}
	return &Range{Min: min, Max: max}, ""
}
