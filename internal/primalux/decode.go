package primalux

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"unicode"
)

// Command is one frame item decoded: the item's step and a delta per motor
// channel (channels whose delta is zero are absent, as in the SDK).
type Command struct {
	T      int64
	Deltas map[string]float64
}

// Schemes that turn a population's spikes into a value (decoder.py).
const (
	SchemeBipolarSplit     = "bipolarSplit"
	SchemeAddition         = "addition"
	SchemeBooleanThreshold = "booleanThreshold"
	SchemeBipolarScalar    = "bipolarScalar"
)

// MappingEntry maps one output population to one motor channel.
type MappingEntry struct {
	OutputID   string
	Channel    string
	Scheme     string  // one of the schemes; another gives 0, as in the SDK
	PerStepMax float64 // the SDK's default 0.01
	Gain       float64 // default 1
	Deadzone   float64
	MinStep    float64
	Invert     bool
	Threshold  *int        // booleanThreshold; nil: half the population
	Clamp      *[2]float64 // [lo, hi] of the delta
	N          int         // the population's width; 0: from the spikes
}

// ParseMapping reads a mapping list written as the SDK's normalize_mapping
// reads it, aliases and defaults included: output_id|outputId|node_id|nodeId,
// channel|controllerChannel, per_step_max|perStepMax|perStepMaxRad,
// min_step|minStep|minStepRad, clamp|limits as [lo, hi] or {min, max}. Where
// the SDK silently drops an entry (no id or channel, not an object) or
// ignores a malformed clamp, this is an error naming the entry.
func ParseMapping(data []byte) ([]MappingEntry, error) {
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("mapping is not a list of objects: %w", err)
	}
	out := make([]MappingEntry, 0, len(raw))
	for i, m := range raw {
		e, err := mappingEntry(m)
		if err != nil {
			return nil, fmt.Errorf("mapping[%d]: %w", i, err)
		}
		out = append(out, e)
	}
	return out, nil
}

func mappingEntry(m map[string]json.RawMessage) (MappingEntry, error) {
	e := MappingEntry{Scheme: SchemeBipolarSplit, PerStepMax: 0.01, Gain: 1}
	var err error
	if e.OutputID, err = truthyText(m, "output_id", "outputId", "node_id", "nodeId"); err != nil {
		return e, err
	}
	if e.Channel, err = truthyText(m, "channel", "controllerChannel"); err != nil {
		return e, err
	}
	if e.OutputID == "" || e.Channel == "" {
		return e, fmt.Errorf("needs an output id (output_id, outputId, node_id or nodeId) and a channel (channel or controllerChannel)")
	}
	if s, err := truthyText(m, "scheme"); err != nil {
		return e, err
	} else if s != "" {
		e.Scheme = s
	}
	num := func(dst *float64, keys ...string) error {
		// The first key counts when present and not null; the others are
		// the SDK's m.get(k2, m.get(k3, default)): present, even as null.
		if v, ok := m[keys[0]]; ok && !isNull(v) {
			return numberInto(dst, keys[0], v)
		}
		for _, k := range keys[1:] {
			if v, ok := m[k]; ok {
				return numberInto(dst, k, v)
			}
		}
		return nil
	}
	for _, f := range []struct {
		dst  *float64
		keys []string
	}{
		{&e.PerStepMax, []string{"per_step_max", "perStepMax", "perStepMaxRad"}},
		{&e.MinStep, []string{"min_step", "minStep", "minStepRad"}},
	} {
		if err := num(f.dst, f.keys...); err != nil {
			return e, err
		}
	}
	for _, f := range []struct {
		dst *float64
		key string
	}{{&e.Gain, "gain"}, {&e.Deadzone, "deadzone"}} {
		if v, ok := m[f.key]; ok {
			if err := numberInto(f.dst, f.key, v); err != nil {
				return e, err
			}
		}
	}
	if v, ok := m["invert"]; ok {
		var x any
		_ = json.Unmarshal(v, &x)
		e.Invert = truthy(x)
	}
	for _, f := range []struct {
		dst **int
		key string
	}{{&e.Threshold, "threshold"}} {
		if v, ok := m[f.key]; ok && !isNull(v) {
			var x float64
			if err := numberInto(&x, f.key, v); err != nil {
				return e, err
			}
			t := int(math.Trunc(x)) // Python's int()
			*f.dst = &t
		}
	}
	if v, ok := m["n"]; ok && !isNull(v) {
		var x float64
		if err := numberInto(&x, "n", v); err != nil {
			return e, err
		}
		e.N = int(math.Trunc(x))
	}
	return e, clampOf(m, &e)
}

func isNull(v json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(v), []byte("null")) }

// truthyText is Python's str(m.get(a) or m.get(b) or ""), for text values.
func truthyText(m map[string]json.RawMessage, keys ...string) (string, error) {
	for _, k := range keys {
		v, ok := m[k]
		if !ok {
			continue
		}
		var x any
		if err := json.Unmarshal(v, &x); err != nil {
			return "", fmt.Errorf("%s: %w", k, err)
		}
		if !truthy(x) {
			continue
		}
		s, ok := x.(string)
		if !ok {
			return "", fmt.Errorf("%s is %s, not text", k, clip(string(v)))
		}
		return s, nil
	}
	return "", nil
}

// numberInto reads a JSON number (the SDK's float() also takes booleans and
// numeric text; a mapping file has no reason to use them).
func numberInto(dst *float64, key string, v json.RawMessage) error {
	var f float64
	if err := json.Unmarshal(v, &f); err != nil || isNull(v) {
		return fmt.Errorf("%s is %s, not a number", key, clip(string(v)))
	}
	*dst = f
	return nil
}

func clampOf(m map[string]json.RawMessage, e *MappingEntry) error {
	for _, k := range []string{"clamp", "limits"} {
		v, ok := m[k]
		if !ok {
			continue
		}
		var x any
		_ = json.Unmarshal(v, &x)
		if !truthy(x) {
			continue // the SDK's `clamp or limits`
		}
		var lo, hi float64
		switch c := x.(type) {
		case []any:
			if len(c) != 2 {
				return fmt.Errorf("%s has %d values: want [lo, hi]", k, len(c))
			}
			var okLo, okHi bool
			lo, okLo = c[0].(float64)
			hi, okHi = c[1].(float64)
			if !okLo || !okHi {
				return fmt.Errorf("%s %s: want two numbers", k, clip(string(v)))
			}
		case map[string]any:
			var okLo, okHi bool
			lo, okLo = c["min"].(float64)
			hi, okHi = c["max"].(float64)
			if !okLo || !okHi {
				return fmt.Errorf("%s %s: want numbers min and max", k, clip(string(v)))
			}
		default:
			return fmt.Errorf("%s %s: want [lo, hi] or {min, max}", k, clip(string(v)))
		}
		e.Clamp = &[2]float64{lo, hi}
		return nil
	}
	return nil
}

// SpikeDecoder is the SDK's GenericSpikeDecoder: an item's spikes over all
// its output timesteps, per population, become one delta per channel.
type SpikeDecoder struct{ entries []MappingEntry }

// NewSpikeDecoder keeps the mapping (in order: deltas of one channel add up
// in mapping order, as the SDK's floating-point sums do).
func NewSpikeDecoder(entries []MappingEntry) *SpikeDecoder {
	return &SpikeDecoder{entries: append([]MappingEntry(nil), entries...)}
}

// population is one output population's distinct spiking neurons and width.
type population struct {
	active map[int64]bool
	width  int64
}

// Decode decodes one item. Neuron ids are "POPULATION:index" (surrounding
// white space ignored); others are skipped, as the SDK skips them. A
// population's width is the largest n its entries give, or more when a
// spike lies beyond it; an entry whose population neither spiked nor has an
// n gives nothing.
func (d *SpikeDecoder) Decode(it Item) Command {
	pops := map[string]*population{}
	get := func(id string) *population {
		p := pops[id]
		if p == nil {
			p = &population{active: map[int64]bool{}}
			pops[id] = p
		}
		return p
	}
	for _, e := range d.entries {
		if e.N > 0 {
			p := get(e.OutputID)
			p.width = max(p.width, int64(e.N))
		}
	}
	for _, st := range it.Outputs {
		for _, nid := range st.Neurons {
			id, idx, ok := neuronID(nid)
			if !ok {
				continue
			}
			p := get(id)
			p.active[idx] = true
			p.width = max(p.width, idx+1)
		}
	}
	cmd := Command{T: it.Step, Deltas: map[string]float64{}}
	for _, e := range d.entries {
		p := pops[e.OutputID]
		if p == nil || p.width <= 0 {
			continue
		}
		delta := e.delta(e.value(p))
		if delta == 0 {
			continue
		}
		cmd.Deltas[e.Channel] += delta
	}
	return cmd
}

// neuronID reads "POPULATION:index" as the SDK's pattern ^([^:]+):(\d+)$
// does after Python's strip(): one colon, a non-empty population, decimal
// digits (Python's \d and int() take any Unicode decimal digit).
func neuronID(s string) (string, int64, bool) {
	s = strings.TrimFunc(s, pyIsSpace)
	id, digits, ok := strings.Cut(s, ":")
	if !ok || id == "" || digits == "" {
		return "", 0, false
	}
	var idx int64
	for _, r := range digits {
		d, ok := decimalDigit(r)
		if !ok || idx > (math.MaxInt64-1-int64(d))/10 {
			return "", 0, false // not digits, or beyond any population
		}
		idx = idx*10 + int64(d)
	}
	return id, idx, true
}

// pyIsSpace is Python's str.isspace for one character: Go's white space
// and the four information separators.
func pyIsSpace(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) }

// decimalDigit is a Unicode decimal digit's value. Decimal digits come in
// runs of ten from 0 to 9 (some runs adjoin), so the value is the distance
// from the run's start, modulo ten.
func decimalDigit(r rune) (int, bool) {
	if r >= '0' && r <= '9' {
		return int(r - '0'), true
	}
	if !unicode.IsDigit(r) {
		return 0, false
	}
	start := r
	for unicode.IsDigit(start - 1) {
		start--
	}
	return int(r-start) % 10, true
}

// value is the scheme's number from the population's spikes.
func (e MappingEntry) value(p *population) float64 {
	n := p.width
	half := n / 2
	var total, pos, neg int64
	for idx := range p.active {
		total++
		switch {
		case idx < half:
			pos++
		case idx < 2*half:
			neg++
		}
	}
	switch strings.TrimFunc(e.Scheme, pyIsSpace) {
	case SchemeBipolarSplit:
		if n < 2 {
			return 0
		}
		return float64(pos - neg)
	case SchemeAddition:
		return float64(total)
	case SchemeBooleanThreshold:
		thr := max(1, n/2)
		if e.Threshold != nil {
			thr = int64(*e.Threshold)
		}
		thr = max(1, min(n, thr))
		return b2f(total >= thr)
	case SchemeBipolarScalar:
		if n < 2 {
			return 0
		}
		switch {
		case pos > neg:
			return 1
		case neg > pos:
			return -1
		}
	}
	return 0
}

// delta is the SDK's _value_to_delta, in its order.
func (e MappingEntry) delta(value float64) float64 {
	if e.Invert {
		value = -value
	}
	d := value * e.PerStepMax * e.Gain
	if e.Deadzone != 0 && math.Abs(d) < e.Deadzone {
		return 0
	}
	if e.MinStep != 0 && 0 < math.Abs(d) && math.Abs(d) < e.MinStep {
		if d > 0 {
			d = e.MinStep
		} else {
			d = -e.MinStep
		}
	}
	if e.Clamp != nil {
		lo, hi := e.Clamp[0], e.Clamp[1]
		switch {
		case d < lo:
			d = lo
		case d > hi:
			d = hi
		}
	}
	return d
}

// ActuationEntry maps one native actuation channel to a motor: the delta is
// the channel's count times Gain, limited to Limit when given.
type ActuationEntry struct {
	Channel string
	Motor   string
	Gain    float64
	Limit   *[2]float64
}

// ActuationDecoder is the SDK's ActuationChannelDecoder, for devices that
// report per-channel counts rather than neuron ids.
type ActuationDecoder struct{ entries []ActuationEntry }

// NewActuationDecoder checks the mapping as the SDK does: a motor name, a
// finite gain (no default movement), a limit with min <= max.
func NewActuationDecoder(entries []ActuationEntry) (*ActuationDecoder, error) {
	for _, e := range entries {
		if e.Channel == "" || e.Motor == "" {
			return nil, fmt.Errorf("actuation channel %q: needs a channel and a motor name", e.Channel)
		}
		if !finite(e.Gain) {
			return nil, fmt.Errorf("actuation channel %s: explicit finite gain required", e.Channel)
		}
		if l := e.Limit; l != nil && (!finite(l[0]) || !finite(l[1]) || l[0] > l[1]) {
			return nil, fmt.Errorf("actuation channel %s: limit must be [min, max]", e.Channel)
		}
	}
	return &ActuationDecoder{entries: append([]ActuationEntry(nil), entries...)}, nil
}

// ParseActuationMapping reads {channel: {motor, gain, limit?}, ...} keeping
// the channels' order (the SDK's dict order, which fixes how deltas of one
// motor add up).
func ParseActuationMapping(data []byte) ([]ActuationEntry, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("actuation mapping is not an object")
	}
	var out []ActuationEntry
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("actuation mapping: %w", err)
		}
		name := t.(string)
		var v struct {
			Motor any        `json:"motor"`
			Gain  any        `json:"gain"`
			Limit []*float64 `json:"limit"`
		}
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("actuation channel %s: %w", name, err)
		}
		motor, ok := v.Motor.(string)
		if !ok {
			return nil, fmt.Errorf("actuation channel %s: needs a motor name", name)
		}
		gain, ok := v.Gain.(float64)
		if !ok {
			return nil, fmt.Errorf("actuation channel %s: explicit finite gain required", name)
		}
		e := ActuationEntry{Channel: name, Motor: motor, Gain: gain}
		if v.Limit != nil {
			if len(v.Limit) != 2 || v.Limit[0] == nil || v.Limit[1] == nil {
				return nil, fmt.Errorf("actuation channel %s: limit must be [min, max]", name)
			}
			e.Limit = &[2]float64{*v.Limit[0], *v.Limit[1]}
		}
		out = append(out, e)
	}
	return out, nil
}

// Decode decodes one item's actuation.channels. An item without them, or a
// mapped channel whose count is not a number, is an error (the SDK raises);
// an unmapped or absent channel counts 0.
func (d *ActuationDecoder) Decode(it Item) (Command, error) {
	var act struct {
		Channels map[string]json.RawMessage `json:"channels"`
	}
	var probe any
	_ = json.Unmarshal(it.Actuation, &probe)
	if truthy(probe) {
		if _, isObj := probe.(map[string]any); !isObj {
			return Command{}, fmt.Errorf("step %d: actuation is not an object", it.Step)
		}
		_ = json.Unmarshal(it.Actuation, &act)
	}
	if ch, ok := probe.(map[string]any); !ok || ch["channels"] == nil {
		return Command{}, fmt.Errorf("step %d: item has no actuation.channels: cannot decode a motor command", it.Step)
	} else if _, ok := ch["channels"].(map[string]any); !ok {
		return Command{}, fmt.Errorf("step %d: actuation.channels is not an object", it.Step)
	}
	cmd := Command{T: it.Step, Deltas: map[string]float64{}}
	for _, e := range d.entries {
		count := 0.0
		if raw, ok := act.Channels[e.Channel]; ok {
			var x any
			_ = json.Unmarshal(raw, &x)
			f, isNum := x.(float64)
			if !isNum {
				return Command{}, fmt.Errorf("step %d: actuation count for %s is %s, not a number", it.Step, e.Channel, clip(string(raw)))
			}
			count = f
		}
		r := count * e.Gain
		if l := e.Limit; l != nil {
			r = pyMin(l[1], pyMax(l[0], r))
		}
		if r != 0 {
			cmd.Deltas[e.Motor] += r
		}
	}
	return cmd, nil
}
