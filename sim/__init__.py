"""Simulated robots for the ab_bridge demo and integration tests (MuJoCo + rclpy)."""
