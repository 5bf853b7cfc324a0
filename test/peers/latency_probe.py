"""rclpy subscriber for the cycle -> trajectory latency benchmark.

Records, for each JointTrajectory on /joint_trajectory, the wall-clock
receive time (ns) and the cycle number the benchmark encoded in the first
point's first position (cycle * 10). Each trajectory is also checked, after
its receive time is taken, as a stock joint_trajectory_controller for
--joints checks it (the sim's checker); refusals are logged to stderr
(rate-limited per rule). Prints one line "RESULT {json}":
{"seen": [[cycle, ns], ...], "contract": {"accepted": ..., "refused": ..., ...}}.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import rclpy
from rclpy.node import Node
from trajectory_msgs.msg import JointTrajectory

# One implementation of the controller contract for every stand-in robot: the sim's.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from sim.ab_arm_sim.trajectory import Tally, TrajectoryRefused, check, from_msg  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--joints", default="shoulder,elbow", help="the controller's joints, comma-separated")
    a = ap.parse_args()
    joints = a.joints.split(",")
    rclpy.init()
    node = Node("ab_latency_probe")
    seen = []
    tally = Tally()

    def on_traj(msg):
        now = time.time_ns()
        if msg.points and msg.points[0].positions:
            seen.append([round(msg.points[0].positions[0] / 10.0), now])
        clock_ns = node.get_clock().now().nanoseconds
        try:
            check(from_msg(msg), joints, clock_ns)
        except TrajectoryRefused as e:
            line = tally.refuse(e, clock_ns * 1e-9)
            if line is not None:
                print(line, file=sys.stderr, flush=True)
            return
        tally.accept()

    node.create_subscription(JointTrajectory, "/joint_trajectory", on_traj, 1000)
    print("probe ready", flush=True)
    deadline = time.monotonic() + a.timeout
    while len(seen) < a.count and time.monotonic() < deadline:
        rclpy.spin_once(node, timeout_sec=0.05)
    print("RESULT " + json.dumps({"seen": seen, "contract": tally.summary()}), flush=True)
    node.destroy_node()
    rclpy.shutdown()


if __name__ == "__main__":
    main()
