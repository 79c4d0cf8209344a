"""Masks and naive composites (`singan_keras.applications.masks`, `singan mask`,
`singan composite`).

The expected pixels are computed here independently: a rectangle's pixel count from the
ceil formula for pixel centres, a right triangle's by counting lattice points row by row
in exact fractions, a composite from numpy slicing. The logic is numpy/scipy/Pillow only, so
everything runs under torch alone except one command-line smoke test per backend, which also
checks that the commands start no Keras.
"""

import json
import math
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import keras
import numpy as np
import pytest
from conftest import smooth_image
from PIL import Image

from singan_keras.applications import (
    clean_mask,
    mask_from_color,
    mask_from_difference,
    mask_from_polygon,
    mask_from_rectangle,
    mask_outline,
    naive_composite,
    save_mask,
)
from singan_keras.cli import main
from singan_keras.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
one_backend = pytest.mark.skipif(
    keras.backend.backend() != "torch", reason="backend-independent: runs under torch only"
)


def _iou(first: np.ndarray, second: np.ndarray) -> float:
    return float((first & second).sum() / (first | second).sum())


def _write_rgb(image: np.ndarray, path: Path) -> Path:
    Image.fromarray(np.round((image + 1.0) * 127.5).astype(np.uint8)).save(path)
    return path


# -- mask from an edit -------------------------------------------------------------------------


def _edited_pair():
    """A textured image, a copy with a known 24x32 rectangle changed, and its mask.

    Inside the rectangle the copy is the image shifted by one pixel, so about a tenth of its
    pixels differ by less than the threshold; a 4x4 block is left unchanged (a hole) and
    five isolated pixels outside are changed (specks, as noise would be).
    """
    noise = np.random.default_rng(0).normal(0.0, 0.02, (64, 80, 3))
    original = np.clip(smooth_image(64, 80, seed=3) + noise, -1, 1).astype(np.float32)
    edited = original.copy()
    truth = np.zeros((64, 80), bool)
    truth[20:44, 30:62] = True
    edited[20:44, 30:62] = original[21:45, 31:63]
    edited[30:34, 44:48] = original[30:34, 44:48]
    for row, column in [(2, 3), (60, 5), (10, 70), (55, 75), (5, 40)]:
        edited[row, column] = -original[row, column]
    return original, edited, truth


@one_backend
def test_mask_from_difference_recovers_the_changed_rectangle():
    original, edited, truth = _edited_pair()
    raw = np.abs(edited - original).max(-1) / 2 > 0.01
    assert _iou(raw, truth) < 0.95  # without the clean-up it does not
    mask = mask_from_difference(edited, original)
    assert mask.shape == truth.shape and mask.dtype == bool
    assert _iou(mask, truth) >= 0.95
    assert not mask[[2, 60, 10, 55, 5], [3, 5, 70, 75, 40]].any()  # the specks are gone


@one_backend
def test_mask_from_difference_reads_files_and_dilates(tmp_path):
    original, edited, truth = _edited_pair()
    files = _write_rgb(edited, tmp_path / "e.png"), _write_rgb(original, tmp_path / "o.png")
    plain = mask_from_difference(*files)
    grown = mask_from_difference(*files, dilation=2)
    assert _iou(plain, truth) >= 0.95
    assert (grown >= plain).all() and grown.sum() > plain.sum()


@one_backend
def test_clean_mask_keeps_a_rectangle_touching_the_border():
    mask = np.zeros((20, 20), bool)
    mask[:8, :12] = True  # touches the top and left borders
    np.testing.assert_array_equal(clean_mask(mask, opening=2, closing=3), mask)


# -- geometric masks ---------------------------------------------------------------------------


def _centres_between(low: float, high: float) -> int:
    """How many j have low <= j + 0.5 < high: pixel centres in a half-open interval."""
    return math.ceil(high - 0.5) - math.ceil(low - 0.5)


@one_backend
@pytest.mark.parametrize(
    "box", [(0, 0, 7, 5), (3, 2, 40, 29), (12, 0, 50, 30), (2.4, 1.6, 7.5, 4.5), (0.7, 0.2, 49, 9)]
)
def test_rectangle_has_the_exact_pixel_count(box):
    x0, y0, x1, y1 = box
    mask = mask_from_rectangle((30, 50), box)
    expected = _centres_between(x0, x1) * _centres_between(y0, y1)
    assert int(mask.sum()) == expected
    rows, columns = np.nonzero(mask)
    assert columns.min() == math.ceil(x0 - 0.5) and rows.min() == math.ceil(y0 - 0.5)
    if all(float(v).is_integer() for v in box):  # integer corners: the slice [y0:y1, x0:x1]
        sliced = np.zeros((30, 50), bool)
        sliced[y0:y1, x0:x1] = True
        np.testing.assert_array_equal(mask, sliced)


def _right_triangle_count(legs_x: int, legs_y: int) -> int:
    """Pixel centres (u, v) = (j + 1/2, i + 1/2) with u/a + v/b <= 1, counted row by row."""
    total = 0
    for i in range(legs_y):
        v = Fraction(2 * i + 1, 2)
        longest_u = legs_x * (1 - v / legs_y)  # u <= this
        total += max(0, math.floor(longest_u - Fraction(1, 2)) + 1)
    return total


@one_backend
@pytest.mark.parametrize("legs", [(7, 4), (21, 10), (33, 16)])  # a odd, b even: see below
def test_right_triangle_has_the_exact_pixel_count(legs):
    # With a odd and b even no pixel centre lies on the hypotenuse ((2j+1)b + (2i+1)a is
    # odd, 2ab even), so the count does not depend on how edges are decided.
    a, b = legs
    x0, y0 = 5, 3
    points = [(x0, y0), (x0 + a, y0), (x0, y0 + b)]
    mask = mask_from_polygon((40, 60), points)
    assert int(mask.sum()) == _right_triangle_count(a, b)
    reversed_order = mask_from_polygon((40, 60), points[::-1])
    np.testing.assert_array_equal(mask, reversed_order)  # orientation does not matter


@one_backend
def test_polygons_sharing_an_edge_share_no_pixel():
    # The diagonal of a 10x10 square passes through 10 pixel centres.
    lower = mask_from_polygon((12, 12), [(1, 1), (11, 11), (1, 11)])
    upper = mask_from_polygon((12, 12), [(1, 1), (11, 1), (11, 11)])
    square = mask_from_rectangle((12, 12), (1, 1, 11, 11))
    assert not (lower & upper).any()
    np.testing.assert_array_equal(lower | upper, square)


@one_backend
def test_color_key_selects_the_pixels_near_the_colour():
    image = np.full((10, 12, 3), -1.0, np.float32)
    image[2:5, 3:9] = np.array([200, 40, 40]) / 127.5 - 1  # 18 pixels at distance ~8.7
    image[7, 1] = np.array([255, 255, 255]) / 127.5 - 1
    mask = mask_from_color(image, (195, 45, 35), tolerance=10)
    expected = np.zeros((10, 12), bool)
    expected[2:5, 3:9] = True
    np.testing.assert_array_equal(mask, expected)
    with pytest.raises(InputError, match="--tolerance"):
        mask_from_color(image, (195, 45, 35), tolerance=8)


# -- composites --------------------------------------------------------------------------------


@one_backend
def test_composite_is_the_background_outside_and_the_object_inside():
    background = smooth_image(40, 50, seed=1)
    obj = smooth_image(12, 16, seed=2)
    y, x = np.mgrid[0:12, 0:16]
    ellipse = ((y - 5.5) / 6) ** 2 + ((x - 7.5) / 8) ** 2 <= 1
    image, mask = naive_composite(background, obj, (20, 9), mask=ellipse)
    expected_mask = np.zeros((40, 50), bool)
    expected_mask[9:21, 20:36] = ellipse
    np.testing.assert_array_equal(mask, expected_mask)
    np.testing.assert_array_equal(image[~mask], background[~mask])
    np.testing.assert_array_equal(image[9:21, 20:36][ellipse], obj[ellipse])


@one_backend
def test_composite_uses_the_alpha_channel_and_scales(tmp_path):
    background = smooth_image(40, 50, seed=1)
    rgba = np.zeros((10, 10, 4), np.uint8)
    rgba[..., :3] = 200
    rgba[2:8, 3:7, 3] = 255  # an opaque 6x4 block in a transparent square
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "object.png")
    image, mask = naive_composite(background, tmp_path / "object.png", (-3, 0))
    assert int(mask.sum()) == 24 and mask[2:8, 0:4].all()
    np.testing.assert_allclose(image[mask], 200 / 127.5 - 1, atol=1e-6)
    np.testing.assert_array_equal(image[~mask], background[~mask])
    double, double_mask = naive_composite(background, tmp_path / "object.png", (0, 0), scale=2)
    assert int(double_mask.sum()) == 4 * 24  # the block's edges fall on pixel edges
    np.testing.assert_array_equal(double[~double_mask], background[~double_mask])


@one_backend
def test_outline_and_saved_mask(tmp_path):
    mask = mask_from_rectangle((9, 9), (2, 2, 7, 6))
    preview = mask_outline(np.zeros((9, 9, 3), np.float32), mask, color=(255, 255, 255))
    border = mask.copy()
    border[3:5, 3:6] = False  # the rectangle minus its interior
    np.testing.assert_array_equal(preview[..., 1] == 1.0, border)
    thick = mask_outline(np.zeros((9, 9, 3), np.float32), mask, width=2)
    np.testing.assert_array_equal(thick[..., 0] == 1.0, mask)  # 2 px eat the 4x5 rectangle
    with Image.open(save_mask(mask, tmp_path / "m.png")) as saved:
        assert saved.mode == "L"
        np.testing.assert_array_equal(np.asarray(saved), np.where(mask, 255, 0))


# -- the commands ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inputs")
    original, edited, _ = _edited_pair()
    cutout = np.zeros((12, 16), np.uint8)
    cutout[2:10, 3:13] = 255
    Image.fromarray(cutout, mode="L").save(folder / "cutout.png")
    Image.fromarray(np.zeros((12, 16), np.uint8), mode="L").save(folder / "black.png")
    Image.fromarray(np.full((20, 30), 255, np.uint8), mode="L").save(folder / "white.png")
    (folder / "not_an_image.png").write_text("hello")
    return dict(
        original=_write_rgb(original, folder / "original.png"),
        edited=_write_rgb(edited, folder / "edited.png"),
        small=_write_rgb(smooth_image(20, 30), folder / "small.png"),
        object=_write_rgb(smooth_image(12, 16, seed=4), folder / "object.png"),
        cutout=folder / "cutout.png",
        black=folder / "black.png",
        white=folder / "white.png",
        broken=folder / "not_an_image.png",
    )


BAD = {
    "sizes differ": (["mask", "{edited}", "--original", "{small}"], "same size"),
    "nothing changed": (["mask", "{edited}", "--original", "{edited}"], "mask is empty"),
    "rectangle is the image": (["mask", "{small}", "--rect", "0", "0", "30", "20"], "whole"),
    "rectangle outside": (["mask", "{small}", "--rect", "5", "5", "31", "10"], "outside"),
    "rectangle reversed": (["mask", "{small}", "--rect", "9", "5", "4", "10"], "X0 < X1"),
    "polygon of two points": (["mask", "{small}", "--polygon", "1,1", "5,5"], "at least 3"),
    "polygon outside": (["mask", "{small}", "--polygon", "1,1", "5,25", "9,1"], "outside"),
    "bad point": (["mask", "{small}", "--polygon", "1;1", "5,5", "9,1"], "X,Y"),
    "colour nowhere": (["mask", "{small}", "--color", "0,255,0", "--tolerance", "1"], "empty"),
    "bad colour": (["mask", "{small}", "--color", "300,0,0"], "0..255"),
    "two modes": (["mask", "{small}", "--color", "0,0,0", "--rect", "0", "0", "2", "2"], "not"),
    "unreadable image": (["mask", "{broken}", "--rect", "0", "0", "2", "2"], "not an image"),
    "missing image": (["mask", "nowhere.png", "--rect", "0", "0", "2", "2"], "nowhere.png"),
    "no mask, no alpha": (["composite", "{original}", "{object}", "--at", "0,0"], "--mask"),
    "mask of another size": (
        ["composite", "{original}", "{object}", "--mask", "{small}", "--at", "0,0"],
        "same size",
    ),
    "empty object mask": (
        ["composite", "{original}", "{object}", "--mask", "{black}", "--at", "0,0"],
        "empty",
    ),
    "object off the image": (
        ["composite", "{original}", "{object}", "--mask", "{cutout}", "--at", "75,0"],
        "outside",
    ),
    "object covers the image": (
        ["composite", "{small}", "{small}", "--mask", "{white}", "--at", "0,0"],
        "whole background",
    ),
    "grey mask": (
        ["composite", "{original}", "{object}", "--mask", "{object}", "--at", "0,0"],
        "black and white",
    ),
    "negative scale": (
        [
            "composite",
            "{original}",
            "{object}",
            "--mask",
            "{cutout}",
            "--at",
            "0,0",
            "--scale",
            "-1",
        ],
        "> 0",
    ),  # fmt: skip
}


@one_backend
@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_stops_with_one_line_and_writes_nothing(case, files, tmp_path, capsys):
    argv, expected = BAD[case]
    out = tmp_path / "out"
    outputs = ["--out", out / "a.png"]
    if argv[0] == "composite":
        outputs += ["--mask-out", out / "b.png"]
    code = main([str(a).format(**files) for a in argv] + [str(a) for a in outputs])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, (case, err)
    errors = [line for line in err if "error:" in line]
    assert len(errors) == 1 and expected in errors[0], (case, err)
    assert "Traceback" not in "\n".join(err)
    assert not out.exists()


@one_backend
def test_output_paths_are_checked_before_the_inputs(files, tmp_path, capsys):
    code = main(["mask", "nowhere.png", "--rect", "0", "0", "2", "2", "--out", "mask.jpg"])
    assert code == 2 and "--out must end in .png" in capsys.readouterr().err
    argv = ["composite", "nowhere.png", "nothing.png", "--at", "0,0", "--out",
            str(tmp_path / "x.png"), "--mask-out", str(tmp_path / "x.png")]  # fmt: skip
    assert main(argv) == 2 and "same file" in capsys.readouterr().err


@one_backend
def test_commands_write_what_the_api_makes(files, tmp_path, capsys):
    from singan_keras.applications.editing import load_mask
    from singan_keras.image_io import load_image

    argv = ["mask", files["edited"], "--original", files["original"], "--dilation", "1",
            "--out", tmp_path / "m.png", "--preview", tmp_path / "p.png"]  # fmt: skip
    assert main([str(a) for a in argv]) == 0
    expected = mask_from_difference(files["edited"], files["original"], dilation=1)
    np.testing.assert_array_equal(load_mask(tmp_path / "m.png", (64, 80)), expected)
    assert load_image(tmp_path / "p.png").shape == (64, 80, 3)
    argv = ["composite", files["original"], files["object"], "--mask", files["cutout"],
            "--at", "10,20", "--scale", "1.5", "--out", tmp_path / "c.png",
            "--mask-out", tmp_path / "cm.png"]  # fmt: skip
    assert main([str(a) for a in argv]) == 0
    image, mask = naive_composite(
        files["original"], files["object"], (10, 20), mask=files["cutout"], scale=1.5
    )
    # what `singan harmonize` reads: the mask exactly, the composite to 8 bits
    np.testing.assert_array_equal(load_mask(tmp_path / "cm.png", (64, 80)), mask)
    np.testing.assert_allclose(load_image(tmp_path / "c.png"), image, atol=1 / 127.5 + 1e-6)
    assert "wrote" in capsys.readouterr().out


def test_commands_run_without_keras_under_this_backend(tmp_path):
    """Under every backend: `singan mask` and `singan composite` work and import no Keras."""
    cup, composite, pasted = (tmp_path / name for name in ("cup.png", "c.png", "m.png"))
    octagon = ["201,90", "176,133", "116,151", "56,133", "31,90", "56,47", "116,29", "176,47"]
    commands = [
        ["mask", "coffee", "--polygon", *octagon, "--out", str(cup)],
        ["composite", "hubble_deep_field", "coffee", "--mask", str(cup), "--at", "60,50",
         "--scale", "0.5", "--out", str(composite), "--mask-out", str(pasted)],
    ]  # fmt: skip
    script = (
        "import json, sys\n"
        "from singan_keras.cli import main\n"
        "codes = [main(argv) for argv in json.loads(sys.argv[1])]\n"
        "heavy = [m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules]\n"
        "print('RESULT', json.dumps([codes, heavy]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, json.dumps(commands)], capture_output=True, text=True,
        timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    codes, heavy = json.loads(done.stdout.strip().splitlines()[-1][len("RESULT ") :])
    assert codes == [0, 0] and heavy == [], done.stderr
    with Image.open(pasted) as mask, Image.open(composite) as image:
        assert image.size == mask.size == (250, 218)  # the hubble_deep_field background
        white = np.asarray(mask) == 255
    # the octagon (area 0.5 * 170 * 122 * 2 sin 45° ≈ 14665 px²) at half size
    assert abs(white.sum() - 14665 / 4) < 0.03 * 14665 / 4
