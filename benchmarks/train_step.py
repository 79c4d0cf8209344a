"""Seconds per SinGAN iteration, per Keras backend, against a plain-PyTorch baseline.

One iteration = 3 critic + 3 generator updates at batch 1 (paper §2.2), timed at one scale
in isolation (the coarsest-scale form: no frozen coarser generators) for every image size and
channel count asked. Each implementation runs in its own subprocess — the three Keras
backends through `singan_keras`'s own `ScaleTrainer.fit()`, the baseline through
`tests/reference_iteration.py` (eager PyTorch: the independent restatement that the
iteration-parity tests check the package against) — and all rows come from
one run of this script, so the ratios compare like with like.

Per cell: a warm-up `fit` of `--warmup` iterations (its extra time over the steady state is
reported as compile/trace time), then a timed `fit` of `--iters` iterations. Cells run one
after the other and, within a cell, the implementations one after the other, each in a fresh
subprocess: a change in the machine's load during a long grid shifts a whole cell, not one
column. `--threads N` limits every implementation to N CPU threads (e.g. to benchmark on one
core while the other is busy: ``taskset -c 1 python benchmarks/train_step.py --threads 1``).

    python benchmarks/train_step.py                                   # the issue's grid
    python benchmarks/train_step.py --sizes 64x64 --channels 32 --iters 5   # a quick look

Writes the table to stdout and to `benchmarks/results/train_step_<device>.md` (or `--out`).
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
import tempfile
from datetime import date

from common import device_name, image_size, positive_int, write_results

HERE = pathlib.Path(__file__).resolve().parent
_SIZE = image_size(minimum=11)
IMPLEMENTATIONS = ("baseline", "tensorflow", "jax", "torch")
DEFAULT_SIZES = ("25x25", "64x64", "128x128", "188x250")

KERAS_CHILD = r"""
import json, sys, time
import numpy as np
from singan_keras.config import preset
from singan_keras.models import build_critic, build_generator
from singan_keras.scale_trainer import FrozenPyramid, ScaleTensors, ScaleTrainer

cells, warmup, iters = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
for height, width, channels in cells:
    rng = np.random.default_rng(0)
    real = rng.uniform(-1, 1, (height, width, 3)).astype(np.float32)
    z_star = np.repeat(rng.standard_normal((height, width, 1)), 3, -1).astype(np.float32)
    trainer = ScaleTrainer(
        build_generator(channels), build_critic(channels), FrozenPyramid(),
        ScaleTensors(real, np.zeros_like(real), 1.0, z_star),
        preset("paper", iterations=warmup + iters), seed=0,
    )
    trainer.compile_for_training()
    times = []
    for count in (warmup, iters):
        start = time.perf_counter()
        trainer.fit(np.zeros((count, 1), np.float32), batch_size=1, epochs=1, verbose=0,
                    shuffle=False)
        times.append(time.perf_counter() - start)
    print("RESULT" + json.dumps([height, width, channels, times]), flush=True)
"""

BASELINE_CHILD = r"""
import json, sys, time
import torch
sys.path.insert(0, sys.argv[4])
import reference_iteration as reference

cells, warmup, iters = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
for height, width, channels in cells:
    random = torch.Generator().manual_seed(0)
    real = torch.rand(1, 3, height, width, generator=random) * 2 - 1
    scale = reference.Scale(
        generator=reference.initial_network(channels, 3, seed=1),
        critic=reference.initial_network(channels, 1, seed=2),
        real=real, previous_reconstruction=torch.zeros_like(real), noise_amplitude=1.0,
        z_star=torch.randn(1, 1, height, width, generator=random).expand(1, 3, -1, -1),
        frozen=[],
    )
    times = []
    for count in (warmup, iters):
        start = time.perf_counter()
        for _ in range(count):
            scale.iteration(scale.random_draws(random))
        times.append(time.perf_counter() - start)
    print("RESULT" + json.dumps([height, width, channels, times]), flush=True)
"""


def _thread_env(threads: int | None) -> dict:
    """Environment variables that cap torch, TensorFlow and XLA (JAX) at `threads` threads."""
    if threads is None:
        return {}
    env = {name: str(threads) for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                           "TF_NUM_INTRAOP_THREADS")}  # fmt: skip
    env["TF_NUM_INTEROP_THREADS"] = "1"
    if threads == 1:
        env["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    return env


def _run(implementation: str, cells: list, warmup: int, iters: int, threads=None) -> dict:
    """{(h, w, c): (warm-up seconds, timed seconds)} from one subprocess."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", **_thread_env(threads))
    if implementation == "baseline":
        command = [sys.executable, "-c", BASELINE_CHILD, json.dumps(cells), str(warmup),
                   str(iters), str(HERE.parent / "tests")]  # fmt: skip
    else:
        env["KERAS_BACKEND"] = implementation
        command = [sys.executable, "-c", KERAS_CHILD, json.dumps(cells), str(warmup), str(iters)]
    print(f"running {implementation} ...", file=sys.stderr, flush=True)
    results = {}
    # Stream the child's lines: a long grid shows each cell as it finishes (on stderr, so
    # stdout stays the table), and the cells done so far are not lost to an interruption.
    # The child's stderr goes to a file: a full stderr pipe nobody reads would block it.
    with (
        tempfile.TemporaryFile("w+") as log,
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=log, text=True) as child,
    ):
        for line in child.stdout:
            if line.startswith("RESULT"):
                height, width, channels, times = json.loads(line[len("RESULT") :])
                results[(height, width, channels)] = times
                steady = times[1] / iters
                print(f"  {implementation} {height}x{width} c{channels}: {steady:.3f} s/iter "
                      f"(warm-up {times[0]:.1f} s)", file=sys.stderr, flush=True)  # fmt: skip
        child.wait()
        log.seek(0)
        errors = log.read()
    if child.returncode != 0:
        print(errors[-3000:], file=sys.stderr)
        raise SystemExit(f"{implementation} failed (exit {child.returncode})")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes",
        nargs="+",
        type=_SIZE,
        default=[_SIZE(s) for s in DEFAULT_SIZES],
        metavar="HxW",
        help=f"image sizes (default: {' '.join(DEFAULT_SIZES)}).",
    )
    parser.add_argument(
        "--channels",
        nargs="+",
        type=positive_int,
        default=[32, 128],
        metavar="C",
        help="network widths (default: 32 128).",
    )
    parser.add_argument(
        "--implementations",
        nargs="+",
        choices=IMPLEMENTATIONS,
        default=list(IMPLEMENTATIONS),
        metavar="NAME",
        help=f"what to time (default: all: {' '.join(IMPLEMENTATIONS)}).",
    )
    parser.add_argument("--warmup", type=positive_int, default=2, help="warm-up iterations (2).")
    parser.add_argument("--iters", type=positive_int, default=5, help="timed iterations (5).")
    parser.add_argument("--out", type=pathlib.Path, default=None, help="markdown file to write.")
    parser.add_argument(
        "--threads", type=positive_int, default=None,
        help="CPU threads per implementation (default: the libraries' own choice).",
    )  # fmt: skip
    args = parser.parse_args(argv)  # fmt: skip

    available = [i for i in args.implementations
                 if importlib.util.find_spec("torch" if i == "baseline" else i)]  # fmt: skip
    cells = [[h, w, c] for c in args.channels for h, w in args.sizes]
    results = {name: {} for name in available}
    for cell in cells:
        for name in available:
            results[name].update(_run(name, [cell], args.warmup, args.iters, args.threads))

    columns = ["size", "channels"]
    for name in available:
        columns += [f"{name} s/iter"] + ([] if name == "baseline" else [f"{name} ×baseline"])
    columns += [f"{name} compile s" for name in available if name != "baseline"]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for height, width, channels in cells:
        key = (height, width, channels)
        steady = {n: results[n][key][1] / args.iters for n in available}
        row = [f"{height}×{width}", str(channels)]
        for name in available:
            row.append(f"{steady[name]:.3f}")
            if name != "baseline":
                ratio = steady[name] / steady["baseline"] if "baseline" in steady else float("nan")
                row.append(f"{ratio:.2f}")
        for name in available:
            if name != "baseline":
                compile_s = results[name][key][0] - args.warmup * steady[name]
                row.append(f"{max(compile_s, 0.0):.1f}")
        lines.append("| " + " | ".join(row) + " |")

    import keras  # only for its version in the header

    device = device_name()
    threads = "" if args.threads is None else f", {args.threads} thread(s) each"
    header = (
        f"Seconds per SinGAN iteration (3 critic + 3 generator updates, batch 1), one scale in "
        f"isolation; {args.warmup} warm-up + {args.iters} timed iterations per cell; "
        f"×baseline < 1 is faster than eager PyTorch. {device}"
        f"{threads}, {date.today()}, Keras "
        f"{keras.__version__}, Python {platform.python_version()}.\n\nCommand: `python "
        f"benchmarks/train_step.py {' '.join(sys.argv[1:] if argv is None else argv)}`"
    )
    write_results(header, "\n".join(lines), "train_step", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
