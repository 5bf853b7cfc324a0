package policy

import "math"

// cycleState is what components share during one Compute.
type cycleState struct {
	in      *Inputs
	elapsed float64 // seconds since the policy's first cycle
	stats   *Stats
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// clampCount pulls v into [lo, hi], counting each value it had to move.
func clampCount(v, lo, hi float64, count *uint64) float64 {
	switch {
	case v < lo:
		*count++
		return lo
	case v > hi:
		*count++
		return hi
	}
	return v
}
