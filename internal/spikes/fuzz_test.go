package spikes

import (
	"encoding/json"
	"math"
	"testing"
)

// FuzzParseRows feeds arbitrary JSON through ParseRows and a decoder using
// every scheme: nothing may panic, every row is either kept or reported,
// and what is kept is well formed.
func FuzzParseRows(f *testing.F) {
	mapping := []MappingEntry{
		fuzzEntry("A", "joint:0", SchemeBipolarSplit, nil),
		fuzzEntry("A", "joint:1", SchemeAddition, &Range{-0.05, 0.05}),
		fuzzEntry("B", "joint:0", SchemeBooleanThreshold, nil),
		fuzzEntry("B", "gripper", SchemeBipolarScalar, nil),
		fuzzEntry("C", "joint:1", "unknown", nil),
	}
	thr := 3
	mapping[2].Threshold = &thr
	mapping[0].Deadzone, mapping[0].MinStep = 0.015, 0.02
	d, err := NewDecoder(mapping)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v any
		if json.Unmarshal(data, &v) != nil {
			return
		}
		outputs, ok := v.([]any)
		if !ok {
			if update, isObj := v.(map[string]any); isObj {
				outputs, _ = update["outputs"].([]any)
			}
		}
		rows, skipped := ParseRows(outputs)
		if len(rows)+len(skipped) != len(outputs) {
			t.Fatalf("%d rows + %d skipped != %d outputs", len(rows), len(skipped), len(outputs))
		}
		last := -1
		for _, s := range skipped {
			if s.Index <= last || s.Index >= len(outputs) || s.Reason == "" {
				t.Fatalf("bad skip report %+v after index %d", s, last)
			}
			last = s.Index
		}
		for _, r := range rows {
			if r.ID == "" {
				t.Fatalf("row without id: %+v", r)
			}
			for _, b := range r.Bits {
				if b > 1 {
					t.Fatalf("bit %d in %+v", b, r)
				}
			}
		}
		steps := d.Decode(rows)
		for i, s := range steps {
			if i > 0 && s.T <= steps[i-1].T {
				t.Fatalf("steps out of order: %d after %d", s.T, steps[i-1].T)
			}
			for _, cd := range s.Deltas {
				if math.IsNaN(cd.Delta) || math.IsInf(cd.Delta, 0) {
					t.Fatalf("non-finite delta %+v", cd)
				}
			}
		}
	})
}

func fuzzEntry(node, channel, scheme string, clamp *Range) MappingEntry {
	e := NewMappingEntry(node, channel)
	e.Scheme, e.Clamp = scheme, clamp
	return e
}

// FuzzMappingJSON feeds arbitrary bytes to the mapping decoders of both
// formats: they may refuse, never panic, and what they accept holds what
// NewDecoder needs.
func FuzzMappingJSON(f *testing.F) {
	f.Add([]byte(`[{"node_id": "A", "channel": "joint:0", "clamp": [0, 1]}]`))
	f.Add([]byte("{\"mapping\": [\n\t{\"nodeId\": \"B\", \"controllerChannel\": \"gripper\", \"scheme\": \"booleanThreshold\", \"threshold\": 2}\n]}"))
	f.Add([]byte(`[{"node_id": "A", "channel": "c", "gian": 1}, 7, {"limits": {"min": 1}}]`))
	f.Add([]byte("- node_id: A\n  channel: c\n  perStepMaxRad: 0.5\n"))
	f.Add([]byte(`[{"node_id": 1.5, "channel": "c", "gain": " 1_0 ", "threshold": "7", "invert": "no", "clamp": {"min": "nan", "max": 1, "x": 2}}]`))
	f.Add([]byte("- {node_id: A, channel: c, minStep: .inf}\n- {node_id: A, channel: c, deadzone: -.inf, limits: [1, -1]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, decode := range []func([]byte) ([]parsedEntry, []*MappingError, []*MappingError){entriesFromJSON, entriesFromYAML} {
			parsed, _, problems := decode(data)
			if len(problems) > 0 {
				continue
			}
			if _, err := NewDecoder(kept(parsed)); err != nil {
				t.Fatalf("accepted entries refused by NewDecoder: %v\n%q", err, data)
			}
		}
	})
}
