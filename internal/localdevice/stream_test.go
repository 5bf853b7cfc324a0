package localdevice

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const wait = 3 * time.Second

// frames reads n frame events and checks what every client relies on: ids
// epoch:seq one apart from after, data repeating them, epochs as strings,
// steps growing by a frame's timesteps, neurons named POPULATION:index.
func frames(t *testing.T, s *sseStream, epoch string, after, n int) []sseEv {
	t.Helper()
	var out []sseEv
	for i := range n {
		ev, ok := s.nextKind(t, wait)
		require.True(t, ok, "the stream ended after %d frames", i)
		require.Equal(t, "frame", ev.Kind, "%v", ev.Data)
		seq := after + i + 1
		assert.Equal(t, fmt.Sprintf("%s:%d", epoch, seq), ev.ID)
		assert.Equal(t, epoch, ev.Data["epoch"])
		assert.Equal(t, float64(seq), ev.Data["sequence"])
		item := ev.Data["item"].(map[string]any)
		step := item["step"].(float64)
		assert.Equal(t, float64(5*seq), step)
		counts := 0
		for _, o := range item["outputs"].([]any) {
			entry := o.(map[string]any)
			tt := entry["t"].(float64)
			assert.True(t, tt >= step-5 && tt < step, "t %v in the frame ending at %v", tt, step)
			for _, nid := range entry["neurons"].([]any) {
				name, idx, ok := strings.Cut(nid.(string), ":")
				require.True(t, ok, nid)
				assert.Equal(t, "MOTOR", name)
				i, err := strconv.Atoi(idx)
				require.NoError(t, err)
				assert.True(t, i >= 0 && i < 4, nid)
				counts++
			}
		}
		channels := item["actuation"].(map[string]any)["channels"].(map[string]any)
		assert.Equal(t, float64(counts), channels["MOTOR"])
		out = append(out, ev)
	}
	return out
}

func hello(t *testing.T, s *sseStream) string {
	t.Helper()
	ev, ok := s.nextKind(t, wait)
	require.True(t, ok)
	require.Equal(t, "hello", ev.Kind, "%v", ev.Data)
	return ev.Data["cursor"].(string)
}

// closing reads the stream's last event and checks that the stream ends.
func closing(t *testing.T, s *sseStream, kind string) map[string]any {
	t.Helper()
	ev, ok := s.nextKind(t, wait)
	require.True(t, ok, "the stream ended without %s", kind)
	require.Equal(t, kind, ev.Kind, "%v", ev.Data)
	_, more := s.nextKind(t, wait)
	assert.False(t, more, "the stream ends after %s", kind)
	return ev.Data
}

func TestStreamFollowsFromHello(t *testing.T) {
	d := newTestDevice(t, nil)
	epoch := d.run(t)
	s := d.openStream(t, "replay=0&cursor=")
	require.Equal(t, http.StatusOK, s.resp.StatusCode)
	assert.Equal(t, "text/event-stream", s.resp.Header.Get("Content-Type"))
	cursor := hello(t, s)
	e, seq, err := parseCursor(cursor)
	require.NoError(t, err)
	assert.Equal(t, epoch, e)
	frames(t, s, epoch, seq, 5)
}

func TestStreamReplaysTheRunFromItsStart(t *testing.T) {
	d := newTestDevice(t, nil)
	epoch := d.run(t)
	require.Eventually(t, func() bool { return d.engine(t)["sequence"].(float64) >= 3 }, wait, 5*time.Millisecond)
	s := d.openStream(t, "replay=1&cursor=")
	assert.Equal(t, epoch+":0", hello(t, s), "replay starts before the first frame")
	frames(t, s, epoch, 0, 6)
}

func TestStreamResumesFromACursor(t *testing.T) {
	d := newTestDevice(t, nil)
	epoch := d.run(t)
	first := d.openStream(t, "replay=1")
	hello(t, first)
	got := frames(t, first, epoch, 0, 4)
	d.DropStreams()
	// Frames already on their way may still arrive; then the stream ends,
	// with no event of its own (no error, no reset).
	ended := false
	for range 10 {
		ev, more := first.nextKind(t, wait)
		if ended = !more; ended {
			break
		}
		require.Equal(t, "frame", ev.Kind, "a dropped stream ends without an event: %v", ev.Data)
	}
	require.True(t, ended, "the dropped stream ends")

	s := d.openStream(t, "replay=0&cursor="+got[1].ID)
	assert.Equal(t, got[1].ID, hello(t, s), "hello echoes the cursor it resumes from")
	again := frames(t, s, epoch, 2, 2)
	assert.Equal(t, got[2:], again, "the same frames again")
}

func TestStreamEndsWithTheReasonItCannotFollow(t *testing.T) {
	d := newTestDevice(t, func(c *Config) { c.ReplayFrames = 3 })
	epoch := d.run(t)
	require.Eventually(t, func() bool { return d.engine(t)["sequence"].(float64) >= 6 }, wait, 5*time.Millisecond)
	d.mu.Lock()
	last := d.seq
	d.mu.Unlock()
	for _, tc := range []struct {
		name, cursor, kind, message string
	}{
		{"older than the buffer", epoch + ":1", "gap", "no longer kept"},
		{"another epoch", "0123456789abcdef:4", "reset", "epoch changed"},
		{"ahead", fmt.Sprintf("%s:%d", epoch, last+1000), "error", "ahead of the device"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := d.openStream(t, "replay=0&cursor="+tc.cursor)
			require.Equal(t, http.StatusOK, s.resp.StatusCode)
			data := closing(t, s, tc.kind)
			assert.Contains(t, data["message"], tc.message)
		})
	}
}

func TestStreamRefusesMalformedRequests(t *testing.T) {
	d := newTestDevice(t, nil)
	for _, q := range []string{"cursor=nocolon", "cursor=e:-1", "cursor=e:x", "replay=2"} {
		code, body := d.call(t, http.MethodGet, "/api/brain/stream?"+q, nil)
		assert.Equal(t, http.StatusBadRequest, code, q)
		assert.NotEmpty(t, body["detail"], q)
	}
}

func TestStreamHearsResetWhenTheEpochChanges(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, d *testDevice)
		reason string
	}{
		{"reset", func(t *testing.T, d *testDevice) {
			code, _ := d.call(t, http.MethodPost, "/api/brain/reset", nil)
			require.Equal(t, http.StatusOK, code)
		}, "reset"},
		{"a new run", func(t *testing.T, d *testDevice) {
			code, _ := d.call(t, http.MethodPost, "/api/brain/stop", nil)
			require.Equal(t, http.StatusOK, code)
			require.Eventually(t, func() bool { return d.engine(t)["state"] == StateStopped }, wait, 5*time.Millisecond)
			d.run(t)
		}, "run"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDevice(t, nil)
			epoch := d.run(t)
			s := d.openStream(t, "replay=1")
			hello(t, s)
			frames(t, s, epoch, 0, 2)
			tc.change(t, d)
			for range 1000 {
				ev, ok := s.nextKind(t, wait)
				require.True(t, ok, "the stream ended without reset")
				if ev.Kind == "frame" {
					continue // frames published before the change
				}
				require.Equal(t, "reset", ev.Kind)
				assert.Equal(t, tc.reason, ev.Data["reason"])
				assert.Equal(t, epoch, ev.Data["previous_epoch"])
				assert.Equal(t, d.engine(t)["epoch"], ev.Data["epoch"])
				break
			}
			_, more := s.nextKind(t, wait)
			assert.False(t, more)
		})
	}
}

func TestStreamSendsHeartbeats(t *testing.T) {
	d := newTestDevice(t, func(c *Config) { c.Heartbeat = 20 * time.Millisecond })
	s := d.openStream(t, "")
	hello(t, s)
	ev, ok := s.next(t, wait)
	require.True(t, ok)
	assert.Equal(t, "comment", ev.Kind, "a stopped device sends only heartbeats")
}

func TestSlowStreamIsDropped(t *testing.T) {
	d := newTestDevice(t, nil)
	d.run(t)
	// A stream whose client stopped reading: nothing takes its frames.
	stuck := &subscriber{ch: make(chan []byte, subscriberBuffer), gone: make(chan struct{})}
	d.mu.Lock()
	d.subs[stuck] = struct{}{}
	d.mu.Unlock()
	select {
	case <-stuck.gone:
	case <-time.After(wait):
		t.Fatal("a stream that takes no frames is never dropped")
	}
	assert.Equal(t, 1, d.Counters().StreamDrops)
	assert.Len(t, stuck.ch, subscriberBuffer, "dropped once its buffer was full")
	d.mu.Lock()
	_, kept := d.subs[stuck]
	d.mu.Unlock()
	assert.False(t, kept)
}
