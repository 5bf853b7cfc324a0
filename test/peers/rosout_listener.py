"""Listens to /rosout for the log test.

Usage: rosout_listener.py --seconds S

Subscribes rcl_interfaces/Log on /rosout (the QoS rcl publishes it with:
reliable, transient local, so lines a node logged before this subscriber
matched arrive too), prints "READY" once subscribed, and after S seconds
prints "RESULT {json}" with every message: {"name", "level", "msg"}.
"""

from __future__ import annotations

import argparse
import json
import time

import rclpy
from rcl_interfaces.msg import Log
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, required=True)
    args = ap.parse_args()
    rclpy.init()
    node = Node("rosout_listener")
    got: list[dict] = []
    qos = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL)
    node.create_subscription(
        Log, "/rosout", lambda m: got.append({"name": m.name, "level": int(m.level), "msg": m.msg}), qos
    )
    print("READY", flush=True)
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        rclpy.spin_once(node, timeout_sec=0.1)
    print("RESULT " + json.dumps({"messages": got}), flush=True)
    node.destroy_node()
    rclpy.shutdown()


if __name__ == "__main__":
    main()
