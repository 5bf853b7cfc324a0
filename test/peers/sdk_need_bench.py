"""Benchmark peer: the reference SDK's io:need → io:chunk path for a camera.

Starts a run of the demo project with ABClient (no key: the local brain
needs none) and answers every io:need with the SDK's InputStreamer, as a
robot program would: constant joints, a zero deviation, and the camera
frame read from stdin (WIDTH*HEIGHT*3 rgb8 bytes, rows unpadded) encoded by
Pillow at QUALITY on each need (the SDK calls its providers on the need).

Times, for each need, from the moment the SDK hands the io:need to the
streamer to the moment the camera's io:chunk emit returns, and after
--needs needs prints one JSON line {"needs", "p50_us", "p99_us", "max_us",
"jpeg_bytes"} and stops the run.
"""

import argparse
import io
import json
import struct
import sys
import threading
import time

from ab_sdk import ABClient, InputStreamer
from PIL import Image

CAMERA = "overhead_cam"


class TimedStreamer(InputStreamer):
    """InputStreamer that stamps each need as it arrives."""

    def __init__(self, session, on_need):
        super().__init__(session)
        self._on_need = on_need

    def _handle_io_need(self, payload):
        self._on_need(time.perf_counter())
        super()._handle_io_need(payload)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=480)
    ap.add_argument("--quality", type=int, default=80)
    ap.add_argument("--needs", type=int, default=300)
    ap.add_argument("--timeout", type=float, default=120.0)
    args = ap.parse_args()
    frame = sys.stdin.buffer.read()
    if len(frame) != args.width * args.height * 3:
        raise SystemExit(f"frame is {len(frame)} bytes, want {args.width * args.height * 3}")

    client = ABClient(args.url)
    session = client.start("demo")
    lock = threading.Lock()
    arrived = [0.0]
    latencies = []
    sizes = []
    done = threading.Event()

    def on_need(t):
        with lock:
            arrived[0] = t

    send = session.send_input_chunk

    def timed_send(input_id, *a, **kw):
        send(input_id, *a, **kw)
        if input_id == CAMERA:
            now = time.perf_counter()
            with lock:
                latencies.append(now - arrived[0])
                if len(latencies) >= args.needs:
                    done.set()

    session.send_input_chunk = timed_send

    def camera():
        out = io.BytesIO()
        Image.frombuffer("RGB", (args.width, args.height), frame, "raw", "RGB", 0, 1).save(
            out, "JPEG", quality=args.quality)
        sizes.append(out.tell())
        return {"format": "jpeg", "meta": {"width": args.width, "height": args.height}, "data": out.getvalue()}

    def joint():
        return {"format": "rawtick_f32x3", "meta": {"lo": -3.14159, "hi": 3.14159},
                "data": struct.pack("<fff", 0.0, 0.0, 0.0)}

    streamer = TimedStreamer(session, on_need)
    streamer.register_input("shoulder_pos", "Proprioception", joint)
    streamer.register_input("elbow_pos", "Proprioception", joint)
    streamer.register_input("shoulder_fb", "Feedback",
                            lambda: {"format": "deviation_f32", "meta": {"T": session.gamma},
                                     "data": bytes(4 * session.gamma)})
    streamer.register_input(CAMERA, "Image", camera)
    streamer.start()
    finished = done.wait(args.timeout)
    client.stop("demo", session.run_id)
    session.socket.disconnect()
    client.close()
    with lock:
        lat = sorted(latencies)
    if not finished or not lat:
        print(json.dumps({"needs": len(lat), "error": "timed out"}))
        return 1
    q = lambda f: lat[min(len(lat) - 1, int(f * len(lat)))] * 1e6
    print(json.dumps({"needs": len(lat), "p50_us": q(0.5), "p99_us": q(0.99), "max_us": lat[-1] * 1e6,
                      "jpeg_bytes": sizes[-1]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
