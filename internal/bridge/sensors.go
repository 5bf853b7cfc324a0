package bridge

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/sensor"
)

// Camera and audio inputs. The ROS callbacks (sinks) copy what they are
// given and return: a camera frame goes into its input's pending slot and
// is encoded on a goroutine of that input (at most one at a time; a newer
// frame replaces one not yet encoded, so nothing queues), audio goes into
// the input's PCM buffer. The need path then only copies the newest JPEG,
// or takes the audio gathered since the previous need.
//
// Encoding on arrival rather than on the need path keeps the ~2 ms of a
// VGA encode off the io:need deadline (BenchmarkNeedImage measures both).

// frameEncoder turns camera frames into JPEG: a *sensor.ImageEncoder, or
// another encoder in benchmarks.
type frameEncoder interface {
	Encode(dst []byte, img sensor.Image) (sensor.JPEG, error)
	EncodeCompressed(dst []byte, img sensor.CompressedImage) (sensor.JPEG, error)
	Stats() sensor.ImageStats
	Close()
}

// inputCounters are one input's statistics; any goroutine may add.
type inputCounters struct {
	received, rejected, superseded, sent, stale, oversize, audioDropped atomic.Int64
}

// InputStats counts what arrived from ROS for one input and what became
// of it.
type InputStats struct {
	ID, Kind string
	// Received counts the ROS messages handed over (Image and Audio).
	Received int64
	// Rejected counts messages refused, whole or in part: sizes that do not
	// add up, unsupported encodings, frames that do not fit max_bytes,
	// partial audio frames.
	Rejected int64
	// Superseded counts frames replaced by a newer one before they were
	// encoded (latest frame wins).
	Superseded int64
	// Downscaled counts frames halved to fit max_bytes.
	Downscaled int64
	// Sent counts chunks sent; Stale the needs not answered because the
	// input had no sample fresher than max_age, or its latest was refused.
	Sent, Stale int64
	// Oversize counts chunks over max_bytes, never sent.
	Oversize int64
	// AudioDropped counts audio frames (a sample per channel) dropped,
	// oldest first, because more arrived between two needs than
	// max_duration or max_bytes allow.
	AudioDropped int64
}

// InputStats returns each configured input's statistics, in config order.
func (b *Bridge) InputStats() []InputStats {
	ins := make([]*inputState, 0, len(b.inputs))
	for _, in := range b.inputs {
		ins = append(ins, in)
	}
	slices.SortFunc(ins, func(x, y *inputState) int { return x.index - y.index })
	out := make([]InputStats, len(ins))
	for i, in := range ins {
		c := &in.counters
		out[i] = InputStats{
			ID: in.conf.id, Kind: in.conf.kind,
			Received: c.received.Load(), Rejected: c.rejected.Load(), Superseded: c.superseded.Load(),
			Sent: c.sent.Load(), Stale: c.stale.Load(), Oversize: c.oversize.Load(), AudioDropped: c.audioDropped.Load(),
		}
		if in.image != nil {
			out[i].Downscaled = int64(in.image.enc.Stats().Downscaled)
		}
	}
	return out
}

// Close stops the camera inputs' encoding and frees their encoders. Sinks
// drop what they are given afterwards.
func (b *Bridge) Close() error {
	for _, in := range b.inputs {
		if in.image != nil {
			in.image.close()
		}
	}
	return nil
}

// ImageSink returns the handler of sensor_msgs/Image frames for an Image
// input. It copies the frame (img.Data may be reused once it returns) and
// never waits on encoding or the network.
func (b *Bridge) ImageSink(id string) (func(sensor.Image), error) {
	in, err := b.sensorInput(id, config.TypeImage)
	if err != nil {
		return nil, err
	}
	in.image.setReport(func(err error) { b.rejectFrame(in, err) })
	return func(img sensor.Image) {
		in.counters.received.Add(1)
		if want := img.Step * img.Height; img.Step <= 0 || img.Height <= 0 || len(img.Data) != want {
			b.rejectFrame(in, fmt.Errorf("image data is %d bytes, want step %d × height %d = %d: %w",
				len(img.Data), img.Step, img.Height, want, sensor.ErrBadImage))
			return
		}
		f := in.image.frameBuffer()
		f.data = append(f.data[:0], img.Data...)
		f.img, f.isCompressed = img, false
		f.img.Data = f.data
		b.putFrame(in, f)
	}, nil
}

// CompressedImageSink is ImageSink for sensor_msgs/CompressedImage.
func (b *Bridge) CompressedImageSink(id string) (func(sensor.CompressedImage), error) {
	in, err := b.sensorInput(id, config.TypeCompressedImage)
	if err != nil {
		return nil, err
	}
	in.image.setReport(func(err error) { b.rejectFrame(in, err) })
	return func(img sensor.CompressedImage) {
		in.counters.received.Add(1)
		f := in.image.frameBuffer()
		f.data = append(f.data[:0], img.Data...)
		f.compressed, f.isCompressed = sensor.CompressedImage{Format: img.Format, Data: f.data}, true
		b.putFrame(in, f)
	}, nil
}

// AudioBytesSink returns the handler of std_msgs/UInt8MultiArray messages
// (little-endian int16 PCM) for an Audio input. It copies the samples into
// the input's buffer and returns.
func (b *Bridge) AudioBytesSink(id string) (func([]byte), error) {
	in, err := b.sensorInput(id, config.TypeUInt8MultiArray)
	if err != nil {
		return nil, err
	}
	return func(p []byte) { b.gotAudio(in, in.audio.pcm.WriteBytes(p)) }, nil
}

// AudioSamplesSink is AudioBytesSink for std_msgs/Int16MultiArray.
func (b *Bridge) AudioSamplesSink(id string) (func([]int16), error) {
	in, err := b.sensorInput(id, config.TypeInt16MultiArray)
	if err != nil {
		return nil, err
	}
	return func(s []int16) { b.gotAudio(in, in.audio.pcm.WriteSamples(s)) }, nil
}

func (b *Bridge) sensorInput(id, msgType string) (*inputState, error) {
	in, ok := b.inputs[id]
	if !ok {
		return nil, fmt.Errorf("bridge: no input %q is configured", id)
	}
	if in.conf.msgType != msgType {
		return nil, fmt.Errorf("bridge: input %q takes %q, not %s", id, in.conf.msgType, msgType)
	}
	return in, nil
}

// putFrame stamps a frame with its receipt time on the bridge's clock and
// hands it to the encoder; before that clock tells the time it is dropped
// (see received).
func (b *Bridge) putFrame(in *inputState, f *frame) {
	now, ok := b.received()
	if !ok {
		in.image.release(f)
		return
	}
	f.received = now
	in.image.put(f, &in.counters)
}

func (b *Bridge) gotAudio(in *inputState, err error) {
	in.counters.received.Add(1)
	if now, ok := b.received(); ok {
		in.audio.lastWrite.Store(now.UnixNano())
		in.audio.heard.Store(true)
	}
	if err != nil {
		in.counters.rejected.Add(1)
		b.warnf("bad_audio:"+in.conf.id, "audio message trimmed", "input", in.conf.id, "err", err)
	}
}

// rejectFrame counts a refused frame and logs it, one line per input and
// kind of problem at most every few seconds.
func (b *Bridge) rejectFrame(in *inputState, err error) {
	in.counters.rejected.Add(1)
	problem := "other"
	for name, e := range map[string]error{"encoding": sensor.ErrUnsupportedEncoding, "bad": sensor.ErrBadImage, "too_large": sensor.ErrTooLarge} {
		if errors.Is(err, e) {
			problem = name
		}
	}
	b.warnf("bad_frame:"+in.conf.id+":"+problem, "camera frame refused", "input", in.conf.id, "err", err)
}

// newImageInput opens the encoder of one camera input.
func newImageInput(in config.Input) (*imageInput, error) {
	conf := sensor.ImageConf{
		Quality:  in.Quality,
		Resize:   sensor.Resize{Width: in.Resize.Width, Height: in.Resize.Height, MaxSide: in.Resize.MaxSide},
		MaxBytes: in.MaxBytes,
	}
	if len(in.DepthRange) == 2 {
		conf.Depth = sensor.DepthRange{Near: in.DepthRange[0], Far: in.DepthRange[1]}
	}
	enc, err := sensor.NewImageEncoder(conf)
	if err != nil {
		return nil, fmt.Errorf("bridge: input %q: %w", in.ID, err)
	}
	return &imageInput{enc: enc, report: func(error) {}}, nil
}

// imageInput is one camera input: the newest frame not yet encoded and
// the newest JPEG.
type imageInput struct {
	enc frameEncoder
	// onNeed encodes on the need path instead of on arrival: the design
	// not taken, kept so that BenchmarkNeedImage can measure it.
	onNeed bool

	mu      sync.Mutex
	report  func(error) // a frame the encoder refused
	pending *frame      // newest frame not yet encoded
	spare   *frame      // buffers of an encoded frame, for the next one
	latest  encoded
	back    []byte // the encoder's output, swapped with latest's data
	busy    bool   // an encoding goroutine runs
	closed  bool
	running sync.WaitGroup
}

// frame is a camera frame copied out of its ROS message.
type frame struct {
	img          sensor.Image
	compressed   sensor.CompressedImage
	isCompressed bool
	data         []byte // what img.Data or compressed.Data point into
	received     time.Time
}

// encoded is the outcome of the newest frame encoded.
type encoded struct {
	jpeg     sensor.JPEG
	received time.Time // of its frame
	err      error     // the frame was refused
}

func (m *imageInput) setReport(report func(error)) {
	m.mu.Lock()
	m.report = report
	m.mu.Unlock()
}

// frameBuffer returns a frame to copy a new one into, with the memory of
// an earlier frame when there is one.
func (m *imageInput) frameBuffer() *frame {
	m.mu.Lock()
	f := m.spare
	m.spare = nil
	m.mu.Unlock()
	if f == nil {
		f = &frame{}
	}
	return f
}

// release gives back a frame that is not put, for the next one's buffers.
func (m *imageInput) release(f *frame) {
	m.mu.Lock()
	if m.spare == nil {
		m.spare = f
	}
	m.mu.Unlock()
}

// put makes f the pending frame and makes sure a goroutine encodes it.
func (m *imageInput) put(f *frame, c *inputCounters) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	if old := m.pending; old != nil {
		c.superseded.Add(1)
		m.spare = old
	}
	m.pending = f
	start := !m.busy && !m.onNeed
	if start {
		m.busy = true
		m.running.Add(1)
	}
	m.mu.Unlock()
	if start {
		go m.drain()
	}
}

func (m *imageInput) drain() {
	defer m.running.Done()
	for m.encodePending() {
	}
}

// encodePending encodes the pending frame, if any, into the back buffer and
// makes it the latest; false when there was none.
func (m *imageInput) encodePending() bool {
	m.mu.Lock()
	f := m.pending
	m.pending = nil
	if f == nil {
		m.busy = false
		m.mu.Unlock()
		return false
	}
	out := m.back
	m.back = nil
	m.mu.Unlock()

	var j sensor.JPEG
	var err error
	if f.isCompressed {
		j, err = m.enc.EncodeCompressed(out, f.compressed)
	} else {
		j, err = m.enc.Encode(out, f.img)
	}

	m.mu.Lock()
	if err == nil {
		m.back = m.latest.jpeg.Data
		m.latest = encoded{jpeg: j, received: f.received}
	} else {
		m.back = j.Data
		m.latest = encoded{received: f.received, err: err}
	}
	if m.spare == nil {
		m.spare = f
	}
	report := m.report
	m.mu.Unlock()
	if err != nil {
		report(err)
	}
	return true
}

// errNoSample marks a need its input has nothing fresh enough for.
var errNoSample = errors.New("no fresh sample")

// take appends the newest JPEG to dst, unless it is missing, refused,
// older than maxAge or received before since.
func (m *imageInput) take(dst []byte, maxAge time.Duration, since, now time.Time) (sensor.JPEG, []byte, error) {
	if m.onNeed {
		m.encodePending()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.latest
	switch {
	case l.received.IsZero():
		return l.jpeg, dst, fmt.Errorf("%w: no camera frame yet", errNoSample)
	case l.err != nil:
		return l.jpeg, dst, fmt.Errorf("%w: the latest camera frame was refused: %w", errNoSample, l.err)
	case l.received.Before(since):
		return l.jpeg, dst, fmt.Errorf("%w: the latest camera frame is from before the brain link came back", errNoSample)
	}
	if age := now.Sub(l.received); maxAge > 0 && age > maxAge {
		return l.jpeg, dst, fmt.Errorf("%w: the latest camera frame is %s old (max_age %s)", errNoSample, age.Round(time.Millisecond), maxAge)
	}
	return l.jpeg, append(dst, l.jpeg.Data...), nil
}

func (m *imageInput) close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	m.pending = nil
	m.mu.Unlock()
	m.running.Wait()
	m.enc.Close()
}

// audioInput is one microphone input: the audio since the previous need.
type audioInput struct {
	pcm       *sensor.PCMBuffer
	lastWrite atomic.Int64 // Unix ns of the newest message, on the bridge's clock
	heard     atomic.Bool  // a message arrived (sim time 0 is a valid lastWrite)
	dropped   uint64       // PCMStats.Dropped already counted (bridge goroutine)
}

func newAudioInput(in config.Input) (*audioInput, error) {
	pcm, err := sensor.NewPCMBuffer(sensor.PCMConf{SampleRate: in.SampleRate, Channels: in.Channels,
		MaxDuration: in.MaxDuration, MaxBytes: in.MaxBytes})
	if err != nil {
		return nil, fmt.Errorf("bridge: input %q: %w", in.ID, err)
	}
	return &audioInput{pcm: pcm}, nil
}

// take appends the audio gathered since the previous need to dst: none
// when nothing arrived meanwhile, an error when the source is silent
// longer than maxAge or never spoke. dropped is the number of frames lost
// to a full buffer since the previous take.
func (a *audioInput) take(dst []byte, maxAge time.Duration, now time.Time) (out []byte, dropped uint64, err error) {
	if !a.heard.Load() {
		return dst, 0, fmt.Errorf("%w: no audio yet", errNoSample)
	}
	if age := now.Sub(time.Unix(0, a.lastWrite.Load())); maxAge > 0 && age > maxAge {
		return dst, 0, fmt.Errorf("%w: no audio for %s (max_age %s)", errNoSample, age.Round(time.Millisecond), maxAge)
	}
	out = a.pcm.Take(dst)
	total := a.pcm.Stats().Dropped
	dropped, a.dropped = total-a.dropped, total
	return out, dropped, nil
}
