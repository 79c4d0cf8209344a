"""The exception for a user mistake, told apart from a bug.

`InputError` means: the user gave something unusable — a file, a command-line flag, an array
passed to the Python API. Its message is one line that says what was wrong and how to fix it,
so the `singan` command prints it as ``singan: error: ...`` (exit code 2) without a
traceback. Any other exception reaching the command line is a bug and is reported as one.

It subclasses `ValueError`, so ``except ValueError`` in existing code still catches it.
`singan_keras.image_io.ImageError` and `singan_keras.checkpoint.RunDirectoryError` are
kinds of it.

Example:
    >>> from singan_keras.errors import InputError
    >>> def check_iterations(iterations: int) -> None:
    ...     if iterations < 1:
    ...         raise InputError(f"--iters must be >= 1, got {iterations}.")
    >>> try:
    ...     check_iterations(0)
    ... except ValueError as error:
    ...     print(type(error).__name__, error)
    InputError --iters must be >= 1, got 0.
"""

from __future__ import annotations

__all__ = ["InputError"]


class InputError(ValueError):
    """The user gave something unusable (file, flag, array); the message is one line saying
    what and how to fix it."""
