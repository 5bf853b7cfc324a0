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

// Range is a closed interval [Min, Max]. As in the SDK, a clamp is applied
// as written: when Min is above Max a delta below Min becomes Min and any
// other above Max becomes Max, and a NaN bound clamps nothing on its side.
type Range struct{ Min, Max float64 }

// MappingEntry ties one output population to one actuator channel.
//
// Decoded from YAML or JSON (LoadMapping, MappingList, UnmarshalYAML,
// UnmarshalJSON) it is read exactly as the reference SDK's
// normalize_mapping reads a dict, so that every mapping the SDK accepts
// decodes to the same numbers; see mappingKeys for the keys and aliases and
// resolve for how each is read. Where the SDK silently ignores something,
// the loader still accepts it and returns a warning at its line:
//   - a key no scheme reads (a typo such as "gian"),
//   - threshold on a scheme other than booleanThreshold,
//   - an alias shadowed by another (node_id beats nodeId, per_step_max
//     beats perStepMax beats perStepMaxRad, ...) or a key given twice (the
//     last one is used),
//   - a clamp that is neither [min, max] nor {min, max},
//   - invert given as something other than true or false (Python's bool()
//     decides: the string "false" is true),
//   - an entry without node_id or channel, or not a map: it is dropped.
//
// Refused, with their lines, are what the SDK refuses (it raises): a
// number it cannot read (gain: "fast", gain: null, threshold: 2.5x), and
// two things it accepts on purpose not: an unknown scheme, which the SDK
// decodes as 0 (and then clamps, so that a clamp not holding 0 turns a
// misspelt scheme into a constant push), and a per_step_max, gain or
// min_step that would make the SDK emit infinite or NaN deltas. A node_id
// or channel given as a list or map is refused too: the SDK would name the
// population by Python's spelling of that list.
type MappingEntry struct {
	NodeID     string  // output population whose rows feed this entry
	Channel    string  // actuator channel, e.g. "joint:0", "gripper", "wheel:left"
	Scheme     string  // one of the Scheme constants; "" means bipolarSplit
	PerStepMax float64 // largest delta one timestep may ask for, before gain
	Gain       float64
	Deadzone   float64 // |delta| below this becomes 0; 0 or less: none
	MinStep    float64 // a non-zero |delta| below this is raised to it; 0 or less: none
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

// MappingError is one problem, or one warning, of a mapping file or entry.
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

// mappingKeys are the keys normalize_mapping reads, per field, in the order
// in which it prefers them.
var mappingKeys = map[string][]string{
	"node_id":      {"node_id", "nodeId"},
	"channel":      {"channel", "controllerChannel"},
	"scheme":       {"scheme"},
	"per_step_max": {"per_step_max", "perStepMax", "perStepMaxRad"},
	"gain":         {"gain"},
	"deadzone":     {"deadzone"},
	"min_step":     {"min_step", "minStep", "minStepRad"},
	"invert":       {"invert"},
	"threshold":    {"threshold"},
	"clamp":        {"clamp", "limits"},
}

var knownKey = func() map[string]bool {
	m := map[string]bool{}
	for _, keys := range mappingKeys {
		for _, k := range keys {
			m[k] = true
		}
	}
	return m
}()

// rawKey is one key of an entry as written, its value decoded generically
// (see pyvalue.go).
type rawKey struct {
	key   string
	value any
	line  int
}

// entryBuilder collects one entry's keys, from YAML or JSON alike, then
// reads them the SDK's way.
type entryBuilder struct {
	keys    map[string]rawKey
	order   []string          // keys in file order, each once
	used    map[string]rawKey // per field, the key read
	warning []*MappingError
	problem []*MappingError
}

func newEntryBuilder() *entryBuilder {
	return &entryBuilder{keys: map[string]rawKey{}, used: map[string]rawKey{}}
}

func (b *entryBuilder) fail(line int, format string, args ...any) {
	b.problem = append(b.problem, &MappingError{Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (b *entryBuilder) warn(line int, format string, args ...any) {
	b.warning = append(b.warning, &MappingError{Line: line, Msg: fmt.Sprintf(format, args...)})
}

// set records a key. A key given twice keeps its last value, as a Python
// dict read from JSON or YAML does.
func (b *entryBuilder) set(key string, v any, line int) {
	if prev, ok := b.keys[key]; ok {
		b.warn(prev.line, "%s is ignored: given again at line %d, whose value the SDK uses", key, line)
	} else {
		b.order = append(b.order, key)
	}
	b.keys[key] = rawKey{key: key, value: v, line: line}
}

// truthy is the SDK's m.get(a) or m.get(b): the first key whose value is
// true in Python's sense. The other keys given are ignored, and said so.
func (b *entryBuilder) truthy(field string) (rawKey, bool) {
	var used rawKey
	found := false
	for _, k := range mappingKeys[field] {
		r, ok := b.keys[k]
		if ok && !found && pyTruthy(r.value) {
			used, found = r, true
		}
	}
	b.shadowed(field, used, found)
	return used, found
}

// given is the SDK's m.get(a) if m.get(a) is not None else m.get(b, m.get(c,
// default)): the first key if not null, else the next one present, null
// or not.
func (b *entryBuilder) given(field string) (rawKey, bool) {
	keys := mappingKeys[field]
	var used rawKey
	found := false
	if r, ok := b.keys[keys[0]]; ok && r.value != nil {
		used, found = r, true
	}
	for _, k := range keys[1:] {
		if r, ok := b.keys[k]; ok && !found {
			used, found = r, true
		}
	}
	b.shadowed(field, used, found)
	return used, found
}

// shadowed warns of each key of field that was given, not null, and not used.
func (b *entryBuilder) shadowed(field string, used rawKey, found bool) {
	for _, k := range mappingKeys[field] {
		r, ok := b.keys[k]
		if !ok || r.value == nil || (found && k == used.key) {
			continue
		}
		switch {
		case found && !pyTruthy(r.value):
			b.warn(r.line, "%s %s is ignored: the SDK uses %s (line %d)", k, pyTypeName(r.value), used.key, used.line)
		case found:
			b.warn(r.line, "%s is ignored: the SDK uses %s (line %d)", k, used.key, used.line)
		default:
			b.warn(r.line, "%s %s is ignored: the SDK reads it as not given", k, pyTypeName(r.value))
		}
	}
}

// number reads a float field the way float() does; def when not given.
func (b *entryBuilder) number(field string, def float64) float64 {
	var r rawKey
	var ok bool
	if len(mappingKeys[field]) > 1 {
		r, ok = b.given(field)
	} else {
		r, ok = b.keys[field]
	}
	if !ok {
		return def
	}
	b.used[field] = r
	f, err := pyFloat(r.value)
	if err != "" {
		b.fail(r.line, "%s: %s", r.key, err)
	}
	return f
}

// finish reads the entry; line locates it. keep is false when the SDK
// drops the entry (no node_id or channel); channelLine is the line of the
// channel key used.
func (b *entryBuilder) finish(line int) (e MappingEntry, keep bool, channelLine int) {
	node, okNode := b.truthy("node_id")
	channel, okChannel := b.truthy("channel")
	if !okNode || !okChannel {
		// The SDK drops the entry before reading anything else of it.
		missing := "node_id"
		if okNode {
			missing = "channel"
		}
		b.warning = nil // what else it says is moot
		b.warn(line, "mapping entry has no %s: the SDK drops it", missing)
		return MappingEntry{}, false, 0
	}
	e = NewMappingEntry("", "")
	var err string
	if e.NodeID, err = pyStr(node.value); err != "" {
		b.fail(node.line, "%s: %s", node.key, err)
	}
	if e.Channel, err = pyStr(channel.value); err != "" {
		b.fail(channel.line, "%s: %s", channel.key, err)
	}
	b.scheme(&e, line)
	e.PerStepMax = b.number("per_step_max", DefaultPerStepMax)
	e.Gain = b.number("gain", DefaultGain)
	e.Deadzone = b.number("deadzone", 0)
	e.MinStep = b.number("min_step", 0)
	b.finite(&e)
	if r, ok := b.keys["invert"]; ok && r.value != nil {
		e.Invert = pyTruthy(r.value)
		if _, isBool := r.value.(bool); !isBool {
			b.warn(r.line, "invert %s is not true or false: the SDK takes it as %v", pyTypeName(r.value), e.Invert)
		}
	}
	if r, ok := b.keys["threshold"]; ok && r.value != nil {
		// The SDK reads threshold whatever the scheme (and fails on what
		// int() fails on), but only booleanThreshold uses it.
		thr, err := pyInt(r.value, maxThreshold)
		switch {
		case err != "":
			b.fail(r.line, "threshold: %s", err)
		case e.Scheme == SchemeBooleanThreshold:
			e.Threshold = &thr
		case KnownScheme(e.Scheme):
			b.warn(r.line, "threshold is ignored: scheme %s does not use it (%s only)", e.Scheme, SchemeBooleanThreshold)
		}
	}
	b.clamp(&e)
	for _, k := range b.order {
		if !knownKey[k] {
			b.warn(b.keys[k].line, "unknown mapping key %q is ignored", k)
		}
	}
	return e, true, channel.line
}

// scheme is str(m.get("scheme") or "bipolarSplit"), stripped when decoding.
// A scheme that is blank but not empty is not the default: the SDK strips
// it only after the default was chosen, and so decodes it as 0.
func (b *entryBuilder) scheme(e *MappingEntry, line int) {
	r, ok := b.keys["scheme"]
	if !ok || !pyTruthy(r.value) {
		return
	}
	name, err := pyStr(r.value)
	if err != "" {
		name = pyTypeName(r.value)
	}
	e.Scheme = pyStrip(name)
	if !KnownScheme(e.Scheme) {
		if r.line == 0 {
			r.line = line
		}
		b.fail(r.line, "unknown scheme %q (want %s, %s, %s or %s): the SDK would decode it as 0", name,
			SchemeBipolarSplit, SchemeAddition, SchemeBooleanThreshold, SchemeBipolarScalar)
	}
}

// finite refuses the numbers with which the SDK sends non-finite deltas.
func (b *entryBuilder) finite(e *MappingEntry) {
	if field, msg := nonFinite(*e); msg != "" {
		b.fail(b.used[field].line, "%s", msg)
	}
}

// nonFinite says why the entry would make the SDK emit an infinite or NaN
// delta: any non-finite per_step_max or gain (0 × inf is NaN), or a
// min_step of +inf (any small delta is raised to it). A NaN or negative
// min_step, like a non-finite deadzone or clamp bound, only disables that
// step, as in the SDK.
func nonFinite(e MappingEntry) (field, msg string) {
	switch {
	case math.IsNaN(e.PerStepMax) || math.IsInf(e.PerStepMax, 0):
		return "per_step_max", fmt.Sprintf("per_step_max %s is not finite: the SDK would send non-finite deltas", pyFloatRepr(e.PerStepMax))
	case math.IsNaN(e.Gain) || math.IsInf(e.Gain, 0):
		return "gain", fmt.Sprintf("gain %s is not finite: the SDK would send non-finite deltas", pyFloatRepr(e.Gain))
	case math.IsInf(e.MinStep, 1):
		return "min_step", "min_step inf: the SDK would send infinite deltas"
	}
	return "", ""
}

// clamp is m.get("clamp") or m.get("limits"): {min, max} (other keys
// ignored) or a list of two, each read by float(); anything else is no
// clamp.
func (b *entryBuilder) clamp(e *MappingEntry) {
	r, ok := b.truthy("clamp")
	if !ok {
		return
	}
	var lo, hi any
	switch c := r.value.(type) {
	case map[string]any:
		var okLo, okHi bool
		lo, okLo = c["min"]
		hi, okHi = c["max"]
		if !okLo || !okHi {
			b.warn(r.line, "%s is ignored: the SDK needs both min and max", r.key)
			return
		}
		for k := range c {
			if k != "min" && k != "max" {
				b.warn(r.line, "%s key %q is ignored", r.key, strings.TrimPrefix(k, nonStringKey))
			}
		}
	case []any:
		if len(c) != 2 {
			b.warn(r.line, "%s is ignored: the SDK uses [min, max], not a list of %d", r.key, len(c))
			return
		}
		lo, hi = c[0], c[1]
	default:
		b.warn(r.line, "%s %s is ignored: the SDK uses [min, max] or {min: …, max: …}", r.key, pyTypeName(r.value))
		return
	}
	min, errLo := pyFloat(lo)
	max, errHi := pyFloat(hi)
	switch {
	case errLo != "":
		b.fail(r.line, "%s: min %s", r.key, errLo)
	case errHi != "":
		b.fail(r.line, "%s: max %s", r.key, errHi)
	default:
		e.Clamp = &Range{Min: min, Max: max}
	}
}

// nonStringKey prefixes a YAML map key that is not a string (a number, a
// boolean): the SDK's dict would hold it, but no lookup by name finds it.
const nonStringKey = "\x00"

// KnownScheme reports whether scheme names one of the four schemes.
func KnownScheme(scheme string) bool {
	switch scheme {
	case SchemeBipolarSplit, SchemeAddition, SchemeBooleanThreshold, SchemeBipolarScalar:
		return true
	}
	return false
}

// maxThreshold keeps thresholds well inside int on every platform; larger
// ones are saturated, which changes nothing once clipped to a row's size.
const maxThreshold = 1 << 30

// parsedEntry is one entry of a mapping document as the SDK reads it.
type parsedEntry struct {
	entry       MappingEntry
	keep        bool            // false: the SDK drops the entry
	dropped     []*MappingError // why not kept
	channelLine int             // line of the channel key read
}

// parsed finishes the builder into a parsedEntry, its warnings and problems.
func (b *entryBuilder) parsed(line int) (parsedEntry, []*MappingError, []*MappingError) {
	e, keep, channelLine := b.finish(line)
	p := parsedEntry{entry: e, keep: keep, channelLine: channelLine}
	if !keep {
		p.dropped = b.warning
	}
	return p, b.warning, b.problem
}

// skippedEntry is an entry that is not a map, which the SDK skips.
func skippedEntry(line int, got string) (parsedEntry, []*MappingError, []*MappingError) {
	w := []*MappingError{{Line: line, Msg: fmt.Sprintf("mapping entry is not a map with node_id and channel (got %s): the SDK skips it", got)}}
	return parsedEntry{dropped: w}, w, nil
}

// kept is the entries the SDK keeps.
func kept(parsed []parsedEntry) []MappingEntry {
	var out []MappingEntry
	for _, p := range parsed {
		if p.keep {
			out = append(out, p.entry)
		}
	}
	return out
}
