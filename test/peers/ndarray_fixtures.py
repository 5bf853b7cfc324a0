"""Packs fixtures with the RoboActions SDK 0.1.2's own serializer, for the
Go msgpack-numpy codec's parity test: one JSON object per line,
{"name", "hex", "arrays"} — observations the node must write byte for
byte, and answers it must read; arrays gives each array's key, dtype,
shape and values (as float64, exact for every dtype used here)."""

import json
import sys

import numpy as np
from roboactions.serialize import packb


def arrays(obj, key=""):
    if isinstance(obj, np.ndarray):
        return [{"key": key, "dtype": obj.dtype.str, "shape": list(obj.shape), "values": obj.astype(np.float64).ravel().tolist()}]
    if isinstance(obj, dict) and b"__torch_tensor__" in obj:
        a = np.frombuffer(obj[b"data"], dtype=np.dtype(obj[b"dtype"])).reshape(obj[b"shape"])
        return arrays(a, key)
    if isinstance(obj, dict):
        out = []
        for k, v in obj.items():
            out += arrays(v, k if isinstance(k, str) else key)
        return out
    return []


def emit(name, obj):
    print(json.dumps({"name": name, "hex": packb(obj).hex(), "arrays": arrays(obj)}), flush=True)


def torch_like(arr, device="cuda:0"):
    # What pack_array writes for a torch tensor, built without torch (the
    # venv has none): the same keys, in the same order.
    return {
        b"__torch_tensor__": True,
        b"data": arr.tobytes(),
        b"dtype": arr.dtype.str,
        b"shape": arr.shape,
        b"device": device,
        b"requires_grad": False,
    }


def main():
    rng = np.random.default_rng(7)
    # Observations, keys in sorted order (the Go encoder sorts them).
    emit("obs_state_task", {"observation.state": np.array([0.5, -1.25], dtype=np.float32), "task": "pick the cube"})
    img = rng.random((3, 48, 64), dtype=np.float32)
    emit("obs_image", {"observation.images.top": img, "observation.state": np.zeros(7, dtype=np.float32), "task": "t"})
    emit("obs_big_image", {"observation.images.front": rng.random((3, 224, 224), dtype=np.float32), "task": ""})
    emit("obs_dim_300", {"observation.state": np.arange(300, dtype=np.float32) / 300.0, "task": "x" * 40})
    emit("scalar_f4", np.float32(1.5))
    # Answers.
    emit("ans_chunk", rng.standard_normal((1, 10, 6)).astype(np.float32))
    emit("ans_f64", rng.standard_normal((4, 3)))
    emit("ans_i64", np.arange(6, dtype=np.int64).reshape(2, 3) - 3)
    emit("ans_f16", np.array([[0.5, -2.0, 65504.0]], dtype=np.float16))
    emit("ans_be", np.array([1.5, 2.5], dtype=">f4"))
    emit("ans_map", {"action": rng.standard_normal((1, 5, 2)).astype(np.float32), "info": {"ms": 12}})
    emit("ans_tensor", torch_like(rng.standard_normal((1, 3, 2)).astype(np.float32)))
    emit("ans_scalar_list", [np.float64(0.25), np.int64(-3), 1.0])


if __name__ == "__main__":
    sys.exit(main())
