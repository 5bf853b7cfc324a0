package bridge

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/jpeg"
	"image/png"
	"log/slog"
	"math"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/contract"
	"github.com/abbridge/ab_bridge/internal/sensor"
)

// copyingBrain keeps a copy of every chunk: the bridge reuses chunk data
// once SendChunk returns, as the Brain port allows.
type copyingBrain struct {
	mu     sync.Mutex
	chunks []brain.Chunk
}

func (f *copyingBrain) SendChunk(c brain.Chunk) error {
	c.Data = bytes.Clone(c.Data)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.chunks = append(f.chunks, c)
	return nil
}

func (f *copyingBrain) SendState(brain.RobotState) error { return nil }

func (f *copyingBrain) SendReward(brain.Reward) error { return nil }

func (f *copyingBrain) sent() []brain.Chunk {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]brain.Chunk(nil), f.chunks...)
}

// sensorLog is a log sink for several goroutines.
type sensorLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *sensorLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *sensorLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// sensorRig is a running bridge with camera and microphone inputs.
type sensorRig struct {
	b     *Bridge
	brain *copyingBrain
	cycle int64
}

func sensorConfig(inputs ...config.Input) Config {
	ct := &contract.Contract{RunID: "run1", Constants: contract.Constants{Gamma: 8, OutputWindowN: 4, FeedbackN: 16, FeedbackT: 8}}
	for _, in := range inputs {
		ct.IO.Inputs = append(ct.IO.Inputs, contract.Port{ID: in.ID, Kind: in.Kind})
	}
	return Config{Joints: []config.Joint{{Name: "a"}}, Inputs: inputs, Contract: ct,
		Trajectory: config.Trajectory{CycleDuration: 40 * time.Millisecond, MaxPoints: 4}}
}

func startSensors(t *testing.T, conf Config) *sensorRig {
	t.Helper()
	b, err := New(conf)
	require.NoError(t, err)
	r := &sensorRig{b: b, brain: &copyingBrain{}}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { _ = b.Run(ctx, r.brain, &fakeRobot{}); close(stopped) }()
	t.Cleanup(func() { cancel(); <-stopped; require.NoError(t, b.Close()) })
	return r
}

// need asks for ids and returns the chunks that answer it once the bridge
// has handled it.
func (r *sensorRig) need(t *testing.T, ids ...string) []brain.Chunk {
	t.Helper()
	before := len(r.brain.sent())
	handled := r.b.Stats().Needs
	r.cycle++
	n := brain.Need{Cycle: r.cycle}
	for _, id := range ids {
		n.Needs = append(n.Needs, brain.NeedItem{ID: id})
	}
	r.b.OnNeed(n)
	waitFor(t, func() bool { return r.b.Stats().Needs > handled })
	return r.brain.sent()[before:]
}

// needUntil repeats a need for id until ok accepts its chunk.
func (r *sensorRig) needUntil(t *testing.T, id string, ok func(brain.Chunk) bool) brain.Chunk {
	t.Helper()
	var last brain.Chunk
	require.Eventually(t, func() bool {
		c := r.need(t, id)
		if len(c) == 1 {
			last = c[0]
			return ok(last)
		}
		return false
	}, 5*time.Second, 5*time.Millisecond, "no accepted chunk for %s; last %+v", id, last.Meta)
	return last
}

func (r *sensorRig) stats(t *testing.T, id string) InputStats {
	t.Helper()
	for _, s := range r.b.InputStats() {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no stats for %s", id)
	return InputStats{}
}

func anyChunk(brain.Chunk) bool { return true }

// solidFrame is a w×h frame of one colour, rows padded to step with bytes
// that would show if read as pixels.
func solidFrame(enc string, w, h, step int, px []byte) sensor.Image {
	data := bytes.Repeat([]byte{0xEE}, step*h)
	for y := range h {
		for x := range w {
			copy(data[y*step+x*len(px):], px)
		}
	}
	return sensor.Image{Width: w, Height: h, Step: step, Encoding: enc, Data: data}
}

func decoded(t *testing.T, c brain.Chunk) image.Image {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(c.Data))
	require.NoError(t, err)
	return img
}

func meanRGB(img image.Image) [3]float64 {
	var s [3]float64
	bd := img.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			s[0], s[1], s[2] = s[0]+float64(r>>8), s[1]+float64(g>>8), s[2]+float64(b>>8)
		}
	}
	n := float64(bd.Dx() * bd.Dy())
	return [3]float64{s[0] / n, s[1] / n, s[2] / n}
}

func f32le(v float32) []byte { return binary.LittleEndian.AppendUint32(nil, math.Float32bits(v)) }

func TestImageNeedAnsweredWithJPEG(t *testing.T) {
	tests := []struct {
		name  string
		in    config.Input
		frame sensor.Image
		w, h  int
		rgb   [3]float64
	}{
		{"rgb8 with row padding", config.Input{}, solidFrame("rgb8", 64, 48, 64*3+7, []byte{200, 40, 10}), 64, 48, [3]float64{200, 40, 10}},
		{"bgr8", config.Input{}, solidFrame("bgr8", 32, 16, 96, []byte{10, 40, 200}), 32, 16, [3]float64{200, 40, 10}},
		{"bgra8 resized to max_side", config.Input{Resize: config.Resize{MaxSide: 32}}, solidFrame("bgra8", 64, 48, 256, []byte{10, 200, 40, 0}), 32, 24, [3]float64{40, 200, 10}},
		{"mono16 keeps the high byte", config.Input{}, solidFrame("mono16", 20, 10, 40, []byte{0x34, 0x90}), 20, 10, [3]float64{0x90, 0x90, 0x90}},
		{"32FC1 depth over its range", config.Input{DepthRange: []float64{1, 3}}, solidFrame("32FC1", 16, 16, 64, f32le(2)), 16, 16, [3]float64{128, 128, 128}},
		{"16UC1 depth in millimetres", config.Input{DepthRange: []float64{0, 4}}, solidFrame("16UC1", 16, 8, 34, []byte{0xE8, 0x03}), 16, 8, [3]float64{191, 191, 191}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.ID, in.Kind, in.Quality = "cam", "Image", 95
			r := startSensors(t, sensorConfig(in))
			sink, err := r.b.ImageSink("cam")
			require.NoError(t, err)
			sink(tc.frame)
			for i := range tc.frame.Data {
				tc.frame.Data[i] = 0 // the sink copied the frame
			}
			c := r.needUntil(t, "cam", anyChunk)
			assert.Equal(t, "jpeg", c.Format)
			assert.Equal(t, "Image", c.Kind)
			assert.Equal(t, map[string]any{"width": tc.w, "height": tc.h, "cycle": r.cycle}, c.Meta)
			img := decoded(t, c)
			assert.Equal(t, image.Rect(0, 0, tc.w, tc.h), img.Bounds())
			got := meanRGB(img)
			for k := range got {
				assert.InDelta(t, tc.rgb[k], got[k], 4, "channel %d of %v", k, got)
			}
		})
	}
}

func TestCompressedImages(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for i := range src.Pix {
		src.Pix[i] = []byte{30, 160, 220, 255}[i%4]
	}
	var jp, pn bytes.Buffer
	require.NoError(t, jpeg.Encode(&jp, src, &jpeg.Options{Quality: 90}))
	require.NoError(t, png.Encode(&pn, src))

	r := startSensors(t, sensorConfig(config.Input{ID: "cam_c", Kind: "Image", Type: config.TypeCompressedImage}))
	sink, err := r.b.CompressedImageSink("cam_c")
	require.NoError(t, err)

	sink(sensor.CompressedImage{Format: "rgb8; jpeg compressed bgr8", Data: jp.Bytes()})
	c := r.needUntil(t, "cam_c", anyChunk)
	assert.Equal(t, jp.Bytes(), c.Data, "a JPEG that fits is passed through untouched")
	assert.Equal(t, 40, c.Meta["width"])

	sink(sensor.CompressedImage{Format: "png", Data: pn.Bytes()})
	c = r.needUntil(t, "cam_c", func(c brain.Chunk) bool { return !bytes.Equal(c.Data, jp.Bytes()) })
	img := decoded(t, c)
	assert.Equal(t, image.Rect(0, 0, 40, 30), img.Bounds(), "PNG transcoded to JPEG")
	got := meanRGB(img)
	assert.InDelta(t, 160, got[1], 4)
}

// Bad frames are refused, counted and logged; the rest of the need goes out.
func TestBadFramesRefusedNotSent(t *testing.T) {
	conf := sensorConfig(
		config.Input{ID: "cam", Kind: "Image"},
		config.Input{ID: "a_pos", Kind: "Proprioception", Joint: "a"},
	)
	logs := &sensorLog{}
	conf.Logger = slog.New(slog.NewTextHandler(logs, nil))
	r := startSensors(t, conf)
	sink, err := r.b.ImageSink("cam")
	require.NoError(t, err)
	r.b.OnJointState(JointSample{Names: []string{"a"}, Positions: []float64{0.5}})

	good := solidFrame("rgb8", 8, 8, 24, []byte{1, 2, 3})
	sink(good)
	r.needUntil(t, "cam", anyChunk)

	sink(sensor.Image{Width: 8, Height: 8, Step: 24, Encoding: "rgb8", Data: make([]byte, 100)}) // step × height ≠ len
	assert.Equal(t, int64(1), r.stats(t, "cam").Rejected, "refused in the callback")

	bad := good
	bad.Encoding = "yuv422"
	sink(bad)
	waitFor(t, func() bool { return r.stats(t, "cam").Rejected == 2 })
	stale := r.stats(t, "cam").Stale
	chunks := r.need(t, "cam", "a_pos")
	require.Len(t, chunks, 1, "the refused frame is the latest: no camera chunk")
	assert.Equal(t, "a_pos", chunks[0].InputID, "the cycle's other inputs still go out")
	st := r.stats(t, "cam")
	assert.Equal(t, stale+1, st.Stale)
	assert.Equal(t, int64(3), st.Received)
	out := logs.String()
	assert.Contains(t, out, `msg="camera frame refused" input=cam err="image data is 100 bytes, want step 24 × height 8 = 192: bad image"`)
	assert.Contains(t, out, `msg="camera frame refused" input=cam err="sensor: image encoding \"yuv422\"`, "each kind of problem has its line")
}

func TestImageMaxAgeAndLatestFrameWins(t *testing.T) {
	r := startSensors(t, sensorConfig(config.Input{ID: "cam", Kind: "Image", MaxAge: 100 * time.Millisecond}))
	sink, err := r.b.ImageSink("cam")
	require.NoError(t, err)
	assert.Empty(t, r.need(t, "cam"), "no frame yet: nothing sent")

	for v := range byte(50) {
		sink(solidFrame("mono8", 64, 64, 64, []byte{v * 5}))
	}
	c := r.needUntil(t, "cam", func(c brain.Chunk) bool { return math.Abs(meanRGB(decoded(t, c))[0]-245) < 3 })
	assert.NotEmpty(t, c.Data)
	st := r.stats(t, "cam")
	assert.Equal(t, int64(50), st.Received)

	time.Sleep(150 * time.Millisecond)
	assert.Empty(t, r.need(t, "cam"), "a frame older than max_age is never sent")
	assert.GreaterOrEqual(t, r.stats(t, "cam").Stale, int64(2))
}

// A frame that cannot fit max_bytes is halved until it does, or refused.
func TestImageCap(t *testing.T) {
	noise := sensor.Image{Width: 256, Height: 256, Step: 768, Encoding: "rgb8", Data: make([]byte, 256*768)}
	for i := range noise.Data {
		noise.Data[i] = byte(i * 7919 >> 3)
	}
	r := startSensors(t, sensorConfig(config.Input{ID: "cam", Kind: "Image", MaxBytes: 8000, Quality: 100}))
	sink, err := r.b.ImageSink("cam")
	require.NoError(t, err)
	sink(noise)
	c := r.needUntil(t, "cam", anyChunk)
	assert.LessOrEqual(t, len(c.Data), 8000)
	assert.Less(t, c.Meta["width"], 256)
	assert.Equal(t, int64(1), r.stats(t, "cam").Downscaled)
}

// A chunk over max_bytes from any provider is counted and dropped.
func TestOversizeChunkNeverSent(t *testing.T) {
	conf := sensorConfig(config.Input{ID: "fb", Kind: "Feedback"})
	conf.Contract.Constants.Gamma = 1 << 18 // deviation_f32: 4 bytes a timestep, 1 MiB
	r := startSensors(t, conf)
	assert.Empty(t, r.need(t, "fb"))
	assert.Equal(t, int64(1), r.stats(t, "fb").Oversize)
}

func pcmBytes(s ...int16) []byte {
	var out []byte
	for _, v := range s {
		out = binary.LittleEndian.AppendUint16(out, uint16(v))
	}
	return out
}

func TestAudioNeedCarriesSamplesSinceThePreviousNeed(t *testing.T) {
	r := startSensors(t, sensorConfig(
		config.Input{ID: "mic", Kind: "Audio", Type: config.TypeUInt8MultiArray, SampleRate: 16000, Channels: 2},
		config.Input{ID: "mic_s", Kind: "Audio", SampleRate: 8, MaxDuration: time.Second, MaxAge: 100 * time.Millisecond},
	))
	bytesSink, err := r.b.AudioBytesSink("mic")
	require.NoError(t, err)
	samplesSink, err := r.b.AudioSamplesSink("mic_s")
	require.NoError(t, err)
	assert.Empty(t, r.need(t, "mic", "mic_s"), "no audio yet: nothing sent")

	bytesSink(pcmBytes(1, -1, 2, -2))
	bytesSink(pcmBytes(3, -3, 4)) // a trailing partial frame is dropped and counted
	samplesSink([]int16{10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
	c := r.need(t, "mic", "mic_s")
	require.Len(t, c, 2)
	assert.Equal(t, "pcm16", c[0].Format)
	assert.Equal(t, map[string]any{"sampleRate": 16000, "channels": 2, "cycle": r.cycle}, c[0].Meta)
	assert.Equal(t, pcmBytes(1, -1, 2, -2, 3, -3), c[0].Data)
	assert.Equal(t, pcmBytes(13, 14, 15, 16, 17, 18, 19, 20), c[1].Data, "the newest 8 frames: 1 s at 8 Hz")
	assert.Equal(t, map[string]any{"sampleRate": 8, "channels": 1, "cycle": r.cycle}, c[1].Meta)
	mic, micS := r.stats(t, "mic"), r.stats(t, "mic_s")
	assert.Equal(t, int64(1), mic.Rejected)
	assert.Equal(t, int64(2), mic.Received)
	assert.Equal(t, int64(3), micS.AudioDropped)

	c = r.need(t, "mic", "mic_s")
	require.Len(t, c, 2, "nothing arrived since the previous need: empty chunks")
	assert.Empty(t, c[0].Data)
	assert.Equal(t, int64(2), c[0].Seq)

	time.Sleep(150 * time.Millisecond)
	c = r.need(t, "mic", "mic_s")
	require.Len(t, c, 1, "mic_s silent longer than max_age: reported, not sent")
	assert.Equal(t, "mic", c[0].InputID)
	assert.Equal(t, int64(2), r.stats(t, "mic_s").Stale, "no audio yet, then silent")
}

func TestSinksMatchTheirInputs(t *testing.T) {
	r := startSensors(t, sensorConfig(
		config.Input{ID: "cam", Kind: "Image"},
		config.Input{ID: "mic", Kind: "Audio", SampleRate: 100},
	))
	_, err := r.b.ImageSink("nope")
	assert.ErrorContains(t, err, `no input "nope"`)
	_, err = r.b.CompressedImageSink("cam")
	assert.ErrorContains(t, err, `input "cam" takes "sensor_msgs/Image", not sensor_msgs/CompressedImage`)
	_, err = r.b.AudioBytesSink("mic")
	assert.ErrorContains(t, err, "std_msgs/Int16MultiArray")
	_, err = r.b.AudioSamplesSink("mic")
	assert.NoError(t, err)
	st := r.b.InputStats()
	require.Len(t, st, 2)
	assert.Equal(t, []string{"cam", "mic"}, []string{st[0].ID, st[1].ID}, "config order")
}

func TestJointTickThatDoesNotFitFloat32(t *testing.T) {
	r := startSensors(t, sensorConfig(config.Input{ID: "a_pos", Kind: "Proprioception", Joint: "a"}))
	r.b.OnJointState(JointSample{Names: []string{"a"}, Positions: []float64{1e39}})
	assert.Empty(t, r.need(t, "a_pos"))
	assert.Equal(t, int64(1), r.stats(t, "a_pos").Stale)
}

func TestCloseStopsEncoding(t *testing.T) {
	before := runtime.NumGoroutine()
	b, err := New(sensorConfig(config.Input{ID: "cam", Kind: "Image"}))
	require.NoError(t, err)
	sink, err := b.ImageSink("cam")
	require.NoError(t, err)
	frame := solidFrame("rgb8", 320, 240, 960, []byte{9, 9, 9})
	for range 20 {
		sink(frame)
	}
	require.NoError(t, b.Close())
	sink(frame) // dropped after Close, never encoded
	// Polled here, not with Eventually: its condition runs on a goroutine of its own.
	for deadline := time.Now().Add(time.Second); runtime.NumGoroutine() > before && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	assert.LessOrEqual(t, runtime.NumGoroutine(), before, "no encoding goroutine left")
	st := b.InputStats()[0]
	assert.Equal(t, int64(21), st.Received)
}

func TestNewRefusesBadImageSettings(t *testing.T) {
	conf := sensorConfig(config.Input{ID: "cam", Kind: "Image"}, config.Input{ID: "bad", Kind: "Image", Quality: 500})
	_, err := New(conf)
	assert.ErrorContains(t, err, `input "bad"`)
}

// A brain input no configured input answers is named once at start; its
// needs are then counted and skipped.
func TestUnprovidedInputsReported(t *testing.T) {
	conf := sensorConfig(config.Input{ID: "cam", Kind: "Image"})
	conf.Contract.IO.Inputs = append(conf.Contract.IO.Inputs, contract.Port{ID: "mic", Kind: "Audio"})
	logs := &sensorLog{}
	conf.Logger = slog.New(slog.NewTextHandler(logs, nil))
	r := startSensors(t, conf)
	assert.Contains(t, logs.String(), `msg="brain inputs without a configured input: their needs are skipped" inputs="[mic (Audio)]"`)
	assert.Empty(t, r.need(t, "mic"))
	assert.Equal(t, int64(1), r.b.Stats().MissingProvider)
}
