"""The `singan sifid` sub-command: SIFID of generated image files against a real one.

`singan_keras/cli.py` owns the `singan` parser and calls `add_sifid_parser(subparsers)` to add
the sub-command and `run_sifid(args)` to run it. User errors raise `ValueError` or
`FileNotFoundError` with a one-line message; the main CLI prints it and exits with code 2.

Example:
    singan sifid real.png fake_0.png fake_1.png --weights inception_v3_google-0cc3c7bd.pth \
        --json sifid.json
"""

from __future__ import annotations

import argparse
import json
import pathlib

from singan_keras.image_io import load_image
from singan_keras.metrics.sifid import (
    SIFID_LAYERS,
    TORCHVISION_INCEPTION_URL,
    load_sifid_stem,
    sifid,
)

__all__ = ["add_sifid_parser", "run_sifid"]


def add_sifid_parser(subparsers) -> None:
    """Adds the `sifid` sub-command to an `argparse` sub-parsers object.

    Example:
    >>> parser = argparse.ArgumentParser(prog="singan")
    >>> add_sifid_parser(parser.add_subparsers(dest="command"))
    """
    parser = subparsers.add_parser(
        "sifid",
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
        choices=sorted(SIFID_LAYERS),
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
        ValueError: an unreadable image or weights that do not fit.
    """
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
        pathlib.Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0
