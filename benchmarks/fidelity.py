"""Fidelity benchmark: train the `quick` preset on every bundled image, then score its samples.

For each bundled image (or those given with `--images`) this trains SinGAN with the `quick`
preset (max size 64, 100 iterations per scale) under the current Keras backend, runs
`singan_keras.metrics.fidelity_report` on samples from the coarsest scale (paper: N) and the
next one (paper: N−1), and prints a markdown table of the training time, the diversity and the
patch SWD. Everything is seeded (`--seed`: training, samples and SWD), so two runs on the same
backend and machine give the same numbers: compare backends, or a code change against the
table of the previous commit. SIFID is left out: it needs InceptionV3 weights that are not
bundled (use `singan evaluate RUN_DIR --weights ...` for it).

The table is also written to `benchmarks/results/fidelity_<backend>.md` (or `--out`).

Usage (the full benchmark; several minutes per image on a CPU):

    KERAS_BACKEND=torch python benchmarks/fidelity.py

A quick check on one image: `--images rocket --iters 20 --num 8`.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import platform
import shlex
import sys
import time

RESULTS_DIR = pathlib.Path(__file__).resolve().parent / "results"
COLUMNS = (
    "image",
    "backend",
    "scales",
    "train s",
    "diversity N",
    "diversity N−1",
    "SWD N",
    "SWD N−1",
)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    from singan_keras.data import list_images  # no Keras import: `--help` stays fast

    names = list_images()
    parser = argparse.ArgumentParser(
        description="Train the quick preset on bundled images under the current KERAS_BACKEND "
        "and print a markdown table of diversity and patch SWD (paper's N and N−1).",
        epilog="example: KERAS_BACKEND=torch python benchmarks/fidelity.py --images rocket "
        "--iters 20 --num 8",
    )
    parser.add_argument(
        "--images",
        nargs="+",
        choices=names,
        default=names,
        metavar="NAME",
        help=f"bundled images to use (default: all: {' '.join(names)}).",
    )
    parser.add_argument(
        "--iters",
        type=int,
        default=None,
        metavar="N",
        help="training iterations per scale (default: the quick preset's, 100).",
    )
    parser.add_argument(
        "--num", type=int, default=50, metavar="N", help="samples per start scale (default: 50)."
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="S",
        help="seed of training, samples and SWD (default: 0).",
    )
    parser.add_argument(
        "--out",
        type=pathlib.Path,
        default=None,
        metavar="FILE",
        help="markdown file to write (default: benchmarks/results/fidelity_<backend>.md).",
    )
    parser.add_argument(
        "--runs-dir",
        type=pathlib.Path,
        default=None,
        metavar="DIR",
        help="keep each trained run in DIR/<image>_<backend> (default: not kept).",
    )
    args = parser.parse_args(argv)
    if args.iters is not None and args.iters < 1:
        parser.error(f"--iters must be >= 1, got {args.iters}")
    if args.num < 2:
        parser.error(f"--num must be >= 2 (diversity needs two samples), got {args.num}")
    if args.seed < 0:
        parser.error(f"--seed must be >= 0, got {args.seed}")
    return args


def _row(image: str, backend: str, num_scales: int, seconds: float, report: dict) -> list[str]:
    by_scale = {result["start_scale"]: result for result in report["results"]}

    def value(start_scale: int, key: str) -> str:
        result = by_scale.get(start_scale)  # a one-scale model has no N−1
        return "-" if result is None else f"{result[key]:.4f}"

    return [
        image,
        backend,
        str(num_scales),
        f"{seconds:.1f}",
        value(0, "diversity"),
        value(1, "diversity"),
        value(0, "swd"),
        value(1, "swd"),
    ]


def _markdown_table(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "|".join("---" for _ in COLUMNS) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)

    import keras

    from singan_keras import SinGAN, preset
    from singan_keras.metrics import fidelity_report

    backend = keras.backend.backend()
    overrides = {"seed": args.seed}
    if args.iters is not None:
        overrides["iterations"] = args.iters
    config = preset("quick", **overrides)

    rows = []
    for image in args.images:
        print(f"[{backend}] training {image} ({config.iterations} iterations per scale)...")
        start = time.perf_counter()
        run_dir = None if args.runs_dir is None else args.runs_dir / f"{image}_{backend}"
        model = SinGAN.train(image, config, run_dir=run_dir, verbose=0)
        seconds = time.perf_counter() - start
        report = fidelity_report(model, num_samples=args.num, seed=args.seed)
        rows.append(_row(image, backend, model.num_scales, seconds, report))
        print(_markdown_table(rows[-1:]).splitlines()[-1], flush=True)

    given = sys.argv[1:] if argv is None else argv
    command = f"KERAS_BACKEND={backend} " + shlex.join(["python", "benchmarks/fidelity.py", *given])
    header = (
        f"Fidelity of the `quick` preset (iterations per scale: {config.iterations}, max size "
        f"{config.max_size}), {args.num} samples per start scale, seed {args.seed}; Keras "
        f"{keras.__version__}, backend {backend}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs. Diversity and SWD as in docs/metrics.md; N = generated from "
        f"the coarsest scale, N−1 = from the next one.\n\nCommand: `{command}`"
    )
    table = _markdown_table(rows)
    print()
    print(table)
    out = args.out or RESULTS_DIR / f"fidelity_{backend}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(f"{header}\n\n{table}\n")
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
