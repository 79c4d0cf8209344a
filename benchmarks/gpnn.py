"""Seconds per 250-px GPNN sample, per Keras backend and search mode, with patch SWD and diversity.

GPNN (`singan_keras.baselines.gpnn`, "Drop the GAN", Granot et al. 2022) needs no training,
so its whole cost is the sampling: the time of one sample after one warm-up call (JAX
compiles each operation on first use), per backend and per search mode (``fast``: PCA
candidates + exact re-rank and fewer iterations at the large scales; ``exact``: the paper's
brute force). The quality columns say what the fast mode costs: patch SWD
(`singan_keras.metrics.sliced_wasserstein_distance`, mean over the Laplacian levels, lower
is closer to the real image's patch distribution) and diversity (`singan_keras.metrics.
diversity`, per-pixel std over the samples / the image's std) of ``--samples`` samples. Each
backend runs in its own subprocess.

    python benchmarks/gpnn.py                                   # the table in results/
    python benchmarks/gpnn.py --max-size 48 --samples 2 --backends torch --out /tmp/g.md

Writes the table to stdout and to `benchmarks/results/gpnn_<device>.md` (or `--out`).
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

from common import device_name, positive_int, write_results

BACKENDS = ("tensorflow", "jax", "torch")
MODES = ("fast", "exact")

CHILD = r"""
import json, math, sys, time
import numpy as np
from singan_keras.baselines import GPNNConfig, gpnn_sample
from singan_keras.data import load_image
from singan_keras.imresize import imresize
from singan_keras.metrics import diversity, sliced_wasserstein_distance
from singan_keras.pyramid import scale_schedule

image_name, max_size, num_samples = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
modes = json.loads(sys.argv[4])
image = load_image(image_name)
for mode in modes:
    config = GPNNConfig(search=mode, max_size=max_size)
    schedule = scale_schedule(*image.shape[:2], config.scale_factor, config.min_size, max_size)
    real = imresize(image, output_shape=schedule.sizes[-1])
    gpnn_sample(image, 1, seed=100, config=config)  # warm-up
    start = time.perf_counter()
    gpnn_sample(image, 1, seed=101, config=config)
    seconds = time.perf_counter() - start
    samples = gpnn_sample(image, num_samples, seed=0, config=config)
    levels = max(1, min(4, int(math.log2(min(real.shape[:2]) / 7)) + 1))
    swd = sliced_wasserstein_distance(real, samples, num_levels=levels).mean
    spread = diversity(samples, real) if num_samples > 1 else float("nan")
    print("RESULT" + json.dumps([mode, list(real.shape[:2]), seconds, float(swd), spread]),
          flush=True)
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--image", default="coffee", help="bundled image name (coffee).")
    parser.add_argument(
        "--max-size", type=positive_int, default=250, help="finest scale's longer side (250)."
    )
    parser.add_argument(
        "--samples", type=positive_int, default=8, help="samples for SWD and diversity (8)."
    )
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument(
        "--backends",
        nargs="+",
        choices=BACKENDS,
        default=list(BACKENDS),
        metavar="NAME",
        help="backends (default: all three).",
    )
    parser.add_argument("--out", type=pathlib.Path, default=None, help="markdown file to write.")
    args = parser.parse_args(argv)

    rows = []
    for backend in [b for b in args.backends if importlib.util.find_spec(b)]:
        print(f"running {backend} ...", file=sys.stderr, flush=True)
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2")
        command = [
            sys.executable,
            "-c",
            CHILD,
            args.image,
            str(args.max_size),
            str(args.samples),
            json.dumps(args.modes),
        ]
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            raise SystemExit(f"{backend} failed (exit {done.returncode})")
        for line in done.stdout.splitlines():
            if line.startswith("RESULT"):
                mode, size, seconds, swd, spread = json.loads(line[6:])
                rows.append((backend, mode, size, seconds, swd, spread))

    lines = [
        "| backend | search | size | s per sample | patch SWD | diversity |",
        "|---|---|---|---|---|---|",
    ]
    for backend, mode, (height, width), seconds, swd, spread in rows:
        lines.append(
            f"| {backend} | {mode} | {height}×{width} | {seconds:.1f} | {swd:.4f} | {spread:.3f} |"
        )

    import keras  # only for its version in the header

    header = (
        f"GPNN (no training): seconds for one sample of `{args.image}` after one warm-up call, "
        f"and patch SWD / diversity of {args.samples} samples, per backend and search mode. "
        f"{device_name()}, {date.today()}, Keras {keras.__version__}, Python "
        f"{platform.python_version()}.\n\nCommand: `python benchmarks/gpnn.py "
        f"{' '.join(sys.argv[1:] if argv is None else argv)}`"
    )
    write_results(header, "\n".join(lines), "gpnn", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
