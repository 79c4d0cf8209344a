"""Telling a user's mistake from a bug, and saying either in one line.

A user mistake is an `InputError` (a file, flag or array that cannot be used) or an OS error
the user causes: a missing file, a directory where a file belongs (or the reverse), no
permission, a path that already exists, a full disk. `singan` prints those as
``singan: error: ...`` and exits with code 2. Everything else is a bug in singan_keras (or in
a library under it) and is reported as an internal error, exit code 1.

Example:
    >>> is_user_error(FileNotFoundError(2, "No such file or directory", "coffee.png"))
    True
    >>> one_line(FileNotFoundError(2, "No such file or directory", "coffee.png"))
    'No such file or directory: coffee.png'
    >>> is_user_error(KeyError("scale_00"))
    False
"""

from __future__ import annotations

import errno

from singan_keras.errors import InputError

__all__ = ["USER_OS_ERRORS", "is_user_error", "one_line", "reworded"]

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
