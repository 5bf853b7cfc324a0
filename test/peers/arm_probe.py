"""Test peer for the simulated arm: watches joint_states, sends trajectories.

Usage: arm_probe.py --steps JSON [--rate-window SECONDS] [--ros-args ...]

--steps is a JSON list; each step publishes one trajectory and then either
waits for the arm to reach "expect" (bounded by "timeout") or watches it for
"observe" seconds:
  {"name": "reach", "joint_names": ["shoulder", "elbow"],
   "points": [{"positions": [0.5, -0.3], "velocities": [], "t": 1.0}],
   "stamp_offset": null, "expect": {"shoulder": 0.5}, "tolerance": 0.02,
   "timeout": 10, "observe": 1.0}
"stamp_offset" (seconds from now) sets header.stamp; absent or null leaves it zero.
A point may also carry "accelerations" and "effort". Values may be given as
strings ("nan", "inf"): they go through float().

Prints one JSON line: {"steps": [...], "rate": {...}} and exits 0, or
{"error": "..."} and exits 1 when the arm never shows up.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import rclpy
import rclpy.utilities
from builtin_interfaces.msg import Duration as DurationMsg
from rclpy.duration import Duration
from rclpy.node import Node
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

DISCOVERY_TIMEOUT_S = 15.0
# Fast DDS can report a match on the publisher side a moment before the
# subscriber side has matched; a message sent in between is lost.
MATCH_SETTLE_S = 0.3


class Probe(Node):
    def __init__(self) -> None:
        super().__init__("arm_probe")
        self.latest: dict[str, float] = {}
        self.arrivals: list[float] = []
        self.stamps: list[float] = []
        self.create_subscription(JointState, "joint_states", self._on_state, 50)
        self.publisher = self.create_publisher(JointTrajectory, "joint_trajectory", 10)

    def _on_state(self, msg: JointState) -> None:
        self.arrivals.append(time.monotonic())
        self.stamps.append(msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9)
        self.latest = dict(zip(msg.name, msg.position))

    def spin_for(self, seconds: float, until=None) -> bool:
        """Spin up to seconds; stop early when until() turns true. Returns whether it did."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            rclpy.spin_once(self, timeout_sec=min(0.01, max(deadline - time.monotonic(), 0)))
            if until is not None and until():
                return True
        return until is not None and until()

    def trajectory(self, step: dict) -> JointTrajectory:
        msg = JointTrajectory()
        msg.joint_names = list(step["joint_names"])
        offset = step.get("stamp_offset")
        if offset is not None:
            msg.header.stamp = (self.get_clock().now() + Duration(seconds=offset)).to_msg()
        for p in step.get("points") or []:
            point = JointTrajectoryPoint()
            point.positions = [float(v) for v in p["positions"]]
            point.velocities = [float(v) for v in p.get("velocities") or []]
            point.accelerations = [float(v) for v in p.get("accelerations") or []]
            point.effort = [float(v) for v in p.get("effort") or []]
            ns = int(round(p["t"] * 1e9))
            point.time_from_start = DurationMsg(sec=ns // 1_000_000_000, nanosec=ns % 1_000_000_000)
            msg.points.append(point)
        return msg


def run_step(probe: Probe, step: dict) -> dict:
    start = dict(probe.latest)
    first_msg = len(probe.arrivals)
    max_move = {j: 0.0 for j in start}

    def track() -> None:
        for j, p in probe.latest.items():
            max_move[j] = max(max_move.get(j, 0.0), abs(p - start.get(j, p)))

    probe.publisher.publish(probe.trajectory(step))
    sent = time.monotonic()
    result = {"name": step["name"], "start": start}

    expect = step.get("expect")
    if expect:
        tolerance = step.get("tolerance", 0.02)

        def reached() -> bool:
            track()
            return all(abs(probe.latest.get(j, float("inf")) - v) <= tolerance for j, v in expect.items())

        ok = probe.spin_for(step.get("timeout", 10.0), reached)
        result["reached"] = ok
        result["reach_s"] = round(time.monotonic() - sent, 3) if ok else None
    else:
        def never() -> bool:
            track()
            return False

        probe.spin_for(step.get("observe", 1.0), never)

    result["final"] = dict(probe.latest)
    result["max_move"] = {j: round(v, 5) for j, v in max_move.items()}
    result["msgs"] = len(probe.arrivals) - first_msg
    return result


def measure_rate(probe: Probe, window: float) -> dict:
    first = len(probe.arrivals)
    probe.spin_for(window)
    arrivals = probe.arrivals[first:]
    stamps = probe.stamps[first:]
    if len(arrivals) < 2:
        return {"window_s": window, "msgs": len(arrivals), "hz": 0.0}
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    return {
        "window_s": window,
        "msgs": len(arrivals),
        "hz": round((len(arrivals) - 1) / (arrivals[-1] - arrivals[0]), 2),
        "stamp_hz": round((len(stamps) - 1) / (stamps[-1] - stamps[0]), 2),
        "max_gap_ms": round(max(gaps) * 1e3, 2),
    }


def wait_for_arm(probe: Probe) -> str | None:
    if not probe.spin_for(DISCOVERY_TIMEOUT_S, lambda: bool(probe.latest)):
        return f"no joint_states within {DISCOVERY_TIMEOUT_S} s"
    if not probe.spin_for(DISCOVERY_TIMEOUT_S, lambda: probe.publisher.get_subscription_count() > 0):
        return f"no subscriber on joint_trajectory within {DISCOVERY_TIMEOUT_S} s"
    probe.spin_for(MATCH_SETTLE_S)
    return None


def main() -> int:
    rclpy.init(args=sys.argv)
    args = argparse.ArgumentParser()
    args.add_argument("--steps", default="[]")
    args.add_argument("--rate-window", type=float, default=0.0)
    opts = args.parse_args(rclpy.utilities.remove_ros_args(sys.argv)[1:])
    steps = json.loads(opts.steps)
    probe = Probe()
    try:
        error = wait_for_arm(probe)
        if error:
            print(json.dumps({"error": error}), flush=True)
            return 1
        out = {"steps": [run_step(probe, s) for s in steps]}
        if opts.rate_window > 0:
            out["rate"] = measure_rate(probe, opts.rate_window)
        print(json.dumps(out), flush=True)
        return 0
    finally:
        probe.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    sys.exit(main())
