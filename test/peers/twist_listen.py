"""Listens to geometry_msgs/TwistStamped, as diff_drive_controller would, for the cmd_vel test.

Usage: twist_listen.py TOPIC SECONDS

Subscribes TOPIC with the controller's profile (the system default:
reliable, volatile, keep-last 10), prints "listening" once subscribed and
"first twist" when the first message arrives (discovery may take seconds
after "listening" on a loaded machine: one CI run heard its first twist
2.7 s later), and when stdin ends (or a line "stop" arrives), or at the latest after SECONDS,
prints "RESULT {json}": every message received, as
{"t" (wall time of receipt), "stamp" (header stamp, s), "frame", "linear"
[x, y, z], "angular" [x, y, z]}; NaN and infinities are sent as strings so
that the JSON stays valid and the test sees them.
"""

from __future__ import annotations

import json
import math
import sys
import threading
import time

import rclpy
from geometry_msgs.msg import TwistStamped
from rclpy.node import Node


def num(v: float):
    return v if math.isfinite(v) else repr(v)


def main() -> int:
    topic, seconds = sys.argv[1], float(sys.argv[2])
    rclpy.init()
    node = Node("twist_listen")
    got = []

    def on_twist(m: TwistStamped) -> None:
        got.append({
            "t": time.time(),
            "stamp": m.header.stamp.sec + m.header.stamp.nanosec * 1e-9,
            "frame": m.header.frame_id,
            "linear": [num(m.twist.linear.x), num(m.twist.linear.y), num(m.twist.linear.z)],
            "angular": [num(m.twist.angular.x), num(m.twist.angular.y), num(m.twist.angular.z)],
        })
        if len(got) == 1:
            print("first twist", flush=True)

    node.create_subscription(TwistStamped, topic, on_twist, 10)
    print("listening", flush=True)
    # The test says when it has seen enough (a fixed window raced a slow
    # service call on a loaded machine); SECONDS only bounds the wait.
    stop = threading.Event()

    def watch_stdin() -> None:
        for line in sys.stdin:
            if line.strip() == "stop":
                break
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end and not stop.is_set():
            rclpy.spin_once(node, timeout_sec=0.05)
        print("RESULT " + json.dumps(got), flush=True)
        return 0
    finally:
        node.destroy_node()
        rclpy.shutdown()


if __name__ == "__main__":
    sys.exit(main())
