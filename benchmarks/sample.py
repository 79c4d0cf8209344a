"""Samples per second of a whole pyramid, per Keras backend, batch 1 and batched.

Sampling cost depends on the pyramid's shape, not on what was learned, so each backend builds
the paper's pyramid (r = 0.75, min size 25, 32 → 128 channels) for the requested output size
with freshly initialised generators and times `singan_keras.sampling.generate` — the function
`SinGAN.sample` runs — coarse to fine through every scale. Default sizes: 188×250 (a
250-px image) and 243×1024 (the size of the paper's Fig. 7 high-resolution sample). Each
backend runs in its own subprocess; one warm-up call per cell is excluded.

    python benchmarks/sample.py
    python benchmarks/sample.py --sizes 188x250 --batch 1 4 --repeats 2

Writes the table to stdout and to `benchmarks/results/sample_<device>.md` (or `--out`).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import pathlib
import platform
import subprocess
import sys
from datetime import date

from common import device_name, image_size, positive_int, write_results

_SIZE = image_size(minimum=25)
BACKENDS = ("tensorflow", "jax", "torch")
DEFAULT_SIZES = ("188x250", "243x1024")

CHILD = r"""
import json, sys, time
import keras
from singan_keras.config import preset
from singan_keras.models import build_generator, channels_at_scale
from singan_keras.pyramid import scale_schedule
from singan_keras.sampling import SampleOptions, TrainedPyramid, generate

cells, repeats = json.loads(sys.argv[1]), int(sys.argv[2])
config = preset("paper")
for height, width, batch in cells:
    keras.utils.set_random_seed(0)
    schedule = scale_schedule(height, width, config.scale_factor, config.min_size,
                              max(height, width))
    generators = [
        build_generator(channels_at_scale(k, config.base_channels, config.max_channels,
                                          config.channels_double_every))
        for k in range(schedule.num_scales)
    ]
    amplitudes = [1.0] + [0.05] * (schedule.num_scales - 1)
    pyramid = TrainedPyramid(generators, amplitudes, schedule.sizes)
    run = lambda: generate(pyramid, SampleOptions(num_samples=batch, batch_size=batch, seed=0))
    start = time.perf_counter(); run(); warmup = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(repeats):
        images = run()
    seconds = (time.perf_counter() - start) / repeats
    assert images.shape == (batch, height, width, 3), images.shape
    print("RESULT" + json.dumps([height, width, batch, schedule.num_scales, warmup, seconds]),
          flush=True)
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes",
        nargs="+",
        type=_SIZE,
        metavar="HxW",
        default=[_SIZE(s) for s in DEFAULT_SIZES],
        help=f"output sizes (default: {' '.join(DEFAULT_SIZES)}).",
    )
    parser.add_argument(
        "--batch",
        nargs="+",
        type=positive_int,
        default=[1, 8],
        metavar="B",
        help="images per call (default: 1 8).",
    )
    parser.add_argument(
        "--backends",
        nargs="+",
        choices=BACKENDS,
        default=list(BACKENDS),
        metavar="NAME",
        help="backends (default: all three).",
    )
    parser.add_argument("--repeats", type=positive_int, default=3, help="timed calls (3).")
    parser.add_argument("--out", type=pathlib.Path, default=None, help="markdown file to write.")
    args = parser.parse_args(argv)  # fmt: skip

    cells = [[h, w, b] for h, w in args.sizes for b in args.batch]
    results = {}
    for backend in [b for b in args.backends if importlib.util.find_spec(b)]:
        print(f"running {backend} ...", file=sys.stderr, flush=True)
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2")
        command = [sys.executable, "-c", CHILD, json.dumps(cells), str(args.repeats)]
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            raise SystemExit(f"{backend} failed (exit {done.returncode})")
        for line in done.stdout.splitlines():
            if line.startswith("RESULT"):
                height, width, batch, scales, warmup, seconds = json.loads(line[6:])
                results[(backend, height, width, batch)] = (scales, warmup, seconds)

    backends = sorted({key[0] for key in results}, key=BACKENDS.index)
    columns = ["size", "scales", "batch"]
    columns += [f"{b} samples/s" for b in backends] + [f"{b} first call s" for b in backends]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for height, width, batch in cells:
        scales = results[(backends[0], height, width, batch)][0]
        row = [f"{height}×{width}", str(scales), str(batch)]
        row += [f"{batch / results[(b, height, width, batch)][2]:.2f}" for b in backends]
        row += [f"{results[(b, height, width, batch)][1]:.1f}" for b in backends]
        lines.append("| " + " | ".join(row) + " |")

    import keras  # only for its version in the header

    device = device_name()
    header = (
        f"Samples per second of the paper's pyramid (random weights; sampling cost does not "
        f"depend on them), mean of {args.repeats} calls after one warm-up call (its time is "
        f"'first call'). {device}, {date.today()}, Keras {keras.__version__}, Python "
        f"{platform.python_version()}.\n\nCommand: `python benchmarks/sample.py "
        f"{' '.join(sys.argv[1:] if argv is None else argv)}`"
    )
    write_results(header, "\n".join(lines), "sample", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
