"""The argument types and shared flags of every `singan` sub-command, and how one is registered.

Value types turn a flag's text into a checked value or raise `argparse.ArgumentTypeError`
with a message naming what was expected, so argparse prints
``singan train: error: argument --iters: must be >= 1, got 0``.

Each sub-command module has a ``register(subparsers)`` function that calls `add_command` once
per command: it adds the parser, its ``--debug`` flag and its ``run`` function (``run(args)``
returns the exit code and imports Keras or a backend only inside). Nothing here imports
Keras, so building the parser for ``singan --help`` stays fast.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="demo")
    >>> parser.add_argument("--iters", type=at_least(1))  # doctest: +ELLIPSIS
    _StoreAction(...)
    >>> parser.parse_args(["--iters", "3"]).iters
    3
    >>> number_in(0.0, 1.0, "in (0, 1)")("0.25")
    0.25
"""

from __future__ import annotations

import argparse
import errno
import math
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from singan_keras.errors import InputError

__all__ = [
    "START_INPUTS",
    "Run",
    "add_command",
    "add_debug_flag",
    "add_pyramid_flags",
    "add_run_dir",
    "add_seed",
    "at_least",
    "checked_out_dir",
    "checked_out_file",
    "integer",
    "number",
    "non_negative_int",
    "number_in",
    "open_unit_interval",
    "positive_int",
    "positive_number",
    "seed",
    "seed_or_random",
    "size",
]

Run = Callable[[argparse.Namespace], int]

# What feeds a start scale > 0 (`SinGAN.sample(start_input=...)`): `sample` and `evaluate`.
START_INPUTS = ("reconstruction", "real")


# -- value types -------------------------------------------------------------------------------


def integer(text: str) -> int:
    """An integer, e.g. ``--iters 100``."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def number(text: str) -> float:
    """A finite number (``nan`` and ``inf`` are refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def at_least(minimum: int, why: str = "") -> Callable[[str], int]:
    """The type of an integer >= `minimum`; `why` (e.g. " (the critic's ...)") explains it.

    Example:
        >>> at_least(11, " (the receptive field)")("5")
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: must be >= 11 (the receptive field), got 5
    """

    def parse(text: str) -> int:
        value = integer(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}{why}, got {value}")
        return value

    return parse


def number_in(
    low: float, high: float, what: str, closed: tuple[bool, bool] = (False, False)
) -> Callable[[str], float]:
    """The type of a finite number between `low` and `high`, ends excluded unless `closed`.

    `what` is the range as the error message says it, e.g. ``"in [0, 1)"``.

    Example:
        >>> number_in(0.0, 1.0, "in [0, 1)", closed=(True, False))("1")
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: must be in [0, 1), got 1
    """
    low_closed, high_closed = closed

    def parse(text: str) -> float:
        value = number(text)
        above_low = value >= low if low_closed else value > low
        below_high = value <= high if high_closed else value < high
        if not (above_low and below_high):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text}")
        return value

    return parse


positive_int = at_least(1)
non_negative_int = at_least(0)
seed = non_negative_int  # numpy seeds are non-negative
size = at_least(11, " (the critic's 11x11 receptive field)")  # a side of a pyramid scale
positive_number = number_in(0.0, math.inf, "> 0")
open_unit_interval = number_in(0.0, 1.0, "in (0, 1) (exclusive)")


# -- registration ------------------------------------------------------------------------------


def add_debug_flag(parser: argparse.ArgumentParser, default: object) -> None:
    """``--debug``; sub-commands pass ``argparse.SUPPRESS`` so they keep a ``--debug`` that
    was given before the command name."""
    parser.add_argument(
        "--debug",
        action="store_true",
        default=default,
        help="on an error, show the full Python traceback instead of one line.",
    )


def add_command(
    subparsers: argparse._SubParsersAction, name: str, run: Run, **parser_options
) -> argparse.ArgumentParser:
    """Adds sub-command `name` that runs ``run(args)``: the one way commands are registered.

    `parser_options` go to `add_parser` (``help``, ``description``, ...). The parser gets
    ``--debug`` (also accepted after the command name) and ``run`` as a default.

    Example:
        >>> parser = argparse.ArgumentParser(prog="singan")
        >>> subparsers = parser.add_subparsers(dest="command")
        >>> _ = add_command(subparsers, "hello", lambda args: print("hi") or 0, help="greet")
        >>> args = parser.parse_args(["hello", "--debug"])
        >>> args.debug, args.run(args)
        hi
        (True, 0)
    """
    parser = subparsers.add_parser(name, **parser_options)
    add_debug_flag(parser, default=argparse.SUPPRESS)
    parser.set_defaults(run=run)
    return parser


# -- shared flags ------------------------------------------------------------------------------


def add_pyramid_flags(parser: argparse.ArgumentParser) -> None:
    """--preset and the three flags that shape the pyramid (shared by train and schedule)."""
    from singan_keras.config import PRESETS  # plain dataclasses: no Keras import

    parser.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="paper",
        help=(
            "hyper-parameter preset: 'paper' = the paper's values (2000 iterations per scale, "
            "max size 250); 'quick' = same algorithm, small (max size 64, 100 iterations), "
            "minutes on a CPU; like 'paper' it draws z* once, so samples from N-1 vary less "
            "than with 'official'; 'official' = paper values plus the official code's two "
            "departures from the paper (z* redrawn every iteration, as in the code the "
            "paper's diversity comes from). Default: %(default)s."
        ),
    )
    parser.add_argument(
        "--max-size",
        type=size,
        metavar="N",
        help="longer side of the finest scale in pixels; larger images are downscaled first "
        "(paper: 250; default: the preset's).",
    )
    parser.add_argument(
        "--min-size",
        type=size,
        metavar="N",
        help="shorter side of the coarsest scale in pixels, >= 11 (paper: 25; default: the "
        "preset's).",
    )
    parser.add_argument(
        "--scale-factor",
        type=open_unit_interval,
        metavar="R",
        help="nominal factor r between consecutive scales, in (0, 1); the actual factor is "
        "recomputed from the image size (paper: 0.75; default: the preset's).",
    )


def add_run_dir(parser: argparse.ArgumentParser) -> None:
    """The positional RUN_DIR of the commands that read a trained run."""
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run directory from singan train.")


def add_seed(parser: argparse.ArgumentParser, help_text: str, default: int | None = None) -> None:
    """``--seed S`` (>= 0); `help_text` says what it seeds and what the default is."""
    parser.add_argument("--seed", type=seed, default=default, metavar="S", help=help_text)


# -- resolving flags when a command runs -------------------------------------------------------


def seed_or_random(given: int | None) -> int:
    """The ``--seed`` given, or a fresh random one (which the command prints)."""
    return given if given is not None else secrets.randbelow(2**31)


def _writable_place(path: Path, folder: bool = False) -> None:
    """Refuses `path` (a file or folder to create or overwrite) when it cannot be written.

    The nearest existing folder holding it (for a `folder`, itself if it exists) must be a
    folder we may write into (missing folders between are created later); an existing file
    must be writable itself.
    Checked before any work, so a read-only target fails at once instead of after training
    or loading a model. (Root passes permission checks; a read-only file system stops it.)
    """
    place = path if folder else path.parent
    while not place.exists() and place != place.parent:
        place = place.parent
    # OS-style errors, as the write itself would raise them: "Permission denied: out/x.png"
    if not place.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "Not a directory", str(path))
    if not os.access(place, os.W_OK | os.X_OK) or (
        not folder and path.exists() and not os.access(path, os.W_OK)
    ):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))


def checked_out_file(out: str, suffixes: tuple[str, ...], flag: str = "--out") -> Path:
    """``--out FILE`` as a path, refused before any work when it cannot be written as asked.

    `suffixes`: the endings allowed (empty: any); `flag`: the flag the messages name.

    Example:
        >>> checked_out_file("result.jpg", (".png",))
        Traceback (most recent call last):
        ...
        singan_keras.errors.InputError: --out must end in .png, got 'result.jpg'.
    """
    path = Path(out)
    if path.is_dir():
        raise IsADirectoryError(f"{flag} {out} is a directory; give a file name.")
    if suffixes and path.suffix.lower() not in suffixes:
        raise InputError(f"{flag} must end in {' or '.join(suffixes)}, got {out!r}.")
    _writable_place(path)
    return path


def checked_out_dir(out: str) -> Path:
    """An output folder (created if missing) as a path, refused before any work when it is a
    file or cannot be written.

    Example:
        >>> checked_out_dir("samples/coffee").name
        'coffee'
    """
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(f"Output directory {out} exists and is not a directory.")
    _writable_place(path, folder=True)
    return path
