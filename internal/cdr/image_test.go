package cdr

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writer builds CDR bodies the way rmw_fastrtps lays them out.
type writer struct {
	buf   []byte
	order binary.AppendByteOrder
}

func newWriter(little bool) *writer {
	w := &writer{buf: []byte{0, 0, 0, 0}, order: binary.BigEndian}
	if little {
		w.buf[1], w.order = 1, binary.LittleEndian
	}
	return w
}

func (w *writer) u32(v uint32) {
	for (len(w.buf)-4)%4 != 0 {
		w.buf = append(w.buf, 0)
	}
	w.buf = w.order.AppendUint32(w.buf, v)
}

func (w *writer) str(s string) {
	w.u32(uint32(len(s) + 1))
	w.buf = append(append(w.buf, s...), 0)
}

func (w *writer) image(m Image) []byte {
	w.u32(uint32(m.StampSec))
	w.u32(m.StampNanosec)
	w.str(m.FrameID)
	w.u32(m.Height)
	w.u32(m.Width)
	w.str(m.Encoding)
	w.buf = append(w.buf, m.IsBigEndian)
	w.u32(m.Step)
	w.u32(uint32(len(m.Data)))
	w.buf = append(w.buf, m.Data...)
	for (len(w.buf)-4)%4 != 0 {
		w.buf = append(w.buf, 0)
	}
	return w.buf
}

func TestReadImageRoundTrips(t *testing.T) {
	pix := make([]byte, 2*3*3)
	for i := range pix {
		pix[i] = byte(i * 7)
	}
	for _, tc := range []struct {
		name   string
		little bool
		m      Image
	}{
		{"little endian", true, Image{StampSec: -5, StampNanosec: 999_999_999, FrameID: "camera", Height: 2, Width: 3, Step: 9, Encoding: "rgb8", Data: pix}},
		{"big endian", false, Image{StampSec: 17, StampNanosec: 3, FrameID: "cam_optical", Height: 2, Width: 3, Step: 9, Encoding: "bgr8", IsBigEndian: 1, Data: pix}},
		{"empty strings and data", true, Image{}},
		{"frame id of every alignment", true, Image{FrameID: "abc", Encoding: "mono16", Height: 1, Width: 1, Step: 2, Data: []byte{1, 2}}},
		{"odd data length", true, Image{FrameID: "ab", Encoding: "mono8", Height: 1, Width: 5, Step: 5, Data: []byte{1, 2, 3, 4, 5}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadImage(newWriter(tc.little).image(tc.m))
			require.NoError(t, err)
			if len(tc.m.Data) == 0 {
				tc.m.Data = []byte{}
			}
			assert.Equal(t, tc.m, got)
		})
	}
}

func TestReadImageRefusesWhatIsNotPlainCDR(t *testing.T) {
	good := newWriter(true).image(Image{FrameID: "camera", Height: 1, Width: 2, Step: 6, Encoding: "rgb8", Data: make([]byte, 6)})
	cut := func(n int) []byte { return good[:n] }
	patched := func(at int, v byte) []byte {
		b := append([]byte(nil), good...)
		b[at] = v
		return b
	}
	for _, tc := range []struct {
		name string
		buf  []byte
		want string
	}{
		{"empty", nil, "encapsulation"},
		{"XCDR2 encapsulation", patched(1, 7), "encapsulation"},
		{"parameter list encapsulation", patched(0, 1), "encapsulation"},
		{"cut in the stamp", cut(6), "header.stamp.sec"},
		{"cut in the frame id", cut(18), "header.frame_id"},
		{"cut in the data", cut(len(good) - 4), "data"},
		{"frame id without its NUL", patched(16+6, 'x'), "not NUL-terminated"},
		{"string length zero", append(append([]byte{0, 1, 0, 0}, make([]byte, 8)...), 0, 0, 0, 0), "string length 0"},
		{"data length past the end", func() []byte {
			b := append([]byte(nil), good...)
			binary.LittleEndian.PutUint32(b[len(b)-12:], 1<<30) // the data length, before 6 bytes and 2 of padding
			return b
		}(), "data"},
		{"bytes after the data", append(append([]byte(nil), good...), 0, 0, 0, 0), "after data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadImage(tc.buf)
			require.ErrorIs(t, err, ErrNotCDR)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// BenchmarkReadImageVGA reads a 640×480 rgb8 frame's wire form.
func BenchmarkReadImageVGA(b *testing.B) {
	buf := newWriter(true).image(Image{FrameID: "camera", Height: 480, Width: 640, Step: 1920, Encoding: "rgb8", Data: make([]byte, 640*480*3)})
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if _, err := ReadImage(buf); err != nil {
			b.Fatal(err)
		}
	}
}
