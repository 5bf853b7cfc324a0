"""Calls one std_srvs/Trigger service, for the pause test.

Usage: trigger_call.py SERVICE [SERVICE ...]

Waits (bounded) for each service, calls it once, in order, and prints
"RESULT {json}" with [{"service", "success", "message", "t"}] (t: wall time
of the answer), then exits 0; exits 1 when a service never shows up.
"""

from __future__ import annotations

import json
import sys
import time

import rclpy
from rclpy.node import Node
from std_srvs.srv import Trigger


def main() -> int:
    rclpy.init()
    node = Node("trigger_call")
    out = []
    try:
        for name in sys.argv[1:]:
            client = node.create_client(Trigger, name)
            if not client.wait_for_service(timeout_sec=20.0):
                print("RESULT " + json.dumps({"error": f"no service {name}"}), flush=True)
                return 1
            fut = client.call_async(Trigger.Request())
            rclpy.spin_until_future_complete(node, fut, timeout_sec=10.0)
            if not fut.done():
                print("RESULT " + json.dumps({"error": f"{name} did not answer"}), flush=True)
                return 1
            r = fut.result()
            out.append({"service": name, "success": r.success, "message": r.message, "t": time.time()})
        print("RESULT " + json.dumps(out), flush=True)
        return 0
    finally:
        node.destroy_node()
        rclpy.shutdown()


if __name__ == "__main__":
    sys.exit(main())
