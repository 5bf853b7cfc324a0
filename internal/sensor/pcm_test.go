package sensor

import (
	"encoding/binary"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func le(samples ...int16) []byte {
	var out []byte
	for _, s := range samples {
		out = binary.LittleEndian.AppendUint16(out, uint16(s))
	}
	return out
}

func ramp(from, n int) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(from + i)
	}
	return out
}

// write is one Write call of a scenario: bytes or samples.
type write struct {
	bytes   []byte
	samples []int16 // non-nil: a WriteSamples
	partial bool    // expect ErrPartialFrame
}

func TestPCMBuffer(t *testing.T) {
	tests := []struct {
		name   string
		conf   PCMConf
		writes []write
		want   []byte
		stats  PCMStats
	}{
		{
			name:   "bytes then samples, in order",
			conf:   PCMConf{SampleRate: 16000},
			writes: []write{{bytes: le(1, -2, 3)}, {samples: []int16{-32768, 32767}}},
			want:   le(1, -2, 3, -32768, 32767),
			stats:  PCMStats{Written: 5, Taken: 5},
		},
		{
			name:   "oldest dropped past max duration",
			conf:   PCMConf{SampleRate: 10, MaxDuration: time.Second},
			writes: []write{{samples: ramp(0, 6)}, {samples: ramp(6, 5)}, {bytes: le(ramp(11, 4)...)}},
			want:   le(ramp(5, 10)...),
			stats:  PCMStats{Written: 15, Taken: 10, Dropped: 5},
		},
		{
			name:   "one write larger than the buffer keeps its newest",
			conf:   PCMConf{SampleRate: 4, MaxDuration: time.Second},
			writes: []write{{samples: ramp(0, 2)}, {bytes: le(ramp(100, 7)...)}},
			want:   le(103, 104, 105, 106),
			stats:  PCMStats{Written: 9, Taken: 4, Dropped: 5},
		},
		{
			name:   "samples larger than the buffer",
			conf:   PCMConf{SampleRate: 3, MaxDuration: time.Second},
			writes: []write{{samples: ramp(0, 8)}},
			want:   le(5, 6, 7),
			stats:  PCMStats{Written: 8, Taken: 3, Dropped: 5},
		},
		{
			name:   "bounded by the message cap: 20 bytes hold 5 stereo frames",
			conf:   PCMConf{SampleRate: 1000, Channels: 2, MaxBytes: 20},
			writes: []write{{samples: ramp(0, 8)}, {samples: ramp(8, 6)}},
			want:   le(ramp(4, 10)...),
			stats:  PCMStats{Written: 7, Taken: 5, Dropped: 2},
		},
		{
			name:   "odd byte dropped, alignment kept for the next write",
			conf:   PCMConf{SampleRate: 8000},
			writes: []write{{bytes: append(le(7, 8), 0x55), partial: true}, {bytes: le(9)}},
			want:   le(7, 8, 9),
			stats:  PCMStats{Written: 3, Taken: 3, OddBytes: 1},
		},
		{
			name: "partial stereo frames dropped",
			conf: PCMConf{SampleRate: 8000, Channels: 2},
			writes: []write{
				{samples: []int16{1, 2, 3}, partial: true},
				{bytes: le(4, 5, 6), partial: true},
				{bytes: append(le(7, 8, 9), 1), partial: true},
				{samples: []int16{10, 11}},
			},
			want:  le(1, 2, 4, 5, 7, 8, 10, 11),
			stats: PCMStats{Written: 4, Taken: 4, OddBytes: 1, PartialFrames: 3},
		},
		{
			name:   "nothing written, nothing taken",
			conf:   PCMConf{SampleRate: 8000},
			writes: []write{{bytes: nil}, {samples: []int16{}}, {bytes: []byte{1}, partial: true}},
			want:   nil,
			stats:  PCMStats{OddBytes: 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := NewPCMBuffer(tc.conf)
			require.NoError(t, err)
			for i, w := range tc.writes {
				if w.samples != nil {
					err = b.WriteSamples(w.samples)
				} else {
					err = b.WriteBytes(w.bytes)
				}
				if w.partial {
					require.ErrorIs(t, err, ErrPartialFrame, "write %d", i)
				} else {
					require.NoError(t, err, "write %d", i)
				}
			}
			assert.Equal(t, tc.want, b.Take(nil))
			assert.Equal(t, tc.stats, b.Stats())
			assert.Empty(t, b.Take(nil), "a take empties the buffer")
		})
	}
}

func TestPCMTakeAppendsAndWrapsAround(t *testing.T) {
	b, err := NewPCMBuffer(PCMConf{SampleRate: 5, MaxDuration: time.Second})
	require.NoError(t, err)
	require.NoError(t, b.WriteSamples(ramp(0, 4)))
	require.NoError(t, b.WriteSamples(ramp(4, 3))) // drops 0, 1; wraps
	out := b.Take([]byte{0xAA})
	assert.Equal(t, append([]byte{0xAA}, le(2, 3, 4, 5, 6)...), out)
	require.NoError(t, b.WriteBytes(le(7, 8)))
	assert.Equal(t, le(7, 8), b.Take(out[:0]))
	assert.Equal(t, 5, b.Capacity())
}

func TestPCMConfRejected(t *testing.T) {
	tests := []struct {
		name string
		conf PCMConf
		want string
	}{
		{"no sample rate", PCMConf{}, "sample rate 0"},
		{"negative channels", PCMConf{SampleRate: 8000, Channels: -2}, "channels -2"},
		{"negative duration", PCMConf{SampleRate: 8000, MaxDuration: -time.Second}, "negative"},
		{"cap holds no frame", PCMConf{SampleRate: 8000, Channels: 2, MaxBytes: 3}, "no 2-channel frame"},
		{"duration holds no frame", PCMConf{SampleRate: 10, MaxDuration: time.Millisecond}, "no 1-channel frame"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := NewPCMBuffer(tc.conf)
			require.Error(t, err)
			assert.Nil(t, b)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	b, err := NewPCMBuffer(PCMConf{SampleRate: 48000})
	require.NoError(t, err)
	assert.Equal(t, PCMConf{SampleRate: 48000, Channels: 1, MaxDuration: time.Second, MaxBytes: DefaultMaxBytes}, b.Conf())
	assert.Equal(t, 48000, b.Capacity())
}

// TestPCMWritersAndTaker runs a ROS-like writer against a bridge-like taker:
// what is taken is in order, and taken + dropped + held = written.
func TestPCMWritersAndTaker(t *testing.T) {
	const channels, frames, perWrite = 2, 20_000, 50
	b, err := NewPCMBuffer(PCMConf{SampleRate: 1000, Channels: channels, MaxDuration: 300 * time.Millisecond})
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for f := 0; f < frames; f += perWrite {
			s := make([]int16, 0, perWrite*channels)
			for i := f; i < f+perWrite; i++ {
				s = append(s, int16(i%30000), int16(-(i % 30000)))
			}
			if f%2 == 0 {
				assert.NoError(t, b.WriteSamples(s))
			} else {
				assert.NoError(t, b.WriteBytes(le(s...)))
			}
		}
	}()
	var taken []byte
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for running := true; running; {
		select {
		case <-done:
			running = false
		case <-time.After(time.Millisecond):
		}
		taken = b.Take(taken)
	}
	st := b.Stats()
	assert.Equal(t, uint64(frames), st.Written)
	assert.Equal(t, st.Written, st.Taken+st.Dropped)
	assert.Equal(t, int(st.Taken)*channels*2, len(taken))
	prev := -1
	for i := 0; i+3 < len(taken); i += 4 {
		l, r := int16(binary.LittleEndian.Uint16(taken[i:])), int16(binary.LittleEndian.Uint16(taken[i+2:]))
		require.Equal(t, -l, r, "frames stay whole")
		require.Greater(t, int(l), prev, "oldest first, never reordered")
		prev = int(l)
	}
}
