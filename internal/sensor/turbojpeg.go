package sensor

/*
#cgo LDFLAGS: -lturbojpeg
#include <stdlib.h>
#include <turbojpeg.h>

// The output pointer lives on the C stack, and TJFLAG_NOREALLOC keeps
// TurboJPEG from ever replacing the buffer: with that flag it takes the
// buffer to be tjBufSize bytes, whatever capacity is passed.
static long ab_compress(tjhandle h, const unsigned char *src, int width, int pitch,
                        int height, int pixfmt, unsigned char *dst, unsigned long capacity,
                        int subsamp, int quality) {
	unsigned char *out = dst;
	unsigned long size = capacity;
	if (tjCompress2(h, src, width, pitch, height, pixfmt, &out, &size, subsamp,
	                quality, TJFLAG_NOREALLOC) != 0) {
		return -1;
	}
	return (long)size;
}

static int ab_header(tjhandle h, const unsigned char *jpeg, unsigned long size,
                     int *width, int *height, int *colorspace) {
	int subsamp;
	return tjDecompressHeader3(h, jpeg, size, width, height, &subsamp, colorspace);
}

static int ab_decompress(tjhandle h, const unsigned char *jpeg, unsigned long size,
                         unsigned char *dst, int width, int height, int pixfmt) {
	return tjDecompress2(h, jpeg, size, dst, width, 0, height, pixfmt, TJFLAG_LIMITSCANS);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"syscall"
	"unsafe"
)

// pixelFormat is a TurboJPEG pixel format; its size is the bytes per pixel.
type pixelFormat struct {
	tj   C.int
	size int
	gray bool
}

var (
	pfRGB  = pixelFormat{tj: C.TJPF_RGB, size: 3}
	pfBGR  = pixelFormat{tj: C.TJPF_BGR, size: 3}
	pfRGBA = pixelFormat{tj: C.TJPF_RGBA, size: 4}
	pfBGRA = pixelFormat{tj: C.TJPF_BGRA, size: 4}
	pfGray = pixelFormat{tj: C.TJPF_GRAY, size: 1, gray: true}
)

// maxJPEGSide is the largest width or height a baseline JPEG can carry.
const maxJPEGSide = 65500

// plane is packed pixels ready for TurboJPEG: rows of pitch bytes, the first
// w*format.size of each used.
type plane struct {
	pix         []byte
	w, h, pitch int
	format      pixelFormat
}

// compressor is one TurboJPEG compression handle (and, created on first
// use, a decompression handle for transcoding) and the buffer it compresses
// into. Not safe for concurrent use.
//
// The buffer must hold the worst case (tjBufSize: the frame's own size for
// VGA 4:2:0), some twenty times a JPEG's usual size. It is mapped outside
// the Go heap: there it costs only the pages the JPEGs reach, where in the
// heap its whole size counted as live and, under GOGC 100, let the heap
// grow by as much again before a collection (BenchmarkNodeCameraLoad).
type compressor struct {
	enc, dec C.tjhandle
	out      []byte // anonymous mapping, nil until the first compress
}

func newCompressor() (*compressor, error) {
	h := C.tjInitCompress()
	if h == nil {
		return nil, errors.New("turbojpeg: cannot create a compressor")
	}
	return &compressor{enc: h}, nil
}

func (c *compressor) close() {
	if c.enc != nil {
		C.tjDestroy(c.enc)
		c.enc = nil
	}
	if c.dec != nil {
		C.tjDestroy(c.dec)
		c.dec = nil
	}
	c.unmap()
}

func (c *compressor) unmap() {
	if c.out != nil {
		_ = syscall.Munmap(c.out) // only fails for a range that is not a mapping
		c.out = nil
	}
}

// room makes the buffer at least need bytes long.
func (c *compressor) room(need int) error {
	if len(c.out) >= need {
		return nil
	}
	c.unmap()
	out, err := syscall.Mmap(-1, 0, need, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return fmt.Errorf("turbojpeg: map a %d-byte output buffer: %w", need, err)
	}
	c.out = out
	return nil
}

// bufSize is the worst-case JPEG size TurboJPEG may write for a w×h image.
func bufSize(w, h int, gray bool) int {
	return int(C.tjBufSize(C.int(w), C.int(h), subsampling(gray)))
}

func subsampling(gray bool) C.int {
	if gray {
		return C.TJSAMP_GRAY
	}
	return C.TJSAMP_420
}

// compress returns the JPEG of p, in the compressor's buffer: valid until
// the next compress or close, to be copied by whatever keeps it.
func (c *compressor) compress(p plane, quality int) ([]byte, error) {
	if c.enc == nil {
		return nil, errors.New("turbojpeg: compressor is closed")
	}
	if err := c.room(bufSize(p.w, p.h, p.format.gray)); err != nil {
		return nil, err
	}
	n := C.ab_compress(c.enc, (*C.uchar)(unsafe.Pointer(&p.pix[0])), C.int(p.w), C.int(p.pitch), C.int(p.h),
		p.format.tj, (*C.uchar)(unsafe.Pointer(&c.out[0])), C.ulong(len(c.out)), subsampling(p.format.gray), C.int(quality))
	if n < 0 {
		return nil, fmt.Errorf("turbojpeg: compress %dx%d: %s", p.w, p.h, errorString(c.enc))
	}
	return c.out[:n], nil
}

// decompress decodes a JPEG into packed RGB (gray for gray JPEGs) in buf.
func (c *compressor) decompress(buf, jpeg []byte) (plane, []byte, error) {
	if len(jpeg) == 0 {
		return plane{}, buf, errors.New("turbojpeg: empty jpeg")
	}
	if c.dec == nil {
		if c.dec = C.tjInitDecompress(); c.dec == nil {
			return plane{}, buf, errors.New("turbojpeg: cannot create a decompressor")
		}
	}
	src := (*C.uchar)(unsafe.Pointer(&jpeg[0]))
	var w, h, cs C.int
	if C.ab_header(c.dec, src, C.ulong(len(jpeg)), &w, &h, &cs) != 0 {
		return plane{}, buf, fmt.Errorf("turbojpeg: read header: %s", errorString(c.dec))
	}
	format := pfRGB
	if cs == C.TJCS_GRAY {
		format = pfGray
	}
	p := plane{w: int(w), h: int(h), pitch: int(w) * format.size, format: format}
	if p.w <= 0 || p.h <= 0 || p.w*p.h > maxDecodePixels {
		return plane{}, buf, fmt.Errorf("turbojpeg: %dx%d jpeg is out of bounds (at most %d pixels)", p.w, p.h, maxDecodePixels)
	}
	buf = grow(buf, p.pitch*p.h)
	if C.ab_decompress(c.dec, src, C.ulong(len(jpeg)), (*C.uchar)(unsafe.Pointer(&buf[0])), w, h, format.tj) != 0 &&
		C.tjGetErrorCode(c.dec) != C.TJERR_WARNING {
		return plane{}, buf, fmt.Errorf("turbojpeg: decompress %dx%d: %s", p.w, p.h, errorString(c.dec))
	}
	p.pix = buf
	return p, buf, nil
}

func errorString(h C.tjhandle) string {
	return C.GoString(C.tjGetErrorStr2(h))
}

// grow returns buf with length n, reallocated only when its capacity is short.
func grow(buf []byte, n int) []byte {
	if cap(buf) < n {
		return make([]byte, n)
	}
	return buf[:n]
}
