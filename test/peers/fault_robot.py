"""rclpy robot for the node's fault tests (test/faults_test.go).

A kinematic arm: it publishes /joint_states at --rate Hz and follows every
/joint_trajectory it accepts exactly (the sim's Follower, no dynamics), so
the positions it publishes are the ones the bridge must hold at. Every
trajectory is checked with the sim's controller checker and reported at
once on stdout, with the wall time of its receipt (time.time(), the clock
the Go test reads too):

  TRAJ {"t", "n", "hold", "first", "refused", "d_last", "d_recent", "pmin", "pmax", "vmax"}

hold is a one-point trajectory at rest. d_last is the largest joint
difference of the first point from the last published joint_states,
d_recent the smallest such difference over what was published in the last
0.5 s (a hold after a lost link may be computed from any recent sample, a
motion starts from the sample its cycle used); both are null before
anything was published. pmin/pmax are each joint's lowest and highest
position over the points, vmax its fastest move between two points (in
the message's joint order).

Commands on stdin, one a line: pause (stop publishing joint_states),
resume, quit. --paused starts without publishing. Each command is answered
with "PAUSED <t>" / "RESUMED <t>" (wall time of the change). At exit (quit,
end of stdin or SIGINT) it prints SUMMARY {json} with the checker's tally.

Topic names are relative: `--ros-args -r __ns:=/robot1` puts the robot in
a namespace (one robot of a fleet); without one they resolve to
/joint_states and /joint_trajectory.
"""

import argparse
import collections
import json
import signal
import sys
import threading
import time
from pathlib import Path

import rclpy
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions
from rclpy.utilities import remove_ros_args
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectory

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from sim.ab_arm_sim.trajectory import Follower, Tally, TrajectoryRefused, build_plan, from_msg  # noqa: E402

LIMIT = 2.9  # the test config's joint limits
RECENT_S = 0.5


def say(*parts):
    print(*parts, flush=True)


class Robot(Node):
    def __init__(self, joints, initial, rate, paused):
        super().__init__("ab_fault_robot")
        self.joints = joints
        self.limits = {j: (-LIMIT, LIMIT) for j in joints}
        self.pos = list(initial)
        self.vel = [0.0] * len(joints)
        self.follower = Follower(initial)
        self.tally = Tally()
        self.lock = threading.Lock()
        self.paused = paused
        self.published = 0
        self.holds = 0
        self.motions = 0
        self.recent = collections.deque()  # (wall time, positions) published
        self.last_tick = None
        self.pub = self.create_publisher(JointState, "joint_states", 10)
        self.create_subscription(JointTrajectory, "joint_trajectory", self.on_traj, 100)
        self.create_timer(1.0 / rate, self.tick)

    def now_s(self):
        return self.get_clock().now().nanoseconds * 1e-9

    def tick(self):
        now = self.now_s()
        prev = list(self.pos)
        self.pos = self.follower.setpoints(now, self.pos, self.vel)
        if self.last_tick is not None and now > self.last_tick:
            self.vel = [(a - b) / (now - self.last_tick) for a, b in zip(self.pos, prev)]
        self.last_tick = now
        with self.lock:
            if self.paused:
                return
        msg = JointState()
        msg.header.stamp = self.get_clock().now().to_msg()
        msg.name = list(self.joints)
        msg.position = list(self.pos)
        msg.velocity = list(self.vel)
        self.pub.publish(msg)
        wall = time.time()
        self.published += 1
        self.recent.append((wall, list(self.pos)))
        while self.recent and self.recent[0][0] < wall - RECENT_S:
            self.recent.popleft()

    def on_traj(self, msg):
        wall = time.time()
        now_ns = self.get_clock().now().nanoseconds
        traj = from_msg(msg)
        rec = {"t": wall, "n": len(traj.points), "hold": False, "first": None, "refused": None,
               "d_last": None, "d_recent": None}
        # Per joint, the highest and lowest position of any point and the
        # fastest move between two points: what joint limits bound.
        pts = [(p.time_from_start.sec + p.time_from_start.nanosec * 1e-9, list(p.positions)) for p in msg.points]
        rec["pmax"] = [max(p[1][j] for p in pts) for j in range(len(msg.joint_names))] if pts else None
        rec["pmin"] = [min(p[1][j] for p in pts) for j in range(len(msg.joint_names))] if pts else None
        rec["vmax"] = [max((abs(b[1][j] - a[1][j]) / (b[0] - a[0]) for a, b in zip(pts, pts[1:]) if b[0] > a[0]),
                           default=0.0) for j in range(len(msg.joint_names))]
        try:
            plan, _ = build_plan(traj, self.joints, self.limits, now_ns)
        except TrajectoryRefused as e:
            self.tally.refuse(e, now_ns * 1e-9)
            rec["refused"] = str(e)
            say("TRAJ", json.dumps(rec))
            return
        self.tally.accept()
        self.follower.replace(plan, None)
        first = list(plan.positions[0])
        rec["first"] = first
        at_rest = plan.velocities[0] is None or all(v == 0 for v in plan.velocities[0])
        rec["hold"] = len(plan.times) == 1 and at_rest
        dist = lambda p: max(abs(a - b) for a, b in zip(first, p))  # noqa: E731
        if self.recent:
            rec["d_last"] = dist(self.recent[-1][1])
            rec["d_recent"] = min(dist(p) for _, p in self.recent)
        if rec["hold"]:
            self.holds += 1
        else:
            self.motions += 1
        say("TRAJ", json.dumps(rec))

    def command(self, cmd):
        with self.lock:
            if cmd == "pause":
                self.paused = True
                say("PAUSED", time.time())
            elif cmd == "resume":
                self.paused = False
                say("RESUMED", time.time())

    def summary(self):
        return {"contract": self.tally.summary(), "published": self.published,
                "holds": self.holds, "motions": self.motions}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--joints", default="shoulder,elbow")
    ap.add_argument("--initial", default="-0.3,0.3")
    ap.add_argument("--rate", type=float, default=50.0)
    ap.add_argument("--paused", action="store_true", help="start without publishing joint_states")
    # rcl's own arguments (--ros-args ...) are rclpy.init's, not ours.
    a = ap.parse_args(remove_ros_args(sys.argv)[1:])
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    rclpy.init(args=sys.argv, signal_handler_options=SignalHandlerOptions.NO)
    robot = Robot(a.joints.split(","), [float(x) for x in a.initial.split(",")], a.rate, a.paused)

    def read_stdin():
        for line in sys.stdin:
            cmd = line.strip()
            if cmd == "quit":
                break
            robot.command(cmd)
        stop.set()

    say("READY")
    threading.Thread(target=read_stdin, daemon=True).start()
    while not stop.is_set():
        rclpy.spin_once(robot, timeout_sec=0.02)
    say("SUMMARY", json.dumps(robot.summary()))
    robot.destroy_node()
    rclpy.shutdown()


if __name__ == "__main__":
    main()
