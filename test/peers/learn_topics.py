"""Publishes the topics a policy may read, for the learning-signals test.

Usage: learn_topics.py --seconds S

At 20 Hz for S seconds, on the root namespace:
  joint_states  sensor_msgs/JointState   shoulder 0.2, elbow 0.1
  goal          sensor_msgs/JointState   shoulder 0.2 (a target posture)
  task/score    std_msgs/Float64         0.9
  task/score32  std_msgs/Float32         0.3
  task/error    std_msgs/Float64MultiArray [0.25, -0.5]

Prints "RESULT {json}" with {"published": [t0, t1]} (Unix seconds: from
the first message every subscriber of the node could have matched, to the
last), then exits 0; exits 1 with {"error": ...} when the node's
subscriptions never show up.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time

import rclpy
from rclpy.node import Node
from sensor_msgs.msg import JointState
from std_msgs.msg import Float32, Float64, Float64MultiArray

DISCOVERY_TIMEOUT_S = 20.0
MATCH_SETTLE_S = 0.3


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, required=True)
    a = ap.parse_args()
    signal.signal(signal.SIGINT, lambda *_: sys.exit(1))
    rclpy.init()
    n = Node("learn_topics")
    pubs = {
        "joint_states": n.create_publisher(JointState, "/joint_states", 10),
        "goal": n.create_publisher(JointState, "/goal", 10),
        "task/score": n.create_publisher(Float64, "/task/score", 10),
        "task/score32": n.create_publisher(Float32, "/task/score32", 10),
        "task/error": n.create_publisher(Float64MultiArray, "/task/error", 10),
    }
    deadline = time.monotonic() + DISCOVERY_TIMEOUT_S
    while any(p.get_subscription_count() == 0 for p in pubs.values()):
        if time.monotonic() > deadline:
            missing = [name for name, p in pubs.items() if p.get_subscription_count() == 0]
            print("RESULT " + json.dumps({"error": f"nobody subscribed {missing}"}), flush=True)
            sys.exit(1)
        rclpy.spin_once(n, timeout_sec=0.05)
    time.sleep(MATCH_SETTLE_S)

    t0 = time.time()
    end = time.monotonic() + a.seconds
    while time.monotonic() < end:
        stamp = n.get_clock().now().to_msg()
        js = JointState(name=["shoulder", "elbow"], position=[0.2, 0.1])
        js.header.stamp = stamp
        pubs["joint_states"].publish(js)
        goal = JointState(name=["shoulder"], position=[0.2])
        goal.header.stamp = stamp
        pubs["goal"].publish(goal)
        pubs["task/score"].publish(Float64(data=0.9))
        pubs["task/score32"].publish(Float32(data=0.3))
        pubs["task/error"].publish(Float64MultiArray(data=[0.25, -0.5]))
        time.sleep(0.05)
    print("RESULT " + json.dumps({"published": [t0, time.time()]}), flush=True)
    n.destroy_node()
    rclpy.shutdown()


if __name__ == "__main__":
    main()
