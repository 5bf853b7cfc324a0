"""rclpy peer for the node's integration tests.

Watches /joint_trajectory (what the bridge publishes, which the sim follows)
and /joint_states (where the sim says its joints are) until it has seen
--min-trajectories trajectories and a joint state, and then --settle seconds
more, or --timeout seconds pass; then it prints one
JSON line summarising what it saw and exits. Every trajectory is checked as a
stock joint_trajectory_controller for --joints checks it (the sim's checker);
"contract" in the summary counts the accepted and refused ones, and each
refusal is logged to stderr (rate-limited per rule).
"""

import argparse
import json
import signal
import sys
import time
from pathlib import Path

import rclpy
from rclpy.node import Node
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectory

# One implementation of the controller contract for every stand-in robot: the sim's.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from sim.ab_arm_sim.trajectory import Tally, TrajectoryRefused, check, from_msg  # noqa: E402


class Probe(Node):
    def __init__(self, joints):
        super().__init__("ab_node_probe")
        self.controller_joints = joints
        self.tally = Tally()
        self.trajectories = 0
        self.joint_names = set()
        self.first_state = None
        self.last_state = None
        self.last_target = None
        self.points_total = 0
        self.create_subscription(JointTrajectory, "/joint_trajectory", self.on_traj, 100)
        self.create_subscription(JointState, "/joint_states", self.on_state, 100)

    def on_traj(self, msg):
        self.trajectories += 1
        self.joint_names.add(tuple(msg.joint_names))
        now = self.get_clock().now().nanoseconds
        try:
            check(from_msg(msg), self.controller_joints, now)
        except TrajectoryRefused as e:
            line = self.tally.refuse(e, now * 1e-9)
            if line is not None:
                print(line, file=sys.stderr, flush=True)
            return
        self.tally.accept()
        self.points_total += len(msg.points)
        self.last_target = dict(zip(msg.joint_names, msg.points[-1].positions))

    def on_state(self, msg):
        state = dict(zip(msg.name, msg.position))
        if self.first_state is None:
            self.first_state = state
        self.last_state = state


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-trajectories", type=int, default=20)
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--settle", type=float, default=0.0, help="seconds to keep watching after the minimum")
    ap.add_argument("--joints", default="shoulder,elbow", help="the controller's joints, comma-separated")
    a = ap.parse_args()
    signal.signal(signal.SIGINT, lambda *_: sys.exit(1))
    rclpy.init()
    probe = Probe(a.joints.split(","))
    print("probe ready", flush=True)
    deadline = time.monotonic() + a.timeout
    reached = None
    while time.monotonic() < deadline:
        rclpy.spin_once(probe, timeout_sec=0.05)
        # The sim's state counts too: a participant that starts just after
        # another left may take one announcement period (about 3 s here) to
        # discover the sim, and a probe that stopped at the minimum
        # trajectories then reported no state at all (one CI run in two).
        if reached is None and probe.trajectories >= a.min_trajectories and probe.first_state is not None:
            reached = time.monotonic()
        if reached is not None and time.monotonic() - reached >= a.settle:
            break
    out = {
        "trajectories": probe.trajectories,
        "points": probe.points_total,
        "joint_names": sorted(list(n) for n in probe.joint_names),
        "contract": probe.tally.summary(),
        "first_state": probe.first_state,
        "last_state": probe.last_state,
        "last_target": probe.last_target,
    }
    print("RESULT " + json.dumps(out), flush=True)
    probe.destroy_node()
    rclpy.shutdown()


if __name__ == "__main__":
    main()
