package params

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// OneOf is a Check for a string parameter that takes only these words.
func OneOf(words ...string) func(Value) error {
	return func(v Value) error {
		if !slices.Contains(words, v.String) {
			return fmt.Errorf("want one of %s", strings.Join(words, ", "))
		}
		return nil
	}
}

// NonNegative is a Check for a double that is finite and ≥ 0.
func NonNegative(v Value) error {
	if math.IsNaN(v.Double) || math.IsInf(v.Double, 0) || v.Double < 0 {
		return fmt.Errorf("want a finite value ≥ 0")
	}
	return nil
}
