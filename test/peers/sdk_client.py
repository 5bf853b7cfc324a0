"""SDK peer: drives a brain with the reference SDK, as a robot program would.

Starts a run of --project with ABClient (API key from the environment
variable AB_API_KEY, never from argv), answers every io:need with the
SDK's InputStreamer (rawtick_f32x3 chunks for both joints of a simulated
2-joint arm, a deviation_f32 chunk for the shoulder feedback), decodes each
cycle:update with the SDK's decode_stream_rows (bipolarSplit), moves the arm
by the decoded deltas, sends a reward for every cycle and lets the SDK's
RobotLoop send robot:state at 20 Hz. After --cycles cycles it stops the run.

With --kick-after N, once N cycles have arrived it asks the brain's admin
route to drop its connection, then waits until the SDK has reconnected (it
never re-sends run:join: the SDK does not) and --after-kick more cycles
have arrived.

Prints one JSON line on stdout: the summary the Go test asserts on. Exit
status: 0 done, 1 timed out, 2 refused (HTTP error on start).
"""

import argparse
import json
import math
import os
import struct
import sys
import threading
import time

import httpx
from ab_sdk import ABClient, InputStreamer, RobotLoop
from ab_sdk.plugins.decoder import decode_stream_rows

JOINTS = {"shoulder_pos": ("shoulder_motor", 0.6), "elbow_pos": ("elbow_motor", -0.4)}
LO, HI = -3.14159, 3.14159


class Arm:
    """A 2-joint arm that moves by decoded deltas; thread-safe."""

    def __init__(self, per_step_max):
        self.lock = threading.Lock()
        self.q = {j: 0.0 for j in JOINTS}
        self.mapping = [
            {"node_id": out, "channel": j, "scheme": "bipolarSplit", "per_step_max": per_step_max}
            for j, (out, _) in JOINTS.items()
        ]

    def error(self):
        with self.lock:
            return sum(abs(self.q[j] - target) for j, (_, target) in JOINTS.items())

    def position(self, joint):
        with self.lock:
            return self.q[joint]

    def apply(self, outputs):
        steps = decode_stream_rows(outputs, self.mapping)
        with self.lock:
            for step in steps:
                for joint, delta in step["deltas"].items():
                    self.q[joint] = max(LO, min(HI, self.q[joint] + delta))
        return len(steps)


def joint_provider(arm, joint):
    def provide():
        q = arm.position(joint)
        return {
            "format": "rawtick_f32x3",
            "meta": {"lo": LO, "hi": HI, "rawTick": q, "prevRawTick": q, "velTickPerS": 0.0},
            "data": struct.pack("<fff", q, q, 0.0),
        }

    return provide


def deviation_provider(arm, gamma):
    def provide():
        dev = max(-1.0, min(1.0, (arm.position("shoulder_pos") - JOINTS["shoulder_pos"][1]) / math.pi))
        return {"format": "deviation_f32", "meta": {"T": gamma}, "data": struct.pack(f"<{gamma}f", *([dev] * gamma))}

    return provide


def camera_provider():
    # A real JPEG made once with Pillow (as an SDK user's camera code would),
    # registered by kind: the SDK's fallback when no id provider exists.
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, format="JPEG", quality=80)
    frame = buf.getvalue()

    def provide():
        return {"format": "jpeg", "meta": {"width": 64, "height": 48}, "data": frame}

    return provide


class Driver:
    """Counts what the SDK receives and decides when the session is done."""

    def __init__(self, args, client, session, arm):
        self.args = args
        self.client = client
        self.session = session
        self.arm = arm
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.cycles = []
        self.rewards = 0
        self.rows_bad = 0
        self.connects = 0
        self.disconnects = 0
        self.kicked = False
        self.kick_answer = None
        self.reconnected_at = None
        self.after_reconnect = 0

    def on_cycle(self, payload):
        cycle = payload.get("cycle")
        outputs = payload.get("outputs") or []
        if not all(isinstance(r, dict) and len(r.get("bits", [])) == self.session.output_n for r in outputs):
            with self.lock:
                self.rows_bad += 1
        self.arm.apply(outputs)
        err = self.arm.error()
        # Reward: 1 at the target posture, falling with the joints' error.
        self.session.send_reward(max(0.0, 1.0 - err), {}, cycle=cycle)
        with self.lock:
            self.rewards += 1
            self.cycles.append(cycle)
            if self.reconnected_at is not None:
                self.after_reconnect += 1
            kick = self.args.kick_after and not self.kicked and len(self.cycles) >= self.args.kick_after
            if kick:
                self.kicked = True
            self.check_done()
        if kick:
            threading.Thread(target=self.kick, daemon=True).start()

    def check_done(self):
        if len(self.cycles) < self.args.cycles:
            return
        if self.args.kick_after and self.after_reconnect < self.args.after_kick:
            return
        self.done.set()

    def kick(self):
        url = self.args.url.rstrip("/") + f"/admin/runs/{self.session.run_id}/disconnect"
        key = os.environ.get("AB_API_KEY") or ""
        headers = {"x-api-key": key} if key else {}
        try:
            resp = httpx.post(url, headers=headers, timeout=10)
            answer = resp.json()
        except Exception as exc:  # reported in the summary
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        with self.lock:
            self.kick_answer = answer

    def on_connect(self, *_):
        with self.lock:
            self.connects += 1
            if self.connects >= 2 and self.reconnected_at is None:
                self.reconnected_at = time.time()

    def on_disconnect(self, *_):
        with self.lock:
            self.disconnects += 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="brain root URL, e.g. http://127.0.0.1:8765")
    ap.add_argument("--project", default="demo")
    ap.add_argument("--cycles", type=int, default=10)
    ap.add_argument("--kick-after", type=int, default=0)
    ap.add_argument("--after-kick", type=int, default=5)
    ap.add_argument("--per-step-max", type=float, default=0.0005)
    ap.add_argument("--timeout", type=float, default=60.0)
    args = ap.parse_args()

    client = ABClient(args.url, api_key=os.environ.get("AB_API_KEY") or None)
    try:
        session = client.start(args.project)
    except httpx.HTTPStatusError as exc:
        body = exc.response.json() if exc.response.headers.get("content-type", "").startswith("application/json") else None
        print(json.dumps({"ok": False, "status": exc.response.status_code, "body": body}))
        return 2

    arm = Arm(args.per_step_max)
    start_error = arm.error()
    driver = Driver(args, client, session, arm)
    # The SDK connected before returning: its first connect is counted here.
    driver.connects = 1
    ns = session.namespace
    session.socket.on("connect", driver.on_connect, namespace=ns)
    session.socket.on("disconnect", driver.on_disconnect, namespace=ns)

    streamer = InputStreamer(session)
    for joint in JOINTS:
        streamer.register_input(joint, "Proprioception", joint_provider(arm, joint))
    streamer.register_input("shoulder_fb", "Feedback", deviation_provider(arm, session.gamma))
    streamer.register_kind("Image", camera_provider())
    streamer.start()
    session.on_cycle_update(driver.on_cycle)
    # RobotLoop sends robot:state from its own thread; without a decoder
    # plugin it leaves cycle:updates to the handler above.
    robot = RobotLoop(
        session,
        state_provider=lambda: {
            "q": [arm.position(j) for j in JOINTS],
            "dq": [0.0, 0.0],
            "grip": {"pos": 0.0},
            "dt": 0.05,
        },
        command_executor=lambda _cmd: None,
        tick_hz=20.0,
    )
    threading.Thread(target=robot.run_forever, daemon=True).start()

    finished = driver.done.wait(args.timeout)
    robot.stop()
    stop = client.stop(args.project, session.run_id)
    try:
        session.socket.disconnect()
    finally:
        client.close()
    with driver.lock:
        summary = {
            "ok": finished,
            "runId": session.run_id,
            "cycles": len(driver.cycles),
            "firstCycle": driver.cycles[0] if driver.cycles else None,
            "lastCycle": driver.cycles[-1] if driver.cycles else None,
            "rewardsSent": driver.rewards,
            "rowsBad": driver.rows_bad,
            "connects": driver.connects,
            "disconnects": driver.disconnects,
            "kickAnswer": driver.kick_answer,
            "cyclesAfterReconnect": driver.after_reconnect,
            "startError": start_error,
            "finalError": arm.error(),
            "q": {j: arm.position(j) for j in JOINTS},
            "stop": stop,
        }
    print(json.dumps(summary))
    return 0 if finished else 1


if __name__ == "__main__":
    sys.exit(main())
