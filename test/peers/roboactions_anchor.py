"""The anchor: the loop a user would write around RoboActions' SDK 0.1.2 without ab_bridge.

An rclpy node hears /joint_states (best effort, as ab_bridge does) and, on
a timer at the policy's rate, sends the newest positions of --joints as
observation.state (float32, with the task) through the SDK's
RemotePolicy, synchronously in the callback, and publishes the answer on /joint_trajectory as a
JointTrajectory a stock joint_trajectory_controller accepts (positions
only, so it ends at rest; the points one policy period apart):

  select_action         every period: one action, one point.
  predict_action_chunk  a chunk, all its actions as points; the next
                        request once --threshold of it is left.

With --image KEY=CxHxW the newest sensor_msgs/Image (rgb8) on --camera-topic
goes along as KEY, resized with Pillow and scaled to float32 CHW in [0, 1],
as the policy's feature asks.

The SDK is RoboActions' 0.1.2 from its own venv: --sdk-site appends that
venv's site-packages after this interpreter's (the ROS venv, for rclpy),
so numpy and requests stay the ROS venv's and roboactions and msgpack come
from the SDK's. The API key comes from ROBOACTIONS_API_KEY (never argv),
as the SDK reads it. "anchor ready" is printed once the policy is reset
and its first answer published; SIGINT or SIGTERM stops the loop.
"""

import argparse
import signal
import site
import threading

import rclpy
from rclpy.duration import Duration
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from rclpy.signals import SignalHandlerOptions
from PIL import Image as PILImage
from sensor_msgs.msg import Image, JointState
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint


def parse():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="the policy's base URL")
    ap.add_argument("--policy-id", default="local-reach")
    ap.add_argument("--sdk-site", default="", help="site-packages of the RoboActions SDK venv")
    ap.add_argument("--endpoint", choices=["select_action", "predict_action_chunk"], default="select_action")
    ap.add_argument("--rate", type=float, default=10.0, help="the policy's actions per second")
    ap.add_argument("--threshold", type=float, default=0.5, help="share of a chunk left when the next is asked for")
    ap.add_argument("--joints", default="shoulder,elbow")
    ap.add_argument("--task", default="reach the marked pose")
    ap.add_argument("--image", default="", help="an image feature KEY=CxHxW from --camera-topic")
    ap.add_argument("--camera-topic", default="/camera/image_raw")
    return ap.parse_args()


class Anchor(Node):
    """Hears joint_states; on a timer at the policy's rate asks the policy
    (synchronously, in the callback, as the simplest rclpy node would)."""

    def __init__(self, args, policy, np):
        super().__init__("ab_roboactions_anchor")
        self.joints = args.joints.split(",")
        self.period = 1.0 / args.rate
        self.args, self.policy, self.np = args, policy, np
        self.q = None  # the newest positions by joint
        self.frame = None  # the newest camera image
        self.image_key, self.image_hw = None, None
        if args.image:
            self.image_key, shape = args.image.split("=")
            _, h, w = (int(v) for v in shape.split("x"))
            self.image_hw = (h, w)
            self.create_subscription(Image, args.camera_topic, self.on_frame, qos_profile_sensor_data)
        self.requests = 0
        self.wait = 0  # periods until the next request
        self.create_subscription(JointState, "/joint_states", self.on_state, qos_profile_sensor_data)
        self.pub = self.create_publisher(JointTrajectory, "/joint_trajectory", 10)
        self.create_timer(self.period, self.tick)

    def on_state(self, msg):
        self.q = dict(zip(msg.name, msg.position))

    def on_frame(self, msg):
        self.frame = msg

    def image(self):
        """The newest frame as the feature: float32 CHW in [0, 1]."""
        m = self.frame
        if m is None:
            return None
        img = PILImage.frombuffer("RGB", (m.width, m.height), bytes(m.data), "raw", "RGB", m.step, 1)
        h, w = self.image_hw
        img = img.resize((w, h), PILImage.BILINEAR)
        return self.np.asarray(img, dtype=self.np.float32).transpose(2, 0, 1) / 255.0

    def state(self):
        q = self.q
        if q is None or any(j not in q for j in self.joints):
            return None
        return [q[j] for j in self.joints]

    def tick(self):
        if self.wait > 1:
            self.wait -= 1
            return
        state = self.state()
        if state is None:
            return
        np = self.np
        obs = {"observation.state": np.asarray(state, dtype=np.float32), "task": self.args.task}
        if self.image_key:
            img = self.image()
            if img is None:
                return
            obs[self.image_key] = img
        if self.args.endpoint == "select_action":
            actions = np.asarray(self.policy.select_action(obs), dtype=np.float64).reshape(1, -1)
            self.wait = 1
        else:
            chunk = np.asarray(self.policy.predict_action_chunk(obs), dtype=np.float64)
            actions = chunk.reshape(-1, chunk.shape[-1])
            self.wait = max(1, int(round(len(actions) * (1 - self.args.threshold))))
        self.requests += 1
        self.publish(actions)

    def publish(self, actions):
        msg = JointTrajectory()
        msg.joint_names = list(self.joints)
        for i, a in enumerate(actions):
            p = JointTrajectoryPoint()
            p.positions = [float(v) for v in a[: len(self.joints)]]
            p.time_from_start = Duration(nanoseconds=int((i + 1) * self.period * 1e9)).to_msg()
            msg.points.append(p)
        self.pub.publish(msg)


def main():
    a = parse()
    if a.sdk_site:
        site.addsitedir(a.sdk_site)
    import numpy as np
    from roboactions import RemotePolicy

    policy = RemotePolicy(policy_id=a.policy_id, base_url=a.url)  # the key from ROBOACTIONS_API_KEY
    policy.wait_until_deployed(interval=0.5)
    policy.reset()
    # Our own handlers: the loop stops between callbacks, never inside one.
    rclpy.init(signal_handler_options=SignalHandlerOptions.NO)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    node = Anchor(a, policy, np)
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    ready = False
    try:
        while not stop.is_set():
            executor.spin_once(timeout_sec=0.1)
            if not ready and node.requests:
                print("anchor ready", flush=True)
                ready = True
    except ExternalShutdownException:
        pass
    finally:
        print(f"anchor stopped requests={node.requests} endpoint={a.endpoint}", flush=True)
        policy.close()
        executor.shutdown()
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    main()
