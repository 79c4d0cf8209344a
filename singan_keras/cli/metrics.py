"""The metric sub-commands: `singan sifid` (image files) and `singan evaluate` (a run directory).

`singan_keras.metrics` imports Keras, so it is imported inside `run_sifid` / `run_evaluate`
only; the two names the parsers need from it are repeated here (a test checks they agree).

Example:
    singan sifid real.png fake_0.png fake_1.png --weights inception_v3_google-0cc3c7bd.pth \
        --json sifid.json
    singan evaluate runs/coffee --num 50 --weights inception_v3_google-0cc3c7bd.pth
"""

from __future__ import annotations

import argparse
import json
import pathlib
import shlex
import sys

from singan_keras.cli.arguments import (
    START_INPUTS,
    add_command,
    add_run_dir,
    add_seed,
    at_least,
    checked_out_file,
    non_negative_int,
)
from singan_keras.cli.reporting import cli_wording
from singan_keras.errors import InputError

__all__ = [
    "SIFID_LAYER_NAMES",
    "TORCHVISION_INCEPTION_URL",
    "register",
    "run_evaluate",
    "run_sifid",
]

# = sorted(singan_keras.metrics.SIFID_LAYERS) and singan_keras.metrics.TORCHVISION_INCEPTION_URL
SIFID_LAYER_NAMES = ("first_pool", "second_pool")
TORCHVISION_INCEPTION_URL = "https://download.pytorch.org/models/inception_v3_google-0cc3c7bd.pth"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds `sifid` and `evaluate`.

    Example:
        >>> parser = argparse.ArgumentParser(prog="singan")
        >>> register(parser.add_subparsers(dest="command"))
        >>> parser.parse_args(["evaluate", "runs/coffee", "--start-scale", "0", "2"]).start_scales
        [0, 2]
    """
    _register_sifid(subparsers)
    _register_evaluate(subparsers)


# -- singan sifid ------------------------------------------------------------------------------


def _register_sifid(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(
        subparsers,
        "sifid",
        run_sifid,
        help="Single Image FID of generated images against the real image.",
        description=(
            "SIFID (SinGAN paper, Table 2) of each FAKE image against REAL, as the official "
            "SIFID script computes it (InceptionV3 stem features, one sample per position). "
            "Prints one value per fake and the mean."
        ),
    )
    parser.add_argument("real", metavar="REAL", help="The real (training) image file.")
    parser.add_argument(
        "fakes", metavar="FAKE", nargs="+", help="Generated image files, each compared with REAL."
    )
    parser.add_argument(
        "--weights",
        default="imagenet",
        metavar="PATH|imagenet",
        help=(
            "InceptionV3 stem weights: torchvision's inception_v3_google-0cc3c7bd.pth (what the "
            f"official SIFID uses; download {TORCHVISION_INCEPTION_URL}; needs torch), a "
            "'.weights.h5' of the SIFID stem, or 'imagenet' for Keras' InceptionV3 weights "
            "(downloaded once into the Keras cache). Default: %(default)s."
        ),
    )
    parser.add_argument(
        "--layer",
        default="first_pool",
        choices=SIFID_LAYER_NAMES,
        help=(
            "Feature layer: 'first_pool' = before the first max-pool, 64 channels (official "
            "code); 'second_pool' = before the second max-pool, 192 channels (paper text). "
            "Default: %(default)s."
        ),
    )
    parser.add_argument(
        "--json",
        metavar="FILE",
        default=None,
        help="Also write the per-image values and the mean to this JSON file.",
    )


def run_sifid(args: argparse.Namespace) -> int:
    """Runs `singan sifid` on parsed arguments; returns the exit code (0).

    Raises:
        FileNotFoundError: a missing image or weights file (the message says how to get the
            weights).
        InputError: an unreadable image or weights that do not fit.
    """
    json_path = None if args.json is None else checked_out_file(args.json, (), "--json")
    from singan_keras.image_io import load_image
    from singan_keras.metrics.sifid import load_sifid_stem, sifid

    real = load_image(args.real)
    fakes = [load_image(path) for path in args.fakes]  # sizes may differ: kept as a list
    stem = load_sifid_stem(args.weights, args.layer)
    result = sifid(real, fakes, weights=stem)

    width = max(len(str(path)) for path in args.fakes)
    for path, value in zip(args.fakes, result.per_image, strict=True):
        print(f"{str(path):<{width}}  {value:.6f}")
    print(f"{'mean':<{width}}  {result.mean:.6f}")

    if args.json is not None:
        report = {
            "metric": "sifid",
            "real": str(args.real),
            "weights": str(args.weights),
            "layer": args.layer,
            "per_image": [
                {"fake": str(path), "sifid": value}
                for path, value in zip(args.fakes, result.per_image, strict=True)
            ],
            "mean": result.mean,
        }
        json_path.write_text(json.dumps(report, indent=2) + "\n")
    return 0


# -- singan evaluate ---------------------------------------------------------------------------


def _register_evaluate(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(
        subparsers,
        "evaluate",
        run_evaluate,
        help="diversity, patch SWD and SIFID of samples from a trained run directory.",
        description=(
            "Generates --num seeded samples from each start scale of a run directory written by "
            "`singan train` and prints their diversity (paper §3), patch SWD (weight-free) and, "
            "with --weights, SIFID (paper Table 2). Start scales count from the coarsest: 0 is "
            "the paper's N (full generation), 1 the paper's N-1. Writes everything as JSON."
        ),
    )
    add_run_dir(parser)
    parser.add_argument(
        "--num",
        type=at_least(2),
        default=50,
        metavar="N",
        help="samples per start scale, >= 2 (paper: 100 for diversity, 50 for SIFID). "
        "Default: %(default)s.",
    )
    parser.add_argument(
        "--start-scale",
        dest="start_scales",
        type=non_negative_int,
        nargs="+",
        default=None,
        metavar="K",
        help="start scales to evaluate, counted from the coarsest (0 = paper's N, 1 = paper's "
        "N-1). Default: 0 1.",
    )
    add_seed(
        parser,
        "seed of the samples and of the SWD's random patches. Default: %(default)s.",
        default=0,
    )
    parser.add_argument(
        "--start-input",
        choices=START_INPUTS,
        default="reconstruction",
        help="what feeds a start scale > 0: the reconstruction from z* (official code) or the "
        "downscaled real image (paper). Default: %(default)s.",
    )
    parser.add_argument(
        "--weights",
        default=None,
        metavar="PATH|imagenet",
        help="InceptionV3 stem weights for SIFID (as for `singan sifid`: torchvision's "
        f"inception_v3_google-0cc3c7bd.pth from {TORCHVISION_INCEPTION_URL}, a SIFID stem "
        "'.weights.h5', or 'imagenet'). Default: none, SIFID is skipped.",
    )
    parser.add_argument(
        "--json",
        metavar="FILE",
        default=None,
        help="where to write the report (default: RUN_DIR/fidelity.json).",
    )


def _format(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def run_evaluate(args: argparse.Namespace) -> int:
    """Runs `singan evaluate` on parsed arguments; returns the exit code (0).

    Prints one row per start scale and writes the `fidelity_report` dict (plus `run_dir`) as
    JSON to `--json` or RUN_DIR/fidelity.json.

    Raises:
        FileNotFoundError: RUN_DIR or the weights file does not exist.
        InputError: RUN_DIR is not a run (`RunDirectoryError`), or a start scale is outside
            the model.
    """
    from singan_keras.metrics.report import fidelity_report
    from singan_keras.singan import SinGAN

    run_dir = pathlib.Path(args.run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"run directory not found: {run_dir}")
    given = args.json if args.json is not None else str(run_dir / "fidelity.json")
    path = checked_out_file(given, (), "--json")
    model = SinGAN.load(run_dir)
    if not model.generators:
        raise InputError(f"{run_dir} has no finished scale yet; nothing to evaluate.")
    if not model.is_complete:
        source = model.metadata.get("source", "array")
        source = "IMAGE" if source == "array" else shlex.quote(source)  # array: no file to name
        print(
            f"note: {run_dir} is an unfinished run ({model.num_scales} of "
            f"{model.schedule.num_scales} scales), evaluated at its finest trained scale; "
            f"finish it with: singan train {source} --out {shlex.quote(str(run_dir))} --resume "
            "(and the flags it was started with)",
            file=sys.stderr,
        )
    report = fidelity_report(
        model,
        num_samples=args.num,
        start_scales=args.start_scales,
        seed=args.seed,
        sifid_weights=args.weights,
        start_input=args.start_input,
    )
    report = {"run_dir": str(run_dir), **report}

    height, width = report["image_size"]
    print(
        f"{run_dir}: {report['num_scales']} scales, {height}x{width}, {report['num_samples']} "
        f"samples per start scale (seed {report['seed']}, {report['backend']})"
    )
    header = f"{'start scale':>11}  {'paper':>5}  {'diversity':>9}  {'SWD':>8}  {'SIFID':>8}"
    print(header)
    for row in report["results"]:
        print(
            f"{row['start_scale']:>11}  {row['paper_scale']:>5}  {_format(row['diversity']):>9}"
            f"  {_format(row['swd']):>8}  {_format(row['sifid']):>8}"
        )
    if report["sifid_note"]:
        print(f"note: {cli_wording(report['sifid_note'])}")

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"report: {path}")
    return 0
