package cdr

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Image is a sensor_msgs/Image read from its serialized form. Data and the
// strings alias the serialized buffer.
type Image struct {
	StampSec            int32
	StampNanosec        uint32
	FrameID             string
	Height, Width, Step uint32
	Encoding            string
	IsBigEndian         uint8
	Data                []byte
}

// ErrNotCDR marks a buffer this reader does not handle (another
// encapsulation, or a malformed one); the library's deserializer may.
var ErrNotCDR = errors.New("cdr: not a plain CDR sensor_msgs/Image")

// reader walks a CDR body; alignment is relative to the body's start (the
// byte after the 4-byte encapsulation header).
type reader struct {
	body  []byte
	off   int
	order binary.ByteOrder
	err   error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: "+format, append([]any{ErrNotCDR}, args...)...)
	}
}

func (r *reader) u32(field string) uint32 {
	if r.err != nil {
		return 0
	}
	r.off = (r.off + 3) &^ 3
	if r.off+4 > len(r.body) {
		r.fail("%s: 4 bytes at %d of %d", field, r.off, len(r.body))
		return 0
	}
	v := r.order.Uint32(r.body[r.off:])
	r.off += 4
	return v
}

func (r *reader) u8(field string) uint8 {
	if r.err != nil {
		return 0
	}
	if r.off >= len(r.body) {
		r.fail("%s: 1 byte at %d of %d", field, r.off, len(r.body))
		return 0
	}
	v := r.body[r.off]
	r.off++
	return v
}

// bytes reads n bytes at the current offset.
func (r *reader) bytes(field string, n uint32) []byte {
	if r.err != nil {
		return nil
	}
	if uint64(r.off)+uint64(n) > uint64(len(r.body)) {
		r.fail("%s: %d bytes at %d of %d", field, n, r.off, len(r.body))
		return nil
	}
	b := r.body[r.off : r.off+int(n) : r.off+int(n)]
	r.off += int(n)
	return b
}

// str reads a CDR string: a length that counts the terminating NUL, then
// the bytes and the NUL.
func (r *reader) str(field string) string {
	n := r.u32(field)
	if r.err != nil {
		return ""
	}
	if n == 0 {
		r.fail("%s: string length 0 (no NUL)", field)
		return ""
	}
	b := r.bytes(field, n)
	if r.err != nil {
		return ""
	}
	if b[n-1] != 0 {
		r.fail("%s: string not NUL-terminated", field)
		return ""
	}
	return string(b[:n-1])
}

// ReadImage reads a serialized sensor_msgs/Image.
func ReadImage(buf []byte) (Image, error) {
	if len(buf) < 4 || buf[0] != 0 || buf[1] > 1 {
		// 0x0000 CDR_BE, 0x0001 CDR_LE; XCDR2 and the parameter lists are 0x0002 and up.
		return Image{}, fmt.Errorf("%w: encapsulation % x", ErrNotCDR, buf[:min(len(buf), 4)])
	}
	r := reader{body: buf[4:], order: binary.ByteOrder(binary.BigEndian)}
	if buf[1] == 1 {
		r.order = binary.LittleEndian
	}
	var m Image
	m.StampSec = int32(r.u32("header.stamp.sec"))
	m.StampNanosec = r.u32("header.stamp.nanosec")
	m.FrameID = r.str("header.frame_id")
	m.Height = r.u32("height")
	m.Width = r.u32("width")
	m.Encoding = r.str("encoding")
	m.IsBigEndian = r.u8("is_bigendian")
	m.Step = r.u32("step")
	m.Data = r.bytes("data", r.u32("data length"))
	if r.err != nil {
		return Image{}, r.err
	}
	// Up to 3 bytes of padding may follow; anything more is not this type.
	if rest := len(r.body) - r.off; rest > 3 {
		return Image{}, fmt.Errorf("%w: %d bytes after data", ErrNotCDR, rest)
	}
	return m, nil
}
