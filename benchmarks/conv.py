"""One 3×3 convolution layer, three ways of differentiating it, per framework.

Why a JAX training iteration on a CPU was up to 8× slower than PyTorch's: the WGAN-GP
penalty differentiates the critic twice, and XLA:CPU's convolutions in that second
derivative are slow. This script times, for one "valid" 3×3 convolution with C → C channels
on a (1, H, W, C) input, batch 1:

* ``forward``: y = conv(x, k);
* ``gradient``: ∂/∂(x, k) of sum(y²) (what every training step needs);
* ``penalty``: ∂/∂k of ‖∂/∂x sum(y²)‖² (what the gradient penalty needs).

Implementations, each in its own subprocess: PyTorch (``F.conv2d``, the baseline), the
same with both tensors in PyTorch's ``channels_last`` memory format, TensorFlow
(``tf.nn.conv2d`` under nested ``GradientTape``s in a ``tf.function``), JAX with
``lax.conv_general_dilated``, and JAX with `singan_keras.backends.jax.convolution.Conv2D` (the
convolution and its derivatives in the forms XLA:CPU runs fast: what G and D use on
JAX-on-CPU).

    python benchmarks/conv.py
    taskset -c 1 python benchmarks/conv.py --threads 1 --sizes 128x128 --channels 32

Writes the table to stdout and to `benchmarks/results/conv_<device>.md` (or `--out`).
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

IMPLEMENTATIONS = ("torch", "torch-channels-last", "tensorflow", "jax-lax", "jax-fast")
DEFAULT_SIZES = ("64x64", "128x128", "188x250")

CHILD = r"""
import json, sys, time
import numpy as np
implementation, cells, repeats = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])

def timed(fn):
    fn()  # warm-up: compiles / traces where the framework does
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats * 1e3

for height, width, channels in cells:
    rng = np.random.default_rng(0)
    x_np = rng.normal(size=(1, height, width, channels)).astype(np.float32)
    k_np = (0.1 * rng.normal(size=(3, 3, channels, channels))).astype(np.float32)
    if implementation.startswith("torch"):
        import torch
        import torch.nn.functional as F
        x = torch.tensor(x_np.transpose(0, 3, 1, 2))
        k = torch.tensor(k_np.transpose(3, 2, 0, 1))
        if implementation == "torch-channels-last":  # same NCHW tensors, NHWC in memory
            x = x.contiguous(memory_format=torch.channels_last)
            k = k.contiguous(memory_format=torch.channels_last)
        def forward():
            with torch.no_grad():
                F.conv2d(x, k)
        def gradient():
            xi, ki = x.clone().requires_grad_(), k.clone().requires_grad_()
            torch.autograd.grad((F.conv2d(xi, ki) ** 2).sum(), [xi, ki])
        def penalty():
            xi, ki = x.clone().requires_grad_(), k.clone().requires_grad_()
            (gx,) = torch.autograd.grad((F.conv2d(xi, ki) ** 2).sum(), xi, create_graph=True)
            torch.autograd.grad((gx ** 2).sum(), ki)
    elif implementation == "tensorflow":
        import tensorflow as tf
        x, k = tf.constant(x_np), tf.Variable(k_np)
        conv = lambda x, k: tf.nn.conv2d(x, k, 1, "VALID")
        forward_fn = tf.function(lambda: conv(x, k))
        @tf.function
        def gradient_fn():
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = tf.reduce_sum(conv(x, k) ** 2)
            return tape.gradient(loss, [x, k])
        @tf.function
        def penalty_fn():
            with tf.GradientTape() as outer:
                with tf.GradientTape() as inner:
                    inner.watch(x)
                    loss = tf.reduce_sum(conv(x, k) ** 2)
                gx = inner.gradient(loss, x)
                total = tf.reduce_sum(gx ** 2)
            return outer.gradient(total, k)
        forward = lambda: forward_fn().numpy()
        gradient = lambda: [g.numpy() for g in gradient_fn()]
        penalty = lambda: penalty_fn().numpy()
    else:
        import jax
        import jax.numpy as jnp
        x, k = jnp.asarray(x_np), jnp.asarray(k_np)
        if implementation == "jax-lax":
            conv = lambda x, k: jax.lax.conv_general_dilated(
                x, k, (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC"))
        else:
            import keras
            from singan_keras.backends.jax.convolution import Conv2D
            layer = Conv2D(channels, 3, use_bias=False)
            layer.build(x_np.shape)
            conv = lambda x, k: layer.stateless_call([k], [], x)[0]
        loss = lambda x, k: jnp.sum(conv(x, k) ** 2)
        forward_fn = jax.jit(conv)
        gradient_fn = jax.jit(jax.grad(loss, argnums=(0, 1)))
        penalty_fn = jax.jit(jax.grad(lambda k, x: jnp.sum(jax.grad(loss)(x, k) ** 2)))
        forward = lambda: jax.block_until_ready(forward_fn(x, k))
        gradient = lambda: jax.block_until_ready(gradient_fn(x, k))
        penalty = lambda: jax.block_until_ready(penalty_fn(k, x))
    times = [timed(forward), timed(gradient), timed(penalty)]
    print("RESULT" + json.dumps([height, width, channels, times]), flush=True)
"""


def _run(implementation: str, cells: list, repeats: int, threads: int | None) -> dict:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    if implementation.startswith("jax"):
        env["KERAS_BACKEND"] = "jax"
    if threads is not None:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads),
                   TF_NUM_INTRAOP_THREADS=str(threads), TF_NUM_INTEROP_THREADS="1")  # fmt: skip
        if threads == 1:
            env["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    print(f"running {implementation} ...", file=sys.stderr, flush=True)
    command = [sys.executable, "-c", CHILD, implementation, json.dumps(cells), str(repeats)]
    out = subprocess.run(command, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        print(out.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"{implementation} failed (exit {out.returncode})")
    results = {}
    for line in out.stdout.splitlines():
        if line.startswith("RESULT"):
            height, width, channels, times = json.loads(line[len("RESULT") :])
            results[(height, width, channels)] = times
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="+", type=image_size(minimum=3),
                        default=[image_size(3)(s) for s in DEFAULT_SIZES], metavar="HxW",
                        help=f"input sizes (default: {' '.join(DEFAULT_SIZES)}).")  # fmt: skip
    parser.add_argument("--channels", nargs="+", type=positive_int, default=[32, 128],
                        metavar="C", help="channels in and out (default: 32 128).")  # fmt: skip
    parser.add_argument("--repeats", type=positive_int, default=5,
                        help="timed calls per cell (5).")  # fmt: skip
    parser.add_argument("--threads", type=positive_int, default=None,
                        help="CPU threads per framework (default: library default).")  # fmt: skip
    parser.add_argument("--out", type=pathlib.Path, default=None, help="markdown file to write.")
    args = parser.parse_args(argv)

    spec = {"tensorflow": "tensorflow", "jax-lax": "jax", "jax-fast": "jax"}
    available = [i for i in IMPLEMENTATIONS if importlib.util.find_spec(spec.get(i, "torch"))]
    cells = [[h, w, c] for c in args.channels for h, w in args.sizes]
    results = {name: _run(name, cells, args.repeats, args.threads) for name in available}

    columns = ["size", "channels", "implementation", "forward ms", "gradient ms", "penalty ms"]
    if "torch" in available:
        columns += ["gradient ×torch", "penalty ×torch"]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for height, width, channels in cells:
        for name in available:
            times = results[name][(height, width, channels)]
            row = [f"{height}×{width}", str(channels), name] + [f"{t:.1f}" for t in times]
            if "torch" in available:
                torch_times = results["torch"][(height, width, channels)]
                row += [f"{times[i] / torch_times[i]:.2f}" for i in (1, 2)]
            lines.append("| " + " | ".join(row) + " |")
    threads = "" if args.threads is None else f", {args.threads} thread(s) each"
    header = (
        f"One 3×3 valid convolution, C → C channels, batch 1: forward, gradient of sum(y²) "
        f"w.r.t. input and kernel, and the penalty's second-order gradient; milliseconds per "
        f"call, mean of {args.repeats} after one warm-up call. {device_name()}{threads}, "
        f"{date.today()}, Python {platform.python_version()}.\n\nCommand: `python "
        f"benchmarks/conv.py {' '.join(sys.argv[1:] if argv is None else argv)}`"
    )
    write_results(header, "\n".join(lines), "conv", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
