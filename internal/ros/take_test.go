package ros

import (
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tiiuae/rclgo/pkg/rclgo"

	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/sensor"
	sensor_msgs_msg "github.com/abbridge/ab_bridge/msgs/sensor_msgs/msg"
)

// ImageSubscriber on a node of its own, fed by a publisher on the same node:
// frames that grow and shrink go through the one reused take buffer, and
// each arrives whole, with nothing left of the one before.
func TestImageSubscriberTakesFramesOfEverySize(t *testing.T) {
	t.Setenv("ROS_DOMAIN_ID", strconv.Itoa(1+rand.IntN(200)))
	t.Setenv("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
	rctx, err := rclgo.NewContext(0, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = rctx.Close() })
	node, err := rctx.NewNode("ab_take_test", "/")
	require.NoError(t, err)

	qos := config.QoS{Reliability: config.Reliable, Durability: config.Volatile, History: config.KeepLast, Depth: 10}
	got := make(chan sensor.Image, 16)
	takes := NewImageTakes(func(r ImageRefusal) { t.Errorf("refused: %v", r.Err) })
	require.NoError(t, ImageSubscriber("cam", qos, takes, func(img sensor.Image) {
		img.Data = slices.Clone(img.Data) // what a sink does: the buffer is the next take's
		got <- img
	})(node))
	pub, err := sensor_msgs_msg.NewImagePublisher(node, "cam", pubOptions(qos))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	spun := make(chan error, 1)
	go func() { spun <- rctx.Spin(ctx) }()
	t.Cleanup(func() { cancel(); <-spun })

	// Until discovery matches the two, the first frame is sent again.
	first := testImage("cam", "rgb8", 64, 48, 3, 0)
	var img sensor.Image
	for i := 0; ; i++ {
		require.Less(t, i, 200, "no frame within 10 s")
		require.NoError(t, pub.Publish(first))
		select {
		case img = <-got:
		case <-time.After(50 * time.Millisecond):
			continue
		}
		break
	}
	assert.Equal(t, imageOf(first), img)
	for len(got) > 0 { // resends that arrived too
		<-got
	}

	for _, m := range []*sensor_msgs_msg.Image{
		testImage("vga", "rgb8", 640, 480, 3, 0),
		testImage("", "mono8", 4, 2, 1, 0),
		testImage("a_much_longer_frame_id", "bgr8", 320, 240, 3, 0),
		testImage("d", "16UC1", 7, 5, 2, 1),
	} {
		m.Data[0]++ // no two frames alike
		require.NoError(t, pub.Publish(m))
		select {
		case img = <-got:
		case <-time.After(10 * time.Second):
			t.Fatalf("frame %dx%d %s not taken", m.Width, m.Height, m.Encoding)
		}
		assert.Equal(t, imageOf(m), img, "%dx%d %s", m.Width, m.Height, m.Encoding)
	}
	assert.Zero(t, takes.Stats().Fallback+takes.Stats().Lost)
}
