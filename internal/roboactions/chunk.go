package roboactions

import (
	"fmt"
	"math"

	"github.com/abbridge/ab_bridge/internal/ndarray"
)

// Chunk reads the actions out of an inference answer: rows of one action
// each (action_dim values), in time order. It accepts what policy servers
// answer: an array or tensor shaped (1, T, D) — LeRobot's
// predict_action_chunk, batch first — (T, D), (1, D) or (D); a map whose
// "action" entry is one of those; or plain lists of numbers. A batch of
// more than one, a non-finite value or rows of unequal length are errors:
// nothing of such an answer may reach the arm.
func Chunk(answer any) ([][]float64, error) {
	switch a := answer.(type) {
	case map[string]any:
		v, ok := a["action"]
		if !ok {
			return nil, fmt.Errorf("the answer is a map without an \"action\" entry (keys %v)", keysOf(a))
		}
		return Chunk(v)
	case ndarray.Array:
		return arrayChunk(a)
	case []any:
		return listChunk(a)
	}
	return nil, fmt.Errorf("the answer is a %T, not an action array", answer)
}

func arrayChunk(a ndarray.Array) ([][]float64, error) {
	vals, err := a.Float64s()
	if err != nil {
		return nil, err
	}
	var steps, dim int
	switch s := a.Shape; len(s) {
	case 1:
		steps, dim = 1, s[0]
	case 2:
		steps, dim = s[0], s[1]
	case 3:
		if s[0] != 1 {
			return nil, fmt.Errorf("action array %v: a batch of %d, one robot expected", s, s[0])
		}
		steps, dim = s[1], s[2]
	default:
		return nil, fmt.Errorf("action array of shape %v: (1, T, D), (T, D) or (D) expected", a.Shape)
	}
	if steps == 0 || dim == 0 {
		return nil, fmt.Errorf("action array of shape %v is empty", a.Shape)
	}
	rows := make([][]float64, steps)
	for t := range rows {
		rows[t] = vals[t*dim : (t+1)*dim : (t+1)*dim]
	}
	return rows, finiteRows(rows)
}

func listChunk(l []any) ([][]float64, error) {
	if len(l) == 0 {
		return nil, fmt.Errorf("empty action list")
	}
	if _, nested := l[0].([]any); !nested {
		row, err := numbers(l)
		if err != nil {
			return nil, err
		}
		return [][]float64{row}, finiteRows([][]float64{row})
	}
	if len(l) == 1 {
		if inner, ok := l[0].([]any); ok && len(inner) > 0 {
			if _, deeper := inner[0].([]any); deeper {
				return listChunk(inner) // [[[...], ...]]: a batch of one
			}
		}
	}
	rows := make([][]float64, len(l))
	for t, r := range l {
		inner, ok := r.([]any)
		if !ok {
			return nil, fmt.Errorf("action list row %d is a %T", t, r)
		}
		row, err := numbers(inner)
		if err != nil {
			return nil, fmt.Errorf("action list row %d: %w", t, err)
		}
		if len(row) != len(rows[0]) && t > 0 {
			return nil, fmt.Errorf("action list row %d has %d values, row 0 has %d", t, len(row), len(rows[0]))
		}
		rows[t] = row
	}
	return rows, finiteRows(rows)
}

func numbers(l []any) ([]float64, error) {
	out := make([]float64, len(l))
	for i, v := range l {
		switch n := v.(type) {
		case float64:
			out[i] = n
		case int64:
			out[i] = float64(n)
		case uint64:
			out[i] = float64(n)
		case ndarray.Scalar:
			f, err := numbers([]any{n.Value})
			if err != nil {
				return nil, fmt.Errorf("value %d: %w", i, err)
			}
			out[i] = f[0]
		default:
			return nil, fmt.Errorf("value %d is a %T, not a number", i, v)
		}
	}
	return out, nil
}

func finiteRows(rows [][]float64) error {
	for t, r := range rows {
		for j, v := range r {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("action %d, dimension %d is %v", t, j, v)
			}
		}
	}
	return nil
}

func keysOf(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}
