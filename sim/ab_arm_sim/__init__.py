"""ab_arm_sim owns the simulated 2-joint planar arm: its MuJoCo model (arm.xml),
trajectory following with joint_trajectory_controller semantics (trajectory.py,
no ROS), and the rclpy node that puts it on a ROS 2 graph (node.py).

Run from the repository root, with the ROS environment sourced:
    python -m sim.ab_arm_sim [--ros-args -p initial_positions:=[0.0,0.0] -p rate_hz:=100.0 -p print_hz:=0.0 -r joint_trajectory:=...]
"""
