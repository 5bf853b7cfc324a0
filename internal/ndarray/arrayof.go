package ndarray

import "fmt"

// arrayOf builds an Array from a marked map's binary-keyed entries and
// checks it: a policy's answer with a wrong size is refused here, not
// read past its end later.
func arrayOf(m map[string]any, tensor bool) (Array, error) {
	what := "__ndarray__"
	if tensor {
		what = "__torch_tensor__"
	}
	data, ok := m["data"].([]byte)
	if !ok {
		return Array{}, fmt.Errorf("%s: data is not bytes", what)
	}
	dt, ok := m["dtype"].(string)
	if !ok {
		return Array{}, fmt.Errorf("%s: dtype is not text", what)
	}
	raw, ok := m["shape"].([]any)
	if !ok {
		return Array{}, fmt.Errorf("%s: shape is not a list", what)
	}
	shape := make([]int, len(raw))
	for i, d := range raw {
		n, ok := asInt(d)
		if !ok {
			return Array{}, fmt.Errorf("%s: shape %v: dimension %d is not an integer", what, raw, i)
		}
		shape[i] = n
	}
	a := Array{DType: dt, Shape: shape, Data: data, Tensor: tensor}
	if tensor {
		switch d := m["device"].(type) {
		case string:
			a.Device = d
		case []byte:
			a.Device = string(d)
		}
		a.RequiresGrad, _ = m["requires_grad"].(bool)
	}
	if _, err := a.check(); err != nil {
		return Array{}, fmt.Errorf("%s: %w", what, err)
	}
	return a, nil
}

func asInt(v any) (int, bool) {
	switch n := v.(type) {
	case int64:
		return int(n), int64(int(n)) == n
	case uint64:
		return int(n), n <= 1<<62
	case int8, int16, int32, uint8, uint16, uint32:
		return asIntSmall(n)
	}
	return 0, false
}

func asIntSmall(v any) (int, bool) {
	switch n := v.(type) {
	case int8:
		return int(n), true
	case int16:
		return int(n), true
	case int32:
		return int(n), true
	case uint8:
		return int(n), true
	case uint16:
		return int(n), true
	case uint32:
		return int(n), true
	}
	return 0, false
}
