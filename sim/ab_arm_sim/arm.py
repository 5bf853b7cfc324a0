"""The MuJoCo model of the arm and its stepping; no ROS here."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import mujoco

MODEL_PATH = Path(__file__).with_name("arm.xml")


class Arm:
    """A MuJoCo arm driven by one position actuator per joint."""

    def __init__(self, initial: Sequence[float], model_path: Path = MODEL_PATH):
        self.model = mujoco.MjModel.from_xml_path(str(model_path))
        self.data = mujoco.MjData(self.model)
        self.joints = [self.model.joint(i).name for i in range(self.model.njnt)]
        # Actuators are matched to joints by the joint they drive, so the
        # model's actuator order never has to follow its joint order.
        self._actuator_of = [0] * len(self.joints)
        for a in range(self.model.nu):
            self._actuator_of[self.model.actuator_trnid[a][0]] = a
        if len(initial) != len(self.joints):
            raise ValueError(
                f"initial positions have {len(initial)} value(s) for {len(self.joints)} joint(s)"
            )
        for j, value in enumerate(initial):
            lo, hi = self.limits[self.joints[j]]
            if not lo <= value <= hi:
                raise ValueError(f"initial position {value} of '{self.joints[j]}' is outside [{lo}, {hi}]")
            self.data.qpos[self.model.jnt_qposadr[j]] = value
        self.command(initial)
        mujoco.mj_forward(self.model, self.data)

    @property
    def timestep(self) -> float:
        return float(self.model.opt.timestep)

    @property
    def limits(self) -> dict[str, tuple[float, float]]:
        return {
            name: (float(self.model.jnt_range[j][0]), float(self.model.jnt_range[j][1]))
            for j, name in enumerate(self.joints)
        }

    def command(self, setpoints: Sequence[float]) -> None:
        for j, value in enumerate(setpoints):
            self.data.ctrl[self._actuator_of[j]] = value

    def step(self) -> None:
        mujoco.mj_step(self.model, self.data)

    def positions(self) -> list[float]:
        return [float(self.data.qpos[self.model.jnt_qposadr[j]]) for j in range(len(self.joints))]

    def velocities(self) -> list[float]:
        return [float(self.data.qvel[self.model.jnt_dofadr[j]]) for j in range(len(self.joints))]

    def efforts(self) -> list[float]:
        return [float(self.data.qfrc_actuator[self.model.jnt_dofadr[j]]) for j in range(len(self.joints))]
