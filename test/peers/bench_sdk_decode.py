"""Benchmark peer: times the reference SDK's decode_stream_rows on one cycle.

Reads on stdin {"mapping": [...], "rows": [...], "repeat": 5} (the cycle the Go
benchmark decodes) and prints one JSON line {"ns_per_op": ..., "loops": ...}:
the best of `repeat` timeit runs, each long enough for timeit's autorange
(at least 0.2 s), divided by its number of loops.
"""

import json
import sys
import timeit

from ab_sdk.plugins.decoder import decode_stream_rows


def main():
    request = json.load(sys.stdin)
    rows, mapping = request["rows"], request["mapping"]
    repeat = int(request.get("repeat", 5))
    if not decode_stream_rows(rows, mapping):
        raise SystemExit("the cycle decodes to nothing: not a benchmark")
    timer = timeit.Timer(lambda: decode_stream_rows(rows, mapping))
    loops, _ = timer.autorange()
    best = min(timer.repeat(repeat=repeat, number=loops))
    print(json.dumps({"ns_per_op": best / loops * 1e9, "loops": loops}))


if __name__ == "__main__":
    main()
