"""Parity peer: runs SDK 0.4's own encoders, decoders and sensor checks.

Reads on stdin {"encode": [...], "reward": [...], "spike": [...],
"actuation": [...], "sensors": [...]} and writes on stdout the same keys,
one result per case:

- encode: RealtimeSession.publish_input(...) for one input of the case's
  kind and n; the payload the session hands its transport, or the error;
- reward: RealtimeSession.publish_reward(...), likewise;
- spike: GenericSpikeDecoder(mapping).decode(item) -> {"t", "deltas"};
- actuation: ActuationChannelDecoder(mapping).decode(item), or the error;
- sensors: PrimaLuxClient.send_sensors(channels) against a mock transport:
  the JSON it would post, or the error;
- design: design_submit.design_sha256(design) and the canonical semantic
  design it hashes, or the designer's refusal.

Numbers JSON cannot carry travel as the strings "nan", "inf" and "-inf",
both ways. The SDK prints to stdout; that goes to stderr here, so stdout
holds only the answer.
"""

import contextlib
import json
import math
import sys

import httpx

from ab_sdk.decoder import GenericSpikeDecoder
from ab_sdk.design_submit import _canonical, design_sha256, semantic_design
from ab_sdk.primalux import ActuationChannelDecoder, PrimaLuxClient
from ab_sdk.session import RealtimeSession, SessionConfig

SPECIAL = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def num_in(x):
    return SPECIAL[x] if isinstance(x, str) else x


def num_out(x):
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return x


def error(exc):
    return {"error": f"{type(exc).__name__}: {exc}"}


class Capture:
    """The session's transport: keeps what the session would send."""

    def __init__(self):
        self.sent = []

    def clone(self):
        return self

    def send_input(self, *, payload):
        self.sent.append(payload)
        return {"ok": True}


def session_for(kind, n):
    capture = Capture()
    contract = {"inputs": [], "outputs": [],
                "maps": {"input_sensor_map": [{"inputId": "in", "sensor": "in", "kind": kind, "n": n}]}}
    with contextlib.redirect_stdout(sys.stderr):
        session = RealtimeSession(project_id=None, compile_id="parity", contract=contract,
                                  node_client=None, python_client=capture,
                                  config=SessionConfig(telemetry=False, checkpoint_every_ticks=0))
    return session, capture


def sent_payload(capture):
    return {"payload": [num_out(v) for v in capture.sent[-1]["events"][0]["payload"]]}


def encode(case):
    session, capture = session_for(case["kind"], case["n"])
    opt = {k: num_in(case[k]) for k in ("vmax", "vmin", "absmax") if case.get(k) is not None}
    try:
        session.publish_input("in", [num_in(v) for v in case["signal"]], mode=case["mode"] or None,
                              radius=case["radius"], **opt)
    except Exception as exc:  # reported per case: the Go side says which
        return error(exc)
    return sent_payload(capture)


def reward(case):
    session, capture = session_for("reward", case["n"])
    try:
        session.publish_reward("in", num_in(case["magnitude"]))
    except Exception as exc:
        return error(exc)
    return sent_payload(capture)


def spike(case):
    try:
        out = GenericSpikeDecoder(case["mapping"]).decode(case["item"], {})
    except Exception as exc:
        return error(exc)
    return {"t": out["t"], "deltas": {k: num_out(v) for k, v in out["deltas"].items()}}


def actuation(case):
    try:
        out = ActuationChannelDecoder(case["mapping"]).decode(case["item"], {})
    except Exception as exc:
        return error(exc)
    return {"t": out["t"], "deltas": {k: num_out(v) for k, v in out["deltas"].items()}}


def sensors(case):
    posted = []

    def device(request):
        posted.append(json.loads(request.content))
        return httpx.Response(200, json={"ok": True, "queued": True})

    http = httpx.Client(base_url="http://127.0.0.1:9", transport=httpx.MockTransport(device))
    client = PrimaLuxClient("http://127.0.0.1:9", "plx_parity", http=http)
    channels = {k: [num_in(v) for v in vals] for k, vals in case["channels"].items()}
    try:
        client.send_sensors(channels)
    except Exception as exc:
        return error(exc)
    return {"posted": posted[0]}


def design(case):
    try:
        return {"digest": design_sha256(case["design"]),
                "canonical": _canonical(semantic_design(case["design"])).decode("utf-8")}
    except Exception as exc:
        return error(exc)


def main():
    cases = json.load(sys.stdin)
    answer = {name: [fn(c) for c in cases.get(name, [])]
              for name, fn in (("encode", encode), ("reward", reward), ("spike", spike),
                               ("actuation", actuation), ("sensors", sensors), ("design", design))}
    json.dump(answer, sys.stdout, allow_nan=False)


if __name__ == "__main__":
    main()
