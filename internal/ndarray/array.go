package ndarray

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Array is one numpy array (or torch tensor) as it crossed the wire:
// raw bytes in numpy's dtype.str form ("<f4", "|u1", ">i8", …) and its
// shape, row-major. Data is not copied on decode: it aliases the message.
type Array struct {
	DType string
	Shape []int
	Data  []byte
	// Tensor marks a __torch_tensor__ map; Device and RequiresGrad are
	// its metadata (informational here: everything lives on the CPU).
	Tensor       bool
	Device       string
	RequiresGrad bool
}

// FromFloat32 is a little-endian float32 array ("<f4"), the dtype policies
// take observations in.
func FromFloat32(shape []int, v []float32) Array {
	data := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(f))
	}
	return Array{DType: "<f4", Shape: append([]int(nil), shape...), Data: data}
}

// Len is the number of elements the shape holds (1 for a 0-d array).
func (a Array) Len() int {
	n := 1
	for _, d := range a.Shape {
		n *= d
	}
	return n
}

// dtype is a parsed numpy dtype.str: byte order, kind, item size.
type dtype struct {
	order binary.ByteOrder
	kind  byte // 'f', 'i', 'u', 'b'
	size  int
}

// ErrDType is wrapped by every refusal of a dtype.
var ErrDType = errors.New("unsupported dtype")

func parseDType(s string) (dtype, error) {
	if len(s) < 3 {
		return dtype{}, fmt.Errorf("%w %q", ErrDType, s)
	}
	var d dtype
	switch s[0] {
	case '<', '|', '=':
		// '=' is native order; every machine a policy runs on is little-endian.
		d.order = binary.LittleEndian
	case '>':
		d.order = binary.BigEndian
	default:
		return dtype{}, fmt.Errorf("%w %q: byte order %q", ErrDType, s, s[0])
	}
	d.kind = s[1]
	size, err := strconv.Atoi(s[2:])
	if err != nil {
		return dtype{}, fmt.Errorf("%w %q", ErrDType, s)
	}
	d.size = size
	ok := false
	switch d.kind {
	case 'f':
		ok = size == 2 || size == 4 || size == 8
	case 'i', 'u':
		ok = size == 1 || size == 2 || size == 4 || size == 8
	case 'b':
		ok = size == 1
	}
	if !ok {
		return dtype{}, fmt.Errorf("%w %q (numbers and booleans only)", ErrDType, s)
	}
	return d, nil
}

// maxElements bounds an array's shape before its size is multiplied out:
// far beyond any policy's tensors, well short of overflowing an int.
const maxElements = 1 << 40

// check says whether the shape and the bytes agree, before anything reads
// them: a negative dimension or a size that overflows is refused too.
func (a Array) check() (dtype, error) {
	d, err := parseDType(a.DType)
	if err != nil {
		return d, err
	}
	n := 1
	for _, dim := range a.Shape {
		if dim < 0 {
			return d, fmt.Errorf("shape %v: negative dimension", a.Shape)
		}
		if dim != 0 && n > maxElements/dim {
			return d, fmt.Errorf("shape %v: more than %d elements", a.Shape, maxElements)
		}
		n *= dim
	}
	if n*d.size != len(a.Data) {
		return d, fmt.Errorf("shape %v of %s needs %d bytes, %d sent", a.Shape, a.DType, n*d.size, len(a.Data))
	}
	return d, nil
}

// Float64s reads every element as a float64, in row-major order. Integers
// and booleans convert exactly (int64 beyond 2^53 rounds, as numpy's
// astype(float64) does).
func (a Array) Float64s() ([]float64, error) {
	d, err := a.check()
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(a.Data)/d.size)
	for i := range out {
		out[i] = d.float(a.Data[i*d.size : (i+1)*d.size])
	}
	return out, nil
}

func (d dtype) float(b []byte) float64 {
	switch d.kind {
	case 'b':
		if b[0] != 0 {
			return 1
		}
		return 0
	case 'u':
		return float64(d.uint(b))
	case 'i':
		u := d.uint(b)
		shift := 64 - 8*d.size
		return float64(int64(u<<shift) >> shift) // sign-extend
	}
	switch d.size {
	case 2:
		return halfToFloat(uint16(d.uint(b)))
	case 4:
		return float64(math.Float32frombits(uint32(d.uint(b))))
	default:
		return math.Float64frombits(d.uint(b))
	}
}

func (d dtype) uint(b []byte) uint64 {
	switch d.size {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(d.order.Uint16(b))
	case 4:
		return uint64(d.order.Uint32(b))
	default:
		return d.order.Uint64(b)
	}
}

// halfToFloat widens an IEEE 754 binary16 (numpy float16, which policies
// trained in half precision may answer in).
func halfToFloat(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	frac := float64(h & 0x3ff)
	switch exp {
	case 0:
		return sign * frac * math.Pow(2, -24)
	case 0x1f:
		if frac != 0 {
			return math.NaN()
		}
		return sign * math.Inf(1)
	}
	return sign * (1 + frac/1024) * math.Pow(2, float64(exp-15))
}
