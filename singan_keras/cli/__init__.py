"""The `singan` command: train a SinGAN on one image, sample from a run, inspect the set-up.

Sub-commands (``singan COMMAND --help`` explains every flag)::

    singan train IMAGE --out RUN_DIR      train a pyramid, then write samples + reconstruction
    singan train-many IMAGES... --out ROOT   one run per image (local pool or Slurm)
    singan sample RUN_DIR --num N --out DIR
    singan list-images                    the bundled example images
    singan schedule IMAGE                 the scale pyramid an image would get
    singan env                            versions, backend, GPU
    singan sifid REAL FAKE...             SIFID of generated images
    singan evaluate RUN_DIR               diversity, patch SWD, SIFID of a run
    singan evaluate-many ROOT             the same for every run under ROOT (Table 2)
    singan super-resolve | paint | edit | harmonize | animate   the applications
    singan mask IMAGE ... --out M.png     a mask for edit / harmonize
    singan composite BG OBJECT --at X,Y ...   a naive composite and its mask
    singan gpnn IMAGE --num N --out DIR   training-free GPNN samples (the baseline)
    singan tutorials DIR [--force]        copy the tutorial notebooks into DIR

The package: `arguments` holds the argument types, the shared flags and `add_command`, the
one way a sub-command is registered; `training`, `inspection`, `metrics`, `applications` and
the other modules each have a ``register(subparsers)`` for their commands; `reporting` tells
a user's mistake from a bug. The Keras backend is chosen the Keras way, with the ``KERAS_BACKEND``
environment variable; Keras and the backend are imported inside the commands' ``run``
functions only, so ``singan --help`` answers without loading TensorFlow, JAX or PyTorch.

A user mistake (an `InputError` such as a missing image, a bad flag value or a directory
that is not a run; a missing file, a full disk) prints one line ``singan: error: ...`` on
stderr and exits with code 2. Any other exception is a bug: one line
``singan: internal error: ...`` asking for a report, exit code 1. ``--debug`` shows the
traceback of either. Ctrl-C during training exits with code 130 and prints the command that
resumes the run.

Example:
    $ KERAS_BACKEND=jax singan train coffee --preset quick --out runs/coffee
    $ singan sample runs/coffee --num 8 --out samples/coffee --scale_h 2 --grid
"""

from __future__ import annotations

import argparse
import sys

from singan_keras import __version__
from singan_keras.cli import (
    applications,
    baselines,
    editing_tools,
    inspection,
    many_images,
    metrics,
    training,
    tutorials,
)
from singan_keras.cli.arguments import add_debug_flag
from singan_keras.cli.reporting import cli_wording, is_user_error, one_line
from singan_keras.cli.training import EXIT_INTERRUPTED

__all__ = ["EXIT_INTERNAL_ERROR", "EXIT_INTERRUPTED", "EXIT_USER_ERROR", "build_parser", "main"]

PROG = "singan"
EXIT_INTERNAL_ERROR = 1
EXIT_USER_ERROR = 2  # what argparse exits with for a bad flag

# The order of `singan --help`.
_COMMAND_GROUPS = (
    training,
    many_images,
    inspection,
    metrics,
    applications,
    editing_tools,
    baselines,
    tutorials,
)

EPILOG = """\
examples:
  singan train coffee --preset quick --out runs/coffee
      train on a bundled image (see `singan list-images`); writes samples and the
      reconstruction into runs/coffee
  singan sample runs/coffee --num 16 --out samples/wide --width-scale 2 --grid
      16 samples twice as wide as the training image, plus a grid

The Keras backend is chosen with KERAS_BACKEND=tensorflow|jax|torch."""


def build_parser() -> argparse.ArgumentParser:
    """The `singan` argument parser (imports nothing heavy).

    Example:
        >>> args = build_parser().parse_args(["sample", "runs/coffee", "--num", "4", "--out", "s"])
        >>> args.run.__name__, args.num, args.debug
        ('run_sample', 4, False)
    """
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="SinGAN (Shaham, Dekel, Michaeli, ICCV 2019) in Keras 3: learn a generative "
        "model from a single image and sample new images from it.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"singan_keras {__version__}")
    add_debug_flag(parser, default=False)
    subparsers = parser.add_subparsers(
        title="commands",
        dest="command",
        metavar="COMMAND",
        required=True,
        help="`singan COMMAND --help` explains its flags.",
    )
    for group in _COMMAND_GROUPS:
        group.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs the `singan` command line; returns the exit code.

    Args:
        argv: the arguments after the program name (default: ``sys.argv[1:]``).

    Returns:
        0 on success, 1 on an internal error (a bug), 2 on a user error, 130 when interrupted
        with Ctrl-C.

    Example:
        >>> main(["schedule", "coffee", "--max-size", "64"])  # doctest: +SKIP
        5 scales, r = 0.7598, input 200x250 -> 52x64
        ...
    """
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # --help, --version, or a usage error argparse printed
        return exit_.code if isinstance(exit_.code, int) else EXIT_USER_ERROR
    try:
        return args.run(args)
    except KeyboardInterrupt:  # outside training (which prints how to resume): e.g. importing
        if args.debug:
            raise
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:
        if args.debug:
            raise
        if is_user_error(error):
            print(f"{PROG}: error: {cli_wording(one_line(error))}", file=sys.stderr)
            return EXIT_USER_ERROR
        print(
            f"{PROG}: internal error: {type(error).__name__}: {one_line(error)} — please "
            "report it (rerun with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL_ERROR
