package ndarray

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bin8 and str are msgpack's bin 8 and fixstr, written by hand so that the
// expected bytes do not come from the library under test.
func bin8(s string) []byte { return append([]byte{0xc4, byte(len(s))}, s...) }
func str(s string) []byte  { return append([]byte{0xa0 | byte(len(s))}, s...) }
func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func f32le(v ...float32) []byte {
	out := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(f))
	}
	return out
}

// ndarrayBytes is what the SDK's packb writes for a 1-d float32 array:
// {b"__ndarray__": True, b"data": …, b"dtype": "<f4", b"shape": (n,)}.
func ndarrayBytes(v ...float32) []byte {
	data := f32le(v...)
	return cat([]byte{0x84}, bin8("__ndarray__"), []byte{0xc3}, bin8("data"), []byte{0xc4, byte(len(data))}, data,
		bin8("dtype"), str("<f4"), bin8("shape"), []byte{0x91, byte(len(v))})
}

func TestMarshalWritesTheSDKsBytes(t *testing.T) {
	obs := map[string]any{"task": "pick", "observation.state": FromFloat32([]int{2}, []float32{1.5, -2})}
	got, err := Marshal(obs)
	require.NoError(t, err)
	want := cat([]byte{0x82}, str("observation.state"), ndarrayBytes(1.5, -2), str("task"), str("pick"))
	assert.Equal(t, want, got)
}

func TestUnmarshalReadsArraysTensorsAndScalars(t *testing.T) {
	tensor := cat([]byte{0x86}, bin8("__torch_tensor__"), []byte{0xc3}, bin8("data"), []byte{0xc4, 8}, f32le(0.25, 4),
		bin8("dtype"), str("<f4"), bin8("shape"), []byte{0x92, 0x01, 0x02}, bin8("device"), str("cuda:0"),
		bin8("requires_grad"), []byte{0xc2})
	scalar := cat([]byte{0x83}, bin8("__npgeneric__"), []byte{0xc3}, bin8("data"), []byte{0xcb},
		binary.BigEndian.AppendUint64(nil, math.Float64bits(0.5)), bin8("dtype"), str("<f8"))
	body := cat([]byte{0x83}, str("action"), ndarrayBytes(1, 2, 3), str("chunk"), tensor, str("gain"), scalar)

	v, err := Unmarshal(body)
	require.NoError(t, err)
	m := v.(map[string]any)
	a := m["action"].(Array)
	assert.Equal(t, []int{3}, a.Shape)
	vals, err := a.Float64s()
	require.NoError(t, err)
	assert.Equal(t, []float64{1, 2, 3}, vals)

	ch := m["chunk"].(Array)
	assert.True(t, ch.Tensor)
	assert.Equal(t, "cuda:0", ch.Device)
	assert.Equal(t, []int{1, 2}, ch.Shape)
	vals, err = ch.Float64s()
	require.NoError(t, err)
	assert.Equal(t, []float64{0.25, 4}, vals)

	assert.Equal(t, Scalar{DType: "<f8", Value: 0.5}, m["gain"])
}

func TestUnmarshalRoundTrip(t *testing.T) {
	in := map[string]any{"a": []any{int64(1), "x", []byte{1, 2}, nil, true},
		"t": Array{DType: "<f4", Shape: []int{1, 1}, Data: f32le(7), Tensor: true, Device: "cpu"}}
	b, err := Marshal(in)
	require.NoError(t, err)
	out, err := Unmarshal(b)
	require.NoError(t, err)
	assert.Equal(t, in, out)
}

// A string "__ndarray__" key is a plain map to the SDK, and to us.
func TestTextMarkerKeysAreNotArrays(t *testing.T) {
	body := cat([]byte{0x81}, str("__ndarray__"), []byte{0xc3})
	v, err := Unmarshal(body)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"__ndarray__": true}, v)
}

func TestUnmarshalRefusesMalformedAnswers(t *testing.T) {
	arr := func(dtype string, shape []byte, data []byte) []byte {
		return cat([]byte{0x84}, bin8("__ndarray__"), []byte{0xc3}, bin8("data"), []byte{0xc4, byte(len(data))}, data,
			bin8("dtype"), str(dtype), bin8("shape"), shape)
	}
	for _, tc := range []struct {
		name, want string
		body       []byte
	}{
		{"short data", "needs 12 bytes, 8 sent", arr("<f4", []byte{0x91, 3}, f32le(1, 2))},
		{"long data", "needs 4 bytes, 8 sent", arr("<f4", []byte{0x91, 1}, f32le(1, 2))},
		{"negative dimension", "negative dimension", arr("<f4", []byte{0x91, 0xff}, nil)},
		{"huge shape", "more than 1099511627776 elements", arr("<f4", []byte{0x92, 0xce, 0x7f, 0xff, 0xff, 0xff, 0xce, 0x7f, 0xff, 0xff, 0xff}, f32le(1))},
		{"object dtype", "unsupported dtype", arr("|O8", []byte{0x91, 1}, make([]byte, 8))},
		{"complex dtype", "unsupported dtype", arr("<c8", []byte{0x91, 1}, make([]byte, 8))},
		{"shape not a list", "shape is not a list", arr("<f4", []byte{0x01}, f32le(1))},
		{"truncated", "EOF", ndarrayBytes(1, 2)[:20]},
		{"trailing bytes", "bytes after the value", append(ndarrayBytes(1), 0xc0)},
		{"extension", "extension", []byte{0xd4, 0x01, 0x00}},
		{"integer key", "only text and bytes keys", []byte{0x81, 0x01, 0xc0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Unmarshal(tc.body)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestUnmarshalBoundsNesting(t *testing.T) {
	body := make([]byte, 0, 100)
	for range 100 {
		body = append(body, 0x91)
	}
	body = append(body, 0xc0)
	_, err := Unmarshal(body)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nested deeper")
}
