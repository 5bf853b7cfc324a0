"""SDK 0.4.0 peer: the official Prima-Lux device client against the stand-in.

Runs Artificial Brains' SDK 0.4.0 (its PrimaLuxClient, PrimaLuxSession, the
SpikeEncoder behind publish_input / publish_sensor_frame / publish_reward, the
live SSE output stream and GenericSpikeDecoder) against `abctl prima-lux`
on loopback, as an application would, and turns the stand-in's fault knobs
(POST /standin/...) with plain httpx between the SDK's calls.

The developer key comes from AB_DEVICE_API_KEY (never argv). --design is the
brain design the device was started with; the SDK derives the I/O contract
from it (design_contract), as `ab run` does.

Scenarios:
  main  status, a wrong key, a session (run, sensor frames and rewards
        through the SDK's encoders, frames decoded by the SDK's decoder), a
        dropped stream the SDK resumes, a device restart mid-stream, stop;
        a second session and the reset routes; injected 503s; a slow stop.
  gap   a dropped stream whose frames fell out of the device's replay
        buffer before the SDK reconnected.
  build a device without a brain: the SDK's build_on_device installs the
        design (POST /api/brain/build, polled to READY), then a session.

Prints one line "RESULT {json}" (what the Go test asserts on). Exit status:
0 when every phase ran, 1 when one raised (its error is in the result).
"""

import argparse
import json
import os
import sys
import threading
import time
import traceback

import httpx
from ab import GenericSpikeDecoder, PrimaLuxClient, PrimaLuxError
from ab_sdk.design_submit import build_on_device, design_contract, design_sha256, load_design
from ab_sdk.unified_backend import installed_brain_name

PER_STEP_MAX = 0.01


class Recorder:
    """What the session's handlers saw; filled from the SDK's threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.items = []
        self.commands = []
        self.controls = []

    def item(self, item):
        with self.lock:
            self.items.append(item)

    def command(self, command):
        with self.lock:
            if "deltas" in command:
                self.commands.append(command)

    def control(self, control):
        with self.lock:
            self.controls.append(control)

    def count(self):
        with self.lock:
            return len(self.items)


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def knob(url, key, name, body=None):
    """Turns one of the stand-in's fault knobs (not part of the device API)."""
    r = httpx.post(f"{url}/standin/{name}", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=5)
    r.raise_for_status()


def error_text(fn):
    """The exception fn raises, as type and message (None when it returns)."""
    try:
        fn()
    except Exception as exc:  # the SDK's own errors are what is recorded
        return {"type": type(exc).__name__, "message": str(exc)}
    return None


def start_session(device, contract, rec, outputs):
    session = device.start_session(contract, start_brain=True)
    session.set_decoder(
        GenericSpikeDecoder(
            [
                {"outputId": o["id"], "channel": f"joint:{i}", "scheme": "bipolarSplit", "per_step_max": PER_STEP_MAX, "n": o["n"]}
                for i, o in enumerate(outputs)
            ]
        )
    )
    session.on_output(rec.item)
    session.on_command(rec.command)
    session.on_control(rec.control)
    return session


def drive(session, rec, sensor, reward, frames, timeout):
    """Sends sensor frames and rewards through the SDK's encoders until
    frames more output frames have arrived."""
    acks = []
    start = rec.count()
    deadline = time.monotonic() + timeout
    i = 0
    while rec.count() < start + frames:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {rec.count() - start} of {frames} frames within {timeout}s")
        x = (i % 10) / 10
        if i % 2 == 0:
            acks.append(session.publish_sensor_frame({sensor: {"signal": x, "mode": "ranged_scalar_population", "vmin": 0.0, "vmax": 1.0}}))
        else:
            acks.append(session.publish_input(sensor, x, mode="positive_scalar_population", vmax=1.0))
        acks.append(session.publish_reward(reward, 0.9))
        i += 1
        time.sleep(0.02)
    return acks


def stream_seq(session):
    cursor = session.output_stream.cursor
    return int(cursor.rsplit(":", 1)[1]) if cursor else None


def summarize_items(items, outputs):
    """What every frame's item must look like, checked over all of them."""
    sizes = {o["id"]: o["n"] for o in outputs}
    steps = [it["step"] for it in items]
    bad_neurons = 0
    spikes = 0
    for it in items:
        for entry in it.get("outputs", []):
            for nid in entry.get("neurons", []):
                name, _, idx = nid.partition(":")
                if name not in sizes or not idx.isdigit() or int(idx) >= sizes[name]:
                    bad_neurons += 1
                spikes += 1
    return {
        "frames": len(items),
        "stepsIncreasing": all(b > a for a, b in zip(steps, steps[1:])),
        "firstStep": steps[0] if steps else None,
        "lastStep": steps[-1] if steps else None,
        "spikes": spikes,
        "badNeurons": bad_neurons,
    }


def summarize_commands(commands, outputs):
    bound = max(o["n"] // 2 for o in outputs) * PER_STEP_MAX + 1e-9
    deltas = [v for c in commands for v in c["deltas"].values()]
    return {
        "commands": len(commands),
        "withDeltas": sum(1 for c in commands if c["deltas"]),
        "maxAbsDelta": max((abs(v) for v in deltas), default=0.0),
        "deltaBound": bound,
        "channels": sorted({k for c in commands for k in c["deltas"]}),
    }


def main_scenario(args, key, result):
    design = load_design(args.design)
    contract = design_contract(design)
    outputs = contract["outputs"]
    device = PrimaLuxClient(args.url, key, timeout=10)

    with phase(result, "status"):
        status = device.status()
        result["status"] = {
            "state": status["engine"]["state"],
            "hasBrain": status["engine"]["has_brain"],
            "busy": status["engine"]["busy"],
            "brainName": installed_brain_name(status),
            "designDigestMatches": status["package"]["active"]["design_sha256"] == design_sha256(design),
        }

    with phase(result, "wrongKey"):
        result["wrongKey"] = error_text(lambda: PrimaLuxClient(args.url, "plx_not_the_key_0000").status())
        result["nonDeviceKey"] = error_text(lambda: PrimaLuxClient(args.url, "sk_not_a_device_key"))

    rec = Recorder()
    with phase(result, "session"):
        session = start_session(device, contract, rec, outputs)
        result["runState"] = device.status()["engine"]["state"]
        acks = drive(session, rec, args.sensor, args.reward, args.frames, 30)
        wait_for(lambda: len(rec.commands) >= args.frames, 5, "decoded commands")
        result["sensorAcks"] = {
            "sent": len(acks),
            "allQueued": all(a.get("ok") is True and a.get("queued_for_hardware") is True for a in acks),
        }
        result["badFrame"] = error_text(lambda: device.send_sensors({args.sensor: [0.5] * 3}))
        result["learning"] = device.status()["learning"]

        seq_before = stream_seq(session)
        frames_before = rec.count()
        knob(args.url, key, "drop-streams")
        wait_for(lambda: rec.count() >= frames_before + 10, 10, "frames after the dropped stream")
        result["drop"] = {
            "seqBefore": seq_before,
            "seqAfter": stream_seq(session),
            "error": session.output_stream.error,
            "controls": len(rec.controls),
        }

        frames_before = rec.count()
        knob(args.url, key, "restart")
        wait_for(lambda: rec.controls, 10, "the SDK's reaction to the restart")
        time.sleep(0.3)
        result["restart"] = {
            "controls": list(rec.controls),
            "streamError": session.output_stream.error,
            "framesAfter": rec.count() - frames_before,
            "stateAfter": device.status()["engine"]["state"],
        }
        result["items"] = summarize_items(rec.items, outputs)
        result["decoded"] = summarize_commands(rec.commands, outputs)
        t0 = time.monotonic()
        session.stop()
        result["stop"] = {"seconds": time.monotonic() - t0, "engine": device.status()["engine"]}

    with phase(result, "reset"):
        rec2 = Recorder()
        session = start_session(device, contract, rec2, outputs)
        drive(session, rec2, args.sensor, args.reward, 5, 20)
        epoch = session.output_stream.cursor.split(":", 1)[0]
        result["reset"] = {"ack": device.reset()}
        wait_for(lambda: rec2.controls, 10, "the SDK's reaction to the reset")
        result["reset"]["controls"] = list(rec2.controls)
        result["reset"]["epochChanged"] = device.status()["engine"]["epoch"] != epoch
        result["resetDynamics"] = device.reset_dynamics()

    with phase(result, "injected503"):
        knob(args.url, key, "fail", {"status": 503, "count": 1, "path": "/api/brain/sensor"})
        first = error_text(lambda: session.publish_input(args.sensor, 0.5, mode="positive_scalar_population", vmax=1.0))
        second = error_text(lambda: session.publish_input(args.sensor, 0.5, mode="positive_scalar_population", vmax=1.0))
        knob(args.url, key, "fail", {"status": 503, "count": 1, "path": "/api/status"})
        status_error = error_text(device.status)
        status_after = error_text(device.status)
        result["injected503"] = {"sensor": first, "sensorAfter": second, "status": status_error, "statusAfter": status_after}
        session.stop()

    with phase(result, "stream503"):
        rec3 = Recorder()
        knob(args.url, key, "fail", {"status": 503, "count": 1, "path": "/api/brain/stream"})
        session = start_session(device, contract, rec3, outputs)
        # The SDK starts the stream inside start_session, before handlers can
        # be set: a refusal that fast reaches no on_control handler, and the
        # stream's own error is the SDK's record of it.
        wait_for(lambda: rec3.controls or session.output_stream.error, 10, "the SDK's reaction to a refused stream")
        result["stream503"] = {"controls": list(rec3.controls), "streamError": session.output_stream.error,
                               "frames": rec3.count()}
        session.stop()

    with phase(result, "slowStop"):
        rec4 = Recorder()
        session = start_session(device, contract, rec4, outputs)
        drive(session, rec4, args.sensor, args.reward, 3, 20)
        knob(args.url, key, "stop-delay", {"seconds": 1.5})
        short = error_text(lambda: device.stop_and_wait(timeout=0.5, poll_interval=0.1))
        wait_for(lambda: device.status()["engine"]["state"] == "STOPPED", 10, "STOPPED after the short wait")
        device.run()
        wait_for(lambda: device.status()["engine"]["state"] == "RUNNING", 10, "RUNNING again")
        t0 = time.monotonic()
        confirmed = device.stop_and_wait(timeout=10, poll_interval=0.1)
        result["slowStop"] = {"shortTimeout": short, "confirmed": confirmed, "seconds": time.monotonic() - t0}
        session.stop()


def gap_scenario(args, key, result):
    design = load_design(args.design)
    contract = design_contract(design)
    device = PrimaLuxClient(args.url, key, timeout=10)
    rec = Recorder()
    with phase(result, "gap"):
        session = start_session(device, contract, rec, contract["outputs"])
        wait_for(lambda: rec.count() >= 3, 10, "frames")
        knob(args.url, key, "drop-streams")
        wait_for(lambda: rec.controls, 10, "the SDK's reaction to the gap")
        result["gap"] = {"controls": list(rec.controls), "streamError": session.output_stream.error}
        session.stop()


def build_scenario(args, key, result):
    design = load_design(args.design)
    device = PrimaLuxClient(args.url, key, timeout=10)
    with phase(result, "empty"):
        status = device.status()
        result["empty"] = {
            "state": status["engine"]["state"],
            "hasBrain": status["engine"]["has_brain"],
            "brainName": error_text(lambda: installed_brain_name(status)),
            "session": error_text(lambda: device.start_session(design_contract(design))),
        }
    with phase(result, "build"):
        result["build"] = build_on_device(device, design, timeout=30, poll_interval=0.1)
        status = device.status()
        result["built"] = {
            "state": status["engine"]["state"],
            "brainName": installed_brain_name(status),
            "designDigestMatches": status["package"]["active"]["design_sha256"] == design_sha256(design),
            "rewardInputs": [p["id"] for p in status["io"]["inputs"] if p["reward"]],
        }
    with phase(result, "builtSession"):
        rec = Recorder()
        contract = design_contract(design)
        session = start_session(device, contract, rec, contract["outputs"])
        drive(session, rec, args.sensor, args.reward, 5, 20)
        result["builtSession"] = summarize_items(rec.items, contract["outputs"])
        session.stop()


class phase:
    """Runs one phase; an exception is recorded and ends the scenario."""

    def __init__(self, result, name):
        self.result, self.name = result, name

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is None:
            self.result["phases"].append(self.name)
            return False
        self.result["error"] = f"{self.name}: {type(exc).__name__}: {exc}"
        traceback.print_exception(kind, exc, tb, file=sys.stderr)
        raise _Abort() from exc


class _Abort(Exception):
    pass


SCENARIOS = {"main": main_scenario, "gap": gap_scenario, "build": build_scenario}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--design", required=True)
    parser.add_argument("--scenario", choices=tuple(SCENARIOS), default="main")
    parser.add_argument("--sensor", default="SENSE")
    parser.add_argument("--reward", default="REWARD")
    parser.add_argument("--frames", type=int, default=40)
    args = parser.parse_args()
    key = os.environ.get("AB_DEVICE_API_KEY", "")
    result = {"scenario": args.scenario, "phases": [], "error": None}
    code = 0
    try:
        SCENARIOS[args.scenario](args, key, result)
    except _Abort:
        code = 1
    except Exception as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
        code = 1
    print("RESULT " + json.dumps(result, default=str), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
