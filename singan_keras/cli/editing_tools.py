"""`singan mask` and `singan composite`: make the inputs of `singan edit` and `singan harmonize`.

Both are plain image processing (numpy, scipy, Pillow): they import neither Keras nor a
backend, and run the same under every ``KERAS_BACKEND``. Output paths are checked before
any image is read; every mistake is one line.

Example:
    $ singan mask singan_keras/data/extras/brick_edited.png --original brick --out mask.png
    $ singan mask coffee --rect 30 30 200 150 --out box.png --preview box_preview.png
    $ singan composite hubble_deep_field coffee --mask box.png --at 60,40 --scale 0.5 \\
          --out composite.png --mask-out composite_mask.png
"""

from __future__ import annotations

import argparse

from singan_keras.cli.arguments import (
    add_command,
    checked_out_file,
    non_negative_int,
    number,
    number_in,
    positive_number,
)
from singan_keras.cli.reporting import naming_the_file
from singan_keras.errors import InputError

__all__ = ["register", "run_composite", "run_mask"]

_IMAGE_HELP = "an image file, or the name of a bundled image (see `singan list-images`)"
_threshold = number_in(0.0, 1.0, "in [0, 1)", closed=(True, False))
_tolerance = number_in(0.0, 442.0, "in [0, 442]", closed=(True, True))


def _pair(text: str) -> tuple[float, float]:
    """``X,Y`` -> (x, y)."""
    parts = text.split(",")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"expected X,Y (two numbers and a comma), got {text!r}")
    return number(parts[0]), number(parts[1])


def _integer_pair(text: str) -> tuple[int, int]:
    x, y = _pair(text)
    if x != int(x) or y != int(y):
        raise argparse.ArgumentTypeError(f"expected whole pixels X,Y, got {text!r}")
    return int(x), int(y)


def _rgb(text: str) -> tuple[int, int, int]:
    """``R,G,B`` with each 0..255."""
    parts = text.split(",")
    try:
        values = tuple(int(part) for part in parts)
    except ValueError:
        values = ()
    if len(values) != 3 or not all(0 <= value <= 255 for value in values):
        raise argparse.ArgumentTypeError(f"expected R,G,B with each 0..255, got {text!r}")
    return values


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds `mask` and `composite`."""
    _register_mask(subparsers)
    _register_composite(subparsers)


# -- mask --------------------------------------------------------------------------------------


def _register_mask(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(
        subparsers,
        "mask",
        run_mask,
        help="make a black-and-white mask for `singan edit` / `singan harmonize`.",
        description="Writes a PNG mask of IMAGE's size, white where selected, chosen by one "
        "of: the pixels that differ from --original (IMAGE is the edited copy), a --rect, a "
        "--polygon, or a --color key. A pixel is in a rectangle or polygon when its centre "
        "is; coordinates are pixels from the top-left corner, x to the right, y down.",
    )
    parser.add_argument("image", metavar="IMAGE", help=f"the image the mask is for: {_IMAGE_HELP}.")
    modes = parser.add_argument_group("what to select (exactly one)")
    how = modes.add_mutually_exclusive_group(required=True)
    how.add_argument(
        "--original", metavar="ORIGINAL",
        help="select where IMAGE (an edited copy) differs from ORIGINAL, the same size "
        f"({_IMAGE_HELP}).",
    )  # fmt: skip
    how.add_argument(
        "--rect", nargs=4, type=number, metavar=("X0", "Y0", "X1", "Y1"),
        help="select the rectangle from corner (X0, Y0) to (X1, Y1), right and bottom edges "
        "excluded (Pillow's crop box): 0 <= X0 < X1 <= width, 0 <= Y0 < Y1 <= height.",
    )  # fmt: skip
    how.add_argument(
        "--polygon", nargs="+", type=_pair, metavar="X,Y",
        help="select the polygon through three or more points X,Y (closed automatically).",
    )  # fmt: skip
    how.add_argument(
        "--color", type=_rgb, metavar="R,G,B",
        help="select the pixels within --tolerance of this colour (each 0..255).",
    )  # fmt: skip
    tuning = parser.add_argument_group("tuning")
    tuning.add_argument(
        "--threshold", type=_threshold, default=0.01, metavar="T",
        help="with --original: smallest difference that counts, as a fraction of the full "
        "range, in [0, 1); raise it for JPEG files. Default: %(default)s (2.5 of 255 levels).",
    )  # fmt: skip
    tuning.add_argument(
        "--tolerance", type=_tolerance, default=30.0, metavar="T",
        help="with --color: largest RGB distance kept, 0..442 (black to white is 441.7). "
        "Default: %(default)s.",
    )  # fmt: skip
    tuning.add_argument(
        "--opening", type=non_negative_int, metavar="PX",
        help="remove specks thinner than about 2 PX (default: 1 with --original, else 0).",
    )  # fmt: skip
    tuning.add_argument(
        "--closing", type=non_negative_int, metavar="PX",
        help="bridge gaps up to about 2 PX (default: 4 with --original, else 0).",
    )  # fmt: skip
    tuning.add_argument(
        "--dilation", type=non_negative_int, default=0, metavar="PX",
        help="grow the mask by PX pixels. Default: %(default)s.",
    )  # fmt: skip
    parser.add_argument("--out", required=True, metavar="FILE", help="the mask PNG to write.")
    parser.add_argument(
        "--preview", metavar="FILE",
        help="also write IMAGE with the mask's border drawn in red (PNG).",
    )  # fmt: skip


def _make_mask(args: argparse.Namespace, image):
    from singan_keras.applications import masks
    from singan_keras.data import resolve_image

    difference = args.original is not None
    opening = args.opening if args.opening is not None else int(difference)
    closing = args.closing if args.closing is not None else 4 * int(difference)
    if difference:
        return masks.mask_from_difference(
            image, resolve_image(args.original), args.threshold,
            opening=opening, closing=closing, dilation=args.dilation,
        )  # fmt: skip
    if args.color is not None:
        return masks.mask_from_color(
            image, args.color, args.tolerance,
            opening=opening, closing=closing, dilation=args.dilation,
        )  # fmt: skip
    if args.rect is not None:
        mask = masks.mask_from_rectangle(image, tuple(args.rect))
    else:
        mask = masks.mask_from_polygon(image, args.polygon)
    if opening or closing or args.dilation:
        mask = masks.clean_mask(mask, opening, closing, args.dilation)
    return mask


def run_mask(args: argparse.Namespace) -> int:
    """Runs `singan mask`; returns the exit code."""
    out = checked_out_file(args.out, (".png",))
    preview = (
        None if args.preview is None else checked_out_file(args.preview, (".png",), "--preview")
    )
    if preview is not None and preview.resolve() == out.resolve():
        raise InputError("--preview and --out name the same file; give two names.")
    from singan_keras.applications.masks import mask_outline, save_mask
    from singan_keras.data import resolve_image
    from singan_keras.image_io import load_image, save_image

    image = load_image(resolve_image(args.image))
    mask = _make_mask(args, image)
    if mask.all() or not mask.any():
        raise InputError("The cleaned-up mask is empty or full: lower --dilation or --closing.")
    with naming_the_file(out):
        save_mask(mask, out)
    height, width = mask.shape
    print(f"wrote {out} ({height}x{width}, {int(mask.sum())} pixels = {mask.mean():.1%} white)")
    if preview is not None:
        with naming_the_file(preview):
            save_image(mask_outline(image, mask), preview)
        print(f"wrote {preview}")
    return 0


# -- composite ---------------------------------------------------------------------------------


def _register_composite(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(
        subparsers,
        "composite",
        run_composite,
        help="paste an object onto a background: the input of `singan harmonize`.",
        description="Resizes OBJECT by --scale and pastes its masked pixels onto BACKGROUND "
        "with its top-left corner at --at; writes the naive composite and the mask of the "
        "pasted pixels, ready for `singan harmonize RUN_DIR COMPOSITE --mask MASK`.",
    )
    parser.add_argument("background", metavar="BACKGROUND", help=f"the background: {_IMAGE_HELP}.")
    parser.add_argument(
        "object", metavar="OBJECT",
        help=f"the object: {_IMAGE_HELP}; a PNG with transparency needs no --mask.",
    )  # fmt: skip
    parser.add_argument(
        "--mask", metavar="MASK",
        help="black-and-white image of OBJECT's size, white on the object (default: OBJECT's "
        "alpha channel, pixels at least half opaque).",
    )  # fmt: skip
    parser.add_argument(
        "--at", required=True, type=_integer_pair, metavar="X,Y",
        help="where the scaled object's top-left corner goes in BACKGROUND, in pixels (x to "
        "the right, y down; write --at=-10,5 for a negative X).",
    )  # fmt: skip
    parser.add_argument(
        "--scale", type=positive_number, default=1.0, metavar="S",
        help="resize factor of the object, > 0. Default: %(default)s.",
    )  # fmt: skip
    parser.add_argument("--out", required=True, metavar="FILE", help="the composite PNG to write.")
    parser.add_argument(
        "--mask-out", dest="mask_out", required=True, metavar="FILE",
        help="the PNG to write the mask of the pasted pixels to.",
    )  # fmt: skip


def run_composite(args: argparse.Namespace) -> int:
    """Runs `singan composite`; returns the exit code."""
    out = checked_out_file(args.out, (".png",))
    mask_out = checked_out_file(args.mask_out, (".png",), "--mask-out")
    if out.resolve() == mask_out.resolve():
        raise InputError("--out and --mask-out name the same file; give two names.")
    from singan_keras.applications.masks import naive_composite, save_mask
    from singan_keras.data import resolve_image
    from singan_keras.image_io import save_image

    image, mask = naive_composite(
        resolve_image(args.background), resolve_image(args.object), args.at,
        mask=args.mask, scale=args.scale,
    )  # fmt: skip
    with naming_the_file(out):
        save_image(image, out)
    with naming_the_file(mask_out):
        save_mask(mask, mask_out)
    height, width = mask.shape
    print(
        f"wrote {out} and {mask_out} ({height}x{width}; {int(mask.sum())} object pixels at "
        f"{args.at[0]},{args.at[1]}, scale {args.scale:g})"
    )
    return 0
