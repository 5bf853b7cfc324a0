import math
from types import SimpleNamespace

import pytest

from .trajectory import (
    FLOAT_EPSILON,
    RULES,
    Follower,
    RawPoint,
    RawTrajectory,
    Tally,
    TrajectoryRefused,
    build_plan,
    check,
    from_msg,
)

JOINTS = ["shoulder", "elbow"]
LIMITS = {"shoulder": (-2.9, 2.9), "elbow": (-2.9, 2.9)}
NOW_NS = 1_700_000_000 * 10**9
S = 10**9  # ns per second


def pt(positions, t, velocities=(), accelerations=(), effort=()):
    return RawPoint(
        positions=list(positions),
        velocities=list(velocities),
        accelerations=list(accelerations),
        effort=list(effort),
        time_from_start_ns=round(t * S),
    )


def traj(*points, names=JOINTS, stamp_ns=0):
    return RawTrajectory(joint_names=list(names), points=list(points), stamp_ns=stamp_ns)


# One trajectory the rule accepts (at its boundary where it has one) and one
# it refuses, per rule; each refused one breaks only that rule.
CASES = {
    "no_joint_names": (traj(pt([0, 0], 1)), traj(pt([], 1), names=[])),
    "partial_joints": (
        traj(pt([0, 0], 1), names=["elbow", "shoulder"]),  # any order
        traj(pt([0.5], 1), names=["shoulder"]),
    ),
    "no_points": (traj(pt([0, 0], 0)), traj()),
    "unknown_joint": (traj(pt([0, 0], 1)), traj(pt([0, 0], 1), names=["shoulder", "wrist"])),
    "duplicate_joint": (traj(pt([0, 0], 1)), traj(pt([0, 0], 1), names=["shoulder", "shoulder"])),
    "moving_at_end": (
        # Moving through the first point is fine; the last may carry float noise.
        traj(pt([0.5, 0], 1, [0.3, 0]), pt([1, 0], 2, [FLOAT_EPSILON, -FLOAT_EPSILON])),
        traj(pt([0.5, 0], 1, [0, 0]), pt([1, 0], 2, [0, 2 * FLOAT_EPSILON])),
    ),
    "ends_in_past": (
        # Ends exactly now: not before now.
        traj(pt([0, 0], 1), stamp_ns=NOW_NS - S),
        traj(pt([0, 0], 1), stamp_ns=NOW_NS - S - 1),
    ),
    "time_not_increasing": (
        # A first point at 0 or before is allowed; then strictly later by 1 ns.
        traj(pt([0, 0], -0.5), RawPoint(positions=[1, 1], time_from_start_ns=-S // 2 + 1)),
        traj(pt([0, 0], 1), pt([1, 1], 1)),
    ),
    "positions_size": (traj(pt([0, 0], 1)), traj(pt([0, 0], 1), pt([1], 2))),
    "velocities_size": (traj(pt([0, 0], 1, [0, 0])), traj(pt([0, 0], 1, [0]))),
    "accelerations_size": (traj(pt([0, 0], 1, [0, 0], [0.1, 0])), traj(pt([0, 0], 1, [0, 0], [0, 0, 0]))),
    "effort": (traj(pt([0, 0], 1)), traj(pt([0, 0], 1, effort=[0, 0]))),
    "not_finite": (
        traj(pt([2.9, -2.9], 1, [0, 0], [1e300, 0])),
        traj(pt([0, 0], 1, [0, 0], [0, math.inf])),
    ),
    "accelerations_without_velocities": (
        traj(pt([0, 0], 1, [0, 0], [0, 0])),
        traj(pt([0, 0], 1, accelerations=[0, 0])),
    ),
}


def test_every_contract_rule_has_cases():
    assert set(CASES) == set(RULES) - {"internal_error"}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_accepts_and_refuses(rule):
    ok, bad = CASES[rule]
    check(ok, JOINTS, NOW_NS)
    with pytest.raises(TrajectoryRefused) as err:
        check(bad, JOINTS, NOW_NS)
    assert err.value.rule == rule
    assert str(err.value).startswith(f"{rule}: ")


@pytest.mark.parametrize(
    "bad, reason",
    [
        (traj(pt([0.5], 1), names=["shoulder"]), "joint_names ['shoulder'] has 1 name(s), the controller has 2"),
        (traj(pt([0, 0], 1), names=["shoulder", "wrist"]), "'wrist' is not a controller joint"),
        (traj(pt([0, 0], 1, [0, 0.25])), "the last point (#0) has velocity 0.25 for 'elbow'"),
        (traj(pt([0, 0], 1), stamp_ns=NOW_NS - 3 * S), "is 2.000 s before now"),
        (traj(pt([0, 0], 1), pt([1, 1], 0.5)), "point 1 time_from_start 0.5 s is not after point 0's 1 s"),
        (traj(pt([0, 0], 1), pt([1], 2)), "point 1 has 1 position(s) for 2 joint name(s)"),
        (traj(pt([0, math.nan], 1)), "point 0 position of 'elbow' is nan"),
        # NaN is "at rest" for the controller's comparison; the finite rule refuses it.
        (traj(pt([0, 0], 1, [math.nan, 0])), "not_finite: point 0 velocity of 'shoulder' is nan"),
    ],
)
def test_refusal_names_what_is_wrong(bad, reason):
    with pytest.raises(TrajectoryRefused) as err:
        check(bad, JOINTS, NOW_NS)
    assert reason in str(err.value)


def test_from_msg_reads_the_message_fields():
    def duration(sec, nanosec):
        return SimpleNamespace(sec=sec, nanosec=nanosec)

    point = SimpleNamespace(positions=[0.1, 0.2], velocities=[0.0, 0.0], accelerations=[], effort=[],
                            time_from_start=duration(1, 500))
    msg = SimpleNamespace(header=SimpleNamespace(stamp=duration(7, 3)), joint_names=JOINTS, points=[point])
    assert from_msg(msg) == RawTrajectory(
        joint_names=JOINTS,
        points=[RawPoint([0.1, 0.2], [0.0, 0.0], [], [], 1_000_000_500)],
        stamp_ns=7_000_000_003,
    )


def plan_of(*points, names=JOINTS):
    plan, _ = build_plan(traj(*points, names=names), JOINTS, LIMITS, NOW_NS)
    return plan


def test_build_plan_puts_columns_in_arm_order():
    plan = plan_of(pt([-0.3, 0.5], 1, [0.1, 0.2]), pt([0, 0], 2, [0, 0]), names=["elbow", "shoulder"])
    assert plan.times == (1.0, 2.0)
    assert plan.positions == ((0.5, -0.3), (0, 0))
    assert plan.velocities == ((0.2, 0.1), (0, 0))
    assert plan.accelerations == (None, None)


def test_build_plan_clamps_targets_beyond_range():
    plan, warnings = build_plan(traj(pt([3.5, -4.0], 1.0)), JOINTS, LIMITS, NOW_NS)
    assert plan.positions == ((2.9, -2.9),)
    assert len(warnings) == 2 and "outside [-2.9, 2.9]: clamped" in warnings[0]


def test_build_plan_refuses_what_check_refuses():
    with pytest.raises(TrajectoryRefused):
        build_plan(CASES["moving_at_end"][1], JOINTS, LIMITS, NOW_NS)


def sample(follower, t, pos=(0.0, 0.0), vel=(0.0, 0.0)):
    return follower.setpoints(t, list(pos), list(vel))


def test_follower_interpolates_linearly_from_state_at_first_sample_then_holds():
    f = Follower([0.0, 0.0])
    f.replace(plan_of(pt([1.0, -1.0], 1.0), pt([2.0, 0.0], 2.0)), start=10.0)
    assert sample(f, 10.0, pos=(0.2, 0.0)) == pytest.approx([0.2, 0.0])
    assert sample(f, 10.5) == pytest.approx([0.6, -0.5])
    assert sample(f, 11.0) == pytest.approx([1.0, -1.0])
    assert sample(f, 11.25) == pytest.approx([1.25, -0.75])
    assert sample(f, 12.0) == pytest.approx([2.0, 0.0])
    assert not f.active
    assert sample(f, 99.0) == pytest.approx([2.0, 0.0])


def test_follower_zero_stamp_counts_from_first_sample():
    f = Follower([0.0, 0.0])
    f.replace(plan_of(pt([1.0, 1.0], 1.0)), start=None)
    assert sample(f, 5.0) == pytest.approx([0.0, 0.0])
    assert sample(f, 5.5) == pytest.approx([0.5, 0.5])
    assert sample(f, 6.0) == pytest.approx([1.0, 1.0])


def test_follower_with_future_start_moves_from_first_sample_to_first_point():
    f = Follower([0.0, 0.0])
    f.replace(plan_of(pt([1.0, 1.0], 1.0)), start=5.0)  # stamped 5 s ahead; first point at 6 s
    assert sample(f, 2.0) == pytest.approx([0.0, 0.0])
    assert sample(f, 4.0) == pytest.approx([0.5, 0.5])
    assert sample(f, 6.0) == pytest.approx([1.0, 1.0])


def test_follower_first_point_at_zero_is_taken_at_once():
    f = Follower([0.0, 0.0])
    f.replace(plan_of(pt([1.0, 1.0], 0.0)), start=None)
    assert sample(f, 3.0) == pytest.approx([1.0, 1.0])
    assert not f.active


def test_follower_new_trajectory_replaces_old_from_its_first_sample():
    f = Follower([0.0, 0.0])
    f.replace(plan_of(pt([2.0, 2.0], 4.0)), start=0.0)
    sample(f, 0.0)
    mid = sample(f, 1.0)
    assert mid == pytest.approx([0.5, 0.5])
    f.replace(plan_of(pt([-1.0, 0.0], 0.5)), start=1.0)
    assert sample(f, 1.0, pos=mid) == pytest.approx(mid)
    assert sample(f, 1.5) == pytest.approx([-1.0, 0.0])
    assert sample(f, 3.0) == pytest.approx([-1.0, 0.0])


def test_follower_cubic_between_points_with_velocities():
    f = Follower([0.0, 0.0])
    f.replace(plan_of(pt([0, 0], 0.0, [0, 0]), pt([1.0, 1.0], 1.0, [0, 0])), start=0.0)
    sample(f, 0.0)
    # Hermite with zero end velocities: 3s^2 - 2s^3 at s = 0.25.
    assert sample(f, 0.25) == pytest.approx([0.15625, 0.15625])
    assert sample(f, 0.5) == pytest.approx([0.5, 0.5])


def test_follower_cubic_before_first_point_starts_at_measured_velocity():
    f = Follower([0.0, 0.0])
    f.replace(plan_of(pt([1.0, 0.0], 1.0, [0, 0])), start=0.0)
    # Measured 2 rad/s on the shoulder at the first sample: the cubic from
    # (0 rad, 2 rad/s) to (1 rad, 0 rad/s) over 1 s is p(t) = 2t - t^2.
    assert sample(f, 0.0, vel=(2.0, 0.0)) == pytest.approx([0.0, 0.0])
    assert sample(f, 0.25) == pytest.approx([0.4375, 0.0])


def test_follower_linear_where_one_end_lacks_velocities():
    f = Follower([0.0, 0.0])
    f.replace(plan_of(pt([1.0, 1.0], 1.0, [0.5, 0.5]), pt([2.0, 2.0], 2.0)), start=0.0)
    # Before the first point: cubic from the measured (zero) velocity.
    assert sample(f, 0.0) == pytest.approx([0.0, 0.0])
    assert sample(f, 0.5)[0] == pytest.approx(3 * 0.25 - 2 * 0.125 + 0.5 * (0.125 - 0.25))
    # From point 0 (velocities) to point 1 (none): linear.
    assert sample(f, 1.5) == pytest.approx([1.5, 1.5])


def test_follower_quintic_with_accelerations():
    f = Follower([0.0, 0.0])
    f.replace(plan_of(pt([0, 0], 0.0, [0, 0], [0, 0]), pt([1.0, 1.0], 1.0, [0, 0], [0, 0])), start=0.0)
    sample(f, 0.0)
    # Zero velocities and accelerations at both ends: 10s^3 - 15s^4 + 6s^5.
    assert sample(f, 0.25) == pytest.approx([0.103515625] * 2)
    assert sample(f, 0.5) == pytest.approx([0.5, 0.5])


def test_follower_quintic_before_first_point_assumes_zero_acceleration():
    f = Follower([0.0, 0.0])
    f.replace(plan_of(pt([1.0, 1.0], 1.0, [0, 0], [0, 0])), start=0.0)
    assert sample(f, 0.0) == pytest.approx([0.0, 0.0])
    assert sample(f, 0.25) == pytest.approx([0.103515625] * 2)


def test_follower_without_plan_holds_initial():
    assert sample(Follower([0.1, 0.2]), 3.0) == [0.1, 0.2]


def test_tally_counts_and_rate_limits_each_rule():
    tally = Tally(log_every_s=1.0)
    tally.accept()
    moving = TrajectoryRefused("moving_at_end", "x")
    first = tally.refuse(moving, 0.0)
    assert first == "refused trajectory #1 (1 accepted so far): moving_at_end: x"
    assert tally.refuse(moving, 0.5) is None
    assert tally.refuse(TrajectoryRefused("effort", "y"), 0.6) is not None, "another rule is logged at once"
    assert tally.refuse(moving, 1.2).endswith("[1 more moving_at_end refusal(s) not logged]")
    assert tally.summary() == {
        "accepted": 1,
        "refused": 4,
        "refused_by_rule": {"effort": 1, "moving_at_end": 3},
        "first_refusals": ["moving_at_end: x", "moving_at_end: x", "effort: y", "moving_at_end: x"],
    }
