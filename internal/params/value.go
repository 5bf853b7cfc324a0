// Package params is the node's ROS parameters without ROS: declared
// parameters with their descriptors, values typed as rcl_interfaces types
// them, the checks a set goes through (declared, writable, same type, in
// range), the list semantics of rcl_interfaces/srv/ListParameters (prefixes,
// depth, "." separators) and the events a change becomes. internal/ros
// serves a Store on the graph; the ROS types stay there.
package params

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Type is a parameter's type, numbered as rcl_interfaces/msg/ParameterType
// numbers them, so that the ROS adapter converts by a plain cast.
type Type uint8

// The types of rcl_interfaces/msg/ParameterType.
const (
	TypeNotSet Type = iota
	TypeBool
	TypeInteger
	TypeDouble
	TypeString
	TypeByteArray
	TypeBoolArray
	TypeIntegerArray
	TypeDoubleArray
	TypeStringArray
)

var typeNames = [...]string{"not set", "bool", "integer", "double", "string", "byte_array", "bool_array", "integer_array", "double_array", "string_array"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "type " + strconv.Itoa(int(t))
}

// Value is one parameter value, shaped like rcl_interfaces/msg/ParameterValue:
// Type says which field holds it.
type Value struct {
	Type    Type
	Bool    bool
	Int     int64
	Double  float64
	String  string
	Bytes   []byte
	Bools   []bool
	Ints    []int64
	Doubles []float64
	Strings []string
}

// Bool, Integer, Double and String build values of those types.
func Bool(b bool) Value      { return Value{Type: TypeBool, Bool: b} }
func Integer(i int64) Value  { return Value{Type: TypeInteger, Int: i} }
func Double(f float64) Value { return Value{Type: TypeDouble, Double: f} }
func String(s string) Value  { return Value{Type: TypeString, String: s} }

// clone copies the slices, so that a value handed out cannot alias the
// store's.
func (v Value) clone() Value {
	v.Bytes, v.Bools, v.Ints = slices.Clone(v.Bytes), slices.Clone(v.Bools), slices.Clone(v.Ints)
	v.Doubles, v.Strings = slices.Clone(v.Doubles), slices.Clone(v.Strings)
	return v
}

func (v Value) equal(w Value) bool {
	return v.Type == w.Type && v.Bool == w.Bool && v.Int == w.Int && v.String == w.String &&
		(v.Double == w.Double || math.IsNaN(v.Double) && math.IsNaN(w.Double)) &&
		slices.Equal(v.Bytes, w.Bytes) && slices.Equal(v.Bools, w.Bools) && slices.Equal(v.Ints, w.Ints) &&
		slices.Equal(v.Doubles, w.Doubles) && slices.Equal(v.Strings, w.Strings)
}

// Format renders the value for logs and reasons.
func (v Value) Format() string {
	switch v.Type {
	case TypeBool:
		return strconv.FormatBool(v.Bool)
	case TypeInteger:
		return strconv.FormatInt(v.Int, 10)
	case TypeDouble:
		return strconv.FormatFloat(v.Double, 'g', -1, 64)
	case TypeString:
		return v.String
	case TypeByteArray:
		return fmt.Sprint(v.Bytes)
	case TypeBoolArray:
		return fmt.Sprint(v.Bools)
	case TypeIntegerArray:
		return fmt.Sprint(v.Ints)
	case TypeDoubleArray:
		return fmt.Sprint(v.Doubles)
	case TypeStringArray:
		return fmt.Sprint(v.Strings)
	}
	return "not set"
}

// FromYAML types a value as rcl types a --params-file or -p value that
// yaml.v3 decoded: bools, integers, doubles, strings and uniform lists of
// them.
func FromYAML(x any) (Value, error) {
	switch x := x.(type) {
	case bool:
		return Bool(x), nil
	case int:
		return Integer(int64(x)), nil
	case int64:
		return Integer(x), nil
	case uint64:
		if x > math.MaxInt64 {
			return Value{}, fmt.Errorf("integer %d out of range", x)
		}
		return Integer(int64(x)), nil
	case float64:
		return Double(x), nil
	case string:
		return String(x), nil
	case []any:
		return listFromYAML(x)
	}
	return Value{}, fmt.Errorf("unsupported value %v (%T)", x, x)
}

func listFromYAML(xs []any) (Value, error) {
	if len(xs) == 0 {
		return Value{}, fmt.Errorf("an empty list has no type")
	}
	first, err := FromYAML(xs[0])
	if err != nil || first.Type > TypeString {
		return Value{}, fmt.Errorf("unsupported list %v", xs)
	}
	out := Value{Type: first.Type + TypeBoolArray - TypeBool} // bool→bool_array … string→string_array
	for _, x := range xs {
		e, err := FromYAML(x)
		if err != nil || e.Type != first.Type {
			return Value{}, fmt.Errorf("list %v mixes types", xs)
		}
		switch e.Type {
		case TypeBool:
			out.Bools = append(out.Bools, e.Bool)
		case TypeInteger:
			out.Ints = append(out.Ints, e.Int)
		case TypeDouble:
			out.Doubles = append(out.Doubles, e.Double)
		case TypeString:
			out.Strings = append(out.Strings, e.String)
		}
	}
	return out, nil
}
