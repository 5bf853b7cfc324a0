package localbrain

import (
	"bytes"
	"image"
	"image/jpeg"
	"io"
	"log/slog"
	"testing"
)

func newTextLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// tinyJPEG is a 16×16 JPEG of one gray level.
func tinyJPEG(_ testing.TB, gray uint8) []byte {
	img := image.NewGray(image.Rect(0, 0, 16, 16))
	for i := range img.Pix {
		img.Pix[i] = gray
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		panic(err) // an in-memory encode of a valid image cannot fail
	}
	return buf.Bytes()
}

// bipolar is what a bipolarSplit decoder reads from one row.
func bipolar(bits []int) int {
	half := len(bits) / 2
	v := 0
	for i, b := range bits[:2*half] {
		if i < half {
			v += b
		} else {
			v -= b
		}
	}
	return v
}
