package sensor

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"
)

// FormatPCM16 is the io:chunk format of Audio inputs: little-endian int16
// samples, channels interleaved; meta carries sampleRate and channels.
const FormatPCM16 = "pcm16"

// ErrPartialFrame: a write held a trailing odd byte or an incomplete frame
// (fewer samples than channels); that tail was dropped, the rest kept.
var ErrPartialFrame = errors.New("partial audio frame")

// PCMConf configures the audio buffer of one input.
type PCMConf struct {
	SampleRate int // samples per second per channel; required
	// (optional) interleaved channels. Defaults to 1.
	Channels int
	// (optional) most audio kept between two takes; older audio is
	// dropped first. Defaults to 1 s.
	MaxDuration time.Duration
	// (optional) cap of one chunk, which also bounds what is kept.
	// Defaults to DefaultMaxBytes.
	MaxBytes int
}

// PCMStats counts what a PCMBuffer did since it was created, in frames (one
// sample per channel) and in writes.
type PCMStats struct {
	Written, Taken, Dropped uint64 // frames
	OddBytes, PartialFrames uint64 // writes trimmed for either reason
}

// PCMBuffer keeps the audio that arrived between two io:needs, at most
// Capacity frames, oldest dropped first. Writes (from the ROS callback) and
// takes (from the bridge) may run on different goroutines.
type PCMBuffer struct {
	conf PCMConf

	mu      sync.Mutex
	ring    []int16 // capacity frames × channels
	head, n int     // first sample and number of samples held
	stats   PCMStats
}

// NewPCMBuffer checks conf and fills its defaults.
func NewPCMBuffer(conf PCMConf) (*PCMBuffer, error) {
	if conf.Channels == 0 {
		conf.Channels = 1
	}
	if conf.MaxDuration == 0 {
		conf.MaxDuration = time.Second
	}
	if conf.MaxBytes == 0 {
		conf.MaxBytes = DefaultMaxBytes
	}
	switch {
	case conf.SampleRate <= 0 || conf.SampleRate > 1_000_000:
		return nil, fmt.Errorf("sensor: audio sample rate %d is not within 1..1000000", conf.SampleRate)
	case conf.Channels < 0 || conf.Channels > 64:
		return nil, fmt.Errorf("sensor: audio channels %d is not within 1..64", conf.Channels)
	case conf.MaxDuration < 0 || conf.MaxBytes < 0:
		return nil, fmt.Errorf("sensor: audio bounds %s, %d bytes: must not be negative", conf.MaxDuration, conf.MaxBytes)
	}
	frames := min(int(conf.MaxDuration.Seconds()*float64(conf.SampleRate)), conf.MaxBytes/(2*conf.Channels))
	if frames < 1 {
		return nil, fmt.Errorf("sensor: audio bounds %s, %d bytes hold no %d-channel frame at %d Hz",
			conf.MaxDuration, conf.MaxBytes, conf.Channels, conf.SampleRate)
	}
	return &PCMBuffer{conf: conf, ring: make([]int16, frames*conf.Channels)}, nil
}

// Conf is the configuration in use, defaults filled in.
func (b *PCMBuffer) Conf() PCMConf { return b.conf }

// Capacity is the most frames held between two takes.
func (b *PCMBuffer) Capacity() int { return len(b.ring) / b.conf.Channels }

// Stats reads the counters.
func (b *PCMBuffer) Stats() PCMStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stats
}

// WriteBytes adds little-endian int16 samples (std_msgs/UInt8MultiArray).
// Each write is taken to hold whole frames: a trailing odd byte or partial
// frame is dropped, counted and reported with ErrPartialFrame, so that one
// bad message cannot shift the samples of every later one.
func (b *PCMBuffer) WriteBytes(p []byte) error {
	total, odd := len(p), len(p)%2
	partial := (len(p) / 2) % b.conf.Channels
	p = p[:len(p)-odd-2*partial]
	b.mu.Lock()
	defer b.mu.Unlock()
	first, second := b.reserve(len(p) / 2)
	p = p[len(p)-2*(len(first)+len(second)):] // the newest samples, when they overflow
	for i := range first {
		first[i] = int16(binary.LittleEndian.Uint16(p[2*i:]))
	}
	p = p[2*len(first):]
	for i := range second {
		second[i] = int16(binary.LittleEndian.Uint16(p[2*i:]))
	}
	return b.noteTrim(total, "bytes", odd, partial)
}

// WriteSamples adds int16 samples (std_msgs/Int16MultiArray), channels
// interleaved; a trailing partial frame is dropped as in WriteBytes.
func (b *PCMBuffer) WriteSamples(s []int16) error {
	total, partial := len(s), len(s)%b.conf.Channels
	s = s[:len(s)-partial]
	b.mu.Lock()
	defer b.mu.Unlock()
	first, second := b.reserve(len(s))
	s = s[len(s)-len(first)-len(second):]
	copy(second, s[copy(first, s):])
	return b.noteTrim(total, "samples", 0, partial)
}

// reserve makes room for n samples (whole frames), dropping the oldest, and
// returns the ring's free space for the newest ones, in order.
func (b *PCMBuffer) reserve(n int) (first, second []int16) {
	ch, size := b.conf.Channels, len(b.ring)
	b.stats.Written += uint64(n / ch)
	if n >= size {
		b.stats.Dropped += uint64((b.n + n - size) / ch)
		b.head, b.n = 0, size
		return b.ring, nil
	}
	if over := b.n + n - size; over > 0 {
		b.stats.Dropped += uint64(over / ch)
		b.head = (b.head + over) % size
		b.n -= over
	}
	start := (b.head + b.n) % size
	b.n += n
	if start+n <= size {
		return b.ring[start : start+n], nil
	}
	return b.ring[start:], b.ring[:start+n-size]
}

func (b *PCMBuffer) noteTrim(size int, unit string, odd, partial int) error {
	if odd == 0 && partial == 0 {
		return nil
	}
	if odd > 0 {
		b.stats.OddBytes++
	}
	if partial > 0 {
		b.stats.PartialFrames++
	}
	return fmt.Errorf("sensor: audio write of %d %s: dropped %d odd byte(s) and %d sample(s) of a partial %d-channel frame: %w",
		size, unit, odd, partial, b.conf.Channels, ErrPartialFrame)
}

// Take appends the audio held since the previous take to dst as
// little-endian int16 and empties the buffer. No audio: dst unchanged.
func (b *PCMBuffer) Take(dst []byte) []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	size := len(b.ring)
	first := b.ring[b.head:min(size, b.head+b.n)]
	second := b.ring[:b.n-len(first)]
	for _, part := range [2][]int16{first, second} {
		for _, s := range part {
			dst = binary.LittleEndian.AppendUint16(dst, uint16(s))
		}
	}
	b.stats.Taken += uint64(b.n / b.conf.Channels)
	b.head, b.n = 0, 0
	return dst
}
