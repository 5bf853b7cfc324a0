"""rclpy peer for the node's QoS tests (test/qos_test.go).

Publishes /joint_states at --rate Hz with the QoS --js-qos names:
  sensor_data  rclpy's qos_profile_sensor_data (best effort, keep last 5),
               what most robot drivers publish joint_states with;
  reliable     reliable, keep last 10 (rclpy's default publisher).
Subscribes /joint_trajectory with an explicitly RELIABLE profile (keep last
10, volatile), which only a reliable publisher matches, and checks every
trajectory as a stock joint_trajectory_controller would (the sim's checker).
With --transient-local-sub it also subscribes /joint_trajectory with a
transient-local profile, which a volatile publisher cannot serve (the node
should report it). Runs until --min-trajectories arrived and --settle
seconds more passed, or --timeout; then prints RESULT {json} and exits.
"""

import argparse
import json
import signal
import sys
import time
from pathlib import Path

import rclpy
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectory

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from sim.ab_arm_sim.trajectory import Tally, TrajectoryRefused, check, from_msg  # noqa: E402

RELIABLE_SUB = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=10,
                          reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.VOLATILE)
LATCHED_SUB = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1,
                         reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL)


class Peer(Node):
    def __init__(self, joints, positions, js_qos, rate, transient_local_sub):
        super().__init__("ab_qos_peer")
        self.joints = joints
        self.positions = positions
        self.tally = Tally()
        self.trajectories = 0
        self.latched = 0
        profile = qos_profile_sensor_data if js_qos == "sensor_data" else QoSProfile(depth=10)
        self.pub = self.create_publisher(JointState, "/joint_states", profile)
        self.create_subscription(JointTrajectory, "/joint_trajectory", self.on_traj, RELIABLE_SUB)
        if transient_local_sub:
            self.create_subscription(JointTrajectory, "/joint_trajectory", self.on_latched, LATCHED_SUB)
        self.create_timer(1.0 / rate, self.tick)

    def tick(self):
        msg = JointState()
        msg.header.stamp = self.get_clock().now().to_msg()
        msg.name = list(self.joints)
        msg.position = list(self.positions)
        msg.velocity = [0.0] * len(self.joints)
        self.pub.publish(msg)

    def on_traj(self, msg):
        self.trajectories += 1
        now = self.get_clock().now().nanoseconds
        try:
            check(from_msg(msg), self.joints, now)
        except TrajectoryRefused as e:
            line = self.tally.refuse(e, now * 1e-9)
            if line is not None:
                print(line, file=sys.stderr, flush=True)
            return
        self.tally.accept()

    def on_latched(self, _msg):
        self.latched += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--js-qos", choices=["sensor_data", "reliable"], required=True)
    ap.add_argument("--joints", default="shoulder,elbow")
    ap.add_argument("--positions", default="-0.3,0.3")
    ap.add_argument("--rate", type=float, default=50.0)
    ap.add_argument("--min-trajectories", type=int, default=20)
    ap.add_argument("--settle", type=float, default=0.0)
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--transient-local-sub", action="store_true")
    a = ap.parse_args()
    signal.signal(signal.SIGINT, lambda *_: sys.exit(1))
    rclpy.init()
    peer = Peer(a.joints.split(","), [float(x) for x in a.positions.split(",")], a.js_qos, a.rate,
                a.transient_local_sub)
    print("qos peer ready", flush=True)
    deadline = time.monotonic() + a.timeout
    reached = None
    while time.monotonic() < deadline:
        rclpy.spin_once(peer, timeout_sec=0.05)
        if reached is None and peer.trajectories >= a.min_trajectories:
            reached = time.monotonic()
        if reached is not None and time.monotonic() - reached >= a.settle:
            break
    out = {"trajectories": peer.trajectories, "latched": peer.latched, "contract": peer.tally.summary()}
    print("RESULT " + json.dumps(out), flush=True)
    peer.destroy_node()
    rclpy.shutdown()


if __name__ == "__main__":
    main()
