"""rclpy camera for load benchmarks: publishes sensor_msgs/Image (rgb8) of
--width × --height at --hz on --topic until stopped (SIGINT).

The frames look like a camera's rather than a test card's: a smooth
gradient, a bright square that moves a few pixels each frame and a little
sensor noise, so that every JPEG differs and none compresses to nothing.
Sixteen frames are made up front and cycled, which keeps this peer's own
CPU small; the stamp of each is the time it is sent. Prints "camera ready"
once its publisher exists and, at the end, "RESULT {"frames": N}".
"""

import argparse
import json

import numpy as np
import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from sensor_msgs.msg import Image

FRAMES = 16


def make_frames(width, height):
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1),
                     (x + y) * 255 // max(width + height - 2, 1)], axis=-1).astype(np.int16)
    side = max(8, min(width, height) // 6)
    frames = []
    for i in range(FRAMES):
        f = base.copy()
        x0 = (i * width // FRAMES) % max(width - side, 1)
        y0 = (i * height // (2 * FRAMES)) % max(height - side, 1)
        f[y0:y0 + side, x0:x0 + side] = 250
        f += rng.integers(-6, 7, size=f.shape, dtype=np.int16)
        frames.append(np.clip(f, 0, 255).astype(np.uint8).tobytes())
    return frames


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--topic", default="/camera/image_raw")
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=480)
    ap.add_argument("--hz", type=float, default=30.0)
    a = ap.parse_args()
    frames = make_frames(a.width, a.height)
    rclpy.init()
    node = Node("ab_camera_publisher")
    pub = node.create_publisher(Image, a.topic, 10)
    msgs = []
    for data in frames:
        m = Image()
        m.height, m.width, m.encoding, m.step = a.height, a.width, "rgb8", a.width * 3
        m.header.frame_id = "camera"
        m.data = data
        msgs.append(m)
    sent = [0]

    def publish():
        m = msgs[sent[0] % FRAMES]
        m.header.stamp = node.get_clock().now().to_msg()
        pub.publish(m)
        sent[0] += 1

    node.create_timer(1.0 / a.hz, publish)
    print("camera ready", flush=True)
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        print("RESULT " + json.dumps({"frames": sent[0]}), flush=True)
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    main()
