"""Small example images bundled with singan_keras, for tutorials, tests and quick runs.

Seven photographs from scikit-image's sample data, all CC0 or public domain, downscaled so
that the longer side is 250 px (SinGAN's default `max_size`, so the finest scale is the file
itself). Provenance and licences: `singan_keras/data/LICENSES.md`. Textures (`brick`, `grass`,
`gravel`) and scenes with repeated structure suit SinGAN, which learns patch statistics.

Example:
    >>> from singan_keras import data
    >>> "rocket" in data.list_images()
    True
    >>> data.load_image("rocket").shape
    (167, 250, 3)
"""

from __future__ import annotations

import os
import pathlib

import numpy as np

from .. import image_io
from ..errors import InputError

__all__ = ["extra_path", "image_path", "list_extras", "list_images", "load_image", "resolve_image"]

_IMAGE_DIR = pathlib.Path(__file__).resolve().parent / "images"
_EXTRAS_DIR = pathlib.Path(__file__).resolve().parent / "extras"


def list_images() -> list[str]:
    """Names of the bundled images, sorted, without the file extension.

    Returns:
        A list such as `["brick", "chelsea", ...]`.

    Example:
        >>> list_images()[:2]
        ['brick', 'chelsea']
    """
    return sorted(path.stem for path in _IMAGE_DIR.glob("*.png"))


def image_path(name: str) -> pathlib.Path:
    """Path of a bundled image.

    Args:
        name: One of `list_images()`.

    Returns:
        The absolute path of its PNG file.

    Raises:
        ValueError: If `name` is not a bundled image; the message lists the available names.

    Example:
        >>> image_path("brick").name
        'brick.png'
    """
    names = list_images()
    if name not in names:
        raise InputError(f"Unknown bundled image {name!r}. Available: {', '.join(names)}.")
    return _IMAGE_DIR / f"{name}.png"


def list_extras() -> list[str]:
    """File names of the bundled application inputs (paints, edits, composites, masks).

    They are made from the bundled images by ``extras/make_extras.py`` and have the size of
    the image they come from: ``rocket_paint.png`` (paint-to-image), ``brick_edited.png`` +
    ``brick_edited_mask.png`` (editing), ``hubble_deep_field_composite.png`` +
    ``hubble_deep_field_composite_mask.png`` (harmonization).

    Returns:
        Sorted file names, e.g. `["brick_edited.png", ...]`.

    Example:
        >>> "rocket_paint.png" in list_extras()
        True
    """
    return sorted(path.name for path in _EXTRAS_DIR.glob("*.png"))


def extra_path(name: str) -> pathlib.Path:
    """Path of a bundled application input, to pass to `paint_to_image`, `edit`, ... or the CLI.

    Args:
        name: One of `list_extras()`; the ``.png`` suffix may be left out.

    Returns:
        The absolute path of the PNG file.

    Raises:
        ValueError: If there is no such file; the message lists the available names.

    Example:
        >>> extra_path("rocket_paint").name
        'rocket_paint.png'
    """
    file_name = name if name.endswith(".png") else f"{name}.png"
    names = list_extras()
    if file_name not in names:
        raise InputError(f"Unknown bundled input {name!r}. Available: {', '.join(names)}.")
    return _EXTRAS_DIR / file_name


def load_image(name: str) -> np.ndarray:
    """Load a bundled image as float32 `(H, W, 3)` in [-1, 1].

    Args:
        name: One of `list_images()`.

    Returns:
        The image, as `singan_keras.image_io.load_image` returns it.

    Raises:
        ValueError: If `name` is not a bundled image.

    Example:
        >>> load_image("brick").shape
        (250, 250, 3)
    """
    return image_io.load_image(image_path(name))


def resolve_image(name_or_path: str | os.PathLike) -> pathlib.Path:
    """Turn a file path or a bundled image name into a path.

    An existing file wins over a bundled image of the same name.

    Args:
        name_or_path: A path to an image file, or one of `list_images()`.

    Returns:
        The path to read.

    Raises:
        FileNotFoundError: If it is neither an existing file nor a bundled name; the message
            lists the bundled names.

    Example:
        >>> resolve_image("gravel").name
        'gravel.png'
    """
    path = pathlib.Path(name_or_path)
    if path.is_file():
        return path
    names = list_images()
    if str(name_or_path) in names:
        return _IMAGE_DIR / f"{name_or_path}.png"
    raise FileNotFoundError(
        f"{str(name_or_path)!r} is neither an existing file nor one of the bundled images "
        f"({', '.join(names)})."
    )
