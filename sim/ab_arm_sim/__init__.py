"""ab_arm_sim owns the simulated 2-joint planar arm: its MuJoCo model (arm.xml),
the joint_trajectory_controller contract every stand-in robot checks and
trajectory following with the controller's sampling (trajectory.py, no ROS),
its overhead camera (camera.py, offscreen rendering, no ROS), and the rclpy
node that puts it on a ROS 2 graph (node.py).

Run from the repository root, with the ROS environment sourced:
    python -m sim.ab_arm_sim [--ros-args -p initial_positions:=[0.0,0.0] -p rate_hz:=100.0 -p print_hz:=0.0 -p camera_hz:=15.0 -r joint_trajectory:=...]
"""

import os

# MuJoCo picks its GL backend when first imported: EGL renders offscreen
# without a display. A backend chosen by the caller (osmesa, glfw) wins.
os.environ.setdefault("MUJOCO_GL", "egl")
