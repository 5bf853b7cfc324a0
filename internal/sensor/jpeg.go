package sensor

import (
	"fmt"
	"math"
	"sync/atomic"
)

// FormatJPEG is the io:chunk format of Image inputs; its meta carries the
// encoded image's width and height.
const FormatJPEG = "jpeg"

// DefaultMaxBytes is the default message cap: the brain's default
// Socket.IO buffer (1 MB), which drops larger messages.
const DefaultMaxBytes = 1_000_000

// ImageConf configures the encoder of one camera input.
type ImageConf struct {
	// (optional) JPEG quality, 1 to 100. Defaults to 80.
	Quality int
	// (optional) size the brain gets. Defaults to the camera's own size.
	Resize Resize
	// (optional) depth shown as gray, for 16UC1 and 32FC1. Defaults to
	// Near 0 m (so every valid reading up close is white) and Far 5 m.
	Depth DepthRange
	// (optional) largest JPEG sent; bigger frames are halved until they
	// fit. Defaults to DefaultMaxBytes.
	MaxBytes int
	// (optional) how many times a frame may be halved to fit MaxBytes
	// before it is refused with ErrTooLarge. Defaults to 5.
	MaxHalvings int
}

// Resize says what size frames are sent at. Either MaxSide, or Width
// and/or Height (one alone keeps the aspect ratio); all zero keeps the
// camera's size. Shrinking averages pixel areas; growing repeats pixels.
type Resize struct {
	Width, Height int
	MaxSide       int // longest side at most this, aspect kept, never grown
}

func (r Resize) target(w, h int) (int, int) {
	switch {
	case r.MaxSide > 0:
		if long := max(w, h); long > r.MaxSide {
			return scaled(w, r.MaxSide, long), scaled(h, r.MaxSide, long)
		}
	case r.Width > 0 && r.Height > 0:
		return r.Width, r.Height
	case r.Width > 0:
		return r.Width, scaled(h, r.Width, w)
	case r.Height > 0:
		return scaled(w, r.Height, h), r.Height
	}
	return w, h
}

// scaled is v×num/den rounded, at least 1.
func scaled(v, num, den int) int {
	return max(1, int(math.Round(float64(v)*float64(num)/float64(den))))
}

func (c *ImageConf) setDefaults() error {
	if c.Quality == 0 {
		c.Quality = 80
	}
	if c.Quality < 1 || c.Quality > 100 {
		return fmt.Errorf("sensor: jpeg quality %d is not within 1..100", c.Quality)
	}
	r := c.Resize
	if r.Width < 0 || r.Height < 0 || r.MaxSide < 0 || r.Width > maxJPEGSide || r.Height > maxJPEGSide {
		return fmt.Errorf("sensor: resize %+v: sizes must be within 0..%d", r, maxJPEGSide)
	}
	if r.MaxSide > 0 && (r.Width > 0 || r.Height > 0) {
		return fmt.Errorf("sensor: resize %+v: give max_side or width/height, not both", r)
	}
	if c.Depth == (DepthRange{}) {
		c.Depth = DepthRange{Near: 0, Far: 5}
	}
	if d := c.Depth; !(d.Near >= 0) || !(d.Far > d.Near) || math.IsInf(d.Far, 0) {
		return fmt.Errorf("sensor: depth range near %g m, far %g m: want 0 <= near < far, finite", d.Near, d.Far)
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.MaxBytes < 0 {
		return fmt.Errorf("sensor: max bytes %d is negative", c.MaxBytes)
	}
	if c.MaxHalvings == 0 {
		c.MaxHalvings = 5
	}
	if c.MaxHalvings < 0 || c.MaxHalvings > 16 {
		return fmt.Errorf("sensor: max halvings %d is not within 0..16", c.MaxHalvings)
	}
	return nil
}

// JPEG is one encoded frame: the data of an io:chunk and its meta.
type JPEG struct {
	Data          []byte
	Width, Height int  // of the encoded image
	Halvings      int  // times the frame was halved to fit MaxBytes
	Passthrough   bool // Data is the CompressedImage's JPEG, unchanged
}

// ImageStats counts what an ImageEncoder did since it was created.
type ImageStats struct {
	Encoded     uint64 // raw frames encoded
	Passthrough uint64 // compressed JPEGs sent unchanged
	Transcoded  uint64 // compressed frames decoded and encoded again
	Downscaled  uint64 // frames halved to fit MaxBytes (a subset of the above)
	Rejected    uint64 // frames refused with an error
}

// ImageEncoder turns the frames of one camera input into JPEG. It keeps a
// TurboJPEG handle and its scratch buffers between frames: use one per
// input, from one goroutine; Stats may be read from any goroutine.
type ImageEncoder struct {
	conf ImageConf
	tj   *compressor
	rs   resizer

	gray, resized, decoded []byte
	halves                 [2][]byte

	encoded, passthrough, transcoded, downscaled, rejected atomic.Uint64
}

// NewImageEncoder checks conf, fills its defaults and opens TurboJPEG.
func NewImageEncoder(conf ImageConf) (*ImageEncoder, error) {
	if err := conf.setDefaults(); err != nil {
		return nil, err
	}
	tj, err := newCompressor()
	if err != nil {
		return nil, fmt.Errorf("sensor: %w", err)
	}
	return &ImageEncoder{conf: conf, tj: tj}, nil
}

// Close frees the TurboJPEG handles and output buffer, which the garbage
// collector does not; the encoder refuses frames afterwards.
func (e *ImageEncoder) Close() {
	e.tj.close()
}

// Conf is the configuration in use, defaults filled in.
func (e *ImageEncoder) Conf() ImageConf { return e.conf }

// Stats reads the counters.
func (e *ImageEncoder) Stats() ImageStats {
	return ImageStats{
		Encoded: e.encoded.Load(), Passthrough: e.passthrough.Load(), Transcoded: e.transcoded.Load(),
		Downscaled: e.downscaled.Load(), Rejected: e.rejected.Load(),
	}
}

// Encode encodes img as JPEG into dst's memory, grown when short, and
// returns it with its size: pass the previous JPEG's Data to reuse it, or
// nil for a fresh slice of just the JPEG's size that the caller may keep.
// img.Data is only read.
func (e *ImageEncoder) Encode(dst []byte, img Image) (JPEG, error) {
	info, err := img.check()
	if err != nil {
		e.rejected.Add(1)
		return JPEG{Data: dst[:0]}, err
	}
	var p plane
	if info.direct != nil {
		p = plane{pix: img.Data, w: img.Width, h: img.Height, pitch: img.Step, format: *info.direct}
	} else {
		p = img.toGray(e.gray, e.conf.Depth)
		e.gray = p.pix
	}
	out, err := e.encodePlane(dst, p)
	if err != nil {
		e.rejected.Add(1)
		return out, err
	}
	e.encoded.Add(1)
	return out, nil
}

// encodePlane resizes p as configured, compresses it and halves it until
// the JPEG fits the cap.
func (e *ImageEncoder) encodePlane(dst []byte, p plane) (JPEG, error) {
	if w, h := e.conf.Resize.target(p.w, p.h); w != p.w || h != p.h {
		p = e.rs.resize(e.resized, p, w, h)
		e.resized = p.pix
	}
	size := 0 // of the last JPEG
	for halvings := 0; ; halvings++ {
		fits := p.w <= maxJPEGSide && p.h <= maxJPEGSide
		if fits {
			out, err := e.tj.compress(p, e.conf.Quality)
			if err != nil {
				return JPEG{Data: dst[:0]}, fmt.Errorf("sensor: %w", err)
			}
			size = len(out)
			if size <= e.conf.MaxBytes {
				if halvings > 0 {
					e.downscaled.Add(1)
				}
				// TurboJPEG needs room for the worst case; the caller
				// gets (and keeps) only the JPEG.
				dst = append(dst[:0], out...)
				return JPEG{Data: dst, Width: p.w, Height: p.h, Halvings: halvings}, nil
			}
		}
		if halvings == e.conf.MaxHalvings || (p.w == 1 && p.h == 1) {
			if !fits {
				return JPEG{Data: dst[:0]}, fmt.Errorf("sensor: %dx%d frame is wider or taller than jpeg allows (%d) after %d halvings: %w",
					p.w, p.h, maxJPEGSide, halvings, ErrTooLarge)
			}
			return JPEG{Data: dst[:0]}, fmt.Errorf("sensor: %dx%d jpeg is %d bytes, over the %d-byte cap after %d halvings: %w",
				p.w, p.h, size, e.conf.MaxBytes, halvings, ErrTooLarge)
		}
		half := &e.halves[halvings%2]
		p = e.rs.resize(*half, p, max(1, p.w/2), max(1, p.h/2))
		*half = p.pix
	}
}
