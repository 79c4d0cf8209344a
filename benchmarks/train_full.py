"""Wall time and peak memory of a whole training run, per Keras backend.

Each backend trains in its own subprocess (the backend is fixed at import); all rows of the
table come from one run of this script, so they can be compared as ratios.

    python benchmarks/train_full.py --image rocket --preset quick
    python benchmarks/train_full.py --image rocket --preset paper --backends jax   # a GPU job
    python benchmarks/train_full.py --image rocket --preset quick --two-images

``--two-images`` trains, in each backend's process, the image and then its mirror image (other
pixels, the same size, so the same pyramid of shapes) back to back, starting from an empty
compile cache, and reports both: the second image's compile time is what a student pays for
each further image of that size (JAX takes it from the compile cache the first one filled).

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
image, preset_name, iterations, out, two_images = sys.argv[1:6]
overrides = {"iterations": int(iterations)} if int(iterations) > 0 else {}
config = preset(preset_name, **overrides)
per_image = []
for index in range(2 if two_images == "1" else 1):
    start = time.perf_counter()
    results = []
    model = SinGAN.train(image, config, f"{out}{index}", verbose=0,
                         on_scale_end=lambda m, r: results.append(r))
    per_image.append({
        "total_s": time.perf_counter() - start,
        "compile_s": sum(r.first_iteration_seconds for r in results),
        "finest": list(model.sizes[-1]),
    })
    # the next image: the mirror, at the training size (clipped: bicubic resizing overshoots)
    image = model.reals[-1][:, ::-1].clip(-1, 1)
total = per_image[0]["total_s"]
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
    "compile_s": per_image[0]["compile_s"],
    "per_image": per_image,
    "finest_s_per_iter": results[-1].seconds_per_iteration,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "gpu_peak_mb": gpu_peak,
}))
"""


def run_backend(
    backend: str, image: str, preset: str, iterations: int, two_images: bool = False
) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2")
        if two_images:
            # a cold, private compile cache, enabled as the `singan` command enables it
            env.update(
                JAX_COMPILATION_CACHE_DIR=f"{tmp}/jax_cache",
                JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="1",
            )
        argv = [image, preset, str(iterations), f"{tmp}/run", "1" if two_images else "0"]
        out = subprocess.run(
            [sys.executable, "-c", CHILD, *argv],
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
    parser.add_argument(
        "--two-images",
        action="store_true",
        help="train the image, then its mirror image, per backend (cold compile cache)",
    )
    args = parser.parse_args(argv)

    rows = [
        run_backend(b, args.image, args.preset, args.iters, args.two_images)
        for b in args.backends.split(",")
    ]
    if args.two_images:
        table = _two_image_table(rows, args)
        print(table)
        if args.out:
            with open(args.out, "w") as handle:
                handle.write(table + "\n")
        return 0 if all("error" not in r for r in rows) else 1
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


def _two_image_table(rows: list[dict], args) -> str:
    """One row per backend: total and compile seconds of the first and the second image."""
    lines = [
        f"Two images of the same size back to back, preset `{args.preset}`"
        + (f" ({args.iters} iterations/scale)" if args.iters else "")
        + f", image `{args.image}` then its mirror, cold compile cache — {platform.node()} "
        f"({os.cpu_count()} CPUs), {date.today()}",
        "",
        "| backend | scales | finest | 1st total s | 1st compile s | 2nd total s "
        "| 2nd compile s | 2nd / 1st compile |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['backend']} | error: {r['error']} |||||||")
            continue
        first, second = r["per_image"]
        ratio = second["compile_s"] / first["compile_s"] if first["compile_s"] else float("nan")
        lines.append(
            f"| {r['backend']} | {r['scales']} | {r['finest'][0]}×{r['finest'][1]} "
            f"| {first['total_s']:.1f} | {first['compile_s']:.1f} | {second['total_s']:.1f} "
            f"| {second['compile_s']:.1f} | {ratio:.2f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
