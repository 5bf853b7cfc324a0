"""The MuJoCo model of the arm and its stepping; no ROS here."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import mujoco

MODEL_PATH = Path(__file__).with_name("arm.xml")

# The gripper's joint and actuator name in the model. It is not one of the
# arm's joints: the trajectory never names it (a separate controller drives
# it, as a forward position controller would on a real robot).
GRIPPER_JOINT = "gripper"


class Arm:
    """A MuJoCo arm driven by one position actuator per joint, and a gripper."""

    def __init__(self, initial: Sequence[float], model_path: Path = MODEL_PATH, gripper: float | None = None):
        self.model = mujoco.MjModel.from_xml_path(str(model_path))
        self.data = mujoco.MjData(self.model)
        names = [self.model.joint(i).name for i in range(self.model.njnt)]
        self._ids = [i for i, n in enumerate(names) if n != GRIPPER_JOINT]
        self.joints = [names[i] for i in self._ids]
        self._gripper_id = names.index(GRIPPER_JOINT) if GRIPPER_JOINT in names else None
        # Actuators are matched to joints by the joint they drive, so the
        # model's actuator order never has to follow its joint order.
        self._actuator_of = {}
        for a in range(self.model.nu):
            self._actuator_of[int(self.model.actuator_trnid[a][0])] = a
        if len(initial) != len(self.joints):
            raise ValueError(
                f"initial positions have {len(initial)} value(s) for {len(self.joints)} joint(s)"
            )
        for j, value in enumerate(initial):
            lo, hi = self.limits[self.joints[j]]
            if not lo <= value <= hi:
                raise ValueError(f"initial position {value} of '{self.joints[j]}' is outside [{lo}, {hi}]")
            self.data.qpos[self.model.jnt_qposadr[self._ids[j]]] = value
        self.command(initial)
        if self._gripper_id is not None:
            lo, hi = self.gripper_limits
            g = hi if gripper is None else gripper  # open unless told otherwise
            if not (math.isfinite(g) and lo <= g <= hi):
                raise ValueError(f"initial gripper position {g} is outside [{lo}, {hi}]")
            self.data.qpos[self.model.jnt_qposadr[self._gripper_id]] = g
            self.command_gripper(g)
        mujoco.mj_forward(self.model, self.data)

    @property
    def timestep(self) -> float:
        return float(self.model.opt.timestep)

    @property
    def limits(self) -> dict[str, tuple[float, float]]:
        return {
            name: (float(self.model.jnt_range[j][0]), float(self.model.jnt_range[j][1]))
            for j, name in zip(self._ids, self.joints)
        }

    @property
    def gripper(self) -> str | None:
        """The gripper joint's name, or None for a model without one."""
        return GRIPPER_JOINT if self._gripper_id is not None else None

    @property
    def gripper_limits(self) -> tuple[float, float]:
        r = self.model.jnt_range[self._gripper_id]
        return float(r[0]), float(r[1])

    def command(self, setpoints: Sequence[float]) -> None:
        for j, value in enumerate(setpoints):
            self.data.ctrl[self._actuator_of[self._ids[j]]] = value

    def command_gripper(self, value: float) -> None:
        """The gripper's setpoint; MuJoCo keeps it within the actuator's ctrlrange."""
        self.data.ctrl[self._actuator_of[self._gripper_id]] = value

    def step(self) -> None:
        mujoco.mj_step(self.model, self.data)

    def positions(self) -> list[float]:
        return [float(self.data.qpos[self.model.jnt_qposadr[j]]) for j in self._ids]

    def velocities(self) -> list[float]:
        return [float(self.data.qvel[self.model.jnt_dofadr[j]]) for j in self._ids]

    def efforts(self) -> list[float]:
        return [float(self.data.qfrc_actuator[self.model.jnt_dofadr[j]]) for j in self._ids]

    def gripper_state(self) -> tuple[float, float, float]:
        """The gripper's position, velocity and actuator force."""
        j = self._gripper_id
        return (
            float(self.data.qpos[self.model.jnt_qposadr[j]]),
            float(self.data.qvel[self.model.jnt_dofadr[j]]),
            float(self.data.qfrc_actuator[self.model.jnt_dofadr[j]]),
        )
