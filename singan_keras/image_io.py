"""Reading and writing images as float arrays in [-1, 1].

SinGAN trains on one RGB image with pixels mapped to [-1, 1] (ref: `x / 255`, then
`(x - 0.5) * 2`). `load_image` accepts whatever Pillow can read and makes it `(H, W, 3)` float32:

* RGB is used as is; 8-bit pixels map v -> v / 255 * 2 - 1.
* Grayscale is replicated to three channels. 16-bit grayscale ("I;16", or "I" from a 16-bit
  PNG) is scaled by its real maximum 65535, so no precision is clipped away; float images
  ("F") are taken to be in [0, 1].
* 16-bit colour PNGs are read by Pillow at 8 bits per channel (it keeps the high byte).
* Palette images ("P", "PA") are expanded through RGBA.
* Alpha is dropped, not composited onto a background: the SinGAN reference drops it too
  (it keeps the first three channels). A warning is logged when the alpha was not opaque,
  once per file however often it is loaded.
* Multi-frame files (GIF, TIFF) contribute their first frame.
* With ``max_size``, a large image is decoded at reduced resolution (see `load_image`), so an
  8000x6000 photo never becomes a full-resolution float array.

Every such conversion logs one line on the `"singan_keras"` logger naming the file. Errors are
one line naming the file: `FileNotFoundError` for a missing path, `PermissionError` for an
unreadable one, `ImageError` (a `ValueError`) for a directory, an empty file, a file that is
not an image, a truncated or corrupt one, or one too large for Pillow to decode safely.

`save_image` and `save_grid` write RGB PNGs atomically (`singan_keras.files.atomic_write_path`:
a temporary file in the same folder, flushed, then renamed), so an interrupted run never leaves
half a PNG behind.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import pathlib

import numpy as np
from PIL import Image, UnidentifiedImageError

from singan_keras.errors import InputError
from singan_keras.files import (
    atomic_write_path,
    default_file_mode,  # noqa: F401  (its home before files.py)
)

__all__ = ["ImageError", "image_size", "load_image", "save_grid", "save_image", "to_uint8"]

logger = logging.getLogger("singan_keras")

_UINT16_MAX = 65535.0


class ImageError(InputError):
    """A path exists but does not hold a readable image (a directory, not an image, corrupt)."""


def _alpha_note(alpha: np.ndarray) -> tuple[int, str]:
    """Log level and text for a dropped alpha channel."""
    if np.all(alpha == 255):
        return logging.INFO, "dropped its fully opaque alpha channel"
    return logging.WARNING, (
        "dropped its alpha channel, which has transparent pixels (not composited; the SinGAN "
        "reference drops alpha too)"
    )


def _drop_alpha(image: Image.Image) -> tuple[Image.Image, list[tuple[int, str]]]:
    """The image in one of the modes RGB, L, F, I, I;16*, plus the conversions made."""
    notes: list[tuple[int, str]] = []
    mode = image.mode
    if mode in ("P", "PA"):
        image = image.convert("RGBA")
        notes.append((logging.INFO, f"converted palette image (mode {mode}) to RGB via RGBA"))
        mode = "RGBA"
    elif mode == "1":
        image = image.convert("L")
        notes.append((logging.INFO, "converted bilevel image (mode 1) to grayscale"))
        mode = "L"
    elif mode not in ("RGB", "RGBA", "L", "LA", "F", "I") and not mode.startswith("I;16"):
        image = image.convert("RGB")  # CMYK, YCbCr, LAB, HSV, RGBX, ...
        notes.append((logging.INFO, f"converted mode {mode} to RGB"))
        mode = "RGB"
    if mode in ("RGBA", "LA"):
        notes.append(_alpha_note(np.asarray(image.getchannel("A"))))
        image = image.convert(mode[:-1])  # drops the alpha band, colours untouched
    return image, notes


def _reduction(size: tuple[int, int], max_size: int | None) -> int:
    """The integer factor that keeps the longer side >= 2 * max_size (1: no reduction)."""
    return 1 if max_size is None else max(1, max(size) // (2 * max_size))


def _to_unit_rgb(image: Image.Image) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """Pixels of an RGB, L, F, I or I;16* image in [0, 1] as float64 `(H, W, 3)`."""
    notes: list[tuple[int, str]] = []
    mode = image.mode
    pixels = np.asarray(image)
    if mode == "RGB":
        return pixels.astype(np.float64) / 255.0, notes

    # Grayscale from here on: scale to [0, 1], then replicate.
    if mode == "L":
        gray = pixels.astype(np.float64) / 255.0
        notes.append((logging.INFO, "replicated grayscale (8-bit) to 3 channels"))
    elif mode == "F":
        gray = pixels.astype(np.float64)
        if gray.min() < 0.0 or gray.max() > 1.0 or not np.all(np.isfinite(gray)):
            notes.append((logging.WARNING, "clipped float pixels outside [0, 1]"))
            gray = np.clip(np.nan_to_num(gray), 0.0, 1.0)
        notes.append((logging.INFO, "replicated float grayscale (taken as [0, 1]) to 3 channels"))
    else:  # "I;16*" or "I": 16-bit grayscale (Pillow opens 16-bit PNGs as one of these)
        gray = pixels.astype(np.float64)
        if gray.min() < 0.0 or gray.max() > _UINT16_MAX:
            notes.append((logging.WARNING, "clipped integer pixels outside [0, 65535]"))
            gray = np.clip(gray, 0.0, _UINT16_MAX)
        gray /= _UINT16_MAX
        notes.append(
            (logging.INFO, f"scaled 16-bit grayscale (mode {mode}) by 65535, replicated to 3")
        )
    return np.repeat(gray[..., None], 3, axis=-1), notes


def _decode(image: Image.Image, max_size: int | None) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """Decodes an opened image (reduced for `max_size`) to [0, 1] float64 `(H, W, 3)`."""
    width, height = image.size
    raw_mode = image.tile[0][3] if image.tile else None  # how the file stores its pixels
    factor = _reduction(image.size, max_size)
    if factor > 1:  # JPEG: decode at 1/2, 1/4 or 1/8 directly (a no-op for other formats)
        image.draft(None, (math.ceil(width / factor), math.ceil(height / factor)))
    image.load()  # decode everything now so truncation and corruption surface here
    image, notes = _drop_alpha(image)
    if image.mode == "RGB" and isinstance(raw_mode, str) and ";16" in raw_mode:
        notes.insert(0, (logging.INFO, "read its 16-bit colour channels at 8 bits (Pillow)"))
    factor = _reduction(image.size, max_size)
    if factor > 1:
        image = image.convert("I") if image.mode.startswith("I;16") else image
        image = image.reduce(factor)  # box filter: the mean of each factor x factor block
    if image.size != (width, height):
        notes.append(
            (
                logging.INFO,
                f"decoded its {height}x{width} pixels at {image.height}x{image.width} "
                f"(max_size={max_size}; an image is reduced on load to >= 2 x max_size)",
            )
        )
    unit, more_notes = _to_unit_rgb(image)
    return unit, notes + more_notes


def image_size(path: str | os.PathLike) -> tuple[int, int]:
    """(height, width) of an image file, read from its header without decoding the pixels.

    Args:
        path: Any file Pillow can read.

    Returns:
        `(height, width)` in pixels.

    Raises:
        FileNotFoundError, PermissionError, ImageError: as `load_image`.

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "small.png"
        >>> image_size(save_image(np.zeros((4, 6, 3), np.float32), path))
        (4, 6)
    """
    path = _check_path(path)
    with _opened(path) as image:
        return image.height, image.width


def _check_path(path: str | os.PathLike) -> pathlib.Path:
    path = pathlib.Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Image file not found: '{path}'.")
    if path.is_dir():
        raise ImageError(f"Expected an image file but '{path}' is a directory.")
    if path.stat().st_size == 0:
        raise ImageError(f"'{path}' is an empty file (0 bytes), not an image.")
    return path


@contextlib.contextmanager
def _opened(path: pathlib.Path):
    """`Image.open(path)`, with Pillow's errors turned into one-line errors naming the file."""
    try:
        with Image.open(path) as image:
            yield image
    except UnidentifiedImageError:
        raise ImageError(f"'{path}' is not an image file Pillow can read.") from None
    except PermissionError:
        raise
    except Image.DecompressionBombError as error:
        raise ImageError(f"'{path}' is too large to decode safely: {error}") from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageError(
            f"Cannot decode image '{path}' (truncated or corrupt?): {error}"
        ) from error


def load_image(path: str | os.PathLike, max_size: int | None = None) -> np.ndarray:
    """Load an image file as float32 `(H, W, 3)` in [-1, 1].

    Args:
        path: Any file Pillow can read (PNG, JPEG, TIFF, GIF, BMP, WebP, ...).
        max_size: If given, an image whose longer side is at least 4 x `max_size` is decoded
            at reduced resolution, by the largest integer factor that keeps its longer side
            >= 2 x `max_size`: a JPEG directly by the decoder at 1/2, 1/4 or 1/8
            (`Image.draft`, so the full-size pixels never exist), then any format by
            averaging blocks of pixels (`Image.reduce`, a box filter). SinGAN then resizes
            it to `max_size` (`singan_keras.pyramid.build_pyramid`) from at least twice the
            pixels it keeps. `image_size` gives the size of the file itself.

    Returns:
        A float32 array of shape `(H, W, 3)` with values in [-1, 1].

    Raises:
        FileNotFoundError: If `path` does not exist.
        PermissionError: If it cannot be read.
        ImageError: If `path` is a directory, empty, not an image, a truncated or corrupt
            image, or too large for Pillow to decode safely (`ImageError` is a `ValueError`).

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "grey.png"
        >>> _ = save_image(np.ones((4, 6, 3), np.float32), path)
        >>> image = load_image(path)
        >>> image.shape, image.dtype, float(image.max())
        ((4, 6, 3), dtype('float32'), 1.0)
    """
    path = _check_path(path)
    with _opened(path) as image:
        frames = getattr(image, "n_frames", 1)
        unit, notes = _decode(image, max_size)
    if frames > 1:
        notes.insert(0, (logging.INFO, f"used the first of its {frames} frames"))
    _log_once(path, notes)
    return (unit * 2.0 - 1.0).astype(np.float32)


# (file, size, modification time, note) already logged: `singan train` loads its image twice
# (once to check it before Keras is imported, once to train), and a note said twice reads
# like two problems. A changed file gets its notes again.
_logged_notes: set[tuple[str, int, int, str]] = set()


def _log_once(path: pathlib.Path, notes: list[tuple[int, str]]) -> None:
    """Logs each of `notes` about `path` once per process (per version of the file)."""
    try:
        stat = path.stat()
        version = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    except OSError:
        version = (str(path), -1, -1)
    for level, text in notes:
        if (*version, text) not in _logged_notes:
            _logged_notes.add((*version, text))
            logger.log(level, "load_image '%s': %s.", path, text)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Map float pixels in [-1, 1] to uint8 in [0, 255] (clipped, rounded to nearest).

    Args:
        image: Array-like of any shape with values nominally in [-1, 1].

    Returns:
        A uint8 array of the same shape.

    Raises:
        ValueError: If the image contains NaN or infinity.

    Example:
        >>> to_uint8(np.array([-1.0, 0.0, 1.0, 3.0])).tolist()
        [0, 128, 255, 255]
    """
    image = np.asarray(image, dtype=np.float64)
    if not np.all(np.isfinite(image)):
        raise ValueError("Cannot convert an image with NaN or infinite values to uint8.")
    return np.round((np.clip(image, -1.0, 1.0) + 1.0) * 127.5).astype(np.uint8)


def _as_hwc3(image: np.ndarray, what: str = "image") -> np.ndarray:
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[-1] not in (1, 3):
        raise ValueError(
            f"{what} must have shape (H, W), (H, W, 1) or (H, W, 3); got {image.shape}."
        )
    if image.shape[-1] == 1:
        image = np.repeat(image, 3, axis=-1)
    return image


def _write_png_atomically(pixels: np.ndarray, path: str | os.PathLike) -> pathlib.Path:
    path = pathlib.Path(path)
    if path.suffix.lower() != ".png":
        logger.warning("save_image '%s': writing PNG data despite the suffix.", path)
    with atomic_write_path(path, ".png") as temporary:
        Image.fromarray(pixels).save(temporary, format="PNG")
    return path


def save_image(image: np.ndarray, path: str | os.PathLike) -> pathlib.Path:
    """Write a float image in [-1, 1] as an 8-bit RGB PNG, atomically.

    Values are clipped to [-1, 1] and rounded to the nearest of 256 levels. Grayscale input
    is written as RGB. Missing parent folders are created.

    Args:
        image: `(H, W, 3)`, `(H, W, 1)` or `(H, W)` array in [-1, 1].
        path: Destination file (PNG data is written whatever the suffix).

    Returns:
        The path written, as a `pathlib.Path`.

    Raises:
        ValueError: If the shape is not an image's or a value is NaN or infinite.

    Example:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> save_image(np.zeros((8, 8, 3)), folder / "out" / "grey.png").name
        'grey.png'
    """
    return _write_png_atomically(to_uint8(_as_hwc3(image)), path)


def save_grid(
    images: np.ndarray | list,
    path: str | os.PathLike,
    columns: int | None = None,
    padding: int = 2,
) -> pathlib.Path:
    """Write equally sized images in [-1, 1] as one grid PNG (black padding between cells).

    Args:
        images: `(N, H, W, C)` array or a list of `(H, W, C)` / `(H, W)` arrays, all the same
            size, C in {1, 3}.
        path: Destination PNG.
        columns: Images per row; defaults to `ceil(sqrt(N))`.
        padding: Pixels of black between and around the cells (>= 0).

    Returns:
        The path written.

    Raises:
        ValueError: If there are no images, their sizes differ, or an argument is out of range.

    Example:
        >>> import tempfile, pathlib
        >>> samples = np.zeros((5, 16, 16, 3), np.float32)
        >>> path = save_grid(samples, pathlib.Path(tempfile.mkdtemp()) / "grid.png", columns=3)
        >>> load_image(path).shape  # 2 rows x 3 columns of 16 px, 2 px padding
        (38, 56, 3)
    """
    cells = [_as_hwc3(image, "each image") for image in images]
    if not cells:
        raise ValueError("save_grid needs at least one image; got none.")
    shapes = {cell.shape for cell in cells}
    if len(shapes) != 1:
        raise ValueError(f"save_grid needs equally sized images; got shapes {sorted(shapes)}.")
    if isinstance(padding, bool) or int(padding) != padding or padding < 0:
        raise ValueError(f"padding must be an integer >= 0, got {padding!r}.")
    count = len(cells)
    columns = math.ceil(math.sqrt(count)) if columns is None else columns
    if isinstance(columns, bool) or int(columns) != columns or columns < 1:
        raise ValueError(f"columns must be a positive integer, got {columns!r}.")
    columns = min(int(columns), count)
    rows = math.ceil(count / columns)
    height, width, _ = cells[0].shape
    grid = np.full(
        (rows * (height + padding) + padding, columns * (width + padding) + padding, 3),
        -1.0,
        dtype=np.float64,
    )
    for index, cell in enumerate(cells):
        top = padding + (index // columns) * (height + padding)
        left = padding + (index % columns) * (width + padding)
        grid[top : top + height, left : left + width] = cell
    return _write_png_atomically(to_uint8(grid), path)
