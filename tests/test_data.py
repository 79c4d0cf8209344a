"""Tests for the bundled example images in singan_keras.data."""

import re

import numpy as np
import pytest
from PIL import Image

from singan_keras import data


def test_at_least_four_images_are_bundled():
    names = data.list_images()
    assert len(names) >= 4
    assert names == sorted(names)


@pytest.mark.parametrize("name", data.list_images())
def test_every_image_loads(name):
    image = data.load_image(name)
    assert image.dtype == np.float32 and image.ndim == 3 and image.shape[-1] == 3
    assert max(image.shape[:2]) <= 250
    assert image.min() >= -1.0 and image.max() <= 1.0
    assert image.std() > 0.05  # a photograph, not a blank
    with Image.open(data.image_path(name)) as file:
        assert file.format == "PNG" and file.mode == "RGB"
        pixels = np.asarray(file, np.float64)
    np.testing.assert_allclose(image, pixels / 127.5 - 1.0, atol=1e-6)  # the file's own pixels


def test_every_image_has_a_licence_entry():
    licences = (data.image_path(data.list_images()[0]).parent.parent / "LICENSES.md").read_text()
    for name in data.list_images():
        row = re.search(rf"^\| `{name}\.png` \|.*$", licences, re.MULTILINE)
        assert row is not None, f"{name}.png missing from LICENSES.md"
        assert "CC0" in row.group(0) or "public domain" in row.group(0)


def test_unknown_name_lists_the_available_names():
    with pytest.raises(ValueError, match="Unknown bundled image") as info:
        data.image_path("no_such_image")
    for name in data.list_images():
        assert name in str(info.value)


def test_resolve_image_prefers_an_existing_path(tmp_path, monkeypatch):
    name = data.list_images()[0]
    monkeypatch.chdir(tmp_path)
    assert data.resolve_image(name) == data.image_path(name)  # no such file here: bundled
    (tmp_path / name).write_bytes(b"")  # a local file with the bundled name wins
    assert data.resolve_image(name) == tmp_path.joinpath(name).relative_to(tmp_path)
    own = tmp_path / "mine.png"
    Image.fromarray(np.zeros((3, 3, 3), np.uint8)).save(own)
    assert data.resolve_image(str(own)) == own


def test_resolve_image_neither_file_nor_name(tmp_path):
    with pytest.raises(FileNotFoundError, match="neither an existing file") as info:
        data.resolve_image(str(tmp_path / "missing.png"))
    assert all(name in str(info.value) for name in data.list_images())


def test_every_extra_input_has_the_size_of_its_source_image():
    extras = data.list_extras()
    assert {"rocket_paint.png", "brick_edited_mask.png"} <= set(extras)
    for file_name in extras:
        source = next(n for n in data.list_images() if file_name.startswith(n + "_"))
        with (
            Image.open(data.extra_path(file_name)) as extra,
            Image.open(data.image_path(source)) as original,
        ):
            assert extra.size == original.size, file_name
    assert data.extra_path("rocket_paint") == data.extra_path("rocket_paint.png")


def test_unknown_extra_lists_the_available_names():
    with pytest.raises(ValueError, match="Unknown bundled input") as info:
        data.extra_path("no_such_input")
    assert all(name in str(info.value) for name in data.list_extras())
