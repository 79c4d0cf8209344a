"""Sub-commands of `singan` for the applications: super-resolve, paint, edit, harmonize, animate.

`singan_keras/cli.py` owns the `singan` parser; for each command NAME it calls
``add_NAME_parser(subparsers)`` (which sets ``func=run_NAME``). This module imports neither
Keras nor a backend at import time, so registering the commands keeps ``singan --help``
fast; the `run_*` functions import what they need.

User errors raise `ValueError` / `OSError` with one line naming the flag; the main CLI prints
``singan: error: ...`` and exits with code 2. Every input is read and checked before any
output file is written.

Example:
    $ singan train rocket --preset quick --out runs/rocket
    $ singan paint runs/rocket rocket_paint.png --start-scale 2 --out painted.png
    $ singan animate runs/rocket --out rocket.gif --frames 60 --start-scale 1
    $ singan super-resolve coffee --factor 4 --preset quick --out coffee_x4.png
"""

from __future__ import annotations

import argparse
import math
import secrets
from pathlib import Path

__all__ = [
    "add_animate_parser",
    "add_edit_parser",
    "add_harmonize_parser",
    "add_paint_parser",
    "add_super_resolve_parser",
    "run_animate",
    "run_edit",
    "run_harmonize",
    "run_paint",
    "run_super_resolve",
]

_COARSEST_NOTE = "scale 0 is the coarsest; `singan schedule` or the run's manifest lists them"


# -- argparse value types ----------------------------------------------------------------------


def _integer_at_least(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    return parse


def _number_in(low: float, high: float, low_open: bool, high_open: bool, what: str):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        too_low = value <= low if low_open else value < low
        too_high = value >= high if high_open else value > high
        if not math.isfinite(value) or too_low or too_high:
            raise argparse.ArgumentTypeError(f"must be {what}, got {text}")
        return value

    return parse


_seed = _integer_at_least(0)
_factor = _number_in(1.0, math.inf, True, True, "a number > 1")
_fps = _number_in(0.0, 100.0, True, False, "in (0, 100]")
_alpha = _number_in(0.0, 1.0, False, False, "in [0, 1]")
_beta = _number_in(0.0, 1.0, False, True, "in [0, 1)")


# -- shared pieces -----------------------------------------------------------------------------


def _add_seed(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--seed",
        type=_seed,
        metavar="S",
        help="noise seed, >= 0; the same seed gives the same output under every backend "
        "(default: a random seed, printed so it can be repeated).",
    )


def _add_out(parser: argparse.ArgumentParser, what: str = "PNG file to write") -> None:
    parser.add_argument("--out", required=True, metavar="FILE", help=f"{what}.")


def _add_run_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run directory from singan train.")


def _add_start_scale(parser: argparse.ArgumentParser, minimum: int, default=None) -> None:
    allowed = "1 to (number of scales - 1)" if minimum else "0 to (number of scales - 1)"
    extra = "" if default is None else " Default: %(default)s."
    parser.add_argument(
        "--start-scale",
        dest="start_scale",
        type=_integer_at_least(minimum),
        required=default is None,
        default=default,
        metavar="N",
        help=f"scale to start at, {allowed} ({_COARSEST_NOTE}); coarser scales change more.{extra}",
    )


def _check_out(out: str, suffixes: tuple[str, ...]) -> Path:
    path = Path(out)
    if path.is_dir():
        raise IsADirectoryError(f"--out {out} is a directory; give a file name.")
    if path.suffix.lower() not in suffixes:
        raise ValueError(f"--out must end in {' or '.join(suffixes)}, got {out!r}.")
    return path


def _seed_of(args: argparse.Namespace) -> int:
    return args.seed if args.seed is not None else secrets.randbelow(2**31)


def _load_model(run_dir: str):
    from singan_keras import SinGAN

    model = SinGAN.load(run_dir)
    if not model.generators:
        raise ValueError(f"{run_dir} has no finished scale yet.")
    return model


def _save(image, out: Path, seed: int) -> int:
    from singan_keras.image_io import save_image

    save_image(image, out)
    print(f"wrote {out} ({image.shape[0]}x{image.shape[1]}, seed {seed})")
    return 0


# -- super-resolve -----------------------------------------------------------------------------


def add_super_resolve_parser(subparsers) -> argparse.ArgumentParser:
    """Adds `singan super-resolve SOURCE --factor F --out FILE`."""
    parser = subparsers.add_parser(
        "super-resolve",
        help="super-resolve an image with a SinGAN trained on it (paper Fig. 10).",
        description="Upsamples the training image by --factor: k steps of r = factor^(1/k) "
        "(k = round(3 log2 factor)), each followed by the finest generator. SOURCE is a run "
        "directory trained in the SR mode, or an image (file or bundled name): then a model "
        "is first trained on it in the SR mode (alpha = 100, min size 18, pyramid factor "
        "1/r), which takes long with --preset paper.",
    )
    parser.add_argument(
        "source", metavar="RUN_DIR|IMAGE", help="SR-mode run directory, or an image to train on."
    )
    parser.add_argument(
        "--factor", type=_factor, default=4.0, metavar="F",
        help="upsampling factor, > 1, integer or not. Default: %(default)s.",
    )  # fmt: skip
    _add_out(parser, "PNG file to write (round(height x F) x round(width x F))")
    _add_seed(parser)
    training = parser.add_argument_group("training (only when SOURCE is an image)")
    training.add_argument(
        "--preset", choices=("paper", "quick", "official"), default="paper",
        help="preset the SR mode starts from. Default: %(default)s.",
    )  # fmt: skip
    training.add_argument(
        "--iters", type=_integer_at_least(1), metavar="N",
        help="training iterations per scale (default: the preset's).",
    )  # fmt: skip
    training.add_argument(
        "--run-dir", metavar="DIR", help="also save the trained SR model here (a new directory)."
    )
    parser.set_defaults(func=run_super_resolve)
    return parser


def run_super_resolve(args: argparse.Namespace) -> int:
    """Runs `singan super-resolve`; returns the exit code."""
    import warnings

    out = _check_out(args.out, (".png",))
    source = Path(args.source)
    if source.is_dir():
        if args.iters is not None or args.run_dir is not None:
            raise ValueError("--iters and --run-dir only apply when SOURCE is an image.")
        model = _load_model(args.source)
    else:
        from singan_keras import SinGAN
        from singan_keras.applications.super_resolution import super_resolution_config
        from singan_keras.data import resolve_image
        from singan_keras.image_io import load_image

        image = load_image(resolve_image(args.source))  # fails before any training
        overrides = {} if args.iters is None else {"iterations": args.iters}
        config = super_resolution_config(args.factor, args.preset, **overrides)
        model = SinGAN.train(image, config, args.run_dir, verbose=1)
    from singan_keras.applications.super_resolution import super_resolve

    seed = _seed_of(args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        image = super_resolve(model, args.factor, seed=seed)
    for warning in caught:
        print(f"note: {warning.message}")
    return _save(image, out, seed)


# -- paint -------------------------------------------------------------------------------------


def add_paint_parser(subparsers) -> argparse.ArgumentParser:
    """Adds `singan paint RUN_DIR PAINT --start-scale N --out FILE [--quantize]`."""
    parser = subparsers.add_parser(
        "paint",
        help="turn a paint/clipart into a realistic image (paper Fig. 11).",
        description="Downscales PAINT to scale N-1, upsamples it to scale N, and generates "
        "the finer scales with the run's generators, so the output has the paint's layout and "
        "the training image's textures.",
    )
    _add_run_dir(parser)
    parser.add_argument(
        "paint", metavar="PAINT", help="paint image file, the size of the training image."
    )
    _add_start_scale(parser, minimum=1)
    _add_out(parser)
    parser.add_argument(
        "--quantize", action="store_true",
        help="first snap the paint's colours to 5 k-means colours of the training image at "
        "scale N (official option).",
    )  # fmt: skip
    _add_seed(parser)
    parser.set_defaults(func=run_paint)
    return parser


def run_paint(args: argparse.Namespace) -> int:
    """Runs `singan paint`; returns the exit code."""
    out = _check_out(args.out, (".png",))
    from singan_keras.applications.paint import paint_to_image

    model = _load_model(args.run_dir)
    seed = _seed_of(args)
    image = paint_to_image(model, args.paint, args.start_scale, quantize=args.quantize, seed=seed)
    return _save(image, out, seed)


# -- edit and harmonize ------------------------------------------------------------------------


def _add_blend_flags(parser: argparse.ArgumentParser, radius: int) -> None:
    parser.add_argument(
        "--mask", required=True, metavar="MASK",
        help="black-and-white image of the same size, white where the image was changed.",
    )  # fmt: skip
    _add_start_scale(parser, minimum=1)
    _add_out(parser)
    _add_seed(parser)
    parser.add_argument(
        "--dilation", type=_integer_at_least(0), metavar="PX",
        help=f"mask dilation radius in pixels (default: the official {radius} px scaled by "
        "the finest scale's longer side / 250).",
    )  # fmt: skip
    parser.add_argument(
        "--blur", type=_number_in(0.0, math.inf, False, True, ">= 0"), metavar="SIGMA",
        help="Gaussian blur of the dilated mask in pixels (default: the official 5 px scaled "
        "likewise).",
    )  # fmt: skip


def add_edit_parser(subparsers) -> argparse.ArgumentParser:
    """Adds `singan edit RUN_DIR EDITED --mask MASK --start-scale N --out FILE`."""
    parser = subparsers.add_parser(
        "edit",
        help="make an edited copy of the training image look natural (paper Fig. 12).",
        description="Injects EDITED at scale N, generates the finer scales, and blends the "
        "result into EDITED inside the (dilated, blurred) MASK; outside it EDITED is kept "
        "exactly.",
    )
    _add_run_dir(parser)
    parser.add_argument(
        "edited", metavar="EDITED", help="the edited image file, the size of the training image."
    )
    _add_blend_flags(parser, radius=20)
    parser.set_defaults(func=run_edit)
    return parser


def add_harmonize_parser(subparsers) -> argparse.ArgumentParser:
    """Adds `singan harmonize RUN_DIR COMPOSITE --mask MASK --start-scale N --out FILE`."""
    parser = subparsers.add_parser(
        "harmonize",
        help="blend a pasted object into the training image's style (paper Fig. 13).",
        description="For a run trained on a background: injects COMPOSITE (the background with "
        "a naively pasted object) at scale N, generates the finer scales, and blends the "
        "result into COMPOSITE inside the (dilated, blurred) MASK of the object.",
    )
    _add_run_dir(parser)
    parser.add_argument(
        "composite", metavar="COMPOSITE",
        help="the composite image file, the size of the training image.",
    )  # fmt: skip
    _add_blend_flags(parser, radius=7)
    parser.set_defaults(func=run_harmonize)
    return parser


def _run_blended(args: argparse.Namespace, function, image: str) -> int:
    out = _check_out(args.out, (".png",))
    model = _load_model(args.run_dir)
    seed = _seed_of(args)
    result = function(
        model, image, args.mask, args.start_scale, seed=seed,
        dilation_radius=args.dilation, blur_sigma=args.blur,
    )  # fmt: skip
    return _save(result, out, seed)


def run_edit(args: argparse.Namespace) -> int:
    """Runs `singan edit`; returns the exit code."""
    from singan_keras.applications.editing import edit

    return _run_blended(args, edit, args.edited)


def run_harmonize(args: argparse.Namespace) -> int:
    """Runs `singan harmonize`; returns the exit code."""
    from singan_keras.applications.editing import harmonize

    return _run_blended(args, harmonize, args.composite)


# -- animate -----------------------------------------------------------------------------------


def add_animate_parser(subparsers) -> argparse.ArgumentParser:
    """Adds `singan animate RUN_DIR --out FILE.gif [--frames N] [--fps F] [--start-scale N]`."""
    parser = subparsers.add_parser(
        "animate",
        help="animate the training image with a random walk in noise space (paper Fig. 1).",
        description="Writes an animated GIF whose frames follow a random walk of the noise "
        "maps from --start-scale on, anchored to the reconstruction noise (official "
        "generate_gif). When imageio-ffmpeg is installed an MP4 with the same name is "
        "written too.",
    )
    _add_run_dir(parser)
    _add_out(parser, "GIF file to write (FILE.gif; FILE.mp4 too when imageio-ffmpeg is there)")
    parser.add_argument(
        "--frames", type=_integer_at_least(1), default=100, metavar="N",
        help="number of frames, >= 1. Default: %(default)s.",
    )  # fmt: skip
    parser.add_argument(
        "--fps", type=_fps, default=10.0, metavar="F",
        help="frames per second, in (0, 100]. Default: %(default)s.",
    )  # fmt: skip
    _add_start_scale(parser, minimum=0, default=1)
    parser.add_argument(
        "--alpha", type=_alpha, default=0.1, metavar="A",
        help="anchoring to the reconstruction noise, in [0, 1]; larger stays closer to the "
        "training image. Default: %(default)s.",
    )  # fmt: skip
    parser.add_argument(
        "--beta", type=_beta, default=0.9, metavar="B",
        help="momentum of the walk, in [0, 1); larger moves more smoothly (official "
        "0.80-0.95). Default: %(default)s.",
    )  # fmt: skip
    _add_seed(parser)
    parser.set_defaults(func=run_animate)
    return parser


def run_animate(args: argparse.Namespace) -> int:
    """Runs `singan animate`; returns the exit code."""
    import warnings

    out = _check_out(args.out, (".gif",))
    from singan_keras.applications.animation import animate, mp4_writer_available, save_animation

    model = _load_model(args.run_dir)
    seed = _seed_of(args)
    frames = animate(
        model, frames=args.frames, start_scale=args.start_scale, alpha=args.alpha,
        beta=args.beta, seed=seed,
    )  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        save_animation(frames, out, fps=args.fps)
    for warning in caught:
        print(f"note: {warning.message}")
    height, width = frames.shape[1:3]
    print(f"wrote {out} ({args.frames} frames of {height}x{width}, {args.fps:g} fps, seed {seed})")
    if mp4_writer_available():
        mp4 = save_animation(frames, out.with_suffix(".mp4"), fps=args.fps)
        print(f"wrote {mp4}")
    else:
        print("note: no MP4 written (pip install imageio-ffmpeg to get one)")
    return 0
