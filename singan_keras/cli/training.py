"""`singan train` and `singan sample`: train a pyramid on one image, sample from a run.

Keras and the backend are imported inside `run_train` / `run_sample`, once the flags and the
image have been checked.

Example:
    $ singan train coffee --preset quick --out runs/coffee
    $ singan sample runs/coffee --num 8 --out samples/coffee --scale_h 2 --grid
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from singan_keras.cli.arguments import (
    START_INPUTS,
    add_command,
    add_pyramid_flags,
    add_run_dir,
    add_seed,
    checked_out_dir,
    non_negative_int,
    positive_int,
    positive_number,
    seed_or_random,
)
from singan_keras.cli.reporting import naming_the_file
from singan_keras.cli.resources import (
    add_memory_flag,
    check_fits,
    finest_trained_scale,
    generation_bytes,
    training_bytes,
)
from singan_keras.errors import InputError

__all__ = [
    "EXIT_INTERRUPTED",
    "given_config_flags",
    "image_schedule",
    "register",
    "run_sample",
    "run_train",
    "sample_file_name",
    "train_config",
]

EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds `train` and `sample`."""
    _register_train(subparsers)
    _register_sample(subparsers)


def _register_train(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(
        subparsers,
        "train",
        run_train,
        help="train a SinGAN on one image, then write samples and the reconstruction.",
        description=(
            "Trains the SinGAN pyramid on IMAGE coarse to fine, saving every finished scale in "
            "RUN_DIR (so an interrupted run can be resumed), then writes K random samples to "
            "RUN_DIR/samples/ (plus grid.png) and the reconstruction to "
            "RUN_DIR/reconstruction.png. Flags override the preset's values. The Keras backend "
            "is chosen with KERAS_BACKEND=tensorflow|jax|torch."
        ),
    )
    parser.add_argument(
        "image",
        metavar="IMAGE",
        help="image file (PNG, JPEG, ...) or the name of a bundled image (singan list-images).",
    )
    parser.add_argument(
        "--out",
        required=True,
        metavar="RUN_DIR",
        help="run directory to write (created; must not hold another run unless --resume).",
    )
    add_pyramid_flags(parser)
    parser.add_argument(
        "--iters",
        type=positive_int,
        metavar="N",
        help="training iterations per scale, >= 1 (paper: 2000; default: the preset's).",
    )
    add_seed(
        parser,
        "seed of the initial weights, the training noise, z* and the final samples; the "
        "same seed repeats a run on the same backend (default: the preset's, 0).",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted run in RUN_DIR at its first unfinished scale (use the "
        "same IMAGE and flags as the first time).",
    )
    parser.add_argument(
        "--samples",
        type=non_negative_int,
        default=8,
        metavar="K",
        help="random samples to write after training; 0 writes none. Default: %(default)s.",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="no progress output; print only where the results are.",
    )
    add_memory_flag(parser)
    advanced = parser.add_argument_group(
        "advanced", "rarely needed; they change the algorithm's cost (tests use them)"
    )
    advanced.add_argument(
        "--critic-steps",
        type=positive_int,
        metavar="N",
        help="critic updates per iteration (paper: 3; default: the preset's).",
    )
    advanced.add_argument(
        "--generator-steps",
        type=positive_int,
        metavar="N",
        help="generator updates per iteration (paper: 3; default: the preset's).",
    )
    advanced.add_argument(
        "--channels",
        type=positive_int,
        metavar="N",
        help="channels of the coarsest scale's networks; they double every 4 scales up to "
        "the preset's cap of 128 (paper: 32; default: the preset's).",
    )


def _register_sample(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(
        subparsers,
        "sample",
        run_sample,
        help="generate random images from a trained run directory.",
        description=(
            "Loads a run directory written by `singan train` (under any Keras backend) and "
            "writes N random samples as DIR/sample_000.png, sample_001.png, ... The official "
            "SinGAN flag names are accepted as aliases."
        ),
    )
    add_run_dir(parser)
    parser.add_argument(
        "--num",
        "--num_samples",
        dest="num",
        type=positive_int,
        required=True,
        metavar="N",
        help="number of samples to write, >= 1.",
    )
    parser.add_argument(
        "--out", required=True, metavar="DIR", help="folder to write the PNGs into (created)."
    )
    parser.add_argument(
        "--start-scale",
        "--gen_start_scale",
        dest="start_scale",
        type=non_negative_int,
        default=0,
        metavar="N",
        help="first scale that gets fresh noise, counted from the coarsest (0 = fully random; "
        "larger values keep the coarse layout of the training image and vary only finer "
        "detail). Default: %(default)s.",
    )
    parser.add_argument(
        "--height-scale",
        "--scale_v",
        dest="height_scale",
        type=positive_number,
        default=1.0,
        metavar="A",
        help="output height as a multiple of the training image's (vertical), > 0. "
        "Default: %(default)s.",
    )
    parser.add_argument(
        "--width-scale",
        "--scale_h",
        dest="width_scale",
        type=positive_number,
        default=1.0,
        metavar="B",
        help="output width as a multiple of the training image's (horizontal), > 0. "
        "Default: %(default)s.",
    )
    add_seed(
        parser,
        "noise seed; the same seed gives the same images under every backend "
        "(default: a random seed, printed so it can be repeated).",
    )
    parser.add_argument(
        "--start-input",
        choices=START_INPUTS,
        default="reconstruction",
        help="what feeds --start-scale when it is > 0: the reconstruction from z* (official "
        "code) or the downscaled real image (paper). Default: %(default)s.",
    )
    parser.add_argument(
        "--grid", action="store_true", help="also write all samples as one DIR/grid.png."
    )
    add_memory_flag(parser)


# -- train -------------------------------------------------------------------------------------

# TrainConfig field <- flag (argparse dest = the flag without "--", "-" -> "_").
_CONFIG_FLAGS = {
    "max_size": "--max-size",
    "min_size": "--min-size",
    "scale_factor": "--scale-factor",
    "iterations": "--iters",
    "seed": "--seed",
    "critic_steps": "--critic-steps",
    "generator_steps": "--generator-steps",
    "base_channels": "--channels",
}


def _given_flags(args: argparse.Namespace) -> dict[str, object]:
    """{TrainConfig field: value} of the config flags given on the command line."""
    given = {}
    for field, flag in _CONFIG_FLAGS.items():
        value = getattr(args, flag[2:].replace("-", "_"), None)  # `schedule` has only some
        if value is not None:
            given[field] = value
    return given


def given_config_flags(args: argparse.Namespace) -> str:
    """The config flags given on the command line, as typed: ``"--max-size 64 --iters 10"``."""
    return " ".join(
        f"{_CONFIG_FLAGS[field]} {value}" for field, value in _given_flags(args).items()
    )


def train_config(args: argparse.Namespace):
    """The preset with the flags given on top; cross-checks name the flags."""
    from singan_keras.config import PRESETS, preset

    overrides = _given_flags(args)
    base = PRESETS[args.preset]
    min_size = overrides.get("min_size", base.min_size)
    max_size = overrides.get("max_size", base.max_size)
    if min_size > max_size:
        raise InputError(
            f"--min-size ({min_size}) must be <= --max-size ({max_size}) "
            f"(preset {args.preset!r} values are used for a flag not given)."
        )
    channels = overrides.get("base_channels", base.base_channels)
    if channels > base.max_channels:
        raise InputError(f"--channels must be <= {base.max_channels}, got {channels}.")
    return preset(args.preset, **overrides)


def image_schedule(image: str, config):
    """Checks that IMAGE decodes and fits the pyramid; returns its schedule.

    Errors are one line naming IMAGE. A huge file is decoded at reduced resolution
    (`load_image` with ``max_size``); the schedule follows the file's own size.
    """
    from singan_keras.data import resolve_image
    from singan_keras.image_io import ImageError, image_size, load_image
    from singan_keras.pyramid import scale_schedule

    if Path(image).is_dir():  # not "unknown image name": say what it is
        raise ImageError(f"Expected an image file but '{image}' is a directory.")
    path = resolve_image(image)
    height, width = image_size(path)
    try:
        schedule = scale_schedule(
            height, width, config.scale_factor, config.min_size, config.max_size
        )
    except InputError as error:
        raise InputError(f"'{image}': {error}") from None
    load_image(path, config.max_size)
    return schedule


def _resume_command(args: argparse.Namespace) -> str:
    """The `singan train` command that continues this run (resuming needs the same config)."""
    words = ["singan", "train", args.image, "--out", args.out]
    if args.preset != "paper":
        words += ["--preset", args.preset]
    for field, value in _given_flags(args).items():
        words += [_CONFIG_FLAGS[field], str(value)]
    return shlex.join([*words, "--resume"])


def sample_file_name(index: int) -> str:
    """The one naming of sample files, for `train` and `sample` alike.

    Example:
        >>> sample_file_name(7)
        'sample_007.png'
    """
    return f"sample_{index:03d}.png"


def _check_training_memory(args: argparse.Namespace, config, schedule) -> None:
    """Refuses a --max-size whose finest scale cannot be trained in the memory available."""
    from singan_keras.models import channels_at_scale

    height, width = schedule.sizes[-1]
    channels = channels_at_scale(
        schedule.num_scales - 1,
        config.base_channels,
        config.max_channels,
        config.channels_double_every,
    )
    check_fits(
        f"--max-size {config.max_size} gives a finest scale of {height}x{width} pixels with "
        f"{channels} channels",
        training_bytes(height, width, channels),
        "use a smaller --max-size",
        args.skip_memory_check,
    )


def run_train(args: argparse.Namespace) -> int:
    """Runs `singan train`; returns the exit code (130 after Ctrl-C, with the resume command)."""
    from singan_keras.cli.reporting import is_user_error, reworded

    config = train_config(args)
    run_dir = checked_out_dir(args.out)
    if (run_dir / "manifest.json").exists() and not args.resume:
        raise InputError(
            f"--out {args.out} already holds a training run; pass --resume to continue it, "
            "or choose another --out."
        )
    schedule = image_schedule(args.image, config)  # fails here, before anything is written
    _check_training_memory(args, config, schedule)
    say = (lambda *a, **k: None) if args.quiet else print

    import keras

    from singan_keras import SinGAN, backends, save_grid, save_image

    say(f"Keras backend: {keras.backend.backend()} (choose with KERAS_BACKEND)")
    # The command owns its process, so it may turn on JAX's on-disk compile cache (the
    # library does not: it is process-wide configuration). `singan env` shows where.
    cache = backends.enable_compile_cache()
    if cache is not None:
        say(f"Compile cache: {cache}")
    say(f"Scale schedule of {args.image}:\n{schedule}")
    try:
        model = SinGAN.train(
            args.image, config, run_dir, resume=args.resume, verbose=0 if args.quiet else 1
        )
        if args.samples:
            samples = model.sample(args.samples, seed=config.seed)
            sample_dir = run_dir / "samples"
            for i, sample in enumerate(samples):
                path = sample_dir / sample_file_name(i)
                with naming_the_file(path):
                    save_image(sample, path)
            with naming_the_file(sample_dir / "grid.png"):
                save_grid(samples, sample_dir / "grid.png")
            print(f"{args.samples} samples and grid.png in {sample_dir}")
        save_image(model.reconstruct(), run_dir / "reconstruction.png")
    except KeyboardInterrupt:
        print(
            f"interrupted; finished scales are saved in {args.out}; continue with: "
            f"{_resume_command(args)}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except OSError as error:  # e.g. a full disk during training: finished scales are intact
        if not (is_user_error(error) and (run_dir / "manifest.json").is_file()):
            raise
        raise reworded(
            error,
            f"finished scales are kept in {args.out}; continue with: {_resume_command(args)}",
        ) from error
    print(f"reconstruction: {run_dir / 'reconstruction.png'}")
    print(
        f"model ({model.num_scales} scales): {run_dir}  (sample more with: singan sample "
        f"{shlex.quote(args.out)} --num 16 --out DIR)"
    )
    return 0


# -- sample ------------------------------------------------------------------------------------


def run_sample(args: argparse.Namespace) -> int:
    """Runs `singan sample`; returns the exit code."""
    from singan_keras import SinGAN, save_grid, save_image

    out = checked_out_dir(args.out)
    finest = finest_trained_scale(args.run_dir)
    if finest is not None:
        height, width, channels = finest
        size = (round(height * args.height_scale), round(width * args.width_scale))
        check_fits(
            f"--height-scale {args.height_scale:g} --width-scale {args.width_scale:g} asks for "
            f"{args.num} images of {size[0]}x{size[1]} pixels",
            generation_bytes(*size, channels, images=args.num),
            "use a smaller --height-scale / --width-scale, or fewer --num",
            args.skip_memory_check,
        )
    model = SinGAN.load(args.run_dir)
    if not model.generators:
        raise InputError(f"{args.run_dir} has no finished scale yet; nothing to sample from.")
    if args.start_scale >= model.num_scales:
        raise InputError(
            f"--start-scale must be between 0 and {model.num_scales - 1} for this model "
            f"({model.num_scales} scales), got {args.start_scale}."
        )
    if not model.is_complete:
        print(
            f"note: {args.run_dir} is an unfinished run ({model.num_scales} of "
            f"{model.schedule.num_scales} scales); samples are at its finest trained scale.",
            file=sys.stderr,
        )
    seed = seed_or_random(args.seed)
    samples = model.sample(
        args.num,
        start_scale=args.start_scale,
        height_scale=args.height_scale,
        width_scale=args.width_scale,
        seed=seed,
        start_input=args.start_input,
    )
    for i, sample in enumerate(samples):
        with naming_the_file(out / sample_file_name(i)):
            save_image(sample, out / sample_file_name(i))
    if args.grid:
        with naming_the_file(out / "grid.png"):
            save_grid(samples, out / "grid.png")
    height, width = samples.shape[1:3]
    print(f"{args.num} samples of {height}x{width} (seed {seed}) in {out}")
    return 0
