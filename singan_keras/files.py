"""Writing a file so that no reader ever sees half of it: the package's one atomic write.

Every file the package writes (run directories, images, animations) goes to a temporary name
next to its destination (``.tmp-XXXXXXXX<suffix>``), is flushed to disk (``fsync``) and is then
renamed onto the destination, which is atomic on POSIX and on Windows (``os.replace``). A
process killed in between leaves only the temporary, which
`singan_keras.checkpoint.remove_temporaries` deletes when a run is resumed.

Example:
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_write_path(folder / "notes.txt", ".txt") as temporary:
    ...     _ = temporary.write_text("complete, or not there at all")
    >>> (folder / "notes.txt").read_text()
    'complete, or not there at all'
    >>> sorted(p.name for p in folder.iterdir())  # the temporary is gone
    ['notes.txt']
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "TEMPORARY_PREFIX",
    "atomic_write_path",
    "default_file_mode",
    "move_into_place",
    "new_temporary",
]

TEMPORARY_PREFIX = ".tmp-"


def default_file_mode() -> int:
    """The mode a plainly created file gets (0o666 minus the umask).

    ``tempfile.mkstemp`` creates files readable by their owner only; files renamed into place
    from such a temporary get this mode first, so outputs are as readable as usual.
    """
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def new_temporary(path: str | os.PathLike, suffix: str = "") -> Path:
    """Creates an empty temporary file next to `path` (creating its folder) and returns it.

    `suffix` is kept at the end of the name: writers that choose a format from the file name
    (Keras' ``.weights.h5``, imageio's ``.mp4``) see the destination's.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=TEMPORARY_PREFIX, suffix=suffix)
    os.close(handle)
    return Path(temporary)


def move_into_place(temporary: str | os.PathLike, path: str | os.PathLike) -> Path:
    """Renames a finished temporary onto `path`: the data is on disk before the name is."""
    temporary, path = Path(temporary), Path(path)
    os.chmod(temporary, default_file_mode())
    _fsync(temporary)
    os.replace(temporary, path)
    _fsync(path.parent)  # and so is the new name
    return path


@contextlib.contextmanager
def atomic_write_path(path: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yields a temporary path next to `path`; moves it onto `path` if the block succeeds.

    If the block raises (or the move fails), the temporary is deleted and `path` is left as
    it was.
    """
    temporary = new_temporary(path, suffix)
    try:
        yield temporary
        move_into_place(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    """Flushes a file, or on POSIX a directory's entries, to disk."""
    if path.is_dir() and os.name != "posix":  # Windows cannot open a directory
        return
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
