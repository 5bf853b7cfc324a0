"""rclpy robot on sim time for the node's sim-time test (test/simtime_test.go).

It plays the simulator: it publishes /clock (rosgraph_msgs/Clock, best
effort, as simulators do) running at --factor × real time from --start
seconds (far from the wall's Unix time, so a stamp shows which clock it
came from), and a kinematic arm on that clock: /joint_states stamped with
sim time, following every /joint_trajectory it accepts with the sim's
controller checker read against its sim now (what a controller on
use_sim_time does). It also listens to /diagnostics and notes each
array's stamp beside its own sim now at receipt.

Schedule (wall seconds): joint_states without /clock for --no-clock
seconds (the node must command nothing: its sim time is unknown), then
/clock; --settle after the first accepted motion, joint_states pause for
--pause seconds, then --after more seconds, and it prints

  SUMMARY {json}

with the trajectories (sim and wall receipt times, hold, refused, stamp)
and the diagnostics stamps, then exits.
"""

import argparse
import json
import sys
import threading
import time
from pathlib import Path

import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rclpy.signals import SignalHandlerOptions
from rclpy.utilities import remove_ros_args
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectory

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from sim.ab_arm_sim.trajectory import Follower, Tally, TrajectoryRefused, build_plan, from_msg  # noqa: E402

LIMIT = 2.9  # the test config's joint limits


class SimRobot(Node):
    def __init__(self, a):
        super().__init__("ab_sim_clock_robot")
        self.a = a
        self.joints = a.joints.split(",")
        self.limits = {j: (-LIMIT, LIMIT) for j in self.joints}
        self.pos = [float(x) for x in a.initial.split(",")]
        self.follower = Follower(self.pos)
        self.tally = Tally()
        self.lock = threading.Lock()
        self.wall0 = time.time()
        self.clock_on = False
        self.paused = False
        self.trajs = []
        self.diags = []
        self.events = {}
        self.clock_pub = self.create_publisher(Clock, "/clock", QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT))
        self.js_pub = self.create_publisher(JointState, "joint_states", 10)
        self.create_subscription(JointTrajectory, "joint_trajectory", self.on_traj, 100)
        self.create_subscription(DiagnosticArray, "/diagnostics", self.on_diag, 10)

    def sim_ns(self):
        """Sim time now: --start plus the wall time since start, scaled."""
        return int((self.a.start + (time.time() - self.wall0) * self.a.factor) * 1e9)

    def tick_clock(self):
        if self.clock_on:
            m = Clock()
            ns = self.sim_ns()
            m.clock.sec, m.clock.nanosec = ns // 1_000_000_000, ns % 1_000_000_000
            self.clock_pub.publish(m)

    def tick_joints(self):
        ns = self.sim_ns()
        with self.lock:
            self.pos = self.follower.setpoints(ns * 1e-9, self.pos, [0.0] * len(self.pos))
            if self.paused:
                return
            msg = JointState()
            msg.header.stamp.sec, msg.header.stamp.nanosec = ns // 1_000_000_000, ns % 1_000_000_000
            msg.name = list(self.joints)
            msg.position = list(self.pos)
        self.js_pub.publish(msg)

    def on_traj(self, msg):
        wall, ns = time.time(), self.sim_ns()
        traj = from_msg(msg)
        rec = {"wall": wall, "sim": ns * 1e-9, "n": len(traj.points), "hold": False, "refused": None,
               "stamp": traj.stamp_ns * 1e-9, "clock_on": self.clock_on}
        try:
            plan, _ = build_plan(traj, self.joints, self.limits, ns)
        except TrajectoryRefused as e:
            self.tally.refuse(e, ns * 1e-9)
            rec["refused"] = str(e)
        else:
            self.tally.accept()
            with self.lock:
                self.follower.replace(plan, None)
            at_rest = plan.velocities[0] is None or all(v == 0 for v in plan.velocities[0])
            rec["hold"] = len(plan.times) == 1 and at_rest
        with self.lock:
            self.trajs.append(rec)

    def on_diag(self, msg):
        st = msg.header.stamp
        with self.lock:
            self.diags.append({"stamp": st.sec + st.nanosec * 1e-9, "sim": self.sim_ns() * 1e-9, "wall": time.time()})

    def mark(self, name):
        self.events[name] = {"wall": time.time(), "sim": self.sim_ns() * 1e-9}
        print(name.upper(), json.dumps(self.events[name]), flush=True)

    def first_motion(self):
        with self.lock:
            return any(r["refused"] is None and not r["hold"] for r in self.trajs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--factor", type=float, required=True, help="sim seconds per wall second")
    ap.add_argument("--start", type=float, default=1000.0, help="sim time at start, seconds")
    ap.add_argument("--joints", default="shoulder,elbow")
    ap.add_argument("--initial", default="-0.3,0.3")
    ap.add_argument("--no-clock", type=float, default=1.0)
    ap.add_argument("--settle", type=float, default=2.0)
    ap.add_argument("--pause", type=float, required=True, help="wall seconds without joint_states")
    ap.add_argument("--after", type=float, default=2.0)
    ap.add_argument("--timeout", type=float, default=60.0)
    a = ap.parse_args(remove_ros_args(sys.argv)[1:])
    rclpy.init(args=sys.argv, signal_handler_options=SignalHandlerOptions.NO)
    robot = SimRobot(a)
    robot.create_timer(0.005, robot.tick_clock)  # 200 Hz of /clock, wall-timed (the node's clock is ROS time)
    robot.create_timer(0.02, robot.tick_joints)
    done = threading.Event()

    def script():
        time.sleep(a.no_clock)
        robot.mark("clock")
        robot.clock_on = True
        deadline = time.time() + a.timeout
        while not robot.first_motion() and time.time() < deadline:
            time.sleep(0.02)
        robot.mark("moving")
        time.sleep(a.settle)
        with robot.lock:
            robot.paused = True
        robot.mark("paused")
        time.sleep(a.pause)
        with robot.lock:
            robot.paused = False
        robot.mark("resumed")
        time.sleep(a.after)
        done.set()

    threading.Thread(target=script, daemon=True).start()
    print("READY", flush=True)
    try:
        while not done.is_set():
            rclpy.spin_once(robot, timeout_sec=0.005)
    except KeyboardInterrupt:
        pass
    with robot.lock:
        out = {"contract": robot.tally.summary(), "trajs": robot.trajs, "diags": robot.diags, "events": robot.events}
    print("SUMMARY", json.dumps(out), flush=True)
    robot.destroy_node()
    rclpy.shutdown()


if __name__ == "__main__":
    main()
