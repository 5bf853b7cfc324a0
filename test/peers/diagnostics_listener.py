"""Listens to /diagnostics for the diagnostics test.

Usage: diagnostics_listener.py --seconds S

Subscribes diagnostic_msgs/DiagnosticArray on /diagnostics with the QoS
diagnostic_aggregator uses (reliable, volatile), prints "READY" once
subscribed, and after S seconds prints "RESULT {json}" with every array:
{"stamp": seconds, "received": seconds (wall), "status": [{"level", "name",
"message", "hardware_id", "values": {key: value}}]}.
"""

from __future__ import annotations

import argparse
import json
import time

import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, required=True)
    args = ap.parse_args()
    rclpy.init()
    node = Node("diagnostics_listener")
    got: list[dict] = []

    def on_array(m: DiagnosticArray) -> None:
        got.append(
            {
                "stamp": m.header.stamp.sec + m.header.stamp.nanosec / 1e9,
                "received": time.time(),
                "status": [
                    {
                        "level": int.from_bytes(s.level, "little") if isinstance(s.level, bytes) else int(s.level),
                        "name": s.name,
                        "message": s.message,
                        "hardware_id": s.hardware_id,
                        "values": {kv.key: kv.value for kv in s.values},
                    }
                    for s in m.status
                ],
            }
        )

    qos = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.VOLATILE)
    node.create_subscription(DiagnosticArray, "/diagnostics", on_array, qos)
    print("READY", flush=True)
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        rclpy.spin_once(node, timeout_sec=0.1)
    print("RESULT " + json.dumps({"arrays": got}), flush=True)
    node.destroy_node()
    rclpy.shutdown()


if __name__ == "__main__":
    main()
