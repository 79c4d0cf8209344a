"""The `paper` preset, trained and measured per Keras backend: one command for a GPU (or a CPU).

Each backend trains the `paper` preset (250 px, 2000 iterations per scale, 32-128 channels)
on one image in its own subprocess (the backend is fixed at import), then draws 8 samples.
`--iters` shortens every scale (e.g. 200 for a timing run); `--max-size` / `--min-size`
shrink the pyramid (for tests). Reported per scale: size, channels, seconds per iteration
(the first, compiling iteration excluded) and compile seconds (the first iteration's extra
time over a steady one); per run: total time, peak host RSS, peak accelerator memory
("n/a" on a CPU), and an extrapolation of the full 2000-iteration run:
sum over scales of (2000 × s/iter + compile s), computed from the rounded figures printed.

Every clock read waits for the device first (a GPU runs asynchronously: without it a step
would look as fast as its launch): a Keras callback reads the clock after Keras has turned
the iteration's logged losses into Python floats (which waits for them), then calls
``torch.cuda.synchronize()`` (torch on CUDA) or ``jax.block_until_ready`` on the trainer's
state (JAX). That backend-specific code lives in this script's child, never in the library.

    python benchmarks/paper_run.py --iters 200                           # a GPU timing run
    python benchmarks/paper_run.py --backends torch --iters 5 --baseline  # a CPU look
    python benchmarks/paper_run.py --max-size 24 --min-size 12 --iters 3 --out /tmp/t.md

Writes the table to stdout and to `benchmarks/results/paper_run_<device>.md` (device: "cpu",
or the GPU's name, e.g. ``nvidia_h100_80gb_hbm3``), or to `--out`; next to it one PNG grid
of the samples per backend, ``<table name>_<backend>.png`` (2 rows of 4).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import pathlib
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from importlib import metadata

from common import RESULTS_DIR, positive_int
from train_step import _run as run_baseline  # the plain-PyTorch restatement, per size
from train_step import _thread_env

BACKENDS = ("tensorflow", "jax", "torch")
FULL_ITERATIONS = 2000  # the paper's iterations per scale
SAMPLES = 8
GRID_COLUMNS = 4

CHILD = r"""
import json, resource, sys, time
import keras
from singan_keras import SinGAN, backends, preset, save_grid

options = json.loads(sys.argv[1])
BACKEND = keras.backend.backend()
DEVICE = backends.default_device()
ON_GPU = DEVICE != "cpu"

# Waiting for the device, and its peak memory: the only backend-specific code of the run.
if BACKEND == "torch":
    import torch

    def synchronize(trainer):
        if DEVICE.startswith("cuda"):
            torch.cuda.synchronize()

    def accelerator_peak_bytes():
        return torch.cuda.max_memory_allocated() if DEVICE.startswith("cuda") else None

elif BACKEND == "jax":
    import jax

    def synchronize(trainer):
        # The state the last step produced (Keras' fit loop keeps it on the trainer); None
        # outside the loop, when nothing of the step is pending.
        jax.block_until_ready(getattr(trainer, "_jax_state", None))

    def accelerator_peak_bytes():
        device = jax.devices()[0]
        if device.platform == "cpu":
            return None
        return (device.memory_stats() or {}).get("peak_bytes_in_use")

else:
    import tensorflow as tf

    def synchronize(trainer):
        pass  # Keras already took `.numpy()` of the logged losses: the step has finished

    def accelerator_peak_bytes():
        if not tf.config.list_physical_devices("GPU"):
            return None
        return tf.config.experimental.get_memory_info("GPU:0")["peak"]


def now(trainer, logs=None):
    # Keras gives callbacks the losses as floats (a device -> host copy that waits for
    # them); convert anything still a tensor, then wait for the rest of the device's work.
    for value in (logs or {}).values():
        if not isinstance(value, (int, float)):
            keras.ops.convert_to_numpy(value)
    synchronize(trainer)
    return time.perf_counter()


class SynchronisedClock(keras.callbacks.Callback):
    # Defines on_train_batch_end, so Keras calls it in order, not from a thread pool.
    def __init__(self):
        super().__init__()
        self.finished = []

    def on_train_begin(self, logs=None):
        self.begin = now(self.model, logs)
        self.first = self.last = None
        self.count = 0

    def on_train_batch_end(self, batch, logs=None):
        self.last = now(self.model, logs)
        self.first = self.last if self.first is None else self.first
        self.count += 1

    def on_train_end(self, logs=None):
        self.finished.append((self.first - self.begin, self.last - self.first, self.count))


clock = SynchronisedClock()


def report_scale(model, result):
    first, rest, count = clock.finished.pop()
    steady = rest / (count - 1) if count > 1 else first
    print("SCALE" + json.dumps({
        "scale": result.scale, "size": list(result.size), "channels": result.channels,
        "iterations": count, "s_per_iter": steady, "compile_s": max(first - steady, 0.0),
    }), flush=True)


config = preset("paper", **options["overrides"])
start = time.perf_counter()
model = SinGAN.train(options["image"], config, verbose=0, callbacks=[clock],
                     on_scale_end=report_scale)
total = now(None) - start
samples = model.sample(options["samples"], seed=0)
save_grid(samples, options["grid"], columns=options["columns"])
peak = accelerator_peak_bytes()
rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
rss_bytes = rss_kib if sys.platform == "darwin" else rss_kib * 1024  # macOS gives bytes
print("RUN" + json.dumps({
    "backend": BACKEND, "device": DEVICE, "total_s": total, "peak_rss_mb": rss_bytes / 2**20,
    "accelerator_peak_mb": None if peak is None else peak / 2**20,
}), flush=True)
"""


@dataclass
class BackendRun:
    """What one backend's subprocess reported (`error` set when it failed)."""

    backend: str
    scales: list[dict]
    run: dict | None = None
    error: str | None = None
    grid: pathlib.Path | None = None


def train_backend(backend: str, options: dict, threads: int | None, folder: str) -> BackendRun:
    """Trains and samples under `backend` in a subprocess, streaming each scale to stderr."""
    grid = pathlib.Path(folder) / f"{backend}.png"
    child_options = dict(options, grid=str(grid), samples=SAMPLES, columns=GRID_COLUMNS)
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2", **_thread_env(threads))
    command = [sys.executable, "-c", CHILD, json.dumps(child_options)]
    print(f"running {backend} ...", file=sys.stderr, flush=True)
    result = BackendRun(backend, [])
    # The child's stderr goes to a file: a full pipe nobody reads would block it.
    with (
        tempfile.TemporaryFile("w+") as log,
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=log, text=True) as child,
    ):
        for line in child.stdout:
            if line.startswith("SCALE"):
                scale = json.loads(line[len("SCALE") :])
                result.scales.append(scale)
                print(
                    f"  {backend} scale {scale['scale']} {scale['size'][0]}x{scale['size'][1]} "
                    f"c{scale['channels']}: {scale['s_per_iter']:.4f} s/iter, compile "
                    f"{scale['compile_s']:.2f} s",
                    file=sys.stderr,
                    flush=True,
                )
            elif line.startswith("RUN"):
                result.run = json.loads(line[len("RUN") :])
        child.wait()
        log.seek(0)
        errors = log.read()
    if child.returncode != 0 or result.run is None:
        print(errors[-3000:], file=sys.stderr)
        last = (errors.strip().splitlines() or [f"exit {child.returncode}"])[-1]
        result.error = last
    else:
        result.grid = grid
    return result


def rounded(scale: dict) -> tuple[str, str]:
    """The table's s/iter and compile s of a scale, as printed (the extrapolation uses these)."""
    return f"{scale['s_per_iter']:.4f}", f"{scale['compile_s']:.2f}"


def extrapolation(scales: list[dict], iterations: int = FULL_ITERATIONS) -> float:
    """Seconds of a full run: sum over scales of ``iterations × s/iter + compile s``, from the
    figures as printed in the table."""
    total = 0.0
    for scale in scales:
        s_per_iter, compile_s = rounded(scale)
        total += iterations * float(s_per_iter) + float(compile_s)
    return total


def device_slug(devices: list[str]) -> str:
    """``cpu``, or the first GPU's name in lower case with ``_`` (``cuda:0 (NVIDIA H100 PCIe)``
    -> ``nvidia_h100_pcie``)."""
    gpus = [d for d in devices if d != "cpu"]
    if not gpus:
        return "cpu"
    name = re.search(r"\((.*)\)", gpus[0])
    return re.sub(r"[^a-z0-9]+", "_", (name.group(1) if name else gpus[0]).lower()).strip("_")


def _hours(seconds: float) -> str:
    return f"{seconds:.1f} s ({seconds / 3600:.2f} h)"


def table(runs: list[BackendRun], baseline: dict | None) -> str:
    """Per-scale rows (backends side by side, then the baseline) and per-run rows."""
    done = [r for r in runs if r.error is None]
    columns = ["scale", "size", "channels"]
    for run in done:
        columns += [f"{run.backend} s/iter", f"{run.backend} compile s"]
    if baseline is not None:
        columns.append("baseline s/iter")
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for index, scale in enumerate(done[0].scales if done else []):
        height, width = scale["size"]
        row = [str(index), f"{height}×{width}", str(scale["channels"])]
        for run in done:
            row += list(rounded(run.scales[index]))
        if baseline is not None:
            row.append(f"{baseline[(height, width, scale['channels'])]:.4f}")
        lines.append("| " + " | ".join(row) + " |")

    lines += [
        "",
        f"| backend | device | total s | full run ({FULL_ITERATIONS} iterations/scale), "
        "extrapolated | peak RSS MB | peak accelerator MB |",
        "|---|---|---|---|---|---|",
    ]
    for run in runs:
        if run.error is not None:
            lines.append(f"| {run.backend} | error: {run.error} |  |  |  |  |")
            continue
        peak = run.run["accelerator_peak_mb"]
        lines.append(
            f"| {run.backend} | {run.run['device']} | {run.run['total_s']:.1f} "
            f"| {_hours(extrapolation(run.scales))} | {run.run['peak_rss_mb']:.0f} "
            f"| {'n/a' if peak is None else f'{peak:.0f}'} |"
        )
    return "\n".join(lines)


def _check_inputs(image: str, overrides: dict) -> None:
    """One-line errors for a bad image or override, before any subprocess starts."""
    from singan_keras.config import preset
    from singan_keras.data import resolve_image
    from singan_keras.errors import InputError
    from singan_keras.image_io import image_size
    from singan_keras.pyramid import scale_schedule

    try:
        config = preset("paper", **overrides)
        height, width = image_size(resolve_image(image))
        scale_schedule(height, width, config.scale_factor, config.min_size, config.max_size)
    except (InputError, FileNotFoundError) as error:
        raise SystemExit(f"paper_run.py: {error}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--image", default="rocket", help="bundled image name or file (rocket).")
    parser.add_argument(
        "--backends",
        nargs="+",
        choices=BACKENDS,
        default=list(BACKENDS),
        metavar="NAME",
        help=f"backends to run, each in its own subprocess (default: {' '.join(BACKENDS)}).",
    )
    parser.add_argument("--iters", type=positive_int, help="iterations per scale (paper: 2000).")
    parser.add_argument("--max-size", type=positive_int, help="finest scale's longer side (250).")
    parser.add_argument("--min-size", type=positive_int, help="coarsest scale's shorter side (25).")
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="also time the plain-PyTorch restatement (tests/reference_iteration.py, eager, "
        "on the CPU) at each scale's size and channels (coarsest-scale form).",
    )
    parser.add_argument(
        "--baseline-iters",
        type=positive_int,
        default=3,
        help="timed baseline iterations per scale, after 1 warm-up (3).",
    )
    parser.add_argument(
        "--threads",
        type=positive_int,
        default=None,
        help="CPU threads per subprocess (default: the libraries' choice).",
    )
    parser.add_argument(
        "--out",
        type=pathlib.Path,
        default=None,
        help="markdown file to write (default: results/paper_run_<device>.md).",
    )
    args = parser.parse_args(argv)

    overrides = {
        name: value
        for name, value in (
            ("iterations", args.iters),
            ("max_size", args.max_size),
            ("min_size", args.min_size),
        )
        if value
    }
    if overrides.get("iterations", FULL_ITERATIONS) < 2:
        raise SystemExit("paper_run.py: --iters must be >= 2 (the first one compiles).")
    if args.baseline and importlib.util.find_spec("torch") is None:
        raise SystemExit("paper_run.py: --baseline needs torch installed; drop the flag.")
    _check_inputs(args.image, overrides)

    with tempfile.TemporaryDirectory() as folder:
        options = {"image": args.image, "overrides": overrides}
        runs = [train_backend(b, options, args.threads, folder) for b in args.backends]
        done = [r for r in runs if r.error is None]
        sizes = {json.dumps([[s["size"], s["channels"]] for s in r.scales]) for r in done}
        if len(sizes) > 1:  # the same schedule everywhere, or the rows would not line up
            raise SystemExit("paper_run.py: the backends trained different pyramids.")
        baseline = None
        if args.baseline and done:
            cells = [[*s["size"], s["channels"]] for s in done[0].scales]
            timed = run_baseline("baseline", cells, 1, args.baseline_iters, args.threads)
            baseline = {key: times[1] / args.baseline_iters for key, times in timed.items()}

        out = (
            args.out or RESULTS_DIR / f"paper_run_{device_slug([r.run['device'] for r in done])}.md"
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        for run in done:
            run.grid = pathlib.Path(
                shutil.copy(run.grid, out.with_name(f"{out.stem}_{run.backend}.png"))
            )

    given = " ".join(sys.argv[1:] if argv is None else argv)
    header = (
        f"The `paper` preset on `{args.image}`"
        + (f" with {', '.join(f'{k}={v}' for k, v in overrides.items())}" if overrides else "")
        + f"; {SAMPLES} samples per backend in `{out.stem}_<backend>.png`. {platform.machine()} "
        f"({os.cpu_count()} CPUs), {date.today()}, Keras {metadata.version('keras')}, Python "
        f"{platform.python_version()}. s/iter excludes each scale's first iteration; compile s "
        "is that iteration's extra time; total s is `SinGAN.train`'s (sampling excluded); the "
        "memory peaks cover training and sampling"
        + ("; baseline: eager PyTorch on the CPU, one scale in isolation" if baseline else "")
        + f".\n\nCommand: `python benchmarks/paper_run.py {given}`"
    )
    sums = [
        f"extrapolated {run.backend}: sum over scales of {FULL_ITERATIONS} × s/iter + compile s "
        f"= {extrapolation(run.scales):.1f} s"
        for run in done
    ]
    text = f"{header}\n\n{table(runs, baseline)}\n\n" + "\n".join(sums)
    print(text)
    out.write_text(text + "\n")
    print(f"\nwritten to {out} and {len(done)} sample grid(s)", file=sys.stderr)
    return 0 if len(done) == len(runs) else 1


if __name__ == "__main__":
    sys.exit(main())
