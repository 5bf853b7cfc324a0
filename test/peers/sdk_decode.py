"""Parity peer: decodes spike cases with the reference SDK's decode_stream_rows.

Reads on stdin {"cases": [{"mapping": [...], "rows": [...]}, ...]} and writes on
stdout {"results": [...]}, one result per case: the list of
{"t": ..., "deltas": {...}} the SDK returns, {"error": "..."} if it raised, or
{"nonfinite": true} if it returned an infinite or NaN delta (which JSON cannot
carry, and which the bridge refuses to produce).

decode_stream_rows reads object rows only. The protocol's other row shape,
[t, id, bits], is handed to it as the object row it stands for; a list of any
other length is dropped, as the SDK's robot loop drops it.
"""

import json
import math
import sys

from ab_sdk.plugins.decoder import decode_stream_rows


def object_rows(rows):
    for row in rows:
        if isinstance(row, list):
            if len(row) == 3:
                yield {"t": row[0], "id": row[1], "bits": row[2]}
            continue
        yield row


def decode_case(case):
    rows = list(object_rows(case["rows"]))
    try:
        steps = decode_stream_rows(rows, case["mapping"])
    except Exception as exc:  # reported per case: the Go side says which
        return {"error": f"{type(exc).__name__}: {exc}"}
    if any(not math.isfinite(d) for s in steps for d in s["deltas"].values()):
        return {"nonfinite": True}
    return steps


def main():
    request = json.load(sys.stdin)
    results = [decode_case(c) for c in request["cases"]]
    json.dump({"results": results}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
