"""The arm's fixed overhead camera: offscreen MuJoCo rendering, no ROS here.

An OverheadCamera owns a GL context, which belongs to the thread that made it:
create, render with and close a camera on one thread only (CameraThread does).
It renders from its own MjData, so the physics thread is never read mid-step:
the caller hands it joint positions.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Sequence

import mujoco
import numpy as np

CAMERA_NAME = "overhead"


class OverheadCamera:
    """Renders the model's fixed overhead camera as height×width×3 RGB."""

    def __init__(self, model: mujoco.MjModel, width: int, height: int):
        if not (1 <= width <= 4096 and 1 <= height <= 4096):
            raise ValueError(f"camera size {width}x{height} is not within 1..4096")
        # The offscreen buffer must hold the frame; the model asks for 640x480.
        model.vis.global_.offwidth = max(model.vis.global_.offwidth, width)
        model.vis.global_.offheight = max(model.vis.global_.offheight, height)
        self._model = model
        self._data = mujoco.MjData(model)
        self._renderer = mujoco.Renderer(model, height=height, width=width)
        self.width, self.height = width, height

    def render(self, qpos: Sequence[float]) -> np.ndarray:
        # A prefix is enough: the arm's joints come first in the model, and
        # a caller that only poses them leaves the gripper at its default.
        self._data.qpos[: len(qpos)] = qpos
        # Poses, then the camera and light frames: all a picture needs.
        mujoco.mj_kinematics(self._model, self._data)
        mujoco.mj_camlight(self._model, self._data)
        self._renderer.update_scene(self._data, camera=CAMERA_NAME)
        return self._renderer.render()

    def close(self) -> None:
        self._renderer.close()


class CameraThread(threading.Thread):
    """Renders at rate_hz on its own thread (which owns the GL context) and
    hands each frame to publish. positions() returns the joint positions to
    show; it is called on this thread and must be thread-safe."""

    def __init__(
        self,
        model: mujoco.MjModel,
        width: int,
        height: int,
        rate_hz: float,
        positions: Callable[[], Sequence[float]],
        publish: Callable[[np.ndarray], None],
        on_error: Callable[[str], None],
    ):
        super().__init__(name="overhead-camera", daemon=True)
        self._model, self._size, self._period = model, (width, height), 1.0 / rate_hz
        self._positions, self._publish, self._on_error = positions, publish, on_error
        self._halt = threading.Event()
        self.frames = 0

    def run(self) -> None:
        try:
            camera = OverheadCamera(self._model, *self._size)
        except Exception as e:  # no EGL, no display: the arm still runs
            self._on_error(f"camera off: cannot render ({type(e).__name__}: {e})")
            return
        try:
            due = time.monotonic()
            while not self._halt.is_set():
                self._publish(camera.render(self._positions()))
                self.frames += 1
                due += self._period
                # After a stall, start again from now instead of rendering a burst.
                due = max(due, time.monotonic())
                self._halt.wait(due - time.monotonic())
        except Exception as e:
            self._on_error(f"camera stopped: {type(e).__name__}: {e}")
        finally:
            camera.close()

    def stop(self, timeout: float = 2.0) -> None:
        self._halt.set()
        self.join(timeout)
