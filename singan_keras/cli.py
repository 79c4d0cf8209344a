"""The `singan` command: train a SinGAN on one image, sample from a run, inspect the set-up.

Sub-commands (``singan COMMAND --help`` explains every flag)::

    singan train IMAGE --out RUN_DIR      train a pyramid, then write samples + reconstruction
    singan sample RUN_DIR --num N --out DIR
    singan list-images                    the bundled example images
    singan schedule IMAGE                 the scale pyramid an image would get
    singan env                            versions, backend, GPU
    singan sifid REAL FAKE...             SIFID (from `singan_keras.metrics.cli`)

The Keras backend is chosen the Keras way, with the ``KERAS_BACKEND`` environment variable.
Keras and the backend are imported inside the command functions only, so ``singan --help``
answers without loading TensorFlow, JAX or PyTorch.

User errors (a missing image, a bad flag value, a directory that is not a run) print one line
``singan: error: ...`` on stderr and exit with code 2; ``--debug`` shows the traceback instead.
Ctrl-C during training exits with code 130 and prints the command that resumes the run.

Example:
    $ KERAS_BACKEND=jax singan train coffee --preset quick --out runs/coffee
    $ singan sample runs/coffee --num 8 --out samples/coffee --scale_h 2 --grid
"""

from __future__ import annotations

import argparse
import math
import secrets
import shlex
import sys
from pathlib import Path

from singan_keras import __version__

__all__ = ["build_parser", "main"]

PROG = "singan"
EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C

# FileNotFoundError, NotADirectoryError and PermissionError are OSErrors; ImageError and
# RunDirectoryError are ValueErrors.
USER_ERRORS = (ValueError, OSError)

EPILOG = """\
examples:
  singan train coffee --preset quick --out runs/coffee
      train on a bundled image (see `singan list-images`); writes samples and the
      reconstruction into runs/coffee
  singan sample runs/coffee --num 16 --out samples/wide --width-scale 2 --grid
      16 samples twice as wide as the training image, plus a grid

The Keras backend is chosen with KERAS_BACKEND=tensorflow|jax|torch."""


# -- argparse value types: each names what it expects -----------------------------------------


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _at_least(minimum: int, why: str = ""):
    def parse(text: str) -> int:
        value = _integer(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}{why}, got {value}")
        return value

    return parse


def _positive_number(text: str) -> float:
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _open_unit_interval(text: str) -> float:
    value = _number(text)
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in (0, 1) (exclusive), got {text}")
    return value


_positive_int = _at_least(1)
_non_negative_int = _at_least(0)
_size = _at_least(11, " (the critic's 11x11 receptive field)")


# -- the parser --------------------------------------------------------------------------------


def _add_pyramid_flags(parser: argparse.ArgumentParser) -> None:
    """--preset and the three flags that shape the pyramid (shared by train and schedule)."""
    from singan_keras.config import PRESETS  # plain dataclasses: no Keras import

    parser.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="paper",
        help=(
            "hyper-parameter preset: 'paper' = the paper's values (2000 iterations per scale, "
            "max size 250); 'quick' = same algorithm, small (max size 64, 100 iterations), "
            "minutes on a CPU; 'official' = paper values plus the official code's two "
            "departures from the paper. Default: %(default)s."
        ),
    )
    parser.add_argument(
        "--max-size",
        type=_size,
        metavar="N",
        help="longer side of the finest scale in pixels; larger images are downscaled first "
        "(paper: 250; default: the preset's).",
    )
    parser.add_argument(
        "--min-size",
        type=_size,
        metavar="N",
        help="shorter side of the coarsest scale in pixels, >= 11 (paper: 25; default: the "
        "preset's).",
    )
    parser.add_argument(
        "--scale-factor",
        type=_open_unit_interval,
        metavar="R",
        help="nominal factor r between consecutive scales, in (0, 1); the actual factor is "
        "recomputed from the image size (paper: 0.75; default: the preset's).",
    )


def _add_debug_flag(parser: argparse.ArgumentParser, default) -> None:
    parser.add_argument(
        "--debug",
        action="store_true",
        default=default,
        help="on an error, show the full Python traceback instead of one line.",
    )


def _add_train_parser(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "train",
        parents=[common],
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
    _add_pyramid_flags(parser)
    parser.add_argument(
        "--iters",
        type=_positive_int,
        metavar="N",
        help="training iterations per scale, >= 1 (paper: 2000; default: the preset's).",
    )
    parser.add_argument(
        "--seed",
        type=_non_negative_int,
        metavar="S",
        help="seed of the initial weights, the training noise, z* and the final samples; the "
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
        type=_non_negative_int,
        default=8,
        metavar="K",
        help="random samples to write after training; 0 writes none. Default: %(default)s.",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="no progress output; print only where the results are.",
    )
    advanced = parser.add_argument_group(
        "advanced", "rarely needed; they change the algorithm's cost (tests use them)"
    )
    advanced.add_argument(
        "--critic-steps",
        type=_positive_int,
        metavar="N",
        help="critic updates per iteration (paper: 3; default: the preset's).",
    )
    advanced.add_argument(
        "--generator-steps",
        type=_positive_int,
        metavar="N",
        help="generator updates per iteration (paper: 3; default: the preset's).",
    )
    advanced.add_argument(
        "--channels",
        type=_positive_int,
        metavar="N",
        help="channels of the coarsest scale's networks; they double every 4 scales up to "
        "the preset's cap of 128 (paper: 32; default: the preset's).",
    )
    parser.set_defaults(func=_train)


def _add_sample_parser(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "sample",
        parents=[common],
        help="generate random images from a trained run directory.",
        description=(
            "Loads a run directory written by `singan train` (under any Keras backend) and "
            "writes N random samples as DIR/sample_000.png, sample_001.png, ... The official "
            "SinGAN flag names are accepted as aliases."
        ),
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run directory from singan train.")
    parser.add_argument(
        "--num",
        "--num_samples",
        dest="num",
        type=_positive_int,
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
        type=_non_negative_int,
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
        type=_positive_number,
        default=1.0,
        metavar="A",
        help="output height as a multiple of the training image's (vertical), > 0. "
        "Default: %(default)s.",
    )
    parser.add_argument(
        "--width-scale",
        "--scale_h",
        dest="width_scale",
        type=_positive_number,
        default=1.0,
        metavar="B",
        help="output width as a multiple of the training image's (horizontal), > 0. "
        "Default: %(default)s.",
    )
    parser.add_argument(
        "--seed",
        type=_non_negative_int,
        metavar="S",
        help="noise seed; the same seed gives the same images under every backend "
        "(default: a random seed, printed so it can be repeated).",
    )
    parser.add_argument(
        "--start-input",
        choices=("reconstruction", "real"),
        default="reconstruction",
        help="what feeds --start-scale when it is > 0: the reconstruction from z* (official "
        "code) or the downscaled real image (paper). Default: %(default)s.",
    )
    parser.add_argument(
        "--grid", action="store_true", help="also write all samples as one DIR/grid.png."
    )
    parser.set_defaults(func=_sample)


def _add_inspection_parsers(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "list-images",
        parents=[common],
        help="list the bundled example images and their sizes.",
        description="Names (usable as IMAGE in train/schedule) and sizes of the bundled images.",
    )
    parser.set_defaults(func=_list_images)

    parser = subparsers.add_parser(
        "schedule",
        parents=[common],
        help="print the scale pyramid (number of scales, sizes) an image would get.",
        description="Prints the scale schedule SinGAN would train IMAGE with; nothing is trained.",
    )
    parser.add_argument("image", metavar="IMAGE", help="image file or the name of a bundled image.")
    _add_pyramid_flags(parser)
    parser.set_defaults(func=_schedule)

    parser = subparsers.add_parser(
        "env",
        parents=[common],
        help="print versions, the Keras backend and whether a GPU is visible (for bug reports).",
        description="Versions of singan_keras, Keras, the backend, numpy and Python, and "
        "whether the backend sees a GPU.",
    )
    parser.set_defaults(func=_env)


# Metric commands: their module imports Keras and the backend, so they are listed through a
# placeholder and their real parser is built only when the command runs.
_METRIC_COMMANDS = {
    "sifid": "Single Image FID of generated images against the real image (singan sifid --help).",
    "evaluate": "fidelity report of a run: diversity, patch SWD and (with weights) SIFID "
    "(singan evaluate --help).",
}


def _add_metric_placeholders(subparsers) -> None:
    """Lists `singan sifid` / `singan evaluate` without importing `singan_keras.metrics`.

    The real parsers come from `singan_keras.metrics.cli`; `_metric_command` builds them and
    parses the arguments the placeholder passed through untouched (so `--help` too).
    """
    if not (Path(__file__).parent / "metrics" / "cli.py").is_file():
        return
    for name, help_text in _METRIC_COMMANDS.items():
        parser = subparsers.add_parser(name, add_help=False, help=help_text)
        parser.set_defaults(func=_metric_command, metric_command=name)


def _add_application_parsers(subparsers) -> None:
    """super-resolve, paint, edit, harmonize, animate, from `singan_keras.applications.cli`.

    That module imports neither Keras nor a backend until a command runs, so its parsers are
    registered directly and `singan --help` stays fast.
    """
    from singan_keras.applications import cli as applications

    for name in ("super_resolve", "paint", "edit", "harmonize", "animate"):
        parser = getattr(applications, f"add_{name}_parser")(subparsers)
        _add_debug_flag(parser, default=argparse.SUPPRESS)


def build_parser() -> argparse.ArgumentParser:
    """The `singan` argument parser (imports nothing heavy)."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="SinGAN (Shaham, Dekel, Michaeli, ICCV 2019) in Keras 3: learn a generative "
        "model from a single image and sample new images from it.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"singan_keras {__version__}")
    _add_debug_flag(parser, default=False)
    # `--debug` is also accepted after the sub-command; SUPPRESS keeps the sub-parser from
    # overwriting a `--debug` given before it.
    common = argparse.ArgumentParser(add_help=False)
    _add_debug_flag(common, default=argparse.SUPPRESS)
    subparsers = parser.add_subparsers(
        title="commands",
        dest="command",
        metavar="COMMAND",
        required=True,
        help="`singan COMMAND --help` explains its flags.",
    )
    _add_train_parser(subparsers, common)
    _add_sample_parser(subparsers, common)
    _add_inspection_parsers(subparsers, common)
    _add_metric_placeholders(subparsers)
    _add_application_parsers(subparsers)
    return parser


# -- the commands ------------------------------------------------------------------------------


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


def _train_config(args: argparse.Namespace):
    """The preset with the flags given on top; cross-checks name the flags."""
    from singan_keras.config import PRESETS, preset

    overrides = _given_flags(args)
    base = PRESETS[args.preset]
    min_size = overrides.get("min_size", base.min_size)
    max_size = overrides.get("max_size", base.max_size)
    if min_size > max_size:
        raise ValueError(
            f"--min-size ({min_size}) must be <= --max-size ({max_size}) "
            f"(preset {args.preset!r} values are used for a flag not given)."
        )
    channels = overrides.get("base_channels", base.base_channels)
    if channels > base.max_channels:
        raise ValueError(f"--channels must be <= {base.max_channels}, got {channels}.")
    return preset(args.preset, **overrides)


def _image_schedule(image: str, config):
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
    except ValueError as error:
        raise ValueError(f"'{image}': {error}") from None
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


def _train(args: argparse.Namespace) -> int:
    config = _train_config(args)
    schedule = _image_schedule(args.image, config)  # fails here, before anything is written
    say = (lambda *a, **k: None) if args.quiet else print

    import keras

    from singan_keras import SinGAN, save_grid, save_image

    say(f"Keras backend: {keras.backend.backend()} (choose with KERAS_BACKEND)")
    say(f"Scale schedule of {args.image}:\n{schedule}")
    run_dir = Path(args.out)
    try:
        model = SinGAN.train(
            args.image, config, run_dir, resume=args.resume, verbose=0 if args.quiet else 1
        )
        if args.samples:
            samples = model.sample(args.samples, seed=config.seed)
            sample_dir = run_dir / "samples"
            for i, sample in enumerate(samples):
                save_image(sample, sample_dir / f"sample_{i:02d}.png")
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
        if not (run_dir / "manifest.json").is_file():
            raise
        raise OSError(
            f"{_one_line(error)}; finished scales are kept in {args.out}; continue with: "
            f"{_resume_command(args)}"
        ) from error
    print(f"reconstruction: {run_dir / 'reconstruction.png'}")
    print(
        f"model ({model.num_scales} scales): {run_dir}  (sample more with: singan sample "
        f"{shlex.quote(args.out)} --num 16 --out DIR)"
    )
    return 0


def _sample(args: argparse.Namespace) -> int:
    from singan_keras import SinGAN, save_grid, save_image

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"--out {args.out} exists and is not a directory.")
    model = SinGAN.load(args.run_dir)
    if not model.generators:
        raise ValueError(f"{args.run_dir} has no finished scale yet; nothing to sample from.")
    if args.start_scale >= model.num_scales:
        raise ValueError(
            f"--start-scale must be between 0 and {model.num_scales - 1} for this model "
            f"({model.num_scales} scales), got {args.start_scale}."
        )
    if not model.is_complete:
        print(
            f"note: {args.run_dir} is an unfinished run ({model.num_scales} of "
            f"{model.schedule.num_scales} scales); samples are at its finest trained scale.",
            file=sys.stderr,
        )
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    samples = model.sample(
        args.num,
        start_scale=args.start_scale,
        height_scale=args.height_scale,
        width_scale=args.width_scale,
        seed=seed,
        start_input=args.start_input,
    )
    for i, sample in enumerate(samples):
        save_image(sample, out / f"sample_{i:03d}.png")
    if args.grid:
        save_grid(samples, out / "grid.png")
    height, width = samples.shape[1:3]
    print(f"{args.num} samples of {height}x{width} (seed {seed}) in {out}")
    return 0


def _list_images(args: argparse.Namespace) -> int:
    from PIL import Image

    from singan_keras.data import list_images, resolve_image

    names = list_images()
    width = max(len(name) for name in names)
    for name in names:
        with Image.open(resolve_image(name)) as image:  # reads the header only
            columns, rows = image.size
        print(f"{name:<{width}}  {rows} x {columns}")
    return 0


def _schedule(args: argparse.Namespace) -> int:
    print(_image_schedule(args.image, _train_config(args)))
    return 0


def _distribution_version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _gpu_visible(backend: str) -> str:
    """'yes (...)' / 'no' for the active backend; never raises."""
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            devices = [d.name for d in tf.config.list_physical_devices("GPU")]
        elif backend == "jax":
            import jax

            devices = [str(d) for d in jax.devices() if d.platform == "gpu"]
        elif backend == "torch":
            import torch

            count = torch.cuda.device_count() if torch.cuda.is_available() else 0
            devices = [torch.cuda.get_device_name(i) for i in range(count)]
        else:
            return f"unknown (backend {backend})"
    except Exception as error:  # a broken CUDA install must not stop a bug report
        return f"unknown ({type(error).__name__}: {error})".splitlines()[0]
    return f"yes ({', '.join(devices)})" if devices else "no"


def _env(args: argparse.Namespace) -> int:
    import os
    import platform

    import numpy as np

    rows = [
        ("singan_keras", __version__),
        ("python", f"{platform.python_version()} ({sys.executable})"),
        ("numpy", np.__version__),
        ("keras", _distribution_version("keras") or "not installed"),
        ("KERAS_BACKEND", os.environ.get("KERAS_BACKEND", "(not set)")),
    ]
    try:
        import keras

        backend = keras.backend.backend()
    except Exception as error:  # e.g. KERAS_BACKEND names a library that is not installed
        backend = None
        rows.append(("backend", f"cannot import Keras: {error}".splitlines()[0]))
    if backend is not None:
        version = getattr(sys.modules.get(backend), "__version__", "?")  # imported by Keras
        rows.append(("backend", f"{backend} {version}"))
        rows.append(("GPU visible", _gpu_visible(backend)))
    for name, distributions in (
        ("tensorflow", ("tensorflow", "tensorflow-cpu")),
        ("jax", ("jax",)),
        ("torch", ("torch",)),
    ):
        versions = [_distribution_version(d) for d in distributions]
        rows.append((f"  {name} installed", next((v for v in versions if v), "no")))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    return 0


def _metric_command(args: argparse.Namespace) -> int:
    """Parses the passed-through arguments with the real metric parser and runs the command."""
    name = args.metric_command
    try:
        from singan_keras.metrics import cli as metrics_cli
    except ImportError as error:
        raise ValueError(f"the {name} command is unavailable: {error}") from None
    parser = argparse.ArgumentParser(prog=PROG)
    subparsers = parser.add_subparsers(dest="command", required=True)
    getattr(metrics_cli, f"add_{name}_parser")(subparsers)
    _add_debug_flag(subparsers.choices[name], default=argparse.SUPPRESS)
    metric_args = parser.parse_args([name, *args.passthrough])
    args.debug = metric_args.debug = args.debug or getattr(metric_args, "debug", False)
    return getattr(metrics_cli, f"run_{name}")(metric_args)


# -- entry point -------------------------------------------------------------------------------


def _one_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    if isinstance(error, OSError) and error.strerror and error.filename:
        text = f"{error.strerror}: {error.filename}"  # e.g. Permission denied: out/x.png
    return " ".join(text.split())


def main(argv: list[str] | None = None) -> int:
    """Runs the `singan` command line; returns the exit code.

    Args:
        argv: the arguments after the program name (default: ``sys.argv[1:]``).

    Returns:
        0 on success, 2 on a user error, 130 when training was interrupted with Ctrl-C.

    Example:
        >>> main(["schedule", "coffee", "--max-size", "64"])  # doctest: +SKIP
        5 scales, r = 0.7598, input 200x250 -> 52x64
        ...
    """
    parser = build_parser()
    try:
        # Known args only so that `singan sifid ...` reaches its own parser untouched.
        args, passthrough = parser.parse_known_args(argv)
        args.passthrough = passthrough
        if args.passthrough and args.func is not _metric_command:
            parser.error(f"unrecognized arguments: {' '.join(args.passthrough)}")
    except SystemExit as exit_:  # --help, --version, or a usage error argparse printed
        return exit_.code if isinstance(exit_.code, int) else EXIT_USER_ERROR
    try:
        return args.func(args)
    except SystemExit as exit_:  # a metric parser's --help or usage error
        return exit_.code if isinstance(exit_.code, int) else EXIT_USER_ERROR
    except USER_ERRORS as error:
        if args.debug:
            raise
        print(f"{PROG}: error: {_one_line(error)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:  # outside training (which prints how to resume): e.g. importing
        if args.debug:
            raise
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
