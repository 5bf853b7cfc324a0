package integration

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/localbrain"
)

// sensorsConfig is the node's configuration for the local brain's
// "sensors" project: the demo arm, its camera, and one input of every
// other sensor message type, published by test/peers/sensor_publisher.py.
const sensorsConfig = `brain:
  url: %s
  project: sensors
joints:
  - {name: shoulder, min: -2.9, max: 2.9}
  - {name: elbow, min: -2.9, max: 2.9}
inputs:
  - {id: shoulder_pos, kind: Proprioception, joint: shoulder, lo: -3.14159, hi: 3.14159, max_age: 500ms}
  - {id: elbow_pos, kind: Proprioception, joint: elbow, lo: -3.14159, hi: 3.14159, max_age: 500ms}
  - {id: shoulder_fb, kind: Feedback}
  - {id: overhead_cam, kind: Image, topic: camera/image_raw, max_age: 1s}
  - {id: cam, kind: Image, topic: sensors/cam, quality: 95, max_age: 1s}
  - {id: depth, kind: Image, topic: sensors/depth, depth_range: [0.5, 2.5], quality: 95}
  - {id: cam_jpeg, kind: Image, topic: sensors/cam_jpeg, type: sensor_msgs/CompressedImage}
  - {id: mic_bytes, kind: Audio, topic: sensors/mic_bytes, type: std_msgs/UInt8MultiArray, sample_rate: 16000, channels: 2}
  - {id: mic_samples, kind: Audio, topic: sensors/mic_samples, sample_rate: 8000}
mapping:
  - {node_id: shoulder_motor, channel: "joint:0", per_step_max: 0.0005}
  - {node_id: elbow_motor, channel: "joint:1", per_step_max: 0.0005}
`

// sensorPeer drives test/peers/sensor_publisher.py through its stdin.
type sensorPeer struct {
	p     *proc
	stdin io.WriteCloser
	sent  int
}

func startSensorPeer(t *testing.T, env []string) *sensorPeer {
	t.Helper()
	cmd := exec.Command(venvPython(t), filepath.Join(repoRoot(t), "test", "peers", "sensor_publisher.py"))
	cmd.Env = env
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	s := &sensorPeer{stdin: stdin}
	s.p = startProc(t, "sensor-publisher", cmd)
	t.Cleanup(func() { _ = stdin.Close() })
	s.p.waitOutput(t, "READY", 30*time.Second)
	return s
}

var peerAnswer = regexp.MustCompile(`(?m)^(OK|ERR) (.*)$`)

// do sends one command and returns the peer's answer.
func (s *sensorPeer) do(t *testing.T, cmd string) map[string]any {
	t.Helper()
	_, err := fmt.Fprintln(s.stdin, cmd)
	require.NoError(t, err)
	s.sent++
	var m [][]string
	require.Eventually(t, func() bool {
		m = peerAnswer.FindAllStringSubmatch(s.p.out.String(), -1)
		return len(m) >= s.sent
	}, 10*time.Second, 10*time.Millisecond, "no answer to %q", cmd)
	ans := m[s.sent-1]
	require.Equal(t, "OK", ans[1], "%s: %s", cmd, ans[2])
	var out map[string]any
	require.NoError(t, json.Unmarshal([]byte(ans[2]), &out))
	return out
}

// sensorsRun is the brain's side: what the node sent it.
type sensorsRun struct{ lb *localbrain.Server }

func (r sensorsRun) chunks(id string, since time.Time) []localbrain.Chunk {
	var out []localbrain.Chunk
	for _, rec := range r.lb.Runs() {
		for _, c := range rec.Chunks {
			if c.InputID == id && !c.At.Before(since) {
				out = append(out, c)
			}
		}
	}
	return out
}

// waitChunk waits for a chunk of id received after since that ok accepts,
// and returns it; on timeout it fails with what ok said of the last one.
func (r sensorsRun) waitChunk(t *testing.T, id string, since time.Time, ok func(localbrain.Chunk) error) localbrain.Chunk {
	t.Helper()
	var last error = fmt.Errorf("no %s chunk", id)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		cs := r.chunks(id, since)
		if len(cs) > 0 {
			c := cs[len(cs)-1]
			if last = ok(c); last == nil {
				return c
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: %v", id, last)
	return localbrain.Chunk{}
}

// jpegOf checks a chunk is a JPEG of w×h (meta and pixels) whose mean
// colour is within 6 of want, and returns it decoded.
func jpegOf(c localbrain.Chunk, w, h int, want [3]float64) (image.Image, error) {
	if c.Format != "jpeg" {
		return nil, fmt.Errorf("format %q", c.Format)
	}
	if c.Meta["width"] != float64(w) || c.Meta["height"] != float64(h) {
		return nil, fmt.Errorf("meta %v, want %dx%d", c.Meta, w, h)
	}
	img, err := jpeg.Decode(bytes.NewReader(c.Data))
	if err != nil {
		return nil, err
	}
	if img.Bounds() != image.Rect(0, 0, w, h) {
		return nil, fmt.Errorf("decodes to %v", img.Bounds())
	}
	if want[0] < 0 {
		return img, nil
	}
	got := meanColour(img)
	for k := range got {
		if math.Abs(got[k]-want[k]) > 6 {
			return nil, fmt.Errorf("mean colour %.1f, want %v", got, want)
		}
	}
	return img, nil
}

func meanColour(img image.Image) [3]float64 {
	var s [3]float64
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			s[0], s[1], s[2] = s[0]+float64(r>>8), s[1]+float64(g>>8), s[2]+float64(bl>>8)
		}
	}
	n := float64(b.Dx() * b.Dy())
	return [3]float64{s[0] / n, s[1] / n, s[2] / n}
}

// Every sensor message type, published on a real ROS 2 graph (rclpy and
// the MuJoCo arm's camera), goes through the node to the local brain,
// which records what it received; the test decodes it.
func TestSensorsOnTheGraph(t *testing.T) {
	env := rosEnv(t)
	node := goBinary(t, "cmd/ab_bridge_node")
	lb, err := localbrain.New(localbrain.Config{RecordLimit: 2048})
	require.NoError(t, err)
	t.Cleanup(func() { _ = lb.Close() })
	brainSide := sensorsRun{lb}
	sim := startSim(t, env)
	peer := startSensorPeer(t, env)

	cfgPath := filepath.Join(t.TempDir(), "sensors.yaml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(fmt.Sprintf(sensorsConfig, lb.URL())), 0o600))
	cmd := exec.Command(node, "--config", cfgPath, "--log-format", "text", "--ros-args", "-r", "__node:=ab_bridge_sensors")
	cmd.Env = env
	n := startProc(t, "ab_bridge_node", cmd)
	n.waitOutput(t, "realtime joined", 30*time.Second)

	t.Run("sim camera", func(t *testing.T) {
		c := brainSide.waitChunk(t, "overhead_cam", time.Time{}, func(c localbrain.Chunk) error {
			_, err := jpegOf(c, 640, 480, [3]float64{-1})
			return err
		})
		img, _ := jpegOf(c, 640, 480, [3]float64{-1})
		red := 0
		for y := 0; y < 480; y += 2 {
			for x := 0; x < 640; x += 2 {
				r, g, b, _ := img.At(x, y).RGBA()
				if r>>8 > 150 && g>>8 < 80 && b>>8 < 80 {
					red++
				}
			}
		}
		assert.Greater(t, red, 10, "the arm's red tool is in the picture")
	})

	images := []struct {
		cmd  string
		want [3]float64
	}{
		{"image rgb8 200 40 10", [3]float64{200, 40, 10}},
		{"bad size", [3]float64{}},
		{"bad encoding", [3]float64{}},
		{"image bgr8 10 200 40", [3]float64{10, 200, 40}},
		{"image rgba8 40 10 200", [3]float64{40, 10, 200}},
		{"image bgra8 180 180 20", [3]float64{180, 180, 20}},
		{"image mono8 90 0 0", [3]float64{90, 90, 90}},
		{"image mono16 160 0 0", [3]float64{160, 160, 160}},
	}
	for _, tc := range images {
		t.Run(tc.cmd, func(t *testing.T) {
			since := time.Now()
			peer.do(t, tc.cmd)
			if reason, ok := strings.CutPrefix(tc.cmd, "bad "); ok {
				// One line per kind of problem, naming it.
				n.waitOutput(t, map[string]string{"size": "want step 192 × height 48 = 9216", "encoding": `image encoding \"yuv422\"`}[reason], 10*time.Second)
				return
			}
			brainSide.waitChunk(t, "cam", since, func(c localbrain.Chunk) error {
				_, err := jpegOf(c, 64, 48, tc.want)
				return err
			})
		})
	}

	depths := []struct {
		cmd  string
		gray float64
	}{
		{"depth 32FC1 1.5", 128}, // (2.5 - 1.5) / 2 × 255
		{"depth 16UC1 1.0", 191},
	}
	for _, tc := range depths {
		t.Run(tc.cmd, func(t *testing.T) {
			since := time.Now()
			peer.do(t, tc.cmd)
			brainSide.waitChunk(t, "depth", since, func(c localbrain.Chunk) error {
				_, err := jpegOf(c, 32, 24, [3]float64{tc.gray, tc.gray, tc.gray})
				return err
			})
		})
	}

	t.Run("compressed jpeg passes through", func(t *testing.T) {
		since := time.Now()
		want, err := base64.StdEncoding.DecodeString(peer.do(t, "compressed jpeg 30 160 220")["data"].(string))
		require.NoError(t, err)
		brainSide.waitChunk(t, "cam_jpeg", since, func(c localbrain.Chunk) error {
			if !bytes.Equal(c.Data, want) {
				return fmt.Errorf("%d bytes, not the published %d", len(c.Data), len(want))
			}
			_, err := jpegOf(c, 48, 32, [3]float64{30, 160, 220})
			return err
		})
	})
	t.Run("compressed png is transcoded", func(t *testing.T) {
		since := time.Now()
		peer.do(t, "compressed png 220 120 30")
		brainSide.waitChunk(t, "cam_jpeg", since, func(c localbrain.Chunk) error {
			_, err := jpegOf(c, 48, 32, [3]float64{220, 120, 30})
			return err
		})
	})

	t.Run("audio", func(t *testing.T) {
		since := time.Now()
		peer.do(t, "audio on")
		time.Sleep(2 * time.Second)
		sent := peer.do(t, "audio off")
		time.Sleep(500 * time.Millisecond) // a few needs take what is left
		stereo := pcmOf(t, brainSide.chunks("mic_bytes", since), 16000, 2)
		mono := pcmOf(t, brainSide.chunks("mic_samples", since), 8000, 1)
		require.Equal(t, int(sent["stereo_frames"].(float64))*2, len(stereo), "every stereo sample arrived")
		require.Equal(t, int(sent["mono_samples"].(float64)), len(mono), "every mono sample arrived")
		for i := range len(stereo) / 2 {
			if stereo[2*i] != int16(i%32768) || stereo[2*i+1] != -int16(i%32768) {
				t.Fatalf("stereo frame %d is (%d, %d), want (%d, %d)", i, stereo[2*i], stereo[2*i+1], i, -i)
			}
		}
		for i, s := range mono {
			if s != int16(i%32768) {
				t.Fatalf("mono sample %d is %d", i, s)
			}
		}
	})

	t.Run("joint ticks", func(t *testing.T) {
		cs := brainSide.chunks("shoulder_pos", time.Time{})
		require.Greater(t, len(cs), 20)
		for i, c := range cs {
			require.Equal(t, "rawtick_f32x3", c.Format)
			require.Len(t, c.Data, 12)
			raw, prev := f32At(c.Data, 0), f32At(c.Data, 1)
			assert.Equal(t, float32(c.Meta["rawTick"].(float64)), raw)
			assert.Equal(t, float32(c.Meta["prevRawTick"].(float64)), prev)
			if i > 0 && cs[i-1].Seq == c.Seq-1 {
				assert.Equal(t, f32At(cs[i-1].Data, 0), prev, "previous tick of seq %d", c.Seq)
			}
		}
	})

	require.NoError(t, syscall.Kill(n.cmd.Process.Pid, syscall.SIGINT))
	select {
	case <-n.done:
	case <-time.After(5 * time.Second):
		t.Fatal("node still running 5 s after SIGINT")
	}
	assert.NoError(t, n.err)
	out := n.out.String()
	stats := inputStats(out)
	assert.GreaterOrEqual(t, stats["cam"]["rejected"], 2, "the bad frames are counted")
	for _, id := range []string{"overhead_cam", "cam", "depth", "cam_jpeg", "mic_bytes", "mic_samples"} {
		assert.Positive(t, stats[id]["sent"], id)
		assert.Zero(t, stats[id]["oversize"], id)
		assert.Zero(t, stats[id]["audio_dropped"], id)
	}
	for _, id := range []string{"mic_bytes", "mic_samples"} {
		assert.Zero(t, stats[id]["rejected"], id)
	}
	// Every raw frame, the odd ones included (their sizes and encodings
	// are the bridge's to refuse), is read from its wire form, none through
	// rclgo's deserializer.
	takes := statLines(cameraTakesLine, out)
	for _, id := range []string{"overhead_cam", "cam", "depth"} {
		assert.Positive(t, takes[id]["read"], id)
		assert.Zero(t, takes[id]["fallback"], id)
		assert.Zero(t, takes[id]["lost"], id)
	}
	for _, rec := range lb.Runs() {
		assert.Empty(t, rec.Malformed, "the brain accepted every chunk")
	}
	requireSimAcceptedAll(t, sim, 1)
}

// pcmOf checks the chunks' meta and concatenates their samples in seq order.
func pcmOf(t *testing.T, cs []localbrain.Chunk, rate, channels int) []int16 {
	t.Helper()
	slices.SortFunc(cs, func(a, b localbrain.Chunk) int { return int(a.Seq - b.Seq) })
	var out []int16
	for _, c := range cs {
		require.Equal(t, "pcm16", c.Format)
		require.Equal(t, float64(rate), c.Meta["sampleRate"])
		require.Equal(t, float64(channels), c.Meta["channels"])
		for i := 0; i+1 < len(c.Data); i += 2 {
			out = append(out, int16(binary.LittleEndian.Uint16(c.Data[i:])))
		}
	}
	return out
}

func f32At(data []byte, i int) float32 {
	return math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
}

var inputLine = regexp.MustCompile(`msg=input id=(\S+) kind=\S+ (.*)`)
var cameraTakesLine = regexp.MustCompile(`msg="camera takes" id=(\S+) (.*)`)
var statField = regexp.MustCompile(`(\w+)=(\d+)`)

// inputStats reads the node's per-input statistics lines at stop.
func inputStats(out string) map[string]map[string]int { return statLines(inputLine, out) }

// statLines reads the numeric fields of the node's lines that line
// matches, by input id.
func statLines(line *regexp.Regexp, out string) map[string]map[string]int {
	stats := map[string]map[string]int{}
	for _, m := range line.FindAllStringSubmatch(out, -1) {
		fields := map[string]int{}
		for _, f := range statField.FindAllStringSubmatch(m[2], -1) {
			fields[f[1]], _ = strconv.Atoi(f[2])
		}
		stats[m[1]] = fields
	}
	return stats
}
