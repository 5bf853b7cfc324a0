"""The joint_trajectory_controller contract, and following a trajectory the way it does.

Every stand-in robot of this project (the sim arm, and the test peers that
receive trajectories) checks each ``trajectory_msgs/JointTrajectory`` with
``check`` before following or counting it, so a trajectory a stock controller
would refuse never passes a test. No ROS types here: ``from_msg`` reads a
message by its fields, and the rest works on plain values, so it is tested
without a ROS graph.

The rules are those of ros2_controllers' joint_trajectory_controller on Jazzy
with its default parameters (``validate_trajectory_msg``): a command interface
``position``, ``allow_partial_joints_goal``, ``allow_integration_in_goal_trajectories``
and ``allow_nonzero_velocity_at_trajectory_end`` all false. ``RULES`` lists them,
each refusal names its rule. Three rules are the stand-ins' own, on top of the
controller's: joint names unique, every value finite, and no accelerations
without velocities (the controller accepts those and then misbehaves: a
repeated name maps two columns onto one joint, NaN reaches the command
interface, and its spline has no case for accelerations without velocities,
so it commands position 0).

Following (``Follower``) is the controller's sampling (``Trajectory::sample``):
- point times count from ``header.stamp``, or from the first sample after
  receipt when the stamp is zero;
- the segment before the first point starts at the arm's measured state
  (position and velocity, as read from a position + velocity state interface;
  accelerations zero) at the first sample;
- each segment is linear between positions, cubic when both of its ends have
  velocities, quintic when both also have accelerations; before a segment's
  start or after its end it holds that end's position;
- after the last point the arm holds it; a new trajectory replaces the old one
  from the moment it is first sampled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

# std::numeric_limits<float>::epsilon(): the controller's "at rest" bound.
FLOAT_EPSILON = 2.0**-23

# Rule ids and what each requires; a refusal's reason starts with its id.
RULES = {
    "no_joint_names": "joint_names is not empty",
    "partial_joints": "joint_names has as many names as the controller has joints "
    "(allow_partial_joints_goal is false)",
    "no_points": "the trajectory has at least one point",
    "unknown_joint": "every name in joint_names is a controller joint",
    "duplicate_joint": "no name is listed twice (stand-in rule)",
    "moving_at_end": "every velocity of the last point is zero, |v| <= float epsilon "
    "(allow_nonzero_velocity_at_trajectory_end is false)",
    "ends_in_past": "with a non-zero header.stamp, stamp + the last time_from_start is not before now",
    "time_not_increasing": "time_from_start increases strictly from point to point",
    "positions_size": "every point has one position per joint name "
    "(allow_integration_in_goal_trajectories is false)",
    "velocities_size": "velocities are empty or one per joint name",
    "accelerations_size": "accelerations are empty or one per joint name",
    "effort": "effort is empty (the command interface is position)",
    "not_finite": "every position, velocity and acceleration is finite (stand-in rule)",
    "accelerations_without_velocities": "a point with accelerations also has velocities (stand-in rule)",
    # Not a contract rule: the stand-in failed on a message (its own bug); counted as a refusal.
    "internal_error": "the stand-in reads the message without an error",
}


class TrajectoryRefused(ValueError):
    """A trajectory the controller contract refuses; ``rule`` is a key of RULES."""

    def __init__(self, rule: str, reason: str):
        assert rule in RULES, rule
        self.rule = rule
        super().__init__(f"{rule}: {reason}")


@dataclass(frozen=True)
class RawPoint:
    """One trajectory point as received, in the trajectory's joint order."""

    positions: Sequence[float] = ()
    velocities: Sequence[float] = ()
    accelerations: Sequence[float] = ()
    effort: Sequence[float] = ()
    time_from_start_ns: int = 0


@dataclass(frozen=True)
class RawTrajectory:
    """A trajectory as received. ``stamp_ns`` is header.stamp; 0 means "start now"."""

    joint_names: Sequence[str]
    points: Sequence[RawPoint]
    stamp_ns: int = 0


def from_msg(msg) -> RawTrajectory:
    """The values of a trajectory_msgs/JointTrajectory (read by field name)."""
    stamp = msg.header.stamp
    return RawTrajectory(
        joint_names=list(msg.joint_names),
        points=[
            RawPoint(
                positions=list(p.positions),
                velocities=list(p.velocities),
                accelerations=list(p.accelerations),
                effort=list(p.effort),
                time_from_start_ns=p.time_from_start.sec * 1_000_000_000 + p.time_from_start.nanosec,
            )
            for p in msg.points
        ],
        stamp_ns=stamp.sec * 1_000_000_000 + stamp.nanosec,
    )


def check(traj: RawTrajectory, controller_joints: Sequence[str], now_ns: int) -> None:
    """Raise TrajectoryRefused, naming the first rule traj breaks, or return.

    now_ns is the receiver's clock (ROS time, ns), which the stamp is read
    against. The controller's checks run in its order; the stand-in rules
    where they fit.
    """
    names = list(traj.joint_names)
    points = traj.points
    n = len(names)
    if not names:
        raise TrajectoryRefused("no_joint_names", "joint_names is empty")
    if n != len(controller_joints):
        raise TrajectoryRefused(
            "partial_joints",
            f"joint_names {names} has {n} name(s), the controller has {len(controller_joints)} "
            f"joint(s) {list(controller_joints)} and allow_partial_joints_goal is false",
        )
    if not points:
        raise TrajectoryRefused("no_points", "the trajectory has no points")
    for name in names:
        if name not in controller_joints:
            raise TrajectoryRefused(
                "unknown_joint", f"'{name}' is not a controller joint {list(controller_joints)}"
            )
    for i, name in enumerate(names):
        if name in names[:i]:
            raise TrajectoryRefused("duplicate_joint", f"'{name}' is listed twice in joint_names")

    last = points[-1]
    for i, v in enumerate(last.velocities):
        # NaN passes this comparison, as it passes the controller's; not_finite catches it.
        if abs(v) > FLOAT_EPSILON:
            name = names[i] if i < n else f"#{i}"
            raise TrajectoryRefused(
                "moving_at_end",
                f"the last point (#{len(points) - 1}) has velocity {v!r} for '{name}'; "
                "it must end at rest (allow_nonzero_velocity_at_trajectory_end is false)",
            )

    if traj.stamp_ns != 0:
        end_ns = traj.stamp_ns + last.time_from_start_ns
        if end_ns < now_ns:
            raise TrajectoryRefused(
                "ends_in_past",
                f"header.stamp + the last time_from_start is {(now_ns - end_ns) * 1e-9:.3f} s before now",
            )

    for k, point in enumerate(points):
        if k > 0 and point.time_from_start_ns <= points[k - 1].time_from_start_ns:
            raise TrajectoryRefused(
                "time_not_increasing",
                f"point {k} time_from_start {point.time_from_start_ns * 1e-9:g} s is not after "
                f"point {k - 1}'s {points[k - 1].time_from_start_ns * 1e-9:g} s",
            )
        if len(point.positions) != n:
            raise TrajectoryRefused(
                "positions_size", f"point {k} has {len(point.positions)} position(s) for {n} joint name(s)"
            )
        for kind, values in (("velocities", point.velocities), ("accelerations", point.accelerations)):
            if values and len(values) != n:
                raise TrajectoryRefused(
                    f"{kind}_size", f"point {k} has {len(values)} {kind} for {n} joint name(s) (want 0 or {n})"
                )
        if point.effort:
            raise TrajectoryRefused(
                "effort", f"point {k} has {len(point.effort)} effort value(s); the command interface is position"
            )
        for kind, values in (
            ("position", point.positions),
            ("velocity", point.velocities),
            ("acceleration", point.accelerations),
        ):
            for name, value in zip(names, values):
                if not math.isfinite(value):
                    raise TrajectoryRefused("not_finite", f"point {k} {kind} of '{name}' is {value}")
        if point.accelerations and not point.velocities:
            raise TrajectoryRefused(
                "accelerations_without_velocities",
                f"point {k} has accelerations but no velocities (the controller's spline would command 0)",
            )


@dataclass(frozen=True)
class Plan:
    """An accepted trajectory in the arm's joint order.

    ``positions[k][j]`` is the position of arm joint j at ``times[k]`` (seconds
    after the trajectory's start); ``velocities[k]`` and ``accelerations[k]``
    are None where point k had none.
    """

    times: tuple[float, ...]
    positions: tuple[tuple[float, ...], ...]
    velocities: tuple[tuple[float, ...] | None, ...]
    accelerations: tuple[tuple[float, ...] | None, ...]


def build_plan(
    traj: RawTrajectory,
    arm_joints: Sequence[str],
    limits: Mapping[str, tuple[float, float]],
    now_ns: int,
) -> tuple[Plan, list[str]]:
    """Check traj against the contract and put it in the arm's joint order.

    Returns the plan and warnings (targets beyond a joint's range, clamped as
    the joint's limits would stop it); raises TrajectoryRefused.
    """
    check(traj, arm_joints, now_ns)
    column = [list(traj.joint_names).index(name) for name in arm_joints]
    warnings = []

    def reorder(values: Sequence[float]) -> tuple[float, ...] | None:
        return tuple(values[c] for c in column) if values else None

    positions = []
    for k, point in enumerate(traj.points):
        row = []
        for name, c in zip(arm_joints, column):
            lo, hi = limits[name]
            target = point.positions[c]
            if not lo <= target <= hi:
                warnings.append(f"point {k} target {target:.3f} for '{name}' is outside [{lo}, {hi}]: clamped")
                target = min(max(target, lo), hi)
            row.append(target)
        positions.append(tuple(row))
    plan = Plan(
        times=tuple(p.time_from_start_ns * 1e-9 for p in traj.points),
        positions=tuple(positions),
        velocities=tuple(reorder(p.velocities) for p in traj.points),
        accelerations=tuple(reorder(p.accelerations) for p in traj.points),
    )
    return plan, warnings


@dataclass
class Tally:
    """Counts accepted and refused trajectories and decides which refusals to log.

    Each rule logs at most once per ``log_every_s`` (a publisher refused at
    every cycle must not flood the log); the next logged line says how many
    of that rule went unlogged in between.
    """

    log_every_s: float = 1.0
    accepted: int = 0
    refused: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    first_reasons: list[str] = field(default_factory=list)
    _last_log: dict[str, float] = field(default_factory=dict)
    _unlogged: dict[str, int] = field(default_factory=dict)

    def accept(self) -> None:
        self.accepted += 1

    def refuse(self, err: TrajectoryRefused, now_s: float) -> str | None:
        """Count a refusal; returns the line to log, or None when rate-limited."""
        self.refused += 1
        self.by_rule[err.rule] = self.by_rule.get(err.rule, 0) + 1
        if len(self.first_reasons) < 5:
            self.first_reasons.append(str(err))
        last = self._last_log.get(err.rule)
        if last is not None and now_s - last < self.log_every_s:
            self._unlogged[err.rule] = self._unlogged.get(err.rule, 0) + 1
            return None
        self._last_log[err.rule] = now_s
        line = f"refused trajectory #{self.refused} ({self.accepted} accepted so far): {err}"
        unlogged = self._unlogged.pop(err.rule, 0)
        if unlogged:
            line += f" [{unlogged} more {err.rule} refusal(s) not logged]"
        return line

    def summary(self) -> dict:
        return {
            "accepted": self.accepted,
            "refused": self.refused,
            "refused_by_rule": dict(sorted(self.by_rule.items())),
            "first_refusals": list(self.first_reasons),
        }


class Follower:
    """Turns the active plan into a position setpoint per joint at a given time.

    Times are seconds on one clock (the node's); the follower never reads a clock.
    """

    def __init__(self, initial: Sequence[float]):
        self._setpoints = list(initial)
        self._plan: Plan | None = None
        self._start: float | None = None
        # The state the arm was in when the plan was first sampled: the
        # segment before the first point starts there.
        self._before: tuple[float, list[float], list[float]] | None = None

    @property
    def active(self) -> bool:
        return self._plan is not None

    def replace(self, plan: Plan, start: float | None) -> None:
        """Make plan the one to follow, its point times counted from start
        (None: from its first sample, as for a zero header.stamp)."""
        self._plan = plan
        self._start = start
        self._before = None

    def setpoints(self, now: float, positions: Sequence[float], velocities: Sequence[float]) -> list[float]:
        """The setpoints at now, given the arm's measured state."""
        plan = self._plan
        if plan is None:
            return list(self._setpoints)
        if self._before is None:
            self._before = (now, list(positions), list(velocities))
            if self._start is None:
                self._start = now
        self._setpoints = _sample(plan, self._start, self._before, now)
        if now >= self._start + plan.times[-1]:
            self._plan = None  # done: the last point is now the held setpoint
        return list(self._setpoints)


def _sample(plan: Plan, start: float, before: tuple[float, list[float], list[float]], now: float) -> list[float]:
    times = [start + t for t in plan.times]
    if now < times[0]:
        t_before, p_before, v_before = before
        # The controller gives the state before the first point zero
        # accelerations when the first point has accelerations.
        a_before = [0.0] * len(p_before) if plan.accelerations[0] is not None else None
        return _segment(
            (t_before, p_before, v_before, a_before),
            (times[0], plan.positions[0], plan.velocities[0], plan.accelerations[0]),
            now,
        )
    for k in range(len(times) - 1):
        if times[k] <= now < times[k + 1]:
            return _segment(
                (times[k], plan.positions[k], plan.velocities[k], plan.accelerations[k]),
                (times[k + 1], plan.positions[k + 1], plan.velocities[k + 1], plan.accelerations[k + 1]),
                now,
            )
    return list(plan.positions[-1])


def _segment(a, b, now: float) -> list[float]:
    """Position at now on the spline from state a to state b, each (time,
    positions, velocities or None, accelerations or None): linear, cubic when
    both ends have velocities, quintic when both also have accelerations.
    Outside [ta, tb] it is the nearer end's position."""
    ta, pa, va, aa = a
    tb, pb, vb, ab = b
    span = tb - ta
    d = now - ta
    if d <= 0:
        return list(pa)
    if d >= span:
        return list(pb)
    if va is None or vb is None:
        return [p0 + (p1 - p0) * d / span for p0, p1 in zip(pa, pb)]
    if aa is None or ab is None:
        return [_cubic(p0, v0, p1, v1, span, d) for p0, v0, p1, v1 in zip(pa, va, pb, vb)]
    return [_quintic(p0, v0, a0, p1, v1, a1, span, d) for p0, v0, a0, p1, v1, a1 in zip(pa, va, aa, pb, vb, ab)]


def _cubic(p0: float, v0: float, p1: float, v1: float, T: float, t: float) -> float:
    """The cubic with position and velocity p0, v0 at 0 and p1, v1 at T, at t."""
    h = p1 - p0
    c2 = (3 * h - (2 * v0 + v1) * T) / T**2
    c3 = (-2 * h + (v0 + v1) * T) / T**3
    return p0 + v0 * t + c2 * t**2 + c3 * t**3


def _quintic(p0: float, v0: float, a0: float, p1: float, v1: float, a1: float, T: float, t: float) -> float:
    """The quintic with position, velocity and acceleration given at 0 and T, at t."""
    h = p1 - p0
    c3 = (20 * h - (8 * v1 + 12 * v0) * T - (3 * a0 - a1) * T**2) / (2 * T**3)
    c4 = (-30 * h + (14 * v1 + 16 * v0) * T + (3 * a0 - 2 * a1) * T**2) / (2 * T**4)
    c5 = (12 * h - 6 * (v1 + v0) * T - (a1 - a0) * T**2) / (2 * T**5)
    return p0 + v0 * t + a0 / 2 * t**2 + c3 * t**3 + c4 * t**4 + c5 * t**5
