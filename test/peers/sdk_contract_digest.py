"""Parity peer: the reference SDK's contract digest and policies sync.

Reads on stdin one case per line: a contract document's raw bytes, base64
encoded (so any byte can be tried). For each it writes on stdout one JSON
line:

  {"digest": hex or null,      the SDK's digest of the stable view
   "error": str or null,       why loading or hashing raised
   "sync_sha": hex or null,    what sync_policies_from_contract returned
   "sync_json": str or null,   the _contract.json it wrote
   "sync_error": str or null}  why the sync raised

The document is loaded as the SDK's client loads an HTTP answer (httpx's
Response.json()). The digest is taken with the SDK's own view and hashing
functions; the sync is the SDK's public sync_policies_from_contract into a
fresh folder.
"""

import base64
import json
import os
import sys
import tempfile

import httpx

from ab_sdk import contract_scaffold as scaffold


def error_text(exc):
    return f"{type(exc).__name__}: {exc}"[:300]


def load(raw):
    return httpx.Response(200, content=raw).json()


def digest(contract):
    view = scaffold._stable_contract_view(contract)
    return scaffold._sha256_hex(scaffold._json_bytes(view))


def sync(contract, root, index):
    folder = os.path.join(root, str(index))
    res = scaffold.sync_policies_from_contract(contract, policies_dir=folder)
    with open(os.path.join(folder, scaffold.MACHINE_OWNED_JSON), encoding="utf-8") as f:
        return res.sha256, f.read()


def answer(raw, root, index):
    out = {"digest": None, "error": None, "sync_sha": None, "sync_json": None, "sync_error": None}
    try:
        contract = load(raw)
    except Exception as exc:  # the Go side must refuse the same documents
        out["error"] = "load: " + error_text(exc)
        out["sync_error"] = out["error"]
        return out
    try:
        out["digest"] = digest(contract)
    except Exception as exc:
        out["error"] = error_text(exc)
    try:
        out["sync_sha"], out["sync_json"] = sync(contract, root, index)
    except Exception as exc:
        out["sync_error"] = error_text(exc)
    return out


def main():
    with tempfile.TemporaryDirectory(prefix="sdk_contract_digest") as root:
        for index, line in enumerate(sys.stdin.buffer):
            line = line.strip()
            if not line:
                continue
            out = answer(base64.b64decode(line), root, index)
            sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
