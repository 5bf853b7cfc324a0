package ros

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tiiuae/rclgo/pkg/rclgo"

	"github.com/abbridge/ab_bridge/internal/cdr"
	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/sensor"
	sensor_msgs_msg "github.com/abbridge/ab_bridge/msgs/sensor_msgs/msg"
)

// ImageSubscriber subscribes a sensor_msgs/Image topic with qos and hands
// each frame to onFrame on the executor; onFrame copies what it keeps
// (Data aliases a buffer of this take only). takes counts how the frames
// were read.
//
// Frames are taken serialized, into a buffer reused from frame to frame
// (take.go), and read by internal/cdr: rclgo's generated conversion copies
// a VGA frame's pixels into a fresh slice one byte at a time (6 % of the
// node's CPU in BenchmarkNodeCameraLoad). A frame the reader refuses goes
// through rclgo's deserializer instead, so that a publisher with another
// wire form still gets through.
func ImageSubscriber(topic string, qos config.QoS, takes *ImageTakes, onFrame func(sensor.Image)) Subscriber {
	r := imageReader{takes: takes, deserialize: deserializeImage}
	return func(n *rclgo.Node) error {
		var t *serializedTake // made on the first take: the callback gets the subscription
		_, err := n.NewSubscription(topic, sensor_msgs_msg.ImageTypeSupport, subOptions(qos),
			func(s *rclgo.Subscription) {
				if t == nil {
					t = newSerializedTake(s)
				}
				// A failed take is dropped, as the generated subscription
				// did: there is no message to count.
				if buf, err := t.take(); err == nil {
					if img, ok := r.frame(buf); ok {
						onFrame(img) // copies the pixels: buf is reused by the next take
					}
				}
			})
		if err != nil {
			return fmt.Errorf("subscription %s (sensor_msgs/Image): %w", topic, err)
		}
		return nil
	}
}

// ImageTakes counts how one camera topic's frames were read; any goroutine
// may read them.
type ImageTakes struct {
	read, fallback, lost atomic.Int64

	mu      sync.Mutex
	refusal string // why the first frame not read by internal/cdr was refused
	report  func(ImageRefusal)
}

// ImageRefusal is a frame internal/cdr refused: Lost when rclgo's
// deserializer refused it too.
type ImageRefusal struct {
	Err  error
	Lost bool
}

// NewImageTakes returns counters whose report (optional) hears of the
// first frame internal/cdr refuses and of the first one lost, on the
// executor: one line each, not one per frame of a misbehaving camera.
func NewImageTakes(report func(ImageRefusal)) *ImageTakes {
	return &ImageTakes{report: report}
}

// ImageTakeStats is a snapshot of ImageTakes.
type ImageTakeStats struct {
	// Read counts frames read from their serialized form, Fallback the
	// ones internal/cdr refused and rclgo's deserializer read, Lost the
	// ones both refused (never handed on).
	Read, Fallback, Lost int64
	// Refusal says why the first frame internal/cdr refused was refused;
	// empty when none was.
	Refusal string
}

// Stats returns the counters.
func (t *ImageTakes) Stats() ImageTakeStats {
	t.mu.Lock()
	refusal := t.refusal
	t.mu.Unlock()
	return ImageTakeStats{Read: t.read.Load(), Fallback: t.fallback.Load(), Lost: t.lost.Load(), Refusal: refusal}
}

// refused counts a frame internal/cdr refused and reports the first one
// of each outcome.
func (t *ImageTakes) refused(err error, lost bool) {
	first := false
	if lost {
		first = t.lost.Add(1) == 1
	} else {
		first = t.fallback.Add(1) == 1
	}
	t.mu.Lock()
	if t.refusal == "" {
		t.refusal = firstLine(err)
	}
	report := t.report
	t.mu.Unlock()
	if first && report != nil {
		report(ImageRefusal{Err: err, Lost: lost})
	}
}

// imageReader turns a serialized sensor_msgs/Image into a frame.
type imageReader struct {
	takes *ImageTakes
	// deserialize is the library's reading of the same bytes.
	deserialize func(buf []byte) (*sensor_msgs_msg.Image, error)
}

// frame reads buf with internal/cdr, or else with deserialize; false when
// neither can. The frame's Data aliases buf or the deserialized message.
func (r imageReader) frame(buf []byte) (sensor.Image, bool) {
	m, err := cdr.ReadImage(buf)
	if err == nil {
		r.takes.read.Add(1)
		return sensor.Image{
			Width: int(m.Width), Height: int(m.Height), Step: int(m.Step),
			Encoding: m.Encoding, BigEndian: m.IsBigEndian != 0, Data: m.Data,
		}, true
	}
	g, gerr := r.deserialize(buf)
	if gerr != nil {
		r.takes.refused(fmt.Errorf("%w; rclgo: %s", err, firstLine(gerr)), true)
		return sensor.Image{}, false
	}
	r.takes.refused(err, false)
	return imageOf(g), true
}

func deserializeImage(buf []byte) (*sensor_msgs_msg.Image, error) {
	m, err := rclgo.Deserialize(buf, sensor_msgs_msg.ImageTypeSupport)
	if err != nil {
		return nil, err
	}
	img, ok := m.(*sensor_msgs_msg.Image)
	if !ok {
		return nil, fmt.Errorf("rclgo deserialized a %T, not a sensor_msgs/Image", m)
	}
	return img, nil
}

// firstLine is err's message up to its first line break: rclgo's RMW
// errors carry a goroutine dump and kilobytes of padding after it.
func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return strings.TrimSpace(s)
}

// CompressedImageSubscriber is ImageSubscriber for
// sensor_msgs/CompressedImage, through rclgo's generated conversion.
func CompressedImageSubscriber(topic string, qos config.QoS, onFrame func(sensor.CompressedImage)) Subscriber {
	return func(n *rclgo.Node) error {
		_, err := sensor_msgs_msg.NewCompressedImageSubscription(n, topic, subOptions(qos),
			func(m *sensor_msgs_msg.CompressedImage, _ *rclgo.MessageInfo, err error) {
				if err == nil {
					onFrame(sensor.CompressedImage{Format: m.Format, Data: m.Data})
				}
			})
		if err != nil {
			return fmt.Errorf("subscription %s (sensor_msgs/CompressedImage): %w", topic, err)
		}
		return nil
	}
}

func imageOf(m *sensor_msgs_msg.Image) sensor.Image {
	return sensor.Image{
		Width: int(m.Width), Height: int(m.Height), Step: int(m.Step),
		Encoding: m.Encoding, BigEndian: m.IsBigendian != 0, Data: m.Data,
	}
}
