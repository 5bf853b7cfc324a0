"""rclpy subscriber for the cycle -> trajectory latency benchmark.

Records, for each JointTrajectory on /joint_trajectory, the wall-clock
receive time (ns) and the cycle number the benchmark encoded in the first
point's first position (cycle * 10), then prints them as one JSON line.
"""

import argparse
import json
import time

import rclpy
from rclpy.node import Node
from trajectory_msgs.msg import JointTrajectory


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--timeout", type=float, default=120.0)
    a = ap.parse_args()
    rclpy.init()
    node = Node("ab_latency_probe")
    seen = []

    def on_traj(msg):
        now = time.time_ns()
        if msg.points and msg.points[0].positions:
            seen.append([round(msg.points[0].positions[0] / 10.0), now])

    node.create_subscription(JointTrajectory, "/joint_trajectory", on_traj, 1000)
    print("probe ready", flush=True)
    deadline = time.monotonic() + a.timeout
    while len(seen) < a.count and time.monotonic() < deadline:
        rclpy.spin_once(node, timeout_sec=0.05)
    print("RESULT " + json.dumps(seen), flush=True)
    node.destroy_node()
    rclpy.shutdown()


if __name__ == "__main__":
    main()
