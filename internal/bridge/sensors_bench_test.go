package bridge

import (
	"bytes"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/sensor"
)

// discardBrain sends nothing; it counts what it was given.
type discardBrain struct{ chunks, bytes int }

func (d *discardBrain) SendChunk(c brain.Chunk) error {
	d.chunks++
	d.bytes += len(c.Data)
	return nil
}
func (d *discardBrain) SendState(brain.RobotState) error { return nil }
func (d *discardBrain) SendReward(brain.Reward) error    { return nil }

// goJPEG is the encoder the bridge would have with Go's image/jpeg: rgb8
// frames copied into an image.RGBA, then encoded.
type goJPEG struct {
	rgba *image.RGBA
	buf  bytes.Buffer
}

func (g *goJPEG) Encode(dst []byte, img sensor.Image) (sensor.JPEG, error) {
	if g.rgba == nil || g.rgba.Rect.Dx() != img.Width || g.rgba.Rect.Dy() != img.Height {
		g.rgba = image.NewRGBA(image.Rect(0, 0, img.Width, img.Height))
	}
	for y := range img.Height {
		in, out := img.Data[y*img.Step:], g.rgba.Pix[y*g.rgba.Stride:]
		for x := range img.Width {
			out[4*x], out[4*x+1], out[4*x+2], out[4*x+3] = in[3*x], in[3*x+1], in[3*x+2], 255
		}
	}
	g.buf.Reset()
	if err := jpeg.Encode(&g.buf, g.rgba, &jpeg.Options{Quality: 80}); err != nil {
		return sensor.JPEG{}, err
	}
	return sensor.JPEG{Data: append(dst[:0], g.buf.Bytes()...), Width: img.Width, Height: img.Height}, nil
}

func (g *goJPEG) EncodeCompressed([]byte, sensor.CompressedImage) (sensor.JPEG, error) {
	return sensor.JPEG{}, sensor.ErrUnsupportedEncoding
}
func (g *goJPEG) Stats() sensor.ImageStats { return sensor.ImageStats{} }
func (g *goJPEG) Close()                   {}

// vgaFrame is a 640×480 rgb8 frame that compresses like a camera image.
func vgaFrame() sensor.Image {
	const w, h = 640, 480
	rng := rand.New(rand.NewPCG(7, 11))
	data := make([]byte, w*h*3)
	clamp := func(v float64) byte { return byte(max(0, min(255, math.Round(v)))) }
	for y := range h {
		for x := range w {
			fx, fy := float64(x)/w, float64(y)/h
			r, g, b := 200*fx+30*math.Sin(fy*9), 160*fy+40*math.Cos(fx*7), 120+80*math.Sin((fx+fy)*5)
			n := rng.NormFloat64() * 6
			i := (y*w + x) * 3
			data[i], data[i+1], data[i+2] = clamp(r+n), clamp(g+n), clamp(b+n)
		}
	}
	return sensor.Image{Width: w, Height: h, Step: w * 3, Encoding: "rgb8", Data: data}
}

// BenchmarkNeedImage is io:need → io:chunk handed to the session for one
// 640×480 rgb8 camera input, on the bridge goroutine, without the network:
//
//   - on-arrival: the design in use; the frame was encoded when it arrived,
//     the need copies the newest JPEG;
//   - on-need: the frame is encoded on the need path (TurboJPEG);
//   - on-need-image-jpeg: the same with Go's image/jpeg.
//
// A new frame arrives before every need (its copy in the ROS callback is
// not timed). Reports the p50/p99/max of one need and the allocations.
func BenchmarkNeedImage(b *testing.B) {
	frame := vgaFrame()
	for _, mode := range []string{"on-arrival", "on-need", "on-need-image-jpeg"} {
		b.Run(mode, func(b *testing.B) {
			br, err := New(sensorConfig(config.Input{ID: "cam", Kind: "Image", Quality: 80}))
			if err != nil {
				b.Fatal(err)
			}
			defer br.Close()
			in := br.inputs["cam"].image
			switch mode {
			case "on-need":
				in.onNeed = true
			case "on-need-image-jpeg":
				in.enc.Close()
				in.enc, in.onNeed = &goJPEG{}, true
			}
			sink, err := br.ImageSink("cam")
			if err != nil {
				b.Fatal(err)
			}
			out := &discardBrain{}
			br.brain = out
			need := &brain.Need{Cycle: 1, Needs: []brain.NeedItem{{ID: "cam", Kind: "Image"}}}
			lat := make([]time.Duration, 0, 1024)
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				sink(frame)
				if mode == "on-arrival" {
					waitEncoded(b, in)
				}
				b.StartTimer()
				start := time.Now()
				br.answerNeed(need)
				lat = append(lat, time.Since(start))
			}
			if out.chunks != len(lat) {
				b.Fatalf("%d chunks for %d needs", out.chunks, len(lat))
			}
			slices.Sort(lat)
			q := func(f float64) float64 { return float64(lat[min(len(lat)-1, int(f*float64(len(lat))))].Microseconds()) }
			b.ReportMetric(q(0.5), "p50-µs")
			b.ReportMetric(q(0.99), "p99-µs")
			b.ReportMetric(float64(lat[len(lat)-1].Microseconds()), "max-µs")
			b.ReportMetric(float64(out.bytes)/float64(out.chunks), "jpeg-bytes")
		})
	}
}

// waitEncoded waits until the encoding goroutine has made the pending frame
// the latest.
func waitEncoded(b *testing.B, m *imageInput) {
	for deadline := time.Now().Add(time.Second); ; {
		m.mu.Lock()
		done := m.pending == nil && !m.busy
		m.mu.Unlock()
		if done {
			return
		}
		if time.Now().After(deadline) {
			b.Fatal("frame not encoded within 1 s")
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// BenchmarkNeedAudio is a need answered with 50 ms of 16 kHz stereo audio.
func BenchmarkNeedAudio(b *testing.B) {
	br, err := New(sensorConfig(config.Input{ID: "mic", Kind: "Audio", SampleRate: 16000, Channels: 2}))
	if err != nil {
		b.Fatal(err)
	}
	sink, err := br.AudioSamplesSink("mic")
	if err != nil {
		b.Fatal(err)
	}
	out := &discardBrain{}
	br.brain = out
	samples := make([]int16, 2*800)
	need := &brain.Need{Cycle: 1, Needs: []brain.NeedItem{{ID: "mic", Kind: "Audio"}}}
	b.ReportAllocs()
	for b.Loop() {
		sink(samples)
		br.answerNeed(need)
	}
	if out.bytes != 4*800*out.chunks {
		b.Fatalf("%d bytes in %d chunks", out.bytes, out.chunks)
	}
}

// BenchmarkImageSink is the ROS callback's share of a 640×480 rgb8 frame:
// the copy and the hand-over to the encoding goroutine (which runs
// meanwhile; frames it has not reached are replaced, as on a robot).
func BenchmarkImageSink(b *testing.B) {
	br, err := New(sensorConfig(config.Input{ID: "cam", Kind: "Image"}))
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	sink, err := br.ImageSink("cam")
	if err != nil {
		b.Fatal(err)
	}
	frame := vgaFrame()
	b.ReportAllocs()
	for b.Loop() {
		sink(frame)
	}
}
