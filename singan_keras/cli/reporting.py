"""Telling a user's mistake from a bug, and saying either in one line.

A user mistake is an `InputError` (a file, flag or array that cannot be used) or an OS error
the user causes: a missing file, a directory where a file belongs (or the reverse), no
permission, a path that already exists, a full disk. `singan` prints those as
``singan: error: ...`` and exits with code 2. Everything else is a bug in singan_keras (or in
a library under it) and is reported as an internal error, exit code 1.

The library's messages serve the Python API and the command line at once: they name a
parameter with its flag, ``frames (--frames)``. `cli_wording` keeps the flag only, and
replaces the few phrases that tell a Python user what to call; every message a command
prints goes through it.

Example:
    >>> cli_wording("frames (--frames) must be an integer >= 1, got 0.")
    '--frames must be an integer >= 1, got 0.'
    >>> is_user_error(FileNotFoundError(2, "No such file or directory", "coffee.png"))
    True
    >>> one_line(FileNotFoundError(2, "No such file or directory", "coffee.png"))
    'No such file or directory: coffee.png'
    >>> is_user_error(KeyError("scale_00"))
    False
"""

from __future__ import annotations

import contextlib
import errno
import re
from collections.abc import Iterator
from pathlib import Path

from singan_keras.errors import InputError

__all__ = [
    "USER_OS_ERRORS",
    "cli_wording",
    "is_user_error",
    "naming_the_file",
    "one_line",
    "reworded",
]

USER_OS_ERRORS = (
    FileNotFoundError,
    IsADirectoryError,
    NotADirectoryError,
    PermissionError,
    FileExistsError,
)
# A full disk, an exhausted quota or a read-only file system: the user can free space or
# choose another place. They have no OSError subclass of their own.
_DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS})


def is_user_error(error: BaseException) -> bool:
    """Whether `error` is something the user can fix (see the module docstring)."""
    if isinstance(error, (InputError, *USER_OS_ERRORS)):
        return True
    return isinstance(error, OSError) and error.errno in _DISK_ERRNOS


def one_line(error: BaseException) -> str:
    """The error's message on one line (an OS error as ``reason: path``)."""
    text = str(error).strip() or type(error).__name__
    if isinstance(error, OSError) and error.strerror and error.filename:
        text = f"{error.strerror}: {error.filename}"  # e.g. Permission denied: out/x.png
    return " ".join(text.split())


def reworded(error: OSError, more: str) -> OSError:
    """The same kind of OS error (so still a user error) saying ``<error>; <more>``.

    Example:
        >>> full = OSError(errno.ENOSPC, "No space left on device", "run/scale_02")
        >>> later = reworded(full, "finished scales are kept in run")
        >>> is_user_error(later), str(later)
        (True, 'No space left on device: run/scale_02; finished scales are kept in run')
    """
    kind = type(error) if type(error) in USER_OS_ERRORS else OSError
    result = kind(f"{one_line(error)}; {more}")
    result.errno = error.errno
    return result


# "start_scale (--start-scale)" -> "--start-scale"
_PARAMETER_AND_FLAG = re.compile(r"\b[a-z][a-z0-9_]* \((--[a-z0-9-]+)\)")
# Python advice -> the command that does the same.
_PYTHON_PHRASES = {
    "train it with super_resolution_config(factor)": (
        "train one with `singan super-resolve IMAGE --factor F --run-dir DIR`"
    ),
    "pass sifid_weights= ": "pass --weights ",
}


def cli_wording(text: str) -> str:
    """A library message as the command line says it: flags, not Python parameters.

    Example:
        >>> cli_wording("start_scale (--start-scale) must be between 1 and 3, got 7.")
        '--start-scale must be between 1 and 3, got 7.'
    """
    text = _PARAMETER_AND_FLAG.sub(r"\1", text)
    for python, command_line in _PYTHON_PHRASES.items():
        text = text.replace(python, command_line)
    return text


@contextlib.contextmanager
def naming_the_file(path: str | Path) -> Iterator[None]:
    """An OS error while writing `path` names `path`, never the temporary file that was being
    written next to it (``.tmp-k3j2x.png``).

    Example:
        >>> with naming_the_file("out/sr.png"):  # doctest: +ELLIPSIS
        ...     raise PermissionError(13, "Permission denied", "out/.tmp-k3j2x.png")
        Traceback (most recent call last):
        ...
        PermissionError: [Errno 13] Permission denied: 'out/sr.png'
    """
    try:
        yield
    except OSError as error:
        written = Path(error.filename) if error.filename else None
        beside = written is not None and written.parent == Path(path).parent
        if not (beside and written.name.startswith(".") and written != Path(path)):
            raise
        renamed = type(error)(error.errno, error.strerror, str(path))
        raise renamed from error
