"""rclpy robot and graph observer for the launch tests (test/launch_test.go).

Publishes sensor_msgs/JointState for --joints on --joint-states at 50 Hz
(positions fixed at --initial), counts the JointTrajectory messages on
--joint-trajectory and checks each as a stock joint_trajectory_controller
for --joints would (the sim's checker), and watches the ROS graph for the
node --node (its full name) until it has seen --min-trajectories
trajectories or --timeout seconds pass. Then it prints

  RESULT {"node_seen", "publishes", "subscribes", "trajectories", "contract", "nodes"}

where publishes and subscribes are the topics the graph lists for that node
(after its remaps), and nodes every full node name it saw.
"""

import argparse
import json
import signal
import sys
import threading
import time
from pathlib import Path

import rclpy
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectory

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from sim.ab_arm_sim.trajectory import Tally, TrajectoryRefused, check, from_msg  # noqa: E402


class Probe(Node):
    def __init__(self, a):
        super().__init__("ab_launch_probe")
        self.joints = a.joints.split(",")
        self.positions = [float(x) for x in a.initial.split(",")]
        self.tally = Tally()
        self.trajectories = 0
        self.pub = self.create_publisher(JointState, a.joint_states, 10)
        self.create_subscription(JointTrajectory, a.joint_trajectory, self.on_traj, 100)
        self.create_timer(0.02, self.tick)

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

    def graph(self, full_name):
        ns, _, name = full_name.rpartition("/")
        ns = ns or "/"
        nodes = sorted((n_ns.rstrip("/") + "/" + n) for n, n_ns in self.get_node_names_and_namespaces())
        if full_name not in nodes:
            return False, [], [], nodes
        pubs = sorted(t for t, _ in self.get_publisher_names_and_types_by_node(name, ns))
        subs = sorted(t for t, _ in self.get_subscriber_names_and_types_by_node(name, ns))
        return True, pubs, subs, nodes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--node", required=True, help="full name of the node to watch")
    ap.add_argument("--joints", default="shoulder,elbow")
    ap.add_argument("--initial", default="-0.3,0.3")
    ap.add_argument("--joint-states", required=True)
    ap.add_argument("--joint-trajectory", required=True)
    ap.add_argument("--min-trajectories", type=int, default=10)
    ap.add_argument("--timeout", type=float, default=60.0)
    a = ap.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    rclpy.init(signal_handler_options=SignalHandlerOptions.NO)
    probe = Probe(a)
    print("READY", flush=True)
    seen, pubs, subs, nodes = False, [], [], []
    deadline = time.monotonic() + a.timeout
    while not stop.is_set() and time.monotonic() < deadline:
        rclpy.spin_once(probe, timeout_sec=0.05)
        seen, pubs, subs, nodes = probe.graph(a.node)
        if seen and probe.trajectories >= a.min_trajectories:
            break
    print("RESULT " + json.dumps({"node_seen": seen, "publishes": pubs, "subscribes": subs, "nodes": nodes,
                                  "trajectories": probe.trajectories, "contract": probe.tally.summary()}), flush=True)
    probe.destroy_node()
    rclpy.shutdown()


if __name__ == "__main__":
    main()
