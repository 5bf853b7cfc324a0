package sensor

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Image is one raw camera frame with the semantics of sensor_msgs/Image:
// Height rows of Step bytes each, pixels packed as Encoding says.
type Image struct {
	Width, Height int
	Step          int    // bytes per row, padding included
	Encoding      string // rgb8, bgr8, rgba8, bgra8, mono8 (or 8UC1), mono16, 16UC1, 32FC1
	BigEndian     bool   // byte order of multi-byte pixels (mono16, 16UC1, 32FC1)
	Data          []byte // len(Data) == Step*Height
}

// Errors callers branch on (with errors.Is); the wrapping error says more.
var (
	// ErrUnsupportedEncoding: an Image encoding or a CompressedImage format
	// this package cannot turn into JPEG.
	ErrUnsupportedEncoding = errors.New("unsupported encoding")
	// ErrBadImage: sizes that do not add up, or bytes that do not decode.
	ErrBadImage = errors.New("bad image")
	// ErrTooLarge: the frame cannot be brought under the message cap.
	ErrTooLarge = errors.New("image does not fit the message cap")
)

// maxDecodePixels bounds what a compressed frame may expand to (8K UHD fits),
// so that a hostile header cannot make the bridge allocate gigabytes.
const maxDecodePixels = 40_000_000

// encodingInfo says how the bytes of one Image encoding are laid out.
type encodingInfo struct {
	bytesPerPixel int
	direct        *pixelFormat // TurboJPEG reads these without conversion
}

var encodings = map[string]encodingInfo{
	"rgb8":   {3, &pfRGB},
	"bgr8":   {3, &pfBGR},
	"rgba8":  {4, &pfRGBA},
	"bgra8":  {4, &pfBGRA},
	"mono8":  {1, &pfGray},
	"8UC1":   {1, &pfGray},
	"mono16": {2, nil},
	"16UC1":  {2, nil},
	"32FC1":  {4, nil},
}

// check validates the geometry of img against its encoding.
func (img *Image) check() (encodingInfo, error) {
	info, ok := encodings[img.Encoding]
	if !ok {
		return info, fmt.Errorf("sensor: image encoding %q (want rgb8, bgr8, rgba8, bgra8, mono8, mono16, 16UC1 or 32FC1): %w",
			img.Encoding, ErrUnsupportedEncoding)
	}
	if img.Width <= 0 || img.Height <= 0 {
		return info, fmt.Errorf("sensor: image size %dx%d: %w", img.Width, img.Height, ErrBadImage)
	}
	if minStep := img.Width * info.bytesPerPixel; img.Step < minStep {
		return info, fmt.Errorf("sensor: image step %d is less than width %d × %d bytes per pixel (%s) = %d: %w",
			img.Step, img.Width, info.bytesPerPixel, img.Encoding, minStep, ErrBadImage)
	}
	if img.Step > math.MaxInt32 {
		return info, fmt.Errorf("sensor: image step %d is too large: %w", img.Step, ErrBadImage)
	}
	if len(img.Data) != img.Step*img.Height {
		return info, fmt.Errorf("sensor: image data is %d bytes, want step %d × height %d = %d: %w",
			len(img.Data), img.Step, img.Height, img.Step*img.Height, ErrBadImage)
	}
	return info, nil
}

// DepthRange maps depth linearly to gray: Near (metres) and closer is white,
// Far and farther is black. Invalid readings (NaN, ±Inf, 0, negative) are
// black too, so "no return" looks like "nothing near", the safe reading for
// an obstacle-shy brain.
type DepthRange struct {
	Near, Far float64 // metres; Near < Far
}

// toGray converts 16-bit and float pixels to 8-bit gray in buf: mono16 keeps
// the high byte, 16UC1 (millimetres) and 32FC1 (metres) go through r.
func (img *Image) toGray(buf []byte, r DepthRange) plane {
	w, h := img.Width, img.Height
	buf = grow(buf, w*h)
	var order binary.ByteOrder = binary.LittleEndian
	if img.BigEndian {
		order = binary.BigEndian
	}
	scale := 255 / (r.Far - r.Near)
	for y := range h {
		row := img.Data[y*img.Step:]
		out := buf[y*w : (y+1)*w]
		switch img.Encoding {
		case "mono16":
			for x := range out {
				out[x] = byte(order.Uint16(row[2*x:]) >> 8)
			}
		case "16UC1":
			for x := range out {
				mm := order.Uint16(row[2*x:])
				out[x] = depthGray(float64(mm)/1000, r, scale)
			}
		case "32FC1":
			for x := range out {
				m := math.Float32frombits(order.Uint32(row[4*x:]))
				out[x] = depthGray(float64(m), r, scale)
			}
		}
	}
	return plane{pix: buf, w: w, h: h, pitch: w, format: pfGray}
}

func depthGray(m float64, r DepthRange, scale float64) byte {
	switch {
	case !(m > 0) || math.IsInf(m, 1): // NaN, 0, negative, ±Inf
		return 0
	case m <= r.Near:
		return 255
	case m >= r.Far:
		return 0
	}
	return byte(math.Round((r.Far - m) * scale))
}
