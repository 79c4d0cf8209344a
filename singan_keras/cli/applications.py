"""The application sub-commands: super-resolve, paint, edit, harmonize, animate (paper §4).

Every input is read and checked before any output file is written; the `run_*` functions
import Keras and the application modules only when they run.

Example:
    $ singan train rocket --preset quick --out runs/rocket
    $ singan paint runs/rocket rocket_paint.png --start-scale 2 --out painted.png
    $ singan animate runs/rocket --out rocket.gif --frames 60 --start-scale 1
    $ singan super-resolve coffee --factor 4 --preset quick --out coffee_x4.png
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from singan_keras.cli.arguments import (
    add_command,
    add_run_dir,
    add_seed,
    at_least,
    checked_out_dir,
    checked_out_file,
    non_negative_int,
    number_in,
    positive_int,
    seed_or_random,
)
from singan_keras.cli.reporting import cli_wording, naming_the_file
from singan_keras.cli.resources import (
    add_memory_flag,
    check_fits,
    finest_trained_scale,
    generation_bytes,
)
from singan_keras.errors import InputError

__all__ = [
    "register",
    "run_animate",
    "run_edit",
    "run_harmonize",
    "run_paint",
    "run_super_resolve",
]

_COARSEST_NOTE = "scale 0 is the coarsest; `singan schedule` or the run's manifest lists them"
_SEED_HELP = (
    "noise seed, >= 0; the same seed gives the same output under every backend "
    "(default: a random seed, printed so it can be repeated)."
)

_factor = number_in(1.0, math.inf, "a number > 1")
_fps = number_in(0.0, 100.0, "in (0, 100]", closed=(False, True))
_alpha = number_in(0.0, 1.0, "in [0, 1]", closed=(True, True))
_beta = number_in(0.0, 1.0, "in [0, 1)", closed=(True, False))
_sigma = number_in(0.0, math.inf, ">= 0", closed=(True, False))


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds `super-resolve`, `paint`, `edit`, `harmonize` and `animate`."""
    _register_super_resolve(subparsers)
    _register_paint(subparsers)
    _register_blend(subparsers)
    _register_animate(subparsers)


# -- shared pieces -----------------------------------------------------------------------------


def _add_out(parser: argparse.ArgumentParser, what: str = "PNG file to write") -> None:
    parser.add_argument("--out", required=True, metavar="FILE", help=f"{what}.")


def _add_start_scale(parser: argparse.ArgumentParser, minimum: int, default=None) -> None:
    allowed = "1 to (number of scales - 1)" if minimum else "0 to (number of scales - 1)"
    extra = "" if default is None else " Default: %(default)s."
    parser.add_argument(
        "--start-scale",
        dest="start_scale",
        type=at_least(minimum),
        required=default is None,
        default=default,
        metavar="N",
        help=f"scale to start at, {allowed} ({_COARSEST_NOTE}); coarser scales change more.{extra}",
    )


def _load_model(run_dir: str):
    from singan_keras import SinGAN

    model = SinGAN.load(run_dir)
    if not model.generators:
        raise InputError(f"{run_dir} has no finished scale yet.")
    return model


def _save(image, out: Path, seed: int) -> int:
    from singan_keras.image_io import save_image

    with naming_the_file(out):
        save_image(image, out)
    print(f"wrote {out} ({image.shape[0]}x{image.shape[1]}, seed {seed})")
    return 0


def _print_warnings(caught) -> None:
    for warning in caught:
        print(f"note: {cli_wording(str(warning.message))}")


# -- super-resolve -----------------------------------------------------------------------------


def _register_super_resolve(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(
        subparsers,
        "super-resolve",
        run_super_resolve,
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
    add_seed(parser, _SEED_HELP)
    add_memory_flag(parser)
    training = parser.add_argument_group("training (only when SOURCE is an image)")
    training.add_argument(
        "--preset", choices=("paper", "quick", "official"), default="paper",
        help="preset the SR mode starts from. Default: %(default)s.",
    )  # fmt: skip
    training.add_argument(
        "--iters", type=positive_int, metavar="N",
        help="training iterations per scale (default: the preset's).",
    )  # fmt: skip
    training.add_argument(
        "--run-dir", metavar="DIR", help="also save the trained SR model here (a new directory)."
    )


def _super_resolution_source(args: argparse.Namespace) -> tuple[int, int, int]:
    """(height, width, channels) of the finest scale that will be super-resolved."""
    if Path(args.source).is_dir():
        finest = finest_trained_scale(args.source)
        return finest if finest is not None else (0, 0, 0)  # loading it will say what is wrong
    from singan_keras.config import PRESETS
    from singan_keras.data import resolve_image
    from singan_keras.image_io import image_size

    height, width = image_size(resolve_image(args.source))
    config = PRESETS[args.preset]
    shrink = min(1.0, config.max_size / max(height, width))
    return round(height * shrink), round(width * shrink), config.base_channels


def run_super_resolve(args: argparse.Namespace) -> int:
    """Runs `singan super-resolve`; returns the exit code."""
    import warnings

    out = checked_out_file(args.out, (".png",))
    source = Path(args.source)
    if source.is_dir() and (args.iters is not None or args.run_dir is not None):
        raise InputError("--iters and --run-dir only apply when SOURCE is an image.")
    if args.run_dir is not None:
        run_dir = checked_out_dir(args.run_dir)
        if (run_dir / "manifest.json").exists():
            raise InputError(
                f"--run-dir {args.run_dir} already holds a training run; choose a new directory."
            )
    height, width, channels = _super_resolution_source(args)
    size = (round(height * args.factor), round(width * args.factor))
    check_fits(
        f"--factor {args.factor:g} asks for a {size[0]}x{size[1]} image",
        generation_bytes(*size, channels, images=1),
        "use a smaller --factor",
        args.skip_memory_check,
    )
    if source.is_dir():
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

    seed = seed_or_random(args.seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        image = super_resolve(model, args.factor, seed=seed)
    _print_warnings(caught)
    return _save(image, out, seed)


# -- paint -------------------------------------------------------------------------------------


def _register_paint(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(
        subparsers,
        "paint",
        run_paint,
        help="turn a paint/clipart into a realistic image (paper Fig. 11).",
        description="Downscales PAINT to scale N-1, upsamples it to scale N, and generates "
        "the finer scales with the run's generators, so the output has the paint's layout and "
        "the training image's textures.",
    )
    add_run_dir(parser)
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
    add_seed(parser, _SEED_HELP)


def run_paint(args: argparse.Namespace) -> int:
    """Runs `singan paint`; returns the exit code."""
    out = checked_out_file(args.out, (".png",))
    from singan_keras.applications.paint import paint_to_image

    model = _load_model(args.run_dir)
    seed = seed_or_random(args.seed)
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
    add_seed(parser, _SEED_HELP)
    parser.add_argument(
        "--dilation", type=non_negative_int, metavar="PX",
        help=f"mask dilation radius in pixels (default: the official {radius} px scaled by "
        "the finest scale's longer side / 250).",
    )  # fmt: skip
    parser.add_argument(
        "--blur", type=_sigma, metavar="SIGMA",
        help="Gaussian blur of the dilated mask in pixels (default: the official 5 px scaled "
        "likewise).",
    )  # fmt: skip


def _register_blend(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(
        subparsers,
        "edit",
        run_edit,
        help="make an edited copy of the training image look natural (paper Fig. 12).",
        description="Injects EDITED at scale N, generates the finer scales, and blends the "
        "result into EDITED inside the (dilated, blurred) MASK; outside it EDITED is kept "
        "exactly.",
    )
    add_run_dir(parser)
    parser.add_argument(
        "edited", metavar="EDITED", help="the edited image file, the size of the training image."
    )
    _add_blend_flags(parser, radius=20)

    parser = add_command(
        subparsers,
        "harmonize",
        run_harmonize,
        help="blend a pasted object into the training image's style (paper Fig. 13).",
        description="For a run trained on a background: injects COMPOSITE (the background with "
        "a naively pasted object) at scale N, generates the finer scales, and blends the "
        "result into COMPOSITE inside the (dilated, blurred) MASK of the object.",
    )
    add_run_dir(parser)
    parser.add_argument(
        "composite", metavar="COMPOSITE",
        help="the composite image file, the size of the training image.",
    )  # fmt: skip
    _add_blend_flags(parser, radius=7)


def _run_blended(args: argparse.Namespace, function, image: str) -> int:
    out = checked_out_file(args.out, (".png",))
    model = _load_model(args.run_dir)
    seed = seed_or_random(args.seed)
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


def _register_animate(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(
        subparsers,
        "animate",
        run_animate,
        help="animate the training image with a random walk in noise space (paper Fig. 1).",
        description="Writes an animated GIF whose frames follow a random walk of the noise "
        "maps from --start-scale on, anchored to the reconstruction noise (official "
        "generate_gif). When imageio-ffmpeg is installed an MP4 with the same name is "
        "written too.",
    )
    add_run_dir(parser)
    _add_out(parser, "GIF file to write (FILE.gif; FILE.mp4 too when imageio-ffmpeg is there)")
    parser.add_argument(
        "--frames", type=positive_int, default=100, metavar="N",
        help="number of frames, >= 1. Default: %(default)s.",
    )  # fmt: skip
    parser.add_argument(
        "--fps", type=_fps, default=10.0, metavar="F",
        help="frames per second, in (0, 100]. Default: %(default)s.",
    )  # fmt: skip
    _add_start_scale(parser, minimum=0, default=1)
    add_memory_flag(parser)
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
    add_seed(parser, _SEED_HELP)


def run_animate(args: argparse.Namespace) -> int:
    """Runs `singan animate`; returns the exit code."""
    import warnings

    out = checked_out_file(args.out, (".gif",))
    finest = finest_trained_scale(args.run_dir)
    if finest is not None:
        height, width, channels = finest
        check_fits(
            f"--frames {args.frames} asks for {args.frames} frames of {height}x{width}",
            generation_bytes(height, width, channels, images=args.frames),
            "use fewer --frames",
            args.skip_memory_check,
        )
    from singan_keras.applications.animation import animate, mp4_writer_available, save_animation

    model = _load_model(args.run_dir)
    seed = seed_or_random(args.seed)
    frames = animate(
        model, frames=args.frames, start_scale=args.start_scale, alpha=args.alpha,
        beta=args.beta, seed=seed,
    )  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        with naming_the_file(out):
            save_animation(frames, out, fps=args.fps)
    _print_warnings(caught)
    height, width = frames.shape[1:3]
    print(f"wrote {out} ({args.frames} frames of {height}x{width}, {args.fps:g} fps, seed {seed})")
    if mp4_writer_available():
        with naming_the_file(out.with_suffix(".mp4")):
            mp4 = save_animation(frames, out.with_suffix(".mp4"), fps=args.fps)
        print(f"wrote {mp4}")
    else:
        print("note: no MP4 written (pip install imageio-ffmpeg to get one)")
    return 0
