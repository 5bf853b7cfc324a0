import pytest

from .arm import Arm
from .trajectory import Follower, RawPoint, RawTrajectory, build_plan


def run(arm, seconds, setpoints=None, follower=None):
    """Step the arm; return the largest overshoot past the final setpoint per joint."""
    steps = int(round(seconds / arm.timestep))
    peak = [0.0] * len(arm.joints)
    for k in range(steps):
        if follower is not None:
            # The model's own clock: consecutive runs continue in time.
            setpoints = follower.setpoints(float(arm.data.time), arm.positions(), arm.velocities())
        arm.command(setpoints)
        arm.step()
        peak = [max(a, b) for a, b in zip(peak, map(abs, arm.positions()))]
    return peak


def test_model_has_two_hinges_with_ranges():
    arm = Arm([0.0, 0.0])
    assert arm.joints == ["shoulder", "elbow"]
    assert arm.timestep == pytest.approx(0.002)
    assert arm.limits == {"shoulder": (-2.9, 2.9), "elbow": (-2.9, 2.9)}


def test_starts_at_initial_positions_and_holds_them():
    arm = Arm([0.4, -1.2])
    run(arm, 2.0, setpoints=[0.4, -1.2])
    assert arm.positions() == pytest.approx([0.4, -1.2], abs=1e-4)


@pytest.mark.parametrize("target", [[0.5, -0.3], [2.5, -2.5], [-2.0, 1.0]])
def test_step_settles_without_overshoot(target):
    arm = Arm([0.0, 0.0])
    peak = run(arm, 2.0, setpoints=target)
    assert arm.positions() == pytest.approx(target, abs=1e-3)
    assert arm.velocities() == pytest.approx([0.0, 0.0], abs=1e-3)
    for p, t in zip(peak, target):
        assert p <= abs(t) + 0.01


def test_follows_trajectory_to_target():
    arm = Arm([0.0, 0.0])
    follower = Follower([0.0, 0.0])
    trajectory = RawTrajectory(["shoulder", "elbow"], [RawPoint([0.5, -0.3], time_from_start_ns=10**9)])
    plan, _ = build_plan(trajectory, arm.joints, arm.limits, now_ns=0)
    follower.replace(plan, start=None)
    run(arm, 0.5, follower=follower)
    halfway = arm.positions()
    assert 0.1 < halfway[0] < 0.3  # on its way, not jumped
    run(arm, 1.5, follower=follower)
    assert arm.positions() == pytest.approx([0.5, -0.3], abs=0.005)


@pytest.mark.parametrize("initial, reason", [([0.0], "1 value(s) for 2 joint(s)"), ([3.0, 0.0], "outside")])
def test_rejects_bad_initial_positions(initial, reason):
    with pytest.raises(ValueError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        Arm(initial)


def test_gripper_is_not_an_arm_joint_and_starts_open():
    arm = Arm([0.0, 0.0])
    assert arm.gripper == "gripper"
    assert "gripper" not in arm.joints
    assert arm.gripper_limits == (0.0, 0.04)
    assert arm.gripper_state()[0] == pytest.approx(0.04)


def test_gripper_follows_its_setpoint_while_the_arm_moves():
    arm = Arm([0.0, 0.0], gripper=0.04)
    arm.command_gripper(0.0)
    run(arm, 1.0, setpoints=[1.0, -1.0])
    assert arm.gripper_state()[0] == pytest.approx(0.0, abs=1e-3)
    assert arm.positions() == pytest.approx([1.0, -1.0], abs=5e-3)
    arm.command_gripper(0.1)  # beyond ctrlrange: the actuator stops at the range
    run(arm, 1.0, setpoints=[1.0, -1.0])
    assert arm.gripper_state()[0] == pytest.approx(0.04, abs=1e-3)


def test_rejects_bad_initial_gripper():
    with pytest.raises(ValueError, match="gripper"):
        Arm([0.0, 0.0], gripper=0.5)
