package sensor

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"strings"
)

// CompressedImage is one frame with the semantics of
// sensor_msgs/CompressedImage: Format as image_transport writes it ("jpeg",
// "png", "rgb8; jpeg compressed bgr8", "bgr8; png compressed bgr8", ...).
type CompressedImage struct {
	Format string
	Data   []byte
}

// compression reads the codec out of a CompressedImage format string.
func compression(format string) (string, error) {
	f := strings.ToLower(strings.TrimSpace(format))
	if i := strings.IndexByte(f, ';'); i >= 0 {
		f = strings.TrimSpace(f[i+1:])
	}
	codec, _, _ := strings.Cut(f, " ")
	switch {
	case strings.Contains(f, "compresseddepth"):
		return "", fmt.Errorf("sensor: compressed image format %q (the compressedDepth transport) is not supported: %w", format, ErrUnsupportedEncoding)
	case codec == "jpeg" || codec == "jpg":
		return "jpeg", nil
	case codec == "png":
		return "png", nil
	}
	return "", fmt.Errorf("sensor: compressed image format %q (want jpeg or png): %w", format, ErrUnsupportedEncoding)
}

// EncodeCompressed turns a CompressedImage into JPEG. A JPEG that already
// fits the cap and the configured size is copied into dst unchanged; any
// other JPEG, and every PNG, is decoded and encoded again (alpha dropped,
// 16-bit samples cut to their high byte). dst is used as in Encode.
func (e *ImageEncoder) EncodeCompressed(dst []byte, img CompressedImage) (JPEG, error) {
	out, err := e.encodeCompressed(dst, img)
	if err != nil {
		e.rejected.Add(1)
	}
	return out, err
}

func (e *ImageEncoder) encodeCompressed(dst []byte, img CompressedImage) (JPEG, error) {
	codec, err := compression(img.Format)
	if err != nil {
		return JPEG{Data: dst[:0]}, err
	}
	var cfg image.Config
	if codec == "jpeg" {
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(img.Data))
	} else {
		cfg, err = png.DecodeConfig(bytes.NewReader(img.Data))
	}
	if err != nil {
		return JPEG{Data: dst[:0]}, fmt.Errorf("sensor: %s frame of %d bytes: %w: %w", codec, len(img.Data), ErrBadImage, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxDecodePixels {
		return JPEG{Data: dst[:0]}, fmt.Errorf("sensor: %s frame is %dx%d, want 1 to %d pixels: %w",
			codec, cfg.Width, cfg.Height, maxDecodePixels, ErrBadImage)
	}
	if codec == "jpeg" {
		w, h := e.conf.Resize.target(cfg.Width, cfg.Height)
		if len(img.Data) <= e.conf.MaxBytes && w == cfg.Width && h == cfg.Height {
			e.passthrough.Add(1)
			dst = append(dst[:0], img.Data...)
			return JPEG{Data: dst, Width: cfg.Width, Height: cfg.Height, Passthrough: true}, nil
		}
	}
	p, err := e.decode(codec, img.Data)
	if err != nil {
		return JPEG{Data: dst[:0]}, err
	}
	out, err := e.encodePlane(dst, p)
	if err == nil {
		e.transcoded.Add(1)
	}
	return out, err
}

func (e *ImageEncoder) decode(codec string, data []byte) (plane, error) {
	if codec == "jpeg" {
		p, buf, err := e.tj.decompress(e.decoded, data)
		e.decoded = buf
		if err != nil {
			return p, fmt.Errorf("sensor: %w: %w", ErrBadImage, err)
		}
		return p, nil
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return plane{}, fmt.Errorf("sensor: png frame of %d bytes: %w: %w", len(data), ErrBadImage, err)
	}
	return e.planeOf(img), nil
}

// planeOf packs a decoded PNG for TurboJPEG, without a copy when its
// pixels are already 8-bit gray or RGBA.
func (e *ImageEncoder) planeOf(img image.Image) plane {
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	switch m := img.(type) {
	case *image.Gray:
		return plane{pix: m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], w: w, h: h, pitch: m.Stride, format: pfGray}
	case *image.RGBA:
		return plane{pix: m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], w: w, h: h, pitch: m.Stride, format: pfRGBA}
	case *image.NRGBA:
		return plane{pix: m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], w: w, h: h, pitch: m.Stride, format: pfRGBA}
	case *image.Gray16:
		return e.highBytes(m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], m.Stride, w, h, pfGray)
	case *image.RGBA64:
		return e.highBytes(m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], m.Stride, w, h, pfRGBA)
	case *image.NRGBA64:
		return e.highBytes(m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], m.Stride, w, h, pfRGBA)
	case *image.Paletted:
		return e.unpalette(m)
	}
	dst := &image.NRGBA{Pix: grow(e.decoded, w*h*4), Stride: w * 4, Rect: image.Rect(0, 0, w, h)}
	draw.Draw(dst, dst.Rect, img, r.Min, draw.Src)
	e.decoded = dst.Pix
	return plane{pix: dst.Pix, w: w, h: h, pitch: dst.Stride, format: pfRGBA}
}

// highBytes keeps the most significant byte of big-endian 16-bit samples.
func (e *ImageEncoder) highBytes(pix []byte, stride, w, h int, f pixelFormat) plane {
	n := w * f.size
	buf := grow(e.decoded, n*h)
	e.decoded = buf
	for y := range h {
		row, out := pix[y*stride:], buf[y*n:(y+1)*n]
		for i := range out {
			out[i] = row[2*i]
		}
	}
	return plane{pix: buf, w: w, h: h, pitch: n, format: f}
}

func (e *ImageEncoder) unpalette(m *image.Paletted) plane {
	var table [256][3]byte
	for i, c := range m.Palette {
		if i < len(table) {
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			table[i] = [3]byte{n.R, n.G, n.B}
		}
	}
	r := m.Bounds()
	w, h := r.Dx(), r.Dy()
	buf := grow(e.decoded, w*h*3)
	e.decoded = buf
	for y := range h {
		row := m.Pix[m.PixOffset(r.Min.X, r.Min.Y+y):][:w]
		out := buf[y*w*3 : (y+1)*w*3]
		for x, i := range row {
			copy(out[3*x:3*x+3], table[i][:])
		}
	}
	return plane{pix: buf, w: w, h: h, pitch: w * 3, format: pfRGB}
}
