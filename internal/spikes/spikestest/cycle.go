// Package spikestest builds spike data for the tests and benchmarks of
// package spikes and of its callers, so that a Go benchmark and its Python
// counterpart decode the very same cycle.
package spikestest

import (
	"fmt"
	"math/rand/v2"

	"github.com/abbridge/ab_bridge/internal/spikes"
)

// Cycle is one cycle's outputs and a mapping that reads them.
type Cycle struct {
	// Mapping as the SDK takes it (JSON-ready objects) and as Go entries.
	MappingJSON []map[string]any
	Mapping     []spikes.MappingEntry
	// Outputs as a cycle:update's "outputs" decodes from JSON: object rows
	// with float64 t and bits.
	Outputs []any
}

// NewCycle builds timesteps × populations object rows of width bits, each
// bit a spike with probability 0.2, and one mapping entry per population
// going round the four schemes and the usual options.
func NewCycle(timesteps, populations, width int, seed uint64) Cycle {
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	schemes := []string{spikes.SchemeBipolarSplit, spikes.SchemeAddition, spikes.SchemeBooleanThreshold, spikes.SchemeBipolarScalar}
	var c Cycle
	for p := range populations {
		m := map[string]any{
			"node_id":      fmt.Sprintf("P%d", p),
			"channel":      fmt.Sprintf("joint:%d", p%6),
			"scheme":       schemes[p%len(schemes)],
			"per_step_max": 0.002,
			"gain":         0.5 + float64(p)/4,
		}
		if p%3 == 1 {
			m["deadzone"] = 0.0005
			m["min_step"] = 0.0002
		}
		if p%4 == 2 {
			m["clamp"] = []any{-0.003, 0.003}
			m["threshold"] = width / 4
		}
		if p == populations-1 {
			m["channel"] = "gripper"
			m["invert"] = true
		}
		c.MappingJSON = append(c.MappingJSON, m)
		c.Mapping = append(c.Mapping, entryOf(m))
	}
	for t := range timesteps {
		for p := range populations {
			bits := make([]any, width)
			for i := range bits {
				bits[i] = 0.0
				if rng.Float64() < 0.2 {
					bits[i] = 1.0
				}
			}
			c.Outputs = append(c.Outputs, map[string]any{"t": float64(t), "id": fmt.Sprintf("P%d", p), "bits": bits})
		}
	}
	return c
}

func entryOf(m map[string]any) spikes.MappingEntry {
	e := spikes.NewMappingEntry(m["node_id"].(string), m["channel"].(string))
	e.Scheme = m["scheme"].(string)
	e.PerStepMax = m["per_step_max"].(float64)
	e.Gain = m["gain"].(float64)
	if v, ok := m["deadzone"].(float64); ok {
		e.Deadzone = v
	}
	if v, ok := m["min_step"].(float64); ok {
		e.MinStep = v
	}
	if v, ok := m["clamp"].([]any); ok {
		e.Clamp = &spikes.Range{Min: v[0].(float64), Max: v[1].(float64)}
	}
	if v, ok := m["threshold"].(int); ok {
		e.Threshold = &v
	}
	if v, ok := m["invert"].(bool); ok {
		e.Invert = v
	}
	return e
}
