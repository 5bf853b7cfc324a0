package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSensorInputsLoad(t *testing.T) {
	cfg, err := Load(filepath.Join("testdata", "valid", "sensor_inputs.yaml"))
	require.NoError(t, err)
	require.Len(t, cfg.Inputs, 5)
	cam, depth, camC, mic, samples := cfg.Inputs[0], cfg.Inputs[1], cfg.Inputs[2], cfg.Inputs[3], cfg.Inputs[4]

	assert.Equal(t, "camera/image_raw", cam.TopicName())
	assert.Equal(t, TypeImage, cam.MessageType(), "Image inputs default to sensor_msgs/Image")
	assert.Equal(t, 70, cam.Quality)
	assert.Equal(t, Resize{MaxSide: 320}, cam.Resize)
	assert.Equal(t, 200*time.Millisecond, cam.MaxAge)

	assert.Equal(t, TypeImage, depth.MessageType(), "the pkg/msg/Type form is accepted")
	assert.Equal(t, Resize{Width: 160, Height: 120}, depth.Resize)
	assert.Equal(t, []float64{0.2, 4}, depth.DepthRange)

	assert.Equal(t, "cam_c", camC.TopicName(), "the topic defaults to the id")
	assert.Equal(t, TypeCompressedImage, camC.MessageType())
	assert.Equal(t, 200000, camC.MaxBytes)

	assert.Equal(t, TypeUInt8MultiArray, mic.MessageType())
	assert.Equal(t, 16000, mic.SampleRate)
	assert.Equal(t, 2, mic.Channels)
	assert.Equal(t, 500*time.Millisecond, mic.MaxDuration)

	assert.Equal(t, TypeInt16MultiArray, samples.MessageType(), "Audio inputs default to std_msgs/Int16MultiArray")
	assert.Zero(t, samples.Channels, "0: the encoder's default (mono)")
}

// Every problem of every sensor input is reported at its own line.
func TestSensorInputProblems(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "invalid", "bad_sensor_inputs.yaml"))
	require.Error(t, err)
	want := []string{
		`:6: input "cam": topic "/camera/image_raw" must be relative`,
		`:7: input "cam": type "sensor_msgs/LaserScan" is not sensor_msgs/Image or sensor_msgs/CompressedImage`,
		`:8: input "cam": quality 101 is not within 1..100`,
		`:9: input "cam": resize takes max_side or width/height, not both`,
		`:10: input "cam": depth_range [2 1] must be [near, far]`,
		`:11: input "cam": sample_rate is not used by Image inputs`,
		`:12: input "cam-2": topic cam-2 (the id; set topic) is not a valid ROS topic name`,
		`:14: input "cam-2": max_bytes 2000000 is not within 1..1000000`,
		`:17: input "mic": type "std_msgs/Float32MultiArray" is not std_msgs/UInt8MultiArray or std_msgs/Int16MultiArray`,
		`:15: input "mic": sample_rate 0 is not within 1..1000000 (Hz; required)`,
		`:18: input "mic": channels 65 is not within 1..64`,
		`:19: input "mic": max_duration must not be negative`,
		`:20: input "mic": quality is not used by Audio inputs`,
		`:25: input "mic2": max_bytes 3 holds no 2-channel int16 frame`,
		`:29: input "p": topic is not used by Proprioception inputs`,
		`:30: input "p": resize is not used by Proprioception inputs`,
	}
	msg := err.Error()
	for _, w := range want {
		assert.Contains(t, msg, "bad_sensor_inputs.yaml"+w)
	}
	assert.Len(t, strings.Split(msg, "\n"), len(want), "no other problem reported:\n%s", msg)
}

func TestTopicNames(t *testing.T) {
	tests := []struct {
		topic string
		ok    bool
	}{
		{"camera/image_raw", true},
		{"_private/x1", true},
		{"mic", true},
		{"/abs", false},
		{"~/private", false},
		{"two//slashes", false},
		{"trailing/", false},
		{"1st", false},
		{"has space", false},
	}
	for _, tc := range tests {
		t.Run(tc.topic, func(t *testing.T) {
			doc := "joints: [{name: a}]\ninputs:\n  - {id: cam, kind: Image, topic: \"" + tc.topic + "\"}\n"
			_, err := Parse("t.yaml", []byte(doc))
			if tc.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, "t.yaml:3: input \"cam\": topic")
			}
		})
	}
}

// The demo streams the simulated arm's camera (scripts/demo, the node test).
func TestShippedCameraInput(t *testing.T) {
	cfg, err := Load("../../config/bridge.yaml")
	require.NoError(t, err)
	var cam *Input
	for i := range cfg.Inputs {
		if cfg.Inputs[i].ID == "overhead_cam" {
			cam = &cfg.Inputs[i]
		}
	}
	require.NotNil(t, cam)
	assert.Equal(t, "Image", cam.Kind)
	assert.Equal(t, "camera/image_raw", cam.TopicName(), "the sim's camera topic")
	assert.Equal(t, TypeImage, cam.MessageType())
	assert.Equal(t, 500*time.Millisecond, cam.MaxAge)
}
