"""rclpy peer that gives a policy its instruction: publishes the text given
as std_msgs/String on the topic given, five times a second (reliable,
volatile: what `ros2 topic pub -r 5` does), until SIGINT or SIGTERM.
Prints READY after the first message.

    task_publisher.py TOPIC TEXT
"""

import signal
import sys
import threading

import rclpy
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions
from rclpy.utilities import remove_ros_args
from std_msgs.msg import String


def main():
    topic, text = remove_ros_args(sys.argv)[1:3]
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    rclpy.init(args=sys.argv, signal_handler_options=SignalHandlerOptions.NO)
    node = Node("task_publisher")
    pub = node.create_publisher(String, topic, 10)
    first = True
    while not stop.is_set():
        pub.publish(String(data=text))
        if first:
            print("READY", flush=True)
            first = False
        stop.wait(0.2)
    node.destroy_node()
    rclpy.shutdown()


if __name__ == "__main__":
    main()
