package integration

import (
	"bytes"
	"encoding/json"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/abbridge/ab_bridge/internal/sensor"
)

// vgaFrame is a 640×480 rgb8 frame that compresses like a camera image:
// smooth gradients, a bright disc and sensor noise (fixed seed).
func vgaFrame() (w, h int, data []byte) {
	w, h = 640, 480
	rng := rand.New(rand.NewPCG(7, 11))
	data = make([]byte, w*h*3)
	clamp := func(v float64) byte { return byte(max(0, min(255, math.Round(v)))) }
	for y := range h {
		for x := range w {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			r, g, b := 200*fx+30*math.Sin(fy*9), 160*fy+40*math.Cos(fx*7), 120+80*math.Sin((fx+fy)*5)
			if dx, dy := fx-0.6, fy-0.4; dx*dx+dy*dy < 0.02 {
				r, g, b = 230, 210, 40
			}
			n := rng.NormFloat64() * 6
			i := (y*w + x) * 3
			data[i], data[i+1], data[i+2] = clamp(r+n), clamp(g+n), clamp(b+n)
		}
	}
	return w, h, data
}

// pillowBench is Pillow's time for the VGA frame, measured once per run.
var pillowBench struct {
	once  sync.Once
	ns    float64
	bytes int
	err   error
}

// BenchmarkEncodeVGA encodes the same 640×480 frame at quality 80 with the
// bridge's encoder (TurboJPEG), with Go's image/jpeg (conversion to
// image.RGBA included) and, in a Python peer, with Pillow (which bundles
// its own libjpeg-turbo); Pillow's time is reported beside each Go one.
func BenchmarkEncodeVGA(b *testing.B) {
	const quality = 80
	w, h, frame := vgaFrame()
	pillowBench.once.Do(func() {
		out := runPeer(b, 5*time.Minute, frame, venvPython(b), filepath.Join(repoRoot(b), "test", "peers", "pillow_encode.py"),
			strconv.Itoa(w), strconv.Itoa(h), strconv.Itoa(quality), "5")
		var res struct {
			NsPerOp   float64 `json:"ns_per_op"`
			JPEGBytes int     `json:"jpeg_bytes"`
		}
		pillowBench.err = json.Unmarshal(out, &res)
		pillowBench.ns, pillowBench.bytes = res.NsPerOp, res.JPEGBytes
	})
	if pillowBench.err != nil || pillowBench.ns <= 0 {
		b.Fatalf("Pillow benchmark: %v (ns/op %v)", pillowBench.err, pillowBench.ns)
	}
	report := func(b *testing.B, jpegBytes int) {
		goNs := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		b.ReportMetric(float64(jpegBytes), "jpeg-bytes")
		b.ReportMetric(pillowBench.ns, "pillow-ns/op")
		b.ReportMetric(float64(pillowBench.bytes), "pillow-jpeg-bytes")
		b.ReportMetric(pillowBench.ns/goNs, "x-vs-pillow")
	}

	b.Run("turbojpeg", func(b *testing.B) {
		e, err := sensor.NewImageEncoder(sensor.ImageConf{Quality: quality})
		if err != nil {
			b.Fatal(err)
		}
		defer e.Close()
		img := sensor.Image{Width: w, Height: h, Step: w * 3, Encoding: "rgb8", Data: frame}
		b.ReportAllocs()
		var out sensor.JPEG
		for b.Loop() {
			if out, err = e.Encode(out.Data, img); err != nil {
				b.Fatal(err)
			}
		}
		report(b, len(out.Data))
	})
	b.Run("image-jpeg", func(b *testing.B) {
		rgba := image.NewRGBA(image.Rect(0, 0, w, h))
		var buf bytes.Buffer
		b.ReportAllocs()
		for b.Loop() {
			for i := range w * h {
				copy(rgba.Pix[4*i:4*i+3], frame[3*i:3*i+3])
				rgba.Pix[4*i+3] = 255
			}
			buf.Reset()
			if err := jpeg.Encode(&buf, rgba, &jpeg.Options{Quality: quality}); err != nil {
				b.Fatal(err)
			}
		}
		report(b, buf.Len())
	})
}
