"""Following a joint trajectory the way ros2_controllers' joint_trajectory_controller does.

Kept free of ROS types so it can be tested without a ROS graph: the node turns a
``trajectory_msgs/JointTrajectory`` into ``RawPoint`` values and hands them here.

Semantics taken from the controller:
- point times are relative to the trajectory's start (its receipt, or its
  header stamp when non-zero);
- from the first sample the arm moves from the state it was in to the first
  point, then between points on ``time_from_start``, and holds the last point;
- positions only -> linear interpolation; velocities on every point -> cubic;
- a new trajectory replaces the old one from the moment it is first sampled.
Unlike the controller's default, a trajectory may name a subset of the joints
(the others hold) and names the arm does not have are ignored with a warning.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence


class TrajectoryError(ValueError):
    """A trajectory that cannot be followed; the message says why."""


@dataclass(frozen=True)
class RawPoint:
    """One trajectory point as received, in the trajectory's joint order."""

    positions: Sequence[float]
    velocities: Sequence[float]
    time_from_start: float


@dataclass(frozen=True)
class Plan:
    """A checked trajectory restricted to the arm's own joints.

    ``joints`` holds indices into the arm's joint list; ``positions[k][j]`` is
    the position of ``joints[j]`` at ``times[k]``.
    """

    joints: tuple[int, ...]
    times: tuple[float, ...]
    positions: tuple[tuple[float, ...], ...]
    velocities: tuple[tuple[float, ...], ...] | None


def build_plan(
    joint_names: Sequence[str],
    points: Sequence[RawPoint],
    limits: Mapping[str, tuple[float, float]],
    arm_joints: Sequence[str],
) -> tuple[Plan, list[str]]:
    """Check a received trajectory and keep the joints the arm has.

    Returns the plan and warnings (ignored joints, clamped targets); raises
    TrajectoryError with the reason when the trajectory cannot be followed.
    """
    _check_names(joint_names)
    if not points:
        raise TrajectoryError("trajectory has no points")
    for k, point in enumerate(points):
        _check_point(k, point, joint_names, points[k - 1] if k else None)

    warnings = [f"ignoring unknown joint '{n}'" for n in joint_names if n not in arm_joints]
    columns = [i for i, n in enumerate(joint_names) if n in arm_joints]
    if not columns:
        raise TrajectoryError(
            f"no known joint in {list(joint_names)} (the arm has {', '.join(arm_joints)})"
        )

    positions = []
    for k, point in enumerate(points):
        row = []
        for c in columns:
            name = joint_names[c]
            lo, hi = limits[name]
            target = point.positions[c]
            if not lo <= target <= hi:
                warnings.append(
                    f"point {k} target {target:.3f} for '{name}' is outside [{lo}, {hi}]: clamped"
                )
                target = min(max(target, lo), hi)
            row.append(target)
        positions.append(tuple(row))

    velocities = None
    if all(len(p.velocities) for p in points):
        velocities = tuple(tuple(p.velocities[c] for c in columns) for p in points)

    plan = Plan(
        joints=tuple(arm_joints.index(joint_names[c]) for c in columns),
        times=tuple(p.time_from_start for p in points),
        positions=tuple(positions),
        velocities=velocities,
    )
    return plan, warnings


def _check_names(joint_names: Sequence[str]) -> None:
    if not joint_names:
        raise TrajectoryError("trajectory has no joint names")
    seen = set()
    for name in joint_names:
        if name in seen:
            raise TrajectoryError(f"joint '{name}' is listed twice")
        seen.add(name)


def _check_point(
    k: int, point: RawPoint, joint_names: Sequence[str], previous: RawPoint | None
) -> None:
    n = len(joint_names)
    if len(point.positions) != n:
        raise TrajectoryError(f"point {k} has {len(point.positions)} position(s) for {n} joint(s)")
    if point.velocities and len(point.velocities) != n:
        raise TrajectoryError(f"point {k} has {len(point.velocities)} velocity(ies) for {n} joint(s)")
    for kind, values in (("position", point.positions), ("velocity", point.velocities)):
        for name, value in zip(joint_names, values):
            if not math.isfinite(value):
                raise TrajectoryError(f"point {k} {kind} of '{name}' is {value}")
    t = point.time_from_start
    if not math.isfinite(t) or t < 0:
        raise TrajectoryError(f"point {k} time_from_start is {t} s, must be >= 0")
    if previous is not None and t <= previous.time_from_start:
        raise TrajectoryError(
            f"time_from_start does not increase at point {k} "
            f"({t} s after {previous.time_from_start} s)"
        )


class Follower:
    """Turns the active plan into a position setpoint per joint at a given time.

    Times are seconds on one clock (the node's); the follower never reads a clock.
    """

    def __init__(self, initial: Sequence[float]):
        self._setpoints = list(initial)
        self._plan: Plan | None = None
        self._start = 0.0
        # The state the arm was in when the plan was first sampled: the
        # segment before the first point starts there.
        self._before: tuple[float, list[float], list[float]] | None = None

    @property
    def active(self) -> bool:
        return self._plan is not None

    def replace(self, plan: Plan, start: float) -> None:
        """Make plan the one to follow, its point times counted from start."""
        self._plan = plan
        self._start = start
        self._before = None

    def setpoints(
        self, now: float, positions: Sequence[float], velocities: Sequence[float]
    ) -> list[float]:
        """The setpoints at now, given the arm's measured state."""
        plan = self._plan
        if plan is None:
            return list(self._setpoints)
        if self._before is None:
            self._before = (
                now,
                [positions[j] for j in plan.joints],
                [velocities[j] for j in plan.joints],
            )
        sample = _sample(plan, self._start, self._before, now)
        for j, value in zip(plan.joints, sample):
            self._setpoints[j] = value
        if now >= self._start + plan.times[-1]:
            self._plan = None  # done: the last point is now the held setpoint
        return list(self._setpoints)


def _sample(
    plan: Plan, start: float, before: tuple[float, list[float], list[float]], now: float
) -> list[float]:
    times = [start + t for t in plan.times]
    if now >= times[-1]:
        return list(plan.positions[-1])
    t_before, p_before, v_before = before
    if now < times[0]:
        v_first = plan.velocities[0] if plan.velocities else None
        return _interpolate(t_before, p_before, v_before, times[0], plan.positions[0], v_first, now)
    k = max(i for i, t in enumerate(times) if t <= now)
    va = plan.velocities[k] if plan.velocities else None
    vb = plan.velocities[k + 1] if plan.velocities else None
    return _interpolate(times[k], plan.positions[k], va, times[k + 1], plan.positions[k + 1], vb, now)


def _interpolate(ta, pa, va, tb, pb, vb, now) -> list[float]:
    """Cubic Hermite between a and b when both velocities are known, else linear."""
    span = tb - ta
    if span <= 0:
        return list(pb)
    s = min(max((now - ta) / span, 0.0), 1.0)
    if va is None or vb is None:
        return [a + (b - a) * s for a, b in zip(pa, pb)]
    h00 = 2 * s**3 - 3 * s**2 + 1
    h10 = s**3 - 2 * s**2 + s
    h01 = -2 * s**3 + 3 * s**2
    h11 = s**3 - s**2
    return [
        h00 * a + h10 * span * dva + h01 * b + h11 * span * dvb
        for a, dva, b, dvb in zip(pa, va, pb, vb)
    ]
