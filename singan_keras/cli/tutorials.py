"""`singan tutorials DIR`: the tutorial notebooks, copied into a folder of your choice.

The notebooks ship inside the package: the wheel carries the repository's ``tutorials/*.ipynb``
as the resource folder ``singan_keras/tutorials/`` (``setup.py``), so a student who only ran
``pip install singan-keras[torch]`` gets the exercises with one command. Every ``.ipynb`` of
that folder is copied, so a notebook added to ``tutorials/`` needs no change here. Running
from a source checkout (``PYTHONPATH``, or an editable install), the checkout's
``tutorials/`` folder is the one copied.

Existing notebooks in DIR are never overwritten without ``--force``: a student's worked
exercises are in them. Nothing is copied when any would be.

Example:
    $ singan tutorials ./singan-tutorials
    $ KERAS_BACKEND=torch jupyter lab ./singan-tutorials
"""

from __future__ import annotations

import argparse
import importlib.resources
from importlib.resources.abc import Traversable
from pathlib import Path

import singan_keras
from singan_keras.cli.arguments import add_command, checked_out_dir
from singan_keras.errors import InputError

__all__ = ["NOTEBOOK_PACKAGE", "copy_tutorials", "register", "run_tutorials", "shipped_notebooks"]

NOTEBOOK_PACKAGE = "singan_keras.tutorials"  # the wheel's folder of notebooks (setup.py)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds `tutorials`."""
    parser = add_command(
        subparsers,
        "tutorials",
        run_tutorials,
        help="copy the tutorial notebooks (.ipynb) into a folder, to open in Jupyter or Colab.",
        description="Copies the tutorial notebooks that ship with the package into DIR "
        "(created if missing). Notebooks already in DIR are not overwritten unless --force "
        "is given.",
    )
    parser.add_argument("directory", metavar="DIR", help="the folder to copy the notebooks into.")
    parser.add_argument(
        "--force", action="store_true", help="overwrite notebooks of the same name in DIR."
    )


def _notebook_folder() -> Traversable:
    """The folder of notebooks: a source checkout's ``tutorials/``, else the installed one."""
    checkout = Path(singan_keras.__file__).resolve().parent.parent
    # Checked first: with a checkout on PYTHONPATH, `singan_keras.tutorials` may resolve to
    # another checkout's editable install; and setuptools' editable finder does not resolve a
    # subpackage folder without __init__.py that lies outside its parent's.
    if (checkout / "pyproject.toml").is_file() and (checkout / "tutorials").is_dir():
        return checkout / "tutorials"
    try:
        return importlib.resources.files(NOTEBOOK_PACKAGE)
    except ModuleNotFoundError:
        return checkout / "tutorials"  # missing: `shipped_notebooks` says so


def shipped_notebooks() -> dict[str, Traversable]:
    """File name -> resource of every tutorial notebook, in file-name order.

    Example:
        >>> names = list(shipped_notebooks())
        >>> names[0], all(name.endswith(".ipynb") for name in names)
        ('00_setup_and_backends.ipynb', True)
    """
    folder = _notebook_folder()
    notebooks = (
        {entry.name: entry for entry in folder.iterdir() if entry.name.endswith(".ipynb")}
        if folder.is_dir()
        else {}
    )
    if not notebooks:
        raise InputError(
            f"this installation of singan_keras {singan_keras.__version__} has no tutorial "
            "notebooks; reinstall it (pip install --force-reinstall singan-keras)."
        )
    return dict(sorted(notebooks.items()))


def copy_tutorials(directory: str | Path, force: bool = False) -> list[Path]:
    """Copies every tutorial notebook into `directory` (created if missing); returns the files.

    Raises `FileExistsError`, copying nothing, when a notebook of the same name is already
    there and not `force`.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     written = copy_tutorials(Path(folder) / "singan-tutorials")
        ...     again = copy_tutorials(Path(folder) / "singan-tutorials")
        Traceback (most recent call last):
        ...
        FileExistsError: ...singan-tutorials already has ... of the notebooks (00_setup...); ...
        >>> written[0].name
        '00_setup_and_backends.ipynb'
    """
    folder = checked_out_dir(str(directory))
    notebooks = shipped_notebooks()
    present = [name for name in notebooks if (folder / name).exists()]
    if present and not force:
        listed = ", ".join(present[:1] + ["..."] * (len(present) > 1))
        raise FileExistsError(
            f"{directory} already has {len(present)} of the notebooks ({listed}); add --force "
            "to overwrite them, or choose another DIR."
        )
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, notebook in notebooks.items():
        target = folder / name
        target.write_bytes(notebook.read_bytes())
        written.append(target)
    return written


def run_tutorials(args: argparse.Namespace) -> int:
    """Runs `singan tutorials`: copies the notebooks, then says how to open them."""
    written = copy_tutorials(args.directory, force=args.force)
    print(f"Copied {len(written)} notebooks into {args.directory}:")
    for path in written:
        print(f"  {path.name}")
    print(
        f"Open them with `jupyter lab {args.directory}`, or upload one to a hosted notebook "
        "service such as Colab: each notebook's first cell chooses the backend and installs "
        "singan-keras where it is missing."
    )
    return 0
