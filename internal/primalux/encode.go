package primalux

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Mode is one of the SDK's encodings of a signal into a population vector.
type Mode string

// The SDK's modes (encoder.py's transform_to_spikes).
const (
	ModeVector     Mode = "vector_f32"                            // values as given, padded or cut to n
	ModeBinary     Mode = "binary_spikes"                         // 1 where a value is > 0
	ModePositive   Mode = "positive_scalar_population"            // a bump at value/vmax
	ModeCumulative Mode = "positive_scalar_cumulative_population" // everything up to value/vmax
	ModeRanged     Mode = "ranged_scalar_population"              // a bump at (value-vmin)/(vmax-vmin)
	ModeSigned     Mode = "signed_scalar_population"              // a bump at (value+absmax)/(2 absmax)
	ModeReward     Mode = "reward_population"                     // the first round(m·n) neurons
)

// DefaultRadius is the SDK's half-width of a scalar bump.
const DefaultRadius = 1

// Scale carries what a mode needs; a nil field is "not given" (the SDK
// refuses a mode whose scale is missing).
type Scale struct {
	Vmax, Vmin, Absmax *float64
	// Radius is the bump's half-width; the SDK's default is DefaultRadius,
	// and a zero Radius is a one-neuron bump, not the default.
	Radius int
}

// DefaultMode is the mode the SDK picks for an input kind (case-insensitive).
func DefaultMode(kind string) Mode {
	switch strings.ToLower(strings.TrimSpace(kind)) {
	case "reward":
		return ModeReward
	case "proximity", "depth", "temperature", "touch":
		return ModePositive
	case "gyro", "accelerometer", "proprioception":
		return ModeSigned
	}
	return ModeVector
}

// Encode turns a signal into the input's population vector with the SDK's
// numbers: mode "" means the kind's default; scalar modes read the first
// value (0 for none); in.N of 0 is a population of unknown size, as the SDK
// treats a contract entry without n. The result is not checked against
// [0, 1]: vector modes pass values through, and ValidateSensors refuses
// what the device would.
func Encode(in Input, signal []float64, mode Mode, sc Scale) ([]float64, error) {
	if mode == "" {
		mode = DefaultMode(in.Kind)
	}
	n := in.N
	switch mode {
	case ModeReward:
		return rewardPopulation(scalarOf(signal), n), nil
	case ModeVector:
		return vectorToN(signal, n), nil
	case ModeBinary:
		v := vectorToN(signal, n)
		for i, x := range v {
			v[i] = b2f(x > 0)
		}
		return v, nil
	}
	x := scalarOf(signal)
	switch mode {
	case ModePositive, ModeCumulative:
		if sc.Vmax == nil {
			return nil, fmt.Errorf("%s: %s requires vmax", in.ID, mode)
		}
		if n <= 1 {
			return []float64{1}, nil
		}
		q, err := clampedQ(x, *sc.Vmax, n)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", in.ID, err)
		}
		if mode == ModeCumulative {
			return cumulative(q, n), nil
		}
		return bump(q, n, sc.Radius), nil
	case ModeRanged:
		if sc.Vmin == nil || sc.Vmax == nil {
			return nil, fmt.Errorf("%s: %s requires vmin and vmax", in.ID, mode)
		}
		return ranged(in.ID, x, *sc.Vmin, *sc.Vmax, n, sc.Radius)
	case ModeSigned:
		if sc.Absmax == nil {
			return nil, fmt.Errorf("%s: %s requires absmax", in.ID, mode)
		}
		return signed(in.ID, x, *sc.Absmax, n, sc.Radius)
	}
	return nil, fmt.Errorf("%s: unsupported encoder mode %q", in.ID, mode)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func scalarOf(signal []float64) float64 {
	if len(signal) == 0 {
		return 0
	}
	return signal[0]
}

func vectorToN(signal []float64, n int) []float64 {
	if n <= 0 {
		return append([]float64(nil), signal...)
	}
	out := make([]float64, n)
	copy(out, signal)
	return out
}

// pyMin and pyMax are Python's min(a, b) and max(a, b): the first argument
// unless the second compares smaller (larger), so a NaN second argument
// loses and a NaN first one wins.
func pyMin(a, b float64) float64 {
	if b < a {
		return b
	}
	return a
}

func pyMax(a, b float64) float64 {
	if b > a {
		return b
	}
	return a
}

// RewardMagnitude is the SDK's publish_reward clamp of a magnitude to [0, 1]
// (a NaN becomes 1, as Python's min and max make it).
func RewardMagnitude(m float64) float64 { return pyMax(0, pyMin(1, m)) }

// RewardVector is the reward population for a magnitude as the SDK's
// publish_reward sends it: clamped to [0, 1], then the first round(m·n)
// neurons (half to even, as Python rounds) on, at least one when m > 0.
func RewardVector(magnitude float64, n int) []float64 {
	return rewardPopulation(RewardMagnitude(magnitude), n)
}

func rewardPopulation(m float64, n int) []float64 {
	if n <= 0 {
		return []float64{b2f(m > 0)}
	}
	mag := pyMax(0, pyMin(1, m))
	k := int(math.RoundToEven(mag * float64(n)))
	if mag > 0 {
		k = max(1, k)
	}
	k = max(0, min(n, k))
	out := make([]float64, n)
	for i := range k {
		out[i] = 1
	}
	return out
}

var errOverflow = errors.New("the scaled value overflows (the SDK raises OverflowError)")

// quantize is max(0, min(n-1, int(x))) with Python's int(): truncation, and
// an error where int() raises (infinite or NaN).
func quantize(x float64, n int) (int, error) {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return 0, errOverflow
	}
	t := math.Trunc(x)
	switch {
	case t > float64(n-1):
		return n - 1, nil
	case t < 0:
		return 0, nil
	}
	return int(t), nil
}

// clampedQ is the SDK's checks in its order: vmax 0, then a non-finite
// value (an empty population, q = -1), then a non-finite vmax.
func clampedQ(value, vmax float64, n int) (int, error) {
	if vmax == 0 {
		return 0, errors.New("vmax must not be 0")
	}
	if math.IsNaN(value) || math.IsInf(value, 0) {
		return -1, nil
	}
	if math.IsNaN(vmax) || math.IsInf(vmax, 0) {
		return 0, errors.New("vmax must be finite")
	}
	return quantize((value/vmax)*float64(n), n)
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func ranged(id string, value, vmin, vmax float64, n, radius int) ([]float64, error) {
	if n <= 1 {
		return []float64{1}, nil
	}
	if vmax == vmin {
		return nil, fmt.Errorf("%s: vmax and vmin must not be equal", id)
	}
	if !finite(value) {
		return make([]float64, n), nil
	}
	if !finite(vmin) || !finite(vmax) {
		return nil, fmt.Errorf("%s: vmin and vmax must be finite", id)
	}
	q, err := quantize(((value-vmin)/(vmax-vmin))*float64(n), n)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	return bump(q, n, radius), nil
}

func signed(id string, value, absmax float64, n, radius int) ([]float64, error) {
	if n <= 1 {
		return []float64{1}, nil
	}
	if absmax == 0 {
		return nil, fmt.Errorf("%s: absmax must not be 0", id)
	}
	if !finite(value) {
		return make([]float64, n), nil
	}
	if !finite(absmax) {
		return nil, fmt.Errorf("%s: absmax must be finite", id)
	}
	q, err := quantize(((value+absmax)/(2*absmax))*float64(n), n)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	return bump(q, n, radius), nil
}

// bump sets q-radius..q+radius (clipped to the population); q < 0 is none.
// A negative radius is an empty bump, as the SDK's range makes it.
func bump(q, n, radius int) []float64 {
	out := make([]float64, n)
	if q < 0 {
		return out
	}
	r := max(-(n + 1), min(n+1, radius)) // beyond ±n the result no longer changes
	for i := max(0, q-r); i <= min(n-1, q+r); i++ {
		out[i] = 1
	}
	return out
}

func cumulative(q, n int) []float64 {
	out := make([]float64, n)
	for i := 0; i <= q && i < n; i++ {
		out[i] = 1
	}
	return out
}

// JointScale is how a joint's position is encoded: with finite limits
// (upper > lower) a ranged population over them, else a signed population
// over ±π (a continuous joint's turn), the SDK's default for proprioception.
func JointScale(lower, upper float64, radius int) (Mode, Scale) {
	if finite(lower) && finite(upper) && upper > lower {
		return ModeRanged, Scale{Vmin: &lower, Vmax: &upper, Radius: radius}
	}
	pi := math.Pi
	return ModeSigned, Scale{Absmax: &pi, Radius: radius}
}
