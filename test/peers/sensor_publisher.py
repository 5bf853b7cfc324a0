"""rclpy peer for the sensor integration test: publishes camera and audio
messages of every type the bridge subscribes, as the test commands.

Reads one command a line on stdin and answers each with one line
"OK <json>" on stdout (or "ERR <reason>"); prints "READY" once its
publishers exist. Frames repeat at 10 Hz on their topic until the next
command for that topic.

  image ENC R G B        sensor_msgs/Image on sensors/cam: 64×48 of one colour
                         in rgb8, bgr8, rgba8, bgra8, mono8 (R) or mono16 (R×257),
                         rows padded with 8 bytes of 0xEE
  depth ENC METRES       sensor_msgs/Image on sensors/depth: 32×24 of one depth,
                         16UC1 (millimetres) or 32FC1 (metres)
  compressed FMT R G B   sensor_msgs/CompressedImage on sensors/cam_jpeg: 48×32,
                         FMT jpeg or png (Pillow); answers with the bytes (base64)
  bad KIND               sensor_msgs/Image on sensors/cam that must be refused:
                         KIND size (step × height ≠ data) or encoding (yuv422);
                         sent 3 times at once, then nothing more on sensors/cam
  audio on|off           std_msgs/UInt8MultiArray on sensors/mic_bytes (16 kHz
                         stereo, frame i = (i, -i) mod 2^15) and
                         std_msgs/Int16MultiArray on sensors/mic_samples (8 kHz
                         mono, sample i = i mod 2^15), in 20 ms messages;
                         "off" answers with the frames sent on each
"""

import base64
import io
import json
import signal
import sys
import threading
import time

import numpy as np
import rclpy
from PIL import Image as PILImage
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Int16MultiArray, UInt8MultiArray

PAD = 8
BPP = {"rgb8": 3, "bgr8": 3, "rgba8": 4, "bgra8": 4, "mono8": 1, "mono16": 2}
AUDIO_PERIOD = 0.02


def solid(enc, w, h, r, g, b):
    """One colour in enc, each row padded with PAD bytes of 0xEE."""
    px = {
        "rgb8": bytes([r, g, b]),
        "bgr8": bytes([b, g, r]),
        "rgba8": bytes([r, g, b, 255]),
        "bgra8": bytes([b, g, r, 255]),
        "mono8": bytes([r]),
        "mono16": (r * 257).to_bytes(2, "little"),
    }[enc]
    step = w * len(px) + PAD
    row = px * w + b"\xee" * PAD
    return step, row * h


class Publisher(Node):
    def __init__(self):
        super().__init__("ab_sensor_publisher")
        self.cam = self.create_publisher(Image, "sensors/cam", 10)
        self.depth = self.create_publisher(Image, "sensors/depth", 10)
        self.jpeg = self.create_publisher(CompressedImage, "sensors/cam_jpeg", 10)
        self.mic_bytes = self.create_publisher(UInt8MultiArray, "sensors/mic_bytes", 100)
        self.mic_samples = self.create_publisher(Int16MultiArray, "sensors/mic_samples", 100)
        self.repeat = {}  # topic publisher -> message, republished at 10 Hz
        self.lock = threading.Lock()
        self.audio = False
        self.stereo_frames = 0
        self.mono_samples = 0
        self.create_timer(0.1, self.tick_frames)
        self.create_timer(AUDIO_PERIOD, self.tick_audio)

    def tick_frames(self):
        with self.lock:
            items = list(self.repeat.items())
        for pub, msg in items:
            msg.header.stamp = self.get_clock().now().to_msg()
            pub.publish(msg)

    def tick_audio(self):
        with self.lock:
            if not self.audio:
                return
            n_stereo = int(16000 * AUDIO_PERIOD)
            i = np.arange(self.stereo_frames, self.stereo_frames + n_stereo) % 32768
            frames = np.stack([i, -i], axis=1).astype("<i2")
            self.stereo_frames += n_stereo
            n_mono = int(8000 * AUDIO_PERIOD)
            mono = (np.arange(self.mono_samples, self.mono_samples + n_mono) % 32768).astype(np.int16)
            self.mono_samples += n_mono
        b = UInt8MultiArray()
        b.data = frames.tobytes()
        self.mic_bytes.publish(b)
        s = Int16MultiArray()
        s.data = mono.tolist()
        self.mic_samples.publish(s)

    def command(self, words):
        op = words[0]
        if op == "image":
            enc, (r, g, b) = words[1], map(int, words[2:5])
            step, data = solid(enc, 64, 48, r, g, b)
            self.set(self.cam, raw(64, 48, enc, step, data))
            return {"step": step}
        if op == "depth":
            enc, metres = words[1], float(words[2])
            if enc == "16UC1":
                px, size = int(round(metres * 1000)).to_bytes(2, "little"), 2
            else:
                px, size = np.float32(metres).tobytes(), 4
            self.set(self.depth, raw(32, 24, enc, 32 * size, px * (32 * 24)))
            return {}
        if op == "compressed":
            fmt, rgb = words[1], tuple(map(int, words[2:5]))
            out = io.BytesIO()
            PILImage.new("RGB", (48, 32), rgb).save(out, "JPEG" if fmt == "jpeg" else "PNG")
            msg = CompressedImage()
            msg.format = fmt
            msg.data = out.getvalue()
            self.set(self.jpeg, msg)
            return {"data": base64.b64encode(out.getvalue()).decode()}
        if op == "bad":
            if words[1] == "size":
                msg = raw(64, 48, "rgb8", 64 * 3, bytes(100))
            else:
                msg = raw(64, 48, "yuv422", 64 * 2, bytes(64 * 2 * 48))
            with self.lock:
                self.repeat.pop(self.cam, None)
            for _ in range(3):
                self.cam.publish(msg)
                time.sleep(0.05)
            return {}
        if op == "audio":
            with self.lock:
                self.audio = words[1] == "on"
                return {"stereo_frames": self.stereo_frames, "mono_samples": self.mono_samples}
        raise ValueError(f"unknown command {op!r}")

    def set(self, pub, msg):
        with self.lock:
            self.repeat[pub] = msg


def raw(w, h, enc, step, data):
    msg = Image()
    msg.width, msg.height, msg.encoding, msg.step = w, h, enc, step
    msg.header.frame_id = "test_camera"
    msg.data = data
    return msg


def main():
    rclpy.init(signal_handler_options=SignalHandlerOptions.NO)
    node = Publisher()
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def spin():
        while not stop.is_set():
            rclpy.spin_once(node, timeout_sec=0.05)

    spinner = threading.Thread(target=spin, daemon=True)
    spinner.start()
    print("READY", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        try:
            print("OK " + json.dumps(node.command(words)), flush=True)
        except Exception as e:  # the test sees the reason and fails
            print(f"ERR {type(e).__name__}: {e}", flush=True)
    stop.set()
    spinner.join(2)
    node.destroy_node()
    rclpy.try_shutdown()


if __name__ == "__main__":
    main()
