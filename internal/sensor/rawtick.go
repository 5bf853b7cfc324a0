package sensor

import (
	"encoding/binary"
	"math"
)

// FormatRawTick is the io:chunk format of Proprioception inputs.
const FormatRawTick = "rawtick_f32x3"

// RawTick is the rawtick_f32x3 data of one joint: its raw tick, the raw
// tick sent before (the raw tick itself for the first chunk) and its
// velocity per second, as little-endian float32.
func RawTick(raw, prev, vel float64) [12]byte {
	var b [12]byte
	binary.LittleEndian.PutUint32(b[0:], math.Float32bits(float32(raw)))
	binary.LittleEndian.PutUint32(b[4:], math.Float32bits(float32(prev)))
	binary.LittleEndian.PutUint32(b[8:], math.Float32bits(float32(vel)))
	return b
}

// AppendRawTick appends RawTick(raw, prev, vel) to dst.
func AppendRawTick(dst []byte, raw, prev, vel float64) []byte {
	b := RawTick(raw, prev, vel)
	return append(dst, b[:]...)
}
