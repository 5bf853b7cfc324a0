"""rclpy stand-in for robot_state_publisher's robot_description topic
(test/urdf_limits_test.go): publishes the URDF file given once, with the
QoS robot_state_publisher uses (reliable, transient local, keep last 1), so
a node that starts later still gets it. Prints READY once published and
stays until SIGINT.
"""

import signal
import sys
import threading

import rclpy
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from rclpy.signals import SignalHandlerOptions
from rclpy.utilities import remove_ros_args
from std_msgs.msg import String


def main():
    args = remove_ros_args(sys.argv)[1:]
    with open(args[0], encoding="utf-8") as f:
        urdf = f.read()
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    rclpy.init(args=sys.argv, signal_handler_options=SignalHandlerOptions.NO)
    node = Node("description_publisher")
    qos = QoSProfile(reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                     history=HistoryPolicy.KEEP_LAST, depth=1)
    pub = node.create_publisher(String, "/robot_description", qos)
    pub.publish(String(data=urdf))
    print("READY", flush=True)
    while not stop.is_set():
        rclpy.spin_once(node, timeout_sec=0.05)
    node.destroy_node()
    rclpy.shutdown()


if __name__ == "__main__":
    main()
