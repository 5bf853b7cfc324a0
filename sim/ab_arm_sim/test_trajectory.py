import math

import pytest

from .trajectory import Follower, RawPoint, TrajectoryError, build_plan

JOINTS = ["shoulder", "elbow"]
LIMITS = {"shoulder": (-2.9, 2.9), "elbow": (-2.9, 2.9)}


def pt(positions, t, velocities=()):
    return RawPoint(positions=list(positions), velocities=list(velocities), time_from_start=t)


@pytest.mark.parametrize(
    "names, points, reason",
    [
        (JOINTS, [], "trajectory has no points"),
        ([], [pt([], 1.0)], "trajectory has no joint names"),
        (["shoulder", "shoulder"], [pt([0, 0], 1.0)], "joint 'shoulder' is listed twice"),
        (JOINTS, [pt([0.5], 1.0)], "point 0 has 1 position(s) for 2 joint(s)"),
        (JOINTS, [pt([0.5, 0.1, 0.2], 1.0)], "point 0 has 3 position(s) for 2 joint(s)"),
        (JOINTS, [pt([0, 0], 1.0, [0.1])], "point 0 has 1 velocity(ies) for 2 joint(s)"),
        (JOINTS, [pt([0, math.nan], 1.0)], "point 0 position of 'elbow' is nan"),
        (JOINTS, [pt([0, 0], 1.0, [math.inf, 0])], "point 0 velocity of 'shoulder' is inf"),
        (JOINTS, [pt([0, 0], -0.5)], "point 0 time_from_start is -0.5 s, must be >= 0"),
        (JOINTS, [pt([0, 0], 1.0), pt([1, 1], 1.0)], "time_from_start does not increase at point 1"),
        (JOINTS, [pt([0, 0], 1.0), pt([1, 1], 0.5)], "time_from_start does not increase at point 1"),
        (["wrist"], [pt([0.3], 1.0)], "no known joint in ['wrist']"),
    ],
)
def test_build_plan_rejects_with_reason(names, points, reason):
    with pytest.raises(TrajectoryError) as err:
        build_plan(names, points, LIMITS, JOINTS)
    assert reason in str(err.value)


def test_build_plan_ignores_unknown_joint_and_keeps_order_of_arm():
    plan, warnings = build_plan(["wrist", "elbow", "shoulder"], [pt([9, -0.3, 0.5], 1.0)], LIMITS, JOINTS)
    assert warnings == ["ignoring unknown joint 'wrist'"]
    assert plan.joints == (1, 0)
    assert plan.positions == ((-0.3, 0.5),)
    assert plan.velocities is None


def test_build_plan_clamps_targets_beyond_range():
    plan, warnings = build_plan(JOINTS, [pt([3.5, -4.0], 1.0)], LIMITS, JOINTS)
    assert plan.positions == ((2.9, -2.9),)
    assert len(warnings) == 2 and "outside [-2.9, 2.9]: clamped" in warnings[0]


def sample(follower, t, pos=(0.0, 0.0), vel=(0.0, 0.0)):
    return follower.setpoints(t, list(pos), list(vel))


def test_follower_interpolates_linearly_from_state_at_first_sample_then_holds():
    f = Follower([0.0, 0.0])
    plan, _ = build_plan(JOINTS, [pt([1.0, -1.0], 1.0), pt([2.0, 0.0], 2.0)], LIMITS, JOINTS)
    f.replace(plan, start=10.0)
    assert sample(f, 10.0, pos=(0.2, 0.0)) == pytest.approx([0.2, 0.0])
    assert sample(f, 10.5) == pytest.approx([0.6, -0.5])
    assert sample(f, 11.0) == pytest.approx([1.0, -1.0])
    assert sample(f, 11.25) == pytest.approx([1.25, -0.75])
    assert sample(f, 12.0) == pytest.approx([2.0, 0.0])
    assert not f.active
    assert sample(f, 99.0) == pytest.approx([2.0, 0.0])


def test_follower_with_future_start_moves_from_first_sample_to_first_point():
    f = Follower([0.0, 0.0])
    plan, _ = build_plan(JOINTS, [pt([1.0, 1.0], 1.0)], LIMITS, JOINTS)
    f.replace(plan, start=5.0)  # stamped 5 s ahead; first point at 6 s
    assert sample(f, 2.0) == pytest.approx([0.0, 0.0])
    assert sample(f, 4.0) == pytest.approx([0.5, 0.5])
    assert sample(f, 6.0) == pytest.approx([1.0, 1.0])


def test_follower_partial_trajectory_holds_other_joint():
    f = Follower([0.3, -0.7])
    plan, _ = build_plan(["elbow"], [pt([0.5], 1.0)], LIMITS, JOINTS)
    f.replace(plan, start=0.0)
    assert sample(f, 0.0, pos=(0.3, -0.7)) == pytest.approx([0.3, -0.7])
    assert sample(f, 1.0) == pytest.approx([0.3, 0.5])


def test_follower_new_trajectory_replaces_old_from_its_first_sample():
    f = Follower([0.0, 0.0])
    slow, _ = build_plan(JOINTS, [pt([2.0, 2.0], 4.0)], LIMITS, JOINTS)
    f.replace(slow, start=0.0)
    sample(f, 0.0)
    mid = sample(f, 1.0)
    assert mid == pytest.approx([0.5, 0.5])
    fast, _ = build_plan(JOINTS, [pt([-1.0, 0.0], 0.5)], LIMITS, JOINTS)
    f.replace(fast, start=1.0)
    assert sample(f, 1.0, pos=mid) == pytest.approx(mid)
    assert sample(f, 1.5) == pytest.approx([-1.0, 0.0])
    assert sample(f, 3.0) == pytest.approx([-1.0, 0.0])


def test_follower_cubic_when_every_point_has_velocities():
    f = Follower([0.0, 0.0])
    plan, _ = build_plan(JOINTS, [pt([0, 0], 0.0, [0, 0]), pt([1.0, 1.0], 1.0, [0, 0])], LIMITS, JOINTS)
    f.replace(plan, start=0.0)
    sample(f, 0.0)
    quarter = sample(f, 0.25)
    # Hermite with zero end velocities: 3s^2 - 2s^3 at s = 0.25.
    assert quarter == pytest.approx([0.15625, 0.15625])
    assert sample(f, 0.5) == pytest.approx([0.5, 0.5])


def test_follower_without_plan_holds_initial():
    assert sample(Follower([0.1, 0.2]), 3.0) == [0.1, 0.2]
