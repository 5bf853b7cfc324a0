"""SDK 0.1.2 peer: RoboActions' official RemotePolicy client against the stand-in.

Runs RoboActions' SDK 0.1.2 (RemotePolicy: status, wait_until_deployed,
input_features / observation_shapes, output_features, predict_action_chunk,
select_action, reset, list, and its error mapping) against
`abctl roboactions` on loopback, with numpy observations as an application
would build them, and turns the stand-in's fault knobs (POST /standin/...)
with plain requests between the SDK's calls. torch is not installed: the
SDK's serializer imports it lazily, and decodes tensor answers to numpy.

The API key comes from ROBOACTIONS_API_KEY (never argv), as the SDK reads it.

Scenarios:
  main    health (a redeploy waited out), features, chunks played until the
          reach converges, select_action's queue and reset, what the
          stand-in saw, refused observations, every error status mapped to
          the SDK's exception (401, 403, 404, 413, 422, 429 with
          Retry-After, 5xx retried and not), a dropped connection, a slow
          answer past the SDK's timeout, list.
  tensor  a stand-in answering torch-tensor maps with wrapped input
          features: shapes still discovered, answers decoded.

Prints one line "RESULT {json}" (what the Go test asserts on). Exit status:
0 when every phase ran, 1 when one raised (its error is in the result).
"""

import argparse
import json
import os
import sys
import traceback

import numpy as np
import requests
from roboactions import (
    AuthenticationError,
    AuthorizationError,
    NotFoundError,
    PolicyStatus,
    RateLimitError,
    RemotePolicy,
    RoboActionsError,
)
from roboactions.config import RetryConfig


def knob(url, key, name, body):
    """Turns one of the stand-in's fault knobs (not part of the policy API)."""
    r = requests.post(f"{url}/standin/{name}", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=5)
    r.raise_for_status()


def stats(url, key):
    r = requests.get(f"{url}/standin/stats", headers={"Authorization": f"Bearer {key}"}, timeout=5)
    r.raise_for_status()
    return r.json()


def error_of(fn):
    """The exception fn raises: its type, message, and what the SDK kept
    (None when fn returns)."""
    try:
        fn()
    except Exception as exc:  # the SDK's own errors are what is recorded
        out = {"type": type(exc).__name__, "message": str(exc), "isRoboActionsError": isinstance(exc, RoboActionsError)}
        if isinstance(exc, RateLimitError):
            out["retryAfter"] = exc.retry_after
        payload = getattr(exc, "payload", None)
        if payload:
            out["payload"] = payload
        return out
    return None


def observation(shapes, task="reach the target", state=None, dtype=np.float32):
    """An observation for the discovered shapes: the state given (zeros by
    default), every image mid-grey, float CHW in [0, 1]."""
    obs = {}
    for key, shape in shapes:
        if key == "observation.state":
            obs[key] = np.zeros(shape, dtype=dtype) if state is None else np.asarray(state, dtype=dtype)
        else:
            obs[key] = np.full(shape, 0.5, dtype=np.float32)
    obs["task"] = task
    return obs


def array_summary(a):
    return {"type": type(a).__name__, "dtype": str(a.dtype), "shape": list(a.shape), "values": a.tolist()}


class Phases:
    """Runs named phases, recording which ran and the first that raised."""

    def __init__(self, result):
        self.result = result

    def __call__(self, name):
        self.name = name
        return self

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


def main_scenario(args, key, result):
    phase = Phases(result)
    url, pid = args.url, args.policy_id
    policy = RemotePolicy(policy_id=pid, base_url=url)  # the key from ROBOACTIONS_API_KEY
    no_retry = RemotePolicy(policy_id=pid, base_url=url, retries=RetryConfig(enabled=False))

    with phase("health"):
        knob(url, key, "status", {"status": "DEPLOYING", "seconds": 2})
        first = policy.status()
        reset_while = policy.reset()
        before = stats(url, key)["requests"].get("healthz", 0)
        final = policy.wait_until_deployed(interval=0.1)
        polls = stats(url, key)["requests"]["healthz"] - before
        result["health"] = {
            "first": first.value, "resetWhileDeploying": reset_while, "final": final.value,
            "polls": polls, "ping": policy.ping(), "isEnum": isinstance(final, PolicyStatus),
        }

    with phase("features"):
        inputs = policy.input_features()
        shapes = policy.observation_shapes
        result["features"] = {"inputs": inputs, "shapes": [[k, list(s)] for k, s in shapes], "outputs": policy.output_features()}

    with phase("chunk"):
        chunk = policy.predict_action_chunk(observation(shapes))
        result["chunk"] = array_summary(chunk)
        # Play each chunk to its end, as a robot that follows it would.
        state, distances = np.zeros(chunk.shape[-1], dtype=np.float32), []
        target = np.asarray(args.target, dtype=np.float64)
        for _ in range(args.chunks):
            chunk = policy.predict_action_chunk(observation(shapes, state=state))
            state = np.array(chunk[0, -1], dtype=np.float32)
            distances.append(float(np.abs(state.astype(np.float64) - target).max()))
        result["reach"] = {"distances": distances, "final": state.tolist()}

    with phase("select"):
        obs = observation(shapes)
        actions = [policy.select_action(obs) for _ in range(args.action_steps + 1)]
        reset = policy.reset()
        after = policy.select_action(obs)
        wide = policy.select_action(observation(shapes, dtype=np.float64))
        result["select"] = {
            "first": array_summary(actions[0]), "actions": [a.tolist() for a in actions],
            "reset": reset, "afterReset": after.tolist(), "float64State": list(wide.shape),
        }

    with phase("seen"):
        result["seen"] = stats(url, key)

    with phase("refused"):
        bad_shape = observation(shapes)
        bad_shape["observation.state"] = np.zeros(len(args.target) + 1, dtype=np.float32)
        missing = observation(shapes)
        del missing["observation.state"]
        scalar = observation(shapes)
        scalar["observation.state"] = np.float32(0.5)
        ints = observation(shapes)
        ints["observation.state"] = np.zeros(len(args.target), dtype=np.int64)
        no_task = observation(shapes)
        del no_task["task"]
        big = observation(shapes)
        big["observation.state"] = np.zeros(args.max_body // 4 + 1000, dtype=np.float32)
        result["refused"] = {
            "badShape": error_of(lambda: policy.select_action(bad_shape)),
            "missing": error_of(lambda: policy.predict_action_chunk(missing)),
            "scalar": error_of(lambda: policy.select_action(scalar)),
            "ints": error_of(lambda: policy.select_action(ints)),
            "noTask": error_of(lambda: policy.select_action(no_task)),
            "tooLarge": error_of(lambda: policy.select_action(big)),
        }

    with phase("errors"):
        obs = observation(shapes)
        wrong_key = RemotePolicy(policy_id=pid, api_key="rk_not_the_key", base_url=url)
        other = RemotePolicy(policy_id="pol-not-here", base_url=url)
        out = {"wrongKey": error_of(wrong_key.status), "wrongKeyInference": error_of(lambda: wrong_key.select_action(obs)),
               "otherPolicy": error_of(other.input_features)}
        knob(url, key, "fail", {"status": 401, "count": 1, "path": "/v1/healthz"})
        out["injected401"] = error_of(policy.status)
        knob(url, key, "fail", {"status": 403, "count": 1, "path": "/v1/policy/output_features"})
        out["injected403"] = error_of(policy.output_features)
        knob(url, key, "fail", {"status": 429, "count": 1, "path": "/v1/policy/select_action", "retry_after": 7})
        out["rateLimited"] = error_of(lambda: no_retry.select_action(obs))
        knob(url, key, "fail", {"status": 429, "count": 1, "path": "/v1/healthz"})
        out["rateLimitedNoHeader"] = error_of(no_retry.status)
        knob(url, key, "fail", {"status": 500, "count": 1, "path": "/v1/policy/predict_action_chunk"})
        out["serverError"] = error_of(lambda: no_retry.predict_action_chunk(obs))
        # The SDK's own retries (3, backoff 0.5 s doubling) get past a few.
        before = stats(url, key)["requests"]["select_action"]
        knob(url, key, "fail", {"status": 429, "count": 2, "path": "/v1/policy/select_action", "retry_after": 1})
        out["retried429"] = {"shape": list(policy.select_action(obs).shape)}
        knob(url, key, "fail", {"status": 503, "count": 1, "path": "/v1/policy/select_action"})
        out["retried503"] = {"shape": list(policy.select_action(obs).shape)}
        out["retriedRequests"] = stats(url, key)["requests"]["select_action"] - before
        knob(url, key, "drop", {"count": 1, "path": "/v1/healthz"})
        out["dropped"] = error_of(no_retry.status)
        knob(url, key, "delay", {"seconds": 2, "count": 1, "path": "/v1/policy/select_action"})
        out["slow"] = error_of(lambda: no_retry.select_action(obs, timeout=0.3))
        out["afterFaults"] = policy.status().value
        result["errors"] = out

    with phase("list"):
        result["list"] = [{"policy_id": s.policy_id, "display_name": s.display_name} for s in RemotePolicy.list(base_url=url)]
    result["final"] = stats(url, key)


def tensor_scenario(args, key, result):
    phase = Phases(result)
    policy = RemotePolicy(policy_id=args.policy_id, base_url=args.url)
    with phase("features"):
        inputs = policy.input_features()
        shapes = policy.observation_shapes
        result["features"] = {"inputs": inputs, "shapes": [[k, list(s)] for k, s in shapes]}
    with phase("tensorAnswers"):
        obs = observation(shapes)
        result["chunk"] = array_summary(policy.predict_action_chunk(obs))
        result["select"] = array_summary(policy.select_action(obs))
    result["final"] = stats(args.url, key)


SCENARIOS = {"main": main_scenario, "tensor": tensor_scenario}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--policy-id", required=True)
    parser.add_argument("--scenario", choices=tuple(SCENARIOS), default="main")
    parser.add_argument("--target", type=lambda s: [float(x) for x in s.split(",")], required=True)
    parser.add_argument("--action-steps", type=int, default=4)
    parser.add_argument("--chunks", type=int, default=12)
    parser.add_argument("--max-body", type=int, default=65536)
    args = parser.parse_args()
    key = os.environ.get("ROBOACTIONS_API_KEY", "")
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
