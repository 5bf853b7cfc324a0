"""Benchmark peer: times Pillow's JPEG encoder on one camera frame.

Usage: pillow_encode.py WIDTH HEIGHT QUALITY REPEAT, with the frame as raw
rgb8 bytes (WIDTH*HEIGHT*3, rows unpadded) on stdin. One operation is what
a Python bridge would do per frame: wrap the bytes as an image and save it
as JPEG into memory. Prints one JSON line {"ns_per_op", "loops",
"jpeg_bytes", "pillow", "libjpeg_turbo"}: the best of REPEAT timeit runs
(each long enough for timeit's autorange, at least 0.2 s) over its loops.
"""

import io
import json
import sys
import timeit

import PIL
from PIL import Image, features


def main():
    width, height, quality, repeat = (int(a) for a in sys.argv[1:5])
    frame = sys.stdin.buffer.read()
    if len(frame) != width * height * 3:
        raise SystemExit(f"frame is {len(frame)} bytes, want {width * height * 3}")

    def encode():
        out = io.BytesIO()
        Image.frombuffer("RGB", (width, height), frame, "raw", "RGB", 0, 1).save(
            out, "JPEG", quality=quality)
        return out

    size = len(encode().getvalue())
    timer = timeit.Timer(encode)
    loops, _ = timer.autorange()
    best = min(timer.repeat(repeat=repeat, number=loops))
    print(json.dumps({
        "ns_per_op": best / loops * 1e9,
        "loops": loops,
        "jpeg_bytes": size,
        "pillow": PIL.__version__,
        "libjpeg_turbo": features.version("libjpeg_turbo"),
    }))


if __name__ == "__main__":
    main()
