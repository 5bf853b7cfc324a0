"""Drives the node's parameters with rclpy's own parameter client.

Usage: param_client.py --node /arm/ab_bridge --joint shoulder

What `ros2 param` does, through rclpy.parameter_client.AsyncParameterClient
against the node's ~/list_parameters, ~/get_parameters, … services, while
listening to /parameter_events (rclpy's QoS for it). Steps, in order:
list (all, then under "joints"); get; describe; get types; set
trajectory.publish_idle false and <joint>.max_velocity 1.5 in one request;
set brain.project (read-only); set trajectory.publish_idle to a string
(wrong type); set log_level debug and then get it. Prints "RESULT {json}"
with what each step answered and the events heard from that node.
"""

from __future__ import annotations

import argparse
import json
import time

import rclpy
from rclpy.node import Node
from rclpy.parameter import Parameter, parameter_value_to_python
from rclpy.parameter_client import AsyncParameterClient


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--node", required=True)
    ap.add_argument("--joint", required=True)
    args = ap.parse_args()
    rclpy.init()
    node = Node("param_client")
    client = AsyncParameterClient(node, args.node)
    events: list[dict] = []

    def on_event(m) -> None:
        if m.node != args.node:
            return
        events.append({
            "node": m.node,
            "stamp": m.stamp.sec + m.stamp.nanosec / 1e9,
            "new": {p.name: parameter_value_to_python(p.value) for p in m.new_parameters},
            "changed": {p.name: parameter_value_to_python(p.value) for p in m.changed_parameters},
        })

    client.on_parameter_event(on_event)
    out: dict = {}
    if not client.wait_for_services(timeout_sec=30.0):
        print("RESULT " + json.dumps({"error": "parameter services not found"}), flush=True)
        return

    def call(future):
        rclpy.spin_until_future_complete(node, future, timeout_sec=10.0)
        if not future.done():
            raise RuntimeError("no answer within 10 s")
        return future.result()

    def values(resp) -> list:
        return [{"type": int(v.type), "value": parameter_value_to_python(v)} for v in resp.values]

    def results(resp) -> list:
        return [{"successful": r.successful, "reason": r.reason} for r in resp.results]

    r = call(client.list_parameters([], 0))
    out["list"] = {"names": list(r.result.names), "prefixes": list(r.result.prefixes)}
    r = call(client.list_parameters(["joints"], 0))
    out["list_joints"] = {"names": list(r.result.names), "prefixes": list(r.result.prefixes)}
    max_vel = f"joints.{args.joint}.max_velocity"
    names = ["brain.url", "brain.project", "trajectory.publish_idle", max_vel, "joints.elbow.max_velocity", "log_level", "no.such.parameter"]
    out["get"] = dict(zip(names, values(call(client.get_parameters(names)))))
    r = call(client.describe_parameters(["brain.project", max_vel, "use_sim_time"]))
    out["describe"] = [{"name": d.name, "type": int(d.type), "read_only": d.read_only,
                        "description": d.description, "constraints": d.additional_constraints} for d in r.descriptors]
    r = call(client.get_parameter_types(["trajectory.publish_idle", "no.such.parameter"]))
    out["types"] = list(r.types)

    # Subscriptions match in the background; give /parameter_events a moment.
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        rclpy.spin_once(node, timeout_sec=0.1)
    out["set"] = results(call(client.set_parameters([
        Parameter("trajectory.publish_idle", Parameter.Type.BOOL, False),
        Parameter(max_vel, Parameter.Type.DOUBLE, 1.5),
    ])))
    out["set_read_only"] = results(call(client.set_parameters([Parameter("brain.project", Parameter.Type.STRING, "other")])))
    out["set_wrong_type"] = results(call(client.set_parameters([Parameter("trajectory.publish_idle", Parameter.Type.STRING, "no")])))
    out["set_log_level"] = results(call(client.set_parameters([Parameter("log_level", Parameter.Type.STRING, "debug")])))
    out["get_after"] = dict(zip(names, values(call(client.get_parameters(names)))))
    end = time.monotonic() + 1.5
    while time.monotonic() < end:
        rclpy.spin_once(node, timeout_sec=0.1)
    out["events"] = events
    print("RESULT " + json.dumps(out), flush=True)
    node.destroy_node()
    rclpy.shutdown()


if __name__ == "__main__":
    main()
