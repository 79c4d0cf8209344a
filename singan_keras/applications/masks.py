"""Masks and naive composites: the inputs that editing and harmonization need, made for you.

`edit` and `harmonize` (`singan_keras.applications.editing`) take an image and a binary mask
of the region that changed. This module makes both:

* a mask from an **edited image and its original** (`mask_from_difference`): the pixels whose
  largest colour difference exceeds a threshold, then cleaned up (`clean_mask`);
* a mask from **coordinates** (`mask_from_rectangle`, `mask_from_polygon`);
* a mask from a **colour key** (`mask_from_color`): the pixels close to a given colour;
* a **naive composite** (`naive_composite`): an object image pasted onto a background at a
  position and scale, with the mask of what was pasted — the input of `harmonize`.

Images are what the rest of the package uses: a file, or an (H, W, 3) float array in
[-1, 1] (`singan_keras.load_image`). Masks are (H, W) bool arrays, True inside; `save_mask`
writes one as a black-and-white PNG that `edit`, `harmonize` and ``--mask`` read.

Geometry: pixel (row i, column j) covers the square [j, j + 1] x [i, i + 1] of the image
plane; x runs along columns, y down the rows. A shape contains a pixel when it contains the
pixel's centre (j + 0.5, i + 0.5); a centre exactly on an edge belongs to the shape on the
edge's right or lower side only (the "top-left rule" of graphics cards), so shapes that share
an edge never share a pixel. The rectangle (x0, y0, x1, y1) with integer corners is then the
slice ``[y0:y1, x0:x1]``, as Pillow's crop box.

Every check fails with an `InputError` (a `ValueError`) of one line that names the
command-line flag (``threshold (--threshold)``), so ``singan mask`` and ``singan composite``
print it as it is.

Example:
    >>> import numpy as np
    >>> from singan_keras.applications import mask_from_difference
    >>> original = np.zeros((40, 40, 3), np.float32)
    >>> edited = original.copy(); edited[10:20, 5:30] = 0.5
    >>> mask = mask_from_difference(edited, original)
    >>> int(mask.sum()), bool(mask[15, 10]), bool(mask[30, 30])
    (250, True, False)
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
from scipy import ndimage

from singan_keras.errors import InputError
from singan_keras.imresize import imresize

__all__ = [
    "clean_mask",
    "mask_from_color",
    "mask_from_difference",
    "mask_from_polygon",
    "mask_from_rectangle",
    "mask_outline",
    "naive_composite",
    "save_mask",
]

# This module imports neither Keras nor the other applications (which do), so that
# `singan mask` and `singan composite` start no backend.
ImageLike = str | os.PathLike | np.ndarray
Point = tuple[float, float]


# -- checks ------------------------------------------------------------------------------------


def _rgb(image: ImageLike, flag: str) -> np.ndarray:
    """(H, W, 3) float32 in [-1, 1] from a file or an array (one-line errors naming `flag`)."""
    from singan_keras.image_io import load_image

    if not isinstance(image, np.ndarray):
        return load_image(image)
    array = np.asarray(image, dtype=np.float32)
    if array.ndim != 3 or array.shape[-1] != 3:
        raise InputError(f"{flag} must be an (H, W, 3) RGB array; got shape {array.shape}.")
    if not np.all(np.isfinite(array)) or array.min() < -1.0 - 1e-4 or array.max() > 1.0 + 1e-4:
        raise InputError(f"{flag} must hold finite values in [-1, 1] (see load_image).")
    return np.clip(array, -1.0, 1.0)


def _binary(mask: ImageLike, shape: tuple[int, int], flag: str) -> np.ndarray:
    """A black-and-white mask (file, or array of bools or 0/1) of `shape`, as (H, W) bool."""
    from singan_keras.image_io import load_image

    if isinstance(mask, np.ndarray):
        array = mask.astype(np.float64)
        array = array / 255.0 if mask.dtype == np.uint8 and array.max() > 1 else array
    else:
        array = (load_image(mask).astype(np.float64) + 1.0) / 2.0  # [-1, 1] -> [0, 1]
    if array.ndim == 3:
        array = array.max(axis=-1)
    if array.shape != tuple(shape):
        _same_size(np.empty(shape), array, ("OBJECT", flag))
    if not np.all((array == 0.0) | (array == 1.0)):
        raise InputError(f"{flag} must be black and white only (0 and 255), without grey.")
    return array == 1.0


def _same_size(first: np.ndarray, second: np.ndarray, names: tuple[str, str]) -> None:
    if first.shape[:2] != second.shape[:2]:
        (h1, w1), (h2, w2) = first.shape[:2], second.shape[:2]
        raise InputError(
            f"{names[0]} is {h1}x{w1} but {names[1]} is {h2}x{w2} (height x width): they must "
            "have the same size."
        )


def _usable(mask: np.ndarray, empty_hint: str, full_hint: str) -> np.ndarray:
    """`mask` if it marks some pixels but not all (neither helps editing nor harmonization)."""
    if not mask.any():
        raise InputError(f"The mask is empty (no pixel selected): {empty_hint}.")
    if mask.all():
        raise InputError(f"The mask covers the whole image: {full_hint}.")
    return mask


def _radius(value: int, name: str) -> int:
    if isinstance(value, bool) or int(value) != value or value < 0:
        raise InputError(f"{name} (--{name}) must be an integer >= 0 (pixels), got {value!r}.")
    return int(value)


# -- clean-up ----------------------------------------------------------------------------------


def _disk(radius: int) -> np.ndarray:
    """Disk structuring element: offsets (y, x) with y² + x² <= radius²."""
    y, x = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    return (y * y + x * x) <= radius * radius


def _morphology(operation, mask: np.ndarray, radius: int) -> np.ndarray:
    # A square, not a disk: an opening by a disk would cut the corners of a rectangular edit.
    square = np.ones((2 * radius + 1, 2 * radius + 1), dtype=bool)
    # scipy treats the outside as background, so a closing would eat a region that touches
    # the image border; repeating the edge pixels makes the border neutral.
    padded = np.pad(mask, radius, mode="edge")
    return operation(padded, structure=square)[radius:-radius, radius:-radius]


def clean_mask(
    mask: np.ndarray,
    opening: int = 0,
    closing: int = 0,
    dilation: int = 0,
    fill_holes: bool = False,
) -> np.ndarray:
    """Cleans a raw binary mask with morphology (radii in pixels, 0 = skip).

    In this order: a **closing** joins changed pixels up to ~2·closing apart (an edit of a
    texture changes many but not all of its pixels), **fill_holes** fills what the closing
    encloses, an **opening** then removes specks and threads thinner than ~2·opening, and a
    **dilation** grows the result by a margin. Closing before opening keeps the scattered
    pixels of a real edit, which an opening alone would remove as specks. Opening and
    closing use a (2r + 1)-pixel square, which keeps the corners of a rectangular edit; the
    dilation a disk of radius r, which grows the mask evenly in every direction.

    Args:
        mask: (H, W) bool.
        opening: opening radius (removes specks).
        closing: closing radius (bridges gaps).
        dilation: dilation radius (adds a margin).
        fill_holes: fill regions enclosed by the mask.

    Returns:
        (H, W) bool.

    Example:
        >>> mask = np.zeros((9, 9), bool); mask[2:7, 2:7] = True; mask[4, 4] = False
        >>> mask[0, 8] = True  # a speck
        >>> cleaned = clean_mask(mask, opening=1, fill_holes=True)
        >>> bool(cleaned[4, 4]), bool(cleaned[0, 8])
        (True, False)
    """
    opening, closing = _radius(opening, "opening"), _radius(closing, "closing")
    dilation = _radius(dilation, "dilation")
    mask = np.asarray(mask, dtype=bool)
    if closing:
        mask = _morphology(ndimage.binary_closing, mask, closing)
    if fill_holes:
        mask = ndimage.binary_fill_holes(mask)
    if opening:
        mask = _morphology(ndimage.binary_opening, mask, opening)
    if dilation:
        mask = ndimage.binary_dilation(mask, structure=_disk(dilation))
    return mask


# -- masks -------------------------------------------------------------------------------------


def mask_from_difference(
    edited: ImageLike,
    original: ImageLike,
    threshold: float = 0.01,
    *,
    opening: int = 1,
    closing: int = 4,
    dilation: int = 0,
) -> np.ndarray:
    """The mask of what an edit changed: pixels that differ beyond `threshold`, cleaned up.

    A pixel is changed when its largest colour difference, as a fraction of the full range
    (``|edited − original| / 2`` in [-1, 1] units), exceeds `threshold`; the default 0.01 is
    about 2.5 of 255 grey levels, above the rounding of an 8-bit PNG. The raw mask is then
    closed, its holes filled, opened and dilated (`clean_mask`): an edit that copies texture
    leaves many pixels nearly unchanged, and the closing bridges them.

    Args:
        edited: the edited image (file or (H, W, 3) array in [-1, 1]).
        original: the image before the edit, same size.
        threshold: in [0, 1); raise it for a JPEG-saved edit (compression noise).
        opening: opening radius in pixels (removes specks).
        closing: closing radius in pixels (bridges gaps in a textured edit).
        dilation: dilation radius in pixels (a margin around the edit).

    Returns:
        (H, W) bool, True where the image was edited.

    Raises:
        ValueError: the sizes differ, `threshold` is out of range, or the mask is empty or
            covers the whole image.

    Example:
        >>> original = np.zeros((30, 30, 3), np.float32)
        >>> edited = original.copy(); edited[5:15, 5:25] = 1.0
        >>> edited[27, 2] = 1.0  # one stray pixel: the opening removes it
        >>> int(mask_from_difference(edited, original).sum())
        200
    """
    if not 0.0 <= threshold < 1.0:
        raise InputError(f"threshold (--threshold) must be in [0, 1), got {threshold!r}.")
    edited_pixels = _rgb(edited, "the edited image (IMAGE)")
    original_pixels = _rgb(original, "original (--original)")
    _same_size(edited_pixels, original_pixels, ("the edited image (IMAGE)", "its original"))
    difference = np.abs(edited_pixels - original_pixels).max(axis=-1) / 2.0
    raw = difference > threshold
    _usable(
        raw,
        f"no pixel differs by more than threshold (--threshold) {threshold:g} (the largest "
        f"difference is {difference.max():.3g}); lower it, or check that the files differ",
        "every pixel differs; are these an edit and its original?",
    )
    mask = clean_mask(raw, opening, closing, dilation, fill_holes=True)
    return _usable(
        mask,
        "the opening (--opening) removed every changed pixel; use a smaller one",
        "lower --closing and --dilation, or raise --threshold",
    )


def _check_points(points: Sequence[Point], shape: tuple[int, int], flag: str) -> np.ndarray:
    height, width = shape
    try:
        array = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{flag} must be (x, y) pairs of numbers, got {points!r}.") from None
    if array.ndim != 2 or array.shape[1] != 2 or not np.all(np.isfinite(array)):
        raise InputError(f"{flag} must be (x, y) pairs of finite numbers, got {points!r}.")
    outside = (array[:, 0] < 0) | (array[:, 0] > width) | (array[:, 1] < 0) | (array[:, 1] > height)
    if outside.any():
        x, y = array[np.argmax(outside)]
        raise InputError(
            f"{flag}: the point ({x:g}, {y:g}) is outside the image; x must be in [0, {width}] "
            f"and y in [0, {height}] (width {width}, height {height})."
        )
    return array


def _inside_polygon(vertices: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Pixel centres inside the polygon (even-odd rule, centres on an edge: top-left rule)."""
    height, width = shape
    mask = np.zeros(shape, dtype=bool)
    low = np.floor(vertices.min(axis=0)).astype(int)
    high = np.ceil(vertices.max(axis=0)).astype(int)
    x0, y0 = max(low[0], 0), max(low[1], 0)  # only the bounding box can be inside
    x1, y1 = min(high[0], width), min(high[1], height)
    if x1 <= x0 or y1 <= y0:
        return mask
    y, x = np.mgrid[y0:y1, x0:x1] + 0.5
    inside = np.zeros(x.shape, dtype=bool)
    # A ray from each centre to the right crosses the edges; an odd count is inside. The
    # comparisons are strict one way and not the other, which decides centres on an edge.
    for (xa, ya), (xb, yb) in zip(vertices, np.roll(vertices, -1, axis=0), strict=True):
        if ya == yb:
            continue  # a horizontal edge is never crossed by a horizontal ray
        spans = (ya > y) != (yb > y)
        # x < xa + (y − ya)(xb − xa)/(yb − ya), multiplied out to stay exact on half-integers
        left_of = (x - xa) * (yb - ya) < (y - ya) * (xb - xa)
        if yb < ya:
            left_of = (x - xa) * (yb - ya) > (y - ya) * (xb - xa)
        inside ^= spans & left_of
    mask[y0:y1, x0:x1] = inside
    return mask


def _shape_of(image_or_shape: ImageLike | tuple[int, int]) -> tuple[int, int]:
    if isinstance(image_or_shape, tuple):
        return int(image_or_shape[0]), int(image_or_shape[1])
    if isinstance(image_or_shape, str | os.PathLike):
        from singan_keras.image_io import image_size

        return image_size(image_or_shape)
    return tuple(np.shape(image_or_shape)[:2])


def mask_from_polygon(
    image_or_shape: ImageLike | tuple[int, int], points: Sequence[Point]
) -> np.ndarray:
    """A polygon's mask: the pixels whose centre lies inside (see the module's geometry).

    Args:
        image_or_shape: the image the mask is for (file or array), or its (height, width).
        points: at least three (x, y) vertices in pixels, x along columns, y down the rows,
            each within [0, width] x [0, height]. The polygon closes itself; a
            self-intersecting one is filled by the even-odd rule.

    Returns:
        (H, W) bool.

    Raises:
        ValueError: fewer than three points, a point outside the image, or an empty mask.

    Example:
        >>> # a right triangle with legs 4 (x) and 2 (y): rows of 3 and 1 pixel centres
        >>> mask_from_polygon((3, 5), [(0, 0), (4, 0), (0, 2)]).astype(int)
        array([[1, 1, 1, 0, 0],
               [1, 0, 0, 0, 0],
               [0, 0, 0, 0, 0]])
    """
    shape = _shape_of(image_or_shape)
    vertices = _check_points(points, shape, "--polygon")
    if len(vertices) < 3:
        raise InputError(f"--polygon needs at least 3 points (x,y), got {len(vertices)}.")
    return _usable(
        _inside_polygon(vertices, shape),
        "the polygon (--polygon) holds no pixel centre; give a larger one",
        "give a polygon smaller than the image",
    )


def mask_from_rectangle(
    image_or_shape: ImageLike | tuple[int, int], box: tuple[float, float, float, float]
) -> np.ndarray:
    """A rectangle's mask; ``(x0, y0, x1, y1)`` with integer corners is ``[y0:y1, x0:x1]``.

    Args:
        image_or_shape: the image the mask is for (file or array), or its (height, width).
        box: left, top, right, bottom edges in pixels, ``0 <= x0 < x1 <= width`` and
            ``0 <= y0 < y1 <= height`` (as Pillow's crop box).

    Returns:
        (H, W) bool.

    Raises:
        ValueError: corners outside the image or in the wrong order, or an empty or full mask.

    Example:
        >>> int(mask_from_rectangle((10, 10), (2, 3, 7, 5)).sum())  # 5 wide, 2 high
        10
    """
    shape = _shape_of(image_or_shape)
    if len(box) != 4:
        raise InputError(f"--rect needs 4 numbers X0 Y0 X1 Y1, got {len(box)}.")
    x0, y0, x1, y1 = box
    _check_points([(x0, y0), (x1, y1)], shape, "--rect")
    if not (x0 < x1 and y0 < y1):
        raise InputError(
            f"--rect X0 Y0 X1 Y1 needs X0 < X1 and Y0 < Y1 (left, top, right, bottom), got "
            f"{x0:g} {y0:g} {x1:g} {y1:g}."
        )
    corners = np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], dtype=np.float64)
    return _usable(
        _inside_polygon(corners, shape),
        "the rectangle (--rect) holds no pixel centre; give a larger one",
        "give a rectangle smaller than the image",
    )


def mask_from_color(
    image: ImageLike,
    color: tuple[int, int, int],
    tolerance: float = 30.0,
    *,
    opening: int = 0,
    closing: int = 0,
    dilation: int = 0,
) -> np.ndarray:
    """A colour key: the pixels within `tolerance` of `color`, then cleaned up (`clean_mask`).

    Args:
        image: file or (H, W, 3) array in [-1, 1].
        color: (R, G, B), each 0..255.
        tolerance: the largest Euclidean RGB distance kept, in 0..255 units (>= 0; the
            distance from black to white is 441.7).
        opening: opening radius in pixels (removes specks of the colour elsewhere).
        closing: closing radius in pixels (fills gaps).
        dilation: dilation radius in pixels.

    Returns:
        (H, W) bool.

    Raises:
        ValueError: a colour outside 0..255, a negative tolerance, or an empty or full mask.

    Example:
        >>> image = np.full((4, 4, 3), -1.0, np.float32); image[1:3, 1:3] = [1.0, -1.0, -1.0]
        >>> int(mask_from_color(image, (250, 0, 0), tolerance=10).sum())  # the red square
        4
    """
    rgb = np.asarray(color, dtype=np.float64)
    if rgb.shape != (3,) or not np.all((rgb >= 0) & (rgb <= 255)):
        raise InputError(f"color (--color) must be R,G,B with each in 0..255, got {color!r}.")
    if not tolerance >= 0:
        raise InputError(f"tolerance (--tolerance) must be >= 0, got {tolerance!r}.")
    pixels = (_rgb(image, "IMAGE").astype(np.float64) + 1.0) * 127.5  # -> 0..255
    distance = np.linalg.norm(pixels - rgb, axis=-1)
    raw = distance <= tolerance
    _usable(
        raw,
        f"no pixel is within tolerance (--tolerance) {tolerance:g} of the colour (the closest "
        f"is {distance.min():.1f} away); raise it",
        "every pixel is within the tolerance (--tolerance); lower it",
    )
    return _usable(
        clean_mask(raw, opening, closing, dilation),
        "the opening (--opening) removed every pixel; use a smaller one",
        "lower --closing and --dilation, or --tolerance",
    )


# -- composites --------------------------------------------------------------------------------


def _object_with_alpha(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray | None]:
    """An object file as (H, W, 3) in [-1, 1] and its alpha (> half opaque), None if opaque."""
    from singan_keras.image_io import _check_path, _opened, load_image

    with _opened(_check_path(path)) as image:  # one-line errors naming the file
        has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        if has_alpha:
            rgba = np.asarray(image.convert("RGBA"), dtype=np.float64)
    if not has_alpha:
        return load_image(path), None
    # load_image would drop the alpha with a warning about it; here the alpha is the point.
    return (rgba[..., :3] / 127.5 - 1.0).astype(np.float32), rgba[..., 3] >= 128


def _object_mask(mask: ImageLike | None, alpha: np.ndarray | None, shape) -> np.ndarray:
    if mask is not None:
        chosen = _binary(mask, shape, "--mask")
        if not chosen.any():
            raise InputError("--mask is empty (all black): paint the object white.")
        return chosen
    if alpha is None:
        raise InputError(
            "OBJECT has no transparency: give --mask (white = the object), or save the object "
            "as a PNG with an alpha channel."
        )
    if not alpha.any():
        raise InputError("OBJECT is fully transparent: its alpha channel marks no pixel.")
    return alpha


def _scaled(pixels: np.ndarray, mask: np.ndarray, scale: float):
    if not (np.isfinite(scale) and scale > 0):
        raise InputError(f"scale (--scale) must be a number > 0, got {scale!r}.")
    height, width = mask.shape
    size = (round(height * scale), round(width * scale))
    if min(size) < 1:
        raise InputError(
            f"scale (--scale) {scale:g} shrinks the {height}x{width} object to nothing; "
            "use a larger one."
        )
    if size == (height, width):
        return pixels, mask
    # the package's bicubic, as for every other resize; the mask as `edit` resizes masks
    resized = np.clip(imresize(pixels, size), -1.0, 1.0).astype(np.float32)
    return resized, imresize(mask.astype(np.float32), size) > 0.5


def naive_composite(
    background: ImageLike,
    obj: ImageLike,
    position: tuple[int, int],
    *,
    mask: ImageLike | None = None,
    scale: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Pastes an object onto a background: the naive composite that `harmonize` takes.

    The object is resized by `scale` (the package's bicubic `imresize`; its mask likewise,
    thresholded at 0.5), and its top-left corner goes to `position` in the background; the
    pixels under its mask are replaced, the others kept exactly.

    Args:
        background: file or (H, W, 3) array in [-1, 1] (the image the model is trained on).
        obj: the object: a file (its alpha channel, >= 50 % opaque, is the mask when `mask`
            is not given) or an (h, w, 3) array in [-1, 1].
        position: (x, y) of the scaled object's top-left corner in the background, in
            pixels; may be negative as long as every masked pixel lands inside.
        mask: the object's mask (file or (h, w) array, white/True = object), the object's
            size; needed for an object without transparency.
        scale: resize factor of the object, > 0.

    Returns:
        (composite, mask): (H, W, 3) float32 in [-1, 1], and the (H, W) bool mask of the
        pasted pixels. The composite equals the background where the mask is False and the
        scaled object where it is True.

    Raises:
        ValueError: a mask of another size, an empty object mask, an object that does not
            fit at `position`, or a composite mask covering the whole background.

    Example:
        >>> background = np.zeros((20, 30, 3), np.float32)
        >>> cup = np.ones((4, 6, 3), np.float32)
        >>> image, pasted = naive_composite(background, cup, (10, 5), mask=np.ones((4, 6), bool))
        >>> int(pasted.sum()), float(image[5, 10, 0]), float(image[4, 10, 0])
        (24, 1.0, 0.0)
    """
    back = _rgb(background, "BACKGROUND")
    if isinstance(obj, np.ndarray):
        pixels, alpha = _rgb(obj, "OBJECT"), None
    else:
        pixels, alpha = _object_with_alpha(obj)
    object_mask = _object_mask(mask, alpha, pixels.shape[:2])
    pixels, object_mask = _scaled(pixels, object_mask, scale)
    if not object_mask.any():
        raise InputError(f"scale (--scale) {scale:g} shrinks the object's mask to nothing.")
    try:
        x, y = (int(value) for value in position)
    except (TypeError, ValueError):
        raise InputError(f"position (--at) must be X,Y in pixels, got {position!r}.") from None
    rows, columns = np.nonzero(object_mask)
    top, bottom = y + rows.min(), y + rows.max()
    left, right = x + columns.min(), x + columns.max()
    height, width = back.shape[:2]
    if top < 0 or left < 0 or bottom >= height or right >= width:
        raise InputError(
            f"position (--at) {x},{y}: the object's mask would cover columns {left}..{right} "
            f"and rows {top}..{bottom}, outside the {height}x{width} background (height x "
            "width); move it or use a smaller --scale."
        )
    pasted = np.zeros((height, width), dtype=bool)
    inside = (rows + y, columns + x)
    pasted[inside] = True
    _usable(pasted, "", "the object covers the whole background; use a smaller --scale")
    image = back.copy()
    image[inside] = pixels[rows, columns]
    return image, pasted


# -- output ------------------------------------------------------------------------------------


def mask_outline(
    image: ImageLike, mask: np.ndarray, color=(255, 0, 0), width: int = 1
) -> np.ndarray:
    """The image with the mask's border drawn in `color`: a preview of what a mask selects.

    The border is the mask's pixels within `width` steps (4-neighbours) of a pixel outside
    it, so the outline lies on the selected region.

    Args:
        image: file or (H, W, 3) array in [-1, 1].
        mask: (H, W) bool, the image's size.
        color: (R, G, B) of the outline, 0..255.
        width: the outline's width in pixels, >= 1 (thicker for a figure shown small).

    Returns:
        (H, W, 3) float32 in [-1, 1].

    Example:
        >>> mask = np.zeros((5, 5), bool); mask[1:4, 1:4] = True
        >>> preview = mask_outline(np.zeros((5, 5, 3), np.float32), mask)
        >>> int((preview[..., 0] == 1.0).sum())  # the 3x3 square's 8 border pixels
        8
    """
    pixels = _rgb(image, "IMAGE")
    mask = np.asarray(mask, dtype=bool)
    _same_size(pixels, mask, ("IMAGE", "the mask"))
    if width < 1:
        raise InputError(f"width must be >= 1, got {width!r}.")
    border = mask & ~ndimage.binary_erosion(mask, iterations=int(width), border_value=1)
    out = pixels.copy()
    out[border] = np.asarray(color, dtype=np.float32) / 127.5 - 1.0
    return out


def save_mask(mask: np.ndarray, path: str | os.PathLike):
    """Writes a mask as an 8-bit grayscale PNG (0 outside, 255 inside), atomically.

    Args:
        mask: (H, W) bool.
        path: the PNG file; missing folders are created.

    Returns:
        The path written, as a `pathlib.Path`.

    Example:
        >>> import pathlib, tempfile
        >>> from singan_keras import load_image
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "mask.png"
        >>> load_image(save_mask(np.eye(2, dtype=bool), path))[..., 0]  # in [-1, 1]
        array([[ 1., -1.],
               [-1.,  1.]], dtype=float32)
    """
    from pathlib import Path

    from PIL import Image

    from singan_keras.files import atomic_write_path

    path = Path(path)
    pixels = np.where(np.asarray(mask, dtype=bool), 255, 0).astype(np.uint8)
    with atomic_write_path(path, ".png") as temporary:
        Image.fromarray(pixels, mode="L").save(temporary, format="PNG")
    return path
