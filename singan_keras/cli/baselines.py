"""`singan gpnn`: random samples of an image without training (GPNN, Granot et al. 2022).

The baseline SinGAN is compared against: the same pyramid, each scale's generator replaced
by a patch nearest-neighbour step (`singan_keras.baselines.gpnn`). Keras and the backend are
imported inside `run_gpnn`, once the flags and the image have been checked.

Example:
    $ singan gpnn coffee --num 4 --out samples/gpnn --width-scale 1.5 --seed 0
"""

from __future__ import annotations

import argparse

from singan_keras.cli.arguments import (
    add_command,
    add_seed,
    checked_out_dir,
    positive_int,
    positive_number,
    seed_or_random,
    size,
)
from singan_keras.cli.reporting import naming_the_file
from singan_keras.errors import InputError

__all__ = ["register", "run_gpnn"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds `gpnn`."""
    parser = add_command(
        subparsers,
        "gpnn",
        run_gpnn,
        help="random samples of one image without training (GPNN patch nearest neighbours).",
        description=(
            "Generates N random images from IMAGE with GPNN ('Drop the GAN', Granot et al., "
            "CVPR 2022): SinGAN's pyramid with each generator replaced by a patch "
            "nearest-neighbour step, so no training; writes DIR/sample_000.png, ... The Keras "
            "backend is chosen with KERAS_BACKEND=tensorflow|jax|torch."
        ),
    )
    parser.add_argument(
        "image",
        metavar="IMAGE",
        help="image file (PNG, JPEG, ...) or the name of a bundled image (singan list-images).",
    )
    parser.add_argument(
        "--num", type=positive_int, required=True, metavar="N", help="number of samples, >= 1."
    )
    parser.add_argument(
        "--out", required=True, metavar="DIR", help="folder to write the PNGs into (created)."
    )
    parser.add_argument(
        "--height-scale",
        type=positive_number,
        default=1.0,
        metavar="A",
        help="output height as a multiple of the image's, > 0. Default: %(default)s.",
    )
    parser.add_argument(
        "--width-scale",
        type=positive_number,
        default=1.0,
        metavar="B",
        help="output width as a multiple of the image's, > 0. Default: %(default)s.",
    )
    add_seed(
        parser,
        "seed of the coarsest-scale noise (default: a random seed, printed so it can be repeated).",
    )
    parser.add_argument(
        "--search",
        choices=("fast", "exact"),
        default="fast",
        help="nearest-neighbour search: 'fast' (PCA candidates re-ranked exactly, fewer "
        "iterations at the finest scales: seconds) or 'exact' (the paper's brute force: "
        "minutes on a CPU). Default: %(default)s.",
    )
    parser.add_argument(
        "--max-size",
        type=size,
        default=250,
        metavar="N",
        help="longer side of the finest scale; larger images are downscaled first "
        "(default: %(default)s, as SinGAN's paper preset).",
    )
    parser.add_argument(
        "--min-size",
        type=size,
        default=25,
        metavar="N",
        help="shorter side of the coarsest scale, >= 11 (default: %(default)s, as SinGAN's "
        "paper preset).",
    )
    parser.add_argument(
        "--grid", action="store_true", help="also write all samples as one DIR/grid.png."
    )


def run_gpnn(args: argparse.Namespace) -> int:
    """Runs `singan gpnn`; returns the exit code."""
    from singan_keras.baselines.gpnn import GPNNConfig
    from singan_keras.cli.training import image_schedule, sample_file_name

    if args.min_size > args.max_size:
        raise InputError(f"--min-size ({args.min_size}) must be <= --max-size ({args.max_size}).")
    config = GPNNConfig(search=args.search, max_size=args.max_size, min_size=args.min_size)
    out = checked_out_dir(args.out)
    image_schedule(args.image, config)  # one-line errors naming IMAGE, before any work

    from singan_keras import save_grid, save_image
    from singan_keras.baselines import gpnn_sample
    from singan_keras.data import resolve_image

    seed = seed_or_random(args.seed)
    samples = gpnn_sample(
        resolve_image(args.image),
        args.num,
        height_scale=args.height_scale,
        width_scale=args.width_scale,
        seed=seed,
        config=config,
    )
    for i, sample in enumerate(samples):
        with naming_the_file(out / sample_file_name(i)):
            save_image(sample, out / sample_file_name(i))
    if args.grid:
        with naming_the_file(out / "grid.png"):
            save_grid(samples, out / "grid.png")
    height, width = samples.shape[1:3]
    print(f"{args.num} GPNN samples of {height}x{width} (seed {seed}) in {out}")
    return 0
