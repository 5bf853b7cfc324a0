package ros

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tiiuae/rclgo/pkg/rclgo"

	"github.com/abbridge/ab_bridge/internal/sensor"
	sensor_msgs_msg "github.com/abbridge/ab_bridge/msgs/sensor_msgs/msg"
	std_msgs_msg "github.com/abbridge/ab_bridge/msgs/std_msgs/msg"
)

// wireImage is m as rmw_fastrtps puts it on the wire.
func wireImage(t testing.TB, m *sensor_msgs_msg.Image) []byte {
	t.Helper()
	buf, err := rclgo.Serialize(m)
	require.NoError(t, err)
	return buf
}

func testImage(frameID, encoding string, w, h, bpp int, bigEndian uint8) *sensor_msgs_msg.Image {
	m := sensor_msgs_msg.NewImage()
	m.Header.Stamp.Sec, m.Header.Stamp.Nanosec = 1733140000, 123456789
	m.Header.FrameId = frameID
	m.Encoding, m.IsBigendian = encoding, bigEndian
	m.Width, m.Height, m.Step = uint32(w), uint32(h), uint32(w*bpp)
	m.Data = make([]byte, w*h*bpp)
	for i := range m.Data {
		m.Data[i] = byte(i*31 + 7)
	}
	return m
}

func TestImageReaderReadsTheWireForm(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    *sensor_msgs_msg.Image
	}{
		{"vga rgb8", testImage("camera_optical", "rgb8", 640, 480, 3, 0)},
		{"empty frame id, odd width", testImage("", "mono8", 5, 3, 1, 0)},
		{"frame id of every length mod 4", testImage("abc", "bgra8", 4, 2, 4, 0)},
		{"big-endian mono16", testImage("d", "mono16", 3, 3, 2, 1)},
		{"no pixels", testImage("cam", "rgb8", 0, 0, 3, 0)},
		{"sizes that do not add up pass through to the bridge's check", func() *sensor_msgs_msg.Image {
			m := testImage("cam", "rgb8", 4, 4, 3, 0)
			m.Data = m.Data[:7]
			return m
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			takes := NewImageTakes(func(r ImageRefusal) { t.Errorf("refused: %v", r.Err) })
			r := imageReader{takes: takes, deserialize: deserializeImage}
			got, ok := r.frame(wireImage(t, tc.m))
			require.True(t, ok)
			want := imageOf(tc.m)
			if len(want.Data) == 0 {
				want.Data = []byte{}
			}
			assert.Equal(t, want, got)
			assert.Equal(t, ImageTakeStats{Read: 1}, takes.Stats())
		})
	}
}

func TestImageReaderFallsBack(t *testing.T) {
	vga := wireImage(t, testImage("cam", "rgb8", 64, 48, 3, 0))
	for _, tc := range []struct {
		name    string
		buf     []byte
		want    *sensor.Image // nil: lost
		stats   ImageTakeStats
		refusal string
	}{
		{
			// Fast DDS reads a message and ignores what follows it; the
			// strict reader does not.
			name:  "trailing bytes",
			buf:   append(append([]byte(nil), vga...), make([]byte, 16)...),
			want:  ptr(imageOf(testImage("cam", "rgb8", 64, 48, 3, 0))),
			stats: ImageTakeStats{Fallback: 2}, refusal: "bytes after data",
		},
		{
			name: "truncated", buf: vga[:len(vga)/2],
			stats: ImageTakeStats{Lost: 2}, refusal: "data:",
		},
		{
			name: "another message type", buf: wireString(t, "not an image"),
			stats: ImageTakeStats{Lost: 2}, refusal: "cdr: not a plain CDR",
		},
		{
			name: "no encapsulation", buf: []byte{0, 1},
			stats: ImageTakeStats{Lost: 2}, refusal: "encapsulation",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var reports []ImageRefusal
			takes := NewImageTakes(func(r ImageRefusal) { reports = append(reports, r) })
			r := imageReader{takes: takes, deserialize: deserializeImage}
			for range 2 {
				got, ok := r.frame(tc.buf)
				if tc.want == nil {
					assert.False(t, ok)
					continue
				}
				require.True(t, ok)
				assert.Equal(t, *tc.want, got)
			}
			st := takes.Stats()
			assert.Contains(t, st.Refusal, tc.refusal)
			assert.NotContains(t, st.Refusal, "\n", "one line, not rclgo's goroutine dump")
			st.Refusal = ""
			assert.Equal(t, tc.stats, st)
			require.Len(t, reports, 1, "the first refusal is reported, not every frame")
			assert.Equal(t, tc.want == nil, reports[0].Lost)
		})
	}
}

func wireString(t *testing.T, s string) []byte {
	m := std_msgs_msg.NewString()
	m.Data = s
	buf, err := rclgo.Serialize(m)
	require.NoError(t, err)
	return buf
}

func ptr[T any](v T) *T { return &v }

// BenchmarkImageFrame compares reading a VGA rgb8 frame from its wire form
// with internal/cdr and with rclgo's deserializer (what the fallback, and
// before it every frame, costs).
func BenchmarkImageFrame(b *testing.B) {
	buf := wireImage(b, testImage("camera_optical", "rgb8", 640, 480, 3, 0))
	for _, bc := range []struct {
		name string
		read func() (sensor.Image, error)
	}{
		{"cdr", func() (sensor.Image, error) {
			img, ok := imageReader{takes: NewImageTakes(nil), deserialize: deserializeImage}.frame(buf)
			if !ok {
				return img, assert.AnError
			}
			return img, nil
		}},
		{"rclgo", func() (sensor.Image, error) {
			m, err := deserializeImage(buf)
			if err != nil {
				return sensor.Image{}, err
			}
			return imageOf(m), nil
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				if _, err := bc.read(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The reused take buffer needs rclgo's unexported subscription handle; an
// rclgo without it would silently take through its allocating path.
func TestSubscriptionHandle(t *testing.T) {
	_, ok := subscriptionHandle(&rclgo.Subscription{})
	assert.True(t, ok, "rclgo.Subscription has its rcl_subscription_t field")
}
