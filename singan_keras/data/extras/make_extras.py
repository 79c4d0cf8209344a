"""Regenerates the application inputs in this folder from the bundled images (deterministic).

    python -m singan_keras.data.extras.make_extras [OUT_DIR]     (default: this folder)

Every file is derived from `singan_keras/data/images/` only (see `../LICENSES.md`):

* ``rocket_paint.png`` (paint-to-image, Fig. 11): ``rocket`` mirrored left-right, averaged
  over 5x5-pixel blocks, and flattened to its 6 k-means colours — a blocky "clipart" with
  a layout the model has not seen (launch tower on the other side).
* ``brick_edited.png`` + ``brick_edited_mask.png`` (editing, Fig. 12): ``brick`` with a
  90x90 region copied from (top 40, left 30) onto (top 120, left 130), so mortar lines break
  at the seams; the mask is the pasted square.
* ``hubble_deep_field_composite.png`` + ``..._mask.png`` (harmonization, Fig. 13): the
  cup-and-saucer ellipse of ``coffee``, halved in size, pasted in the middle of
  ``hubble_deep_field``; the mask is the pasted ellipse.

Masks are 8-bit grayscale PNGs with values 0 and 255 only. Uses numpy and Pillow (Lanczos for
the cup's resize, exact box averages for the blocks); no Keras.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image

from singan_keras.applications.paint import color_palette, quantize_colors

HERE = Path(__file__).resolve().parent
IMAGES = HERE.parent / "images"

PAINT_BLOCK = 5  # pixels per block side
PAINT_COLORS = 6
EDIT_SOURCE = (40, 30)  # (top, left) of the copied region
EDIT_TARGET = (120, 130)  # (top, left) where it is pasted
EDIT_SIZE = 90
CUP_CENTRE = (90, 116)  # (row, column) of the saucer's centre in coffee.png
CUP_RADII = (61, 85)  # (vertical, horizontal) semi-axes of the ellipse
CUP_SCALE = 0.5


def _read(name: str) -> np.ndarray:
    with Image.open(IMAGES / f"{name}.png") as image:
        return np.asarray(image.convert("RGB"))


def _write(pixels: np.ndarray, path: Path) -> None:
    mode = "L" if pixels.ndim == 2 else "RGB"
    Image.fromarray(pixels.astype(np.uint8), mode=mode).save(path, format="PNG")


def make_paint() -> np.ndarray:
    """Mirrored, 5x5-block-averaged, 6-colour k-means version of `rocket`."""
    image = _read("rocket")[:, ::-1].astype(np.float64) / 255.0
    height, width, _ = image.shape
    blocky = np.empty_like(image)
    for top in range(0, height, PAINT_BLOCK):
        for left in range(0, width, PAINT_BLOCK):
            block = image[top : top + PAINT_BLOCK, left : left + PAINT_BLOCK]
            blocky[top : top + PAINT_BLOCK, left : left + PAINT_BLOCK] = block.mean((0, 1))
    flat = quantize_colors(blocky, color_palette(blocky, PAINT_COLORS))
    return np.round(flat * 255.0).astype(np.uint8)


def make_edit() -> tuple[np.ndarray, np.ndarray]:
    """`brick` with a square copied elsewhere, and the square's mask."""
    image = _read("brick").copy()
    (sy, sx), (ty, tx), n = EDIT_SOURCE, EDIT_TARGET, EDIT_SIZE
    image[ty : ty + n, tx : tx + n] = _read("brick")[sy : sy + n, sx : sx + n]
    mask = np.zeros(image.shape[:2], np.uint8)
    mask[ty : ty + n, tx : tx + n] = 255
    return image, mask


def make_composite() -> tuple[np.ndarray, np.ndarray]:
    """The coffee cup (an ellipse, half size) pasted in the middle of the Hubble deep field."""
    background = _read("hubble_deep_field").copy()
    cup = _read("coffee")
    (cy, cx), (ry, rx) = CUP_CENTRE, CUP_RADII
    crop = cup[cy - ry : cy + ry + 1, cx - rx : cx + rx + 1]
    y, x = np.mgrid[-ry : ry + 1, -rx : rx + 1]
    ellipse = (y / ry) ** 2 + (x / rx) ** 2 <= 1.0
    size = (round(crop.shape[1] * CUP_SCALE), round(crop.shape[0] * CUP_SCALE))  # (W, H)
    small = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.LANCZOS))
    small_mask = np.asarray(
        Image.fromarray(ellipse.astype(np.uint8) * 255).resize(size, Image.Resampling.NEAREST)
    )
    top = (background.shape[0] - small.shape[0]) // 2
    left = (background.shape[1] - small.shape[1]) // 2
    inside = small_mask > 127
    region = background[top : top + small.shape[0], left : left + small.shape[1]]
    region[inside] = small[inside]
    mask = np.zeros(background.shape[:2], np.uint8)
    mask[top : top + small.shape[0], left : left + small.shape[1]][inside] = 255
    return background, mask


def make_all(out_dir: Path = HERE) -> list[Path]:
    """Writes every extra into `out_dir`; returns the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    edited, edit_mask = make_edit()
    composite, composite_mask = make_composite()
    files = {
        "rocket_paint.png": make_paint(),
        "brick_edited.png": edited,
        "brick_edited_mask.png": edit_mask,
        "hubble_deep_field_composite.png": composite,
        "hubble_deep_field_composite_mask.png": composite_mask,
    }
    paths = []
    for name, pixels in files.items():
        _write(pixels, out_dir / name)
        paths.append(out_dir / name)
    return paths


if __name__ == "__main__":
    for written in make_all(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(written)
