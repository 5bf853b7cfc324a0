package ndarray

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// Scalar is one numpy scalar (__npgeneric__): its dtype and its value as
// msgpack carried it (float64, int64, uint64 or bool).
type Scalar struct {
	DType string
	Value any
}

// maxDepth bounds nesting: a policy's answer is a few levels deep, and a
// hostile one must not exhaust the stack.
const maxDepth = 32

// Marshal encodes v as the SDK's packb does: maps with string keys as
// msgpack maps (keys sorted, for stable bytes), Array as an __ndarray__ or
// __torch_tensor__ map with binary keys, Scalar as __npgeneric__, []byte
// as bin, strings as str; numbers, bools and nil as themselves.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	if err := encode(enc, v, 0); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func encode(enc *msgpack.Encoder, v any, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("ndarray: nested deeper than %d", maxDepth)
	}
	switch x := v.(type) {
	case Array:
		return encodeArray(enc, x)
	case *Array:
		return encodeArray(enc, *x)
	case Scalar:
		return encodeBinMap(enc, []entry{{"__npgeneric__", true}, {"data", x.Value}, {"dtype", x.DType}})
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if err := enc.EncodeMapLen(len(keys)); err != nil {
			return err
		}
		for _, k := range keys {
			if err := enc.EncodeString(k); err != nil {
				return err
			}
			if err := encode(enc, x[k], depth+1); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
		return nil
	case []any:
		if err := enc.EncodeArrayLen(len(x)); err != nil {
			return err
		}
		for i, e := range x {
			if err := encode(enc, e, depth+1); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
		return nil
	case nil, bool, string, []byte, int, int64, uint64, float32, float64:
		return enc.Encode(x)
	}
	return fmt.Errorf("ndarray: cannot encode a %T", v)
}

type entry struct {
	key string
	val any
}

func encodeArray(enc *msgpack.Encoder, a Array) error {
	if _, err := a.check(); err != nil {
		return fmt.Errorf("ndarray: %w", err)
	}
	shape := make([]any, len(a.Shape))
	for i, d := range a.Shape {
		shape[i] = d
	}
	if a.Tensor {
		device := a.Device
		if device == "" {
			device = "cpu"
		}
		return encodeBinMap(enc, []entry{{"__torch_tensor__", true}, {"data", a.Data}, {"dtype", a.DType},
			{"shape", shape}, {"device", device}, {"requires_grad", a.RequiresGrad}})
	}
	return encodeBinMap(enc, []entry{{"__ndarray__", true}, {"data", a.Data}, {"dtype", a.DType}, {"shape", shape}})
}

// encodeBinMap writes a map whose keys are bin, as Python's bytes keys are.
func encodeBinMap(enc *msgpack.Encoder, es []entry) error {
	if err := enc.EncodeMapLen(len(es)); err != nil {
		return err
	}
	for _, e := range es {
		if err := enc.EncodeBytes([]byte(e.key)); err != nil {
			return err
		}
		if err := encode(enc, e.val, 1); err != nil {
			return err
		}
	}
	return nil
}

// Unmarshal decodes one msgpack value as the SDK's unpackb does: maps
// marked with binary __ndarray__ / __torch_tensor__ keys become Array,
// __npgeneric__ becomes Scalar, other maps map[string]any (binary keys
// read as text, other keys refused), arrays []any, bin []byte. Trailing
// bytes after the value are an error: a truncated or glued body must not
// pass as an answer.
func Unmarshal(data []byte) (any, error) {
	r := bytes.NewReader(data)
	dec := msgpack.NewDecoder(r)
	v, err := decode(dec, 0)
	if err != nil {
		return nil, fmt.Errorf("ndarray: %w", err)
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("ndarray: %d bytes after the value", r.Len())
	}
	return v, nil
}

func decode(dec *msgpack.Decoder, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("nested deeper than %d", maxDepth)
	}
	c, err := dec.PeekCode()
	if err != nil {
		return nil, err
	}
	switch {
	case msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32:
		return decodeMap(dec, depth)
	case msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32:
		n, err := dec.DecodeArrayLen()
		if err != nil {
			return nil, err
		}
		out := make([]any, 0, min(n, 1<<16))
		for i := 0; i < n; i++ {
			v, err := decode(dec, depth+1)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out = append(out, v)
		}
		return out, nil
	case msgpcode.IsBin(c):
		// The loose decoder would turn bytes into text.
		return dec.DecodeBytes()
	case msgpcode.IsExt(c):
		return nil, fmt.Errorf("msgpack extension type 0x%02x: not part of the protocol", c)
	}
	return dec.DecodeInterfaceLoose()
}

// decodeMap reads a map's entries, then decides what it is: the SDK tests
// for the markers in the same order (tensor, array, scalar).
func decodeMap(dec *msgpack.Decoder, depth int) (any, error) {
	n, err := dec.DecodeMapLen()
	if err != nil {
		return nil, err
	}
	plain := make(map[string]any, min(n, 1<<10))
	bin := map[string]any{}
	for i := 0; i < n; i++ {
		c, err := dec.PeekCode()
		if err != nil {
			return nil, err
		}
		var key string
		isBin := msgpcode.IsBin(c)
		switch {
		case isBin:
			b, err := dec.DecodeBytes()
			if err != nil {
				return nil, err
			}
			key = string(b)
		case msgpcode.IsString(c):
			if key, err = dec.DecodeString(); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("map key of msgpack type 0x%02x: only text and bytes keys are read", c)
		}
		v, err := decode(dec, depth+1)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		plain[key] = v
		if isBin {
			bin[key] = v
		}
	}
	switch {
	case bin["__torch_tensor__"] != nil:
		return arrayOf(bin, true)
	case bin["__ndarray__"] != nil:
		return arrayOf(bin, false)
	case bin["__npgeneric__"] != nil:
		dt, ok := bin["dtype"].(string)
		if !ok {
			return nil, fmt.Errorf("__npgeneric__ without a dtype")
		}
		if _, err := parseDType(dt); err != nil {
			return nil, err
		}
		return Scalar{DType: dt, Value: bin["data"]}, nil
	}
	return plain, nil
}
