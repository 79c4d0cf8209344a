"""Fidelity benchmark: train a preset on bundled images, then score its samples.

For each bundled image (or those given with `--images`) and each preset given with `--preset`
(default: `quick`, max size 64, 100 iterations per scale) this trains SinGAN under the current
Keras backend, runs `singan_keras.metrics.fidelity_report` on samples from the coarsest scale
(paper: N) and the next one (paper: N−1), and prints a markdown table of the training time, the
diversity, the patch SWD and the noise amplitude σ_n of every scale (coarsest first; σ of the
coarsest is 1 by definition, so it starts at the next scale). `--max-size` and `--iters`
override every preset's values, so `--preset quick official --max-size 64 --iters 100`
compares the paper's behaviour (z* drawn once) with the official code's (z* redrawn, stale
fake image) at the same small settings. Everything is seeded (`--seed`: training, samples and
SWD), so two runs on the same backend and machine give the same numbers: compare backends, or
a code change against the table of the previous commit. SIFID is left out: it needs
InceptionV3 weights that are not bundled (use `singan evaluate RUN_DIR --weights ...` for it).

The table is also written to `benchmarks/results/fidelity_<backend>.md` (or `--out`).

Usage (the full benchmark; several minutes per image on a CPU):

    KERAS_BACKEND=torch python benchmarks/fidelity.py

A quick check on one image: `--images rocket --iters 20 --samples 8`. The preset comparison
of `benchmarks/results/fidelity_presets_cpu.md`:

    KERAS_BACKEND=torch python benchmarks/fidelity.py --images rocket chelsea \
        --preset quick official --max-size 64 --iters 100 --samples 50
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
    "preset",
    "backend",
    "scales",
    "train s",
    "diversity N",
    "diversity N−1",
    "SWD N",
    "SWD N−1",
    "σ_n per scale (N−1 … 0)",
)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    from singan_keras.config import PRESETS  # no Keras import: `--help` stays fast
    from singan_keras.data import list_images

    names = list_images()
    parser = argparse.ArgumentParser(
        description="Train presets on bundled images under the current KERAS_BACKEND and print "
        "a markdown table of diversity, patch SWD (paper's N and N−1) and σ_n per scale.",
        epilog="example: KERAS_BACKEND=torch python benchmarks/fidelity.py --images rocket "
        "--preset quick official --max-size 64 --iters 20 --samples 8",
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
        "--preset",
        nargs="+",
        choices=sorted(PRESETS),
        default=["quick"],
        metavar="NAME",
        help=f"presets to train, one row each ({', '.join(sorted(PRESETS))}; default: quick).",
    )
    parser.add_argument(
        "--max-size",
        type=int,
        default=None,
        metavar="PX",
        help="longer side of the finest scale, for every preset (default: each preset's own).",
    )
    parser.add_argument(
        "--iters",
        type=int,
        default=None,
        metavar="N",
        help="training iterations per scale, for every preset (default: each preset's own).",
    )
    parser.add_argument(
        "--samples",
        "--num",
        dest="num",
        type=int,
        default=50,
        metavar="N",
        help="samples per start scale (default: 50; --num is the older name).",
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
    if args.max_size is not None and args.max_size < 25:
        parser.error(f"--max-size must be >= 25 (the presets' min_size), got {args.max_size}")
    if args.iters is not None and args.iters < 1:
        parser.error(f"--iters must be >= 1, got {args.iters}")
    if args.num < 2:
        parser.error(f"--samples must be >= 2 (diversity needs two samples), got {args.num}")
    if args.seed < 0:
        parser.error(f"--seed must be >= 0, got {args.seed}")
    return args


def _row(image: str, preset_name: str, model, seconds: float, report: dict) -> list[str]:
    by_scale = {result["start_scale"]: result for result in report["results"]}

    def value(start_scale: int, key: str) -> str:
        result = by_scale.get(start_scale)  # a one-scale model has no N−1
        return "-" if result is None else f"{result[key]:.4f}"

    # σ of the coarsest scale is 1 by definition (z* has unit variance): the rest are learnt.
    sigmas = " ".join(f"{sigma:.3f}" for sigma in model.noise_amplitudes[1:]) or "-"
    return [
        image,
        preset_name,
        report["backend"],
        str(model.num_scales),
        f"{seconds:.1f}",
        value(0, "diversity"),
        value(1, "diversity"),
        value(0, "swd"),
        value(1, "swd"),
        sigmas,
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
    if args.max_size is not None:
        overrides["max_size"] = args.max_size
    configs = {name: preset(name, **overrides) for name in args.preset}

    rows = []
    for image in args.images:
        for name, config in configs.items():
            print(
                f"[{backend}] training {image} with {name} (max size {config.max_size}, "
                f"{config.iterations} iterations per scale)...",
                flush=True,
            )
            start = time.perf_counter()
            run_dir = None
            if args.runs_dir is not None:
                run_dir = args.runs_dir / f"{image}_{name}_{backend}"
            model = SinGAN.train(image, config, run_dir=run_dir, verbose=0)
            seconds = time.perf_counter() - start
            report = fidelity_report(model, num_samples=args.num, seed=args.seed)
            rows.append(_row(image, name, model, seconds, report))
            print(_markdown_table(rows[-1:]).splitlines()[-1], flush=True)

    given = sys.argv[1:] if argv is None else argv
    command = f"KERAS_BACKEND={backend} " + shlex.join(["python", "benchmarks/fidelity.py", *given])
    settings = "; ".join(
        f"`{name}`: max size {config.max_size}, {config.iterations} iterations per scale"
        for name, config in configs.items()
    )
    header = (
        f"Fidelity of the presets ({settings}), {args.num} samples per start scale, seed "
        f"{args.seed}; Keras {keras.__version__}, backend {backend}, Python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs. Diversity and SWD as in "
        "docs/metrics.md; N = generated from the coarsest scale, N−1 = from the next one; σ_n "
        "from the scale after the coarsest (σ = 1 there) to the finest.\n\nCommand: "
        f"`{command}`"
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
