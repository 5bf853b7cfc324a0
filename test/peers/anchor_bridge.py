"""The anchor: the bridge a user would write around the reference SDK 0.1.6.

An rclpy node that hears /joint_states (best effort, as ab_bridge does),
answers every io:need with the SDK's InputStreamer (one Proprioception
provider per joint, rawtick_f32x3 with config/bridge.yaml's lo/hi), and on
each cycle:update decodes the rows with the SDK's decode_stream_rows
(config/bridge.yaml's mapping, --per-step-max) into one JointTrajectory on
/joint_trajectory: the measured positions plus the cycle's summed deltas,
a single point at --cycle-ms, at rest (what a stock controller accepts).
Each cycle also sends robot:state and a constant reward (the neutral 0.5
ab_bridge sends without policies), so both bridges talk as much to the
brain. "anchor ready" is printed once the run is joined; SIGINT stops the
run and exits.

One thing the SDK leaves to its user, and a user would have to add: its
socket's emits are not serialized. python-socketio's client sends a binary
event (io:chunk) as a header and then its attachment, one send each, from
whatever thread emits; python-engineio runs each incoming message's handler
on a thread of its own, so the io:need handler's chunk and the cycle:update
handler's robot:state can interleave. The Go and Node servers then refuse
the stream and close the connection ("forced close"), and the SDK
reconnects without joining its run again: three of four benchmark runs
against the Go brain lost the anchor that way. serialize_emits puts one lock
around each packet's sends; the messages are the same.
"""

import argparse
import os
import struct
import threading

import rclpy
from ab_sdk import ABClient, InputStreamer
from ab_sdk.plugins.decoder import decode_stream_rows
from rclpy.duration import Duration
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

# config/bridge.yaml: input id, joint, output population.
JOINTS = [("shoulder_pos", "shoulder", "shoulder_motor"), ("elbow_pos", "elbow", "elbow_motor")]
LO, HI = -3.14159, 3.14159
LIMIT = 2.9  # joints[].min/max


class AnchorBridge(Node):
    def __init__(self, session, args):
        super().__init__("ab_anchor_bridge")
        self.session = session
        self.duration = Duration(nanoseconds=args.cycle_ms * 1_000_000).to_msg()
        self.mapping = [
            {"node_id": out, "channel": joint, "scheme": "bipolarSplit", "per_step_max": args.per_step_max, "gain": 1.0}
            for _, joint, out in JOINTS
        ]
        self.q = None  # the newest measured positions by joint; replaced whole, read from the SDK's thread
        self.create_subscription(JointState, "/joint_states", self.on_state, qos_profile_sensor_data)
        self.pub = self.create_publisher(JointTrajectory, "/joint_trajectory", 10)

    def on_state(self, msg):
        self.q = dict(zip(msg.name, msg.position))

    def provider(self, joint):
        def provide():
            q = (self.q or {}).get(joint, 0.0)
            return {
                "format": "rawtick_f32x3",
                "meta": {"lo": LO, "hi": HI, "rawTick": q, "prevRawTick": q, "velTickPerS": 0.0},
                "data": struct.pack("<fff", q, q, 0.0),
            }

        return provide

    def on_cycle(self, payload):
        q = self.q
        if q is None:
            return  # nothing measured yet: no motion to command
        target = {joint: q.get(joint, 0.0) for _, joint, _ in JOINTS}
        for step in decode_stream_rows(payload.get("outputs") or [], self.mapping):
            for joint, delta in step["deltas"].items():
                target[joint] += delta
        msg = JointTrajectory()
        msg.joint_names = [joint for _, joint, _ in JOINTS]
        point = JointTrajectoryPoint()
        positions = [max(-LIMIT, min(LIMIT, target[j])) for j in msg.joint_names]
        point.positions = positions
        point.velocities = [0.0] * len(JOINTS)
        point.time_from_start = self.duration
        msg.points = [point]
        self.pub.publish(msg)
        s = self.session
        s.socket.emit("robot:state", {"runId": s.run_id, "state": {"q": positions, "dq": [0.0, 0.0]}},
                      namespace=s.namespace)
        s.send_reward(0.5, {}, cycle=payload.get("cycle"))


def serialize_emits(sio):
    """Makes a socketio.Client send each packet's parts without another
    thread's in between (see the module's docstring)."""
    send, lock = sio._send_packet, threading.Lock()

    def locked(pkt):
        with lock:
            send(pkt)

    sio._send_packet = locked


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="brain root URL")
    ap.add_argument("--project", default="demo")
    ap.add_argument("--cycle-ms", type=int, default=50)
    ap.add_argument("--per-step-max", type=float, default=0.0005)
    args = ap.parse_args()

    rclpy.init()
    client = ABClient(args.url, api_key=os.environ.get("AB_API_KEY") or None)
    session = client.start(args.project)
    serialize_emits(session.socket)
    node = AnchorBridge(session, args)
    streamer = InputStreamer(session)
    for input_id, joint, _ in JOINTS:
        streamer.register_input(input_id, "Proprioception", node.provider(joint))
    streamer.start()
    session.on_cycle_update(node.on_cycle)
    print("anchor ready", session.run_id, flush=True)
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        client.stop(args.project, session.run_id)
        session.close()
        client.close()
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    main()
