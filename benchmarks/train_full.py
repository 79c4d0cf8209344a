"""Wall time and peak memory of a whole training run, per Keras backend.

Each backend trains in its own subprocess (the backend is fixed at import); all rows of the
table come from one run of this script, so they can be compared as ratios.

    python benchmarks/train_full.py --image rocket --preset quick
    python benchmarks/train_full.py --image rocket --preset paper --backends jax   # a GPU job

Columns: total wall time of ``SinGAN.train``; the time of each scale's first iteration
(tracing / compiling the train step, summed over scales); the steady-state seconds per
iteration at the finest scale; peak resident memory of the process (and of the GPU when
the backend reports it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import date

CHILD = r"""
import json, resource, sys, time
from singan_keras import SinGAN, preset
import keras
image, preset_name, iterations, out = sys.argv[1:5]
overrides = {"iterations": int(iterations)} if int(iterations) > 0 else {}
start = time.perf_counter()
results = []
model = SinGAN.train(image, preset(preset_name, **overrides), out, verbose=0,
                     on_scale_end=lambda m, r: results.append(r))
total = time.perf_counter() - start
gpu_peak = None
backend = keras.backend.backend()
try:
    if backend == "torch":
        import torch
        if torch.cuda.is_available():
            gpu_peak = torch.cuda.max_memory_allocated() / 2**20
    elif backend == "jax":
        import jax
        stats = jax.devices()[0].memory_stats() or {}
        gpu_peak = stats.get("peak_bytes_in_use", 0) / 2**20 or None
    elif backend == "tensorflow":
        import tensorflow as tf
        if tf.config.list_physical_devices("GPU"):
            gpu_peak = tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20
except Exception:
    pass
print("RESULT" + json.dumps({
    "backend": backend,
    "scales": model.num_scales,
    "finest": list(model.sizes[-1]),
    "total_s": total,
    "compile_s": sum(r.first_iteration_seconds for r in results),
    "finest_s_per_iter": results[-1].seconds_per_iteration,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "gpu_peak_mb": gpu_peak,
}))
"""


def run_backend(backend: str, image: str, preset: str, iterations: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2")
        out = subprocess.run(
            [sys.executable, "-c", CHILD, image, preset, str(iterations), f"{tmp}/run"],
            env=env,
            capture_output=True,
            text=True,
        )
    if out.returncode != 0:
        return {"backend": backend, "error": out.stderr.strip().splitlines()[-1]}
    line = next(s for s in out.stdout.splitlines() if s.startswith("RESULT"))
    return json.loads(line[len("RESULT") :])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image", default="rocket", help="bundled image name or file")
    parser.add_argument("--preset", default="quick", help="paper, quick or official")
    parser.add_argument("--iters", type=int, default=0, help="override iterations per scale")
    parser.add_argument("--backends", default="tensorflow,jax,torch", help="comma-separated")
    parser.add_argument("--out", help="also write the table to this markdown file")
    args = parser.parse_args(argv)

    rows = [run_backend(b, args.image, args.preset, args.iters) for b in args.backends.split(",")]
    ok = [r for r in rows if "error" not in r]
    best = min((r["total_s"] for r in ok), default=1.0)
    lines = [
        f"Full training, preset `{args.preset}`"
        + (f" ({args.iters} iterations/scale)" if args.iters else "")
        + f", image `{args.image}` — {platform.node()} ({os.cpu_count()} CPUs), {date.today()}",
        "",
        "| backend | scales | finest | total s | × fastest | compile s | finest s/iter "
        "| peak RSS MB | GPU peak MB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['backend']} | error: {r['error']} |||||||")
            continue
        gpu = f"{r['gpu_peak_mb']:.0f}" if r["gpu_peak_mb"] else "–"
        lines.append(
            f"| {r['backend']} | {r['scales']} | {r['finest'][0]}×{r['finest'][1]} "
            f"| {r['total_s']:.1f} | {r['total_s'] / best:.2f} | {r['compile_s']:.1f} "
            f"| {r['finest_s_per_iter']:.3f} | {r['peak_rss_mb']:.0f} | {gpu} |"
        )
    table = "\n".join(lines)
    print(table)
    if args.out:
        with open(args.out, "w") as handle:
            handle.write(table + "\n")
    return 0 if len(ok) == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
