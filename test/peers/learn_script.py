"""Scripted arm for the learning-signals test: drives the simulated arm
through four phases, independently of the brain, so the rewards and
deviations the bridge sends can be checked against a known motion.

Usage: learn_script.py --start S,E --target S,E [--far 2] [--approach 4]
       [--at-target 2] [--leave 2]

Phases (seconds from the moment the arm is seen at --start):
  far        hold at the start pose (distance constant: "otherwise")
  approach   one trajectory point at the target, due after --approach s:
             the sim moves linearly, so the distance shrinks every cycle;
             the phase lasts until the arm is there
  at_target  hold at the target ("success")
  leave      one trajectory point back at the start, due after --leave s
             (distance grows: "otherwise"), until the arm is there

Prints one line "RESULT {json}": {"phases": {name: [t0, t1]} in Unix
seconds, "reached": {name: {joint: position}} at each phase's end}, then
exits 0; exits 1 with {"error": ...} when the arm never shows up or does
not follow.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
import time

import rclpy
from builtin_interfaces.msg import Duration as DurationMsg
from rclpy.node import Node
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

JOINTS = ["shoulder", "elbow"]
DISCOVERY_TIMEOUT_S = 20.0
# Fast DDS may report the match on the publisher's side a moment before
# the subscriber's side has it; a message sent in between is lost.
MATCH_SETTLE_S = 0.3
# How long the arm may lag the end of a trajectory, and how near counts as there.
SETTLE_S = 5.0
ARRIVED_RAD = 0.01


def pose(text: str) -> list[float]:
    values = [float(v) for v in text.split(",")]
    if len(values) != len(JOINTS):
        raise argparse.ArgumentTypeError(f"want {len(JOINTS)} comma-separated positions, got {text!r}")
    return values


class Script(Node):
    def __init__(self) -> None:
        super().__init__("learn_script")
        self.latest: dict[str, float] = {}
        self.create_subscription(JointState, "/joint_states", self._on_state, 50)
        self.pub = self.create_publisher(JointTrajectory, "/joint_trajectory", 10)

    def _on_state(self, msg: JointState) -> None:
        self.latest = dict(zip(msg.name, msg.position))

    def spin_for(self, seconds: float, until=None) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            rclpy.spin_once(self, timeout_sec=min(0.01, max(deadline - time.monotonic(), 0.0)))
            if until is not None and until():
                return True
        return until is None

    def near(self, target: list[float], tol: float) -> bool:
        if not all(j in self.latest for j in JOINTS):
            return False
        return math.dist([self.latest[j] for j in JOINTS], target) <= tol

    def send(self, target: list[float], seconds: float) -> None:
        msg = JointTrajectory()
        msg.joint_names = JOINTS
        sec = int(seconds)
        msg.points = [JointTrajectoryPoint(positions=target,
                                           time_from_start=DurationMsg(sec=sec, nanosec=int((seconds - sec) * 1e9)))]
        self.pub.publish(msg)


def fail(why: str) -> None:
    print("RESULT " + json.dumps({"error": why}), flush=True)
    sys.exit(1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--start", type=pose, required=True)
    ap.add_argument("--target", type=pose, required=True)
    ap.add_argument("--far", type=float, default=2.0)
    ap.add_argument("--approach", type=float, default=4.0)
    ap.add_argument("--at-target", type=float, default=2.0)
    ap.add_argument("--leave", type=float, default=2.0)
    a = ap.parse_args()
    signal.signal(signal.SIGINT, lambda *_: sys.exit(1))
    rclpy.init()
    s = Script()

    if not s.spin_for(DISCOVERY_TIMEOUT_S, lambda: s.pub.get_subscription_count() > 0 and s.latest):
        fail("the arm sim never showed up (no joint_states or no trajectory subscriber)")
    s.spin_for(MATCH_SETTLE_S)
    # Put the arm at the start pose (it should be there already).
    s.send(a.start, 0.5)
    if not s.spin_for(5.0, lambda: s.near(a.start, 0.01)):
        fail(f"the arm did not reach the start pose: {s.latest}")

    phases: dict[str, list[float]] = {}
    reached: dict[str, dict[str, float]] = {}

    def phase(name: str, seconds: float, send=None, arrive=None) -> None:
        """Runs one phase; with arrive, it lasts until the arm is there (the
        servo lags the trajectory), at most SETTLE_S longer."""
        t0 = time.time()
        if send is not None:
            s.send(*send)
        s.spin_for(seconds)
        if arrive is not None and not s.spin_for(SETTLE_S, lambda: s.near(arrive, ARRIVED_RAD)):
            fail(f"phase {name}: the arm did not reach {arrive}: {s.latest}")
        phases[name] = [t0, time.time()]
        reached[name] = dict(s.latest)

    phase("far", a.far)
    phase("approach", a.approach, (a.target, a.approach), arrive=a.target)
    phase("at_target", a.at_target)
    phase("leave", a.leave, (a.start, a.leave), arrive=a.start)
    print("RESULT " + json.dumps({"phases": phases, "reached": reached}), flush=True)
    s.destroy_node()
    rclpy.shutdown()


if __name__ == "__main__":
    main()
