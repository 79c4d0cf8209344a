"""Tests for singan_keras.image_io: every file here is made with Pillow/numpy in tmp_path."""

import logging

import numpy as np
import pytest
from PIL import Image

from singan_keras.image_io import ImageError, load_image, save_grid, save_image, to_uint8


def _expected(uint8_rgb):
    """The reference mapping: x / 255, then (x - 0.5) * 2."""
    return ((uint8_rgb.astype(np.float64) / 255.0 - 0.5) * 2.0).astype(np.float32)


@pytest.fixture
def pixels():
    return np.random.default_rng(0).integers(0, 256, size=(17, 23, 3), dtype=np.uint8)


def test_round_trip_is_exact_on_uint8_values(tmp_path, pixels):
    path = save_image(pixels / 127.5 - 1.0, tmp_path / "out.png")
    loaded = load_image(path)
    assert loaded.shape == (17, 23, 3) and loaded.dtype == np.float32
    np.testing.assert_array_equal(to_uint8(loaded), pixels)
    np.testing.assert_allclose(loaded, _expected(pixels), atol=1e-7)
    with Image.open(path) as image:
        np.testing.assert_array_equal(np.asarray(image), pixels)


def test_rgb_file_loads_without_conversion_log(tmp_path, pixels, caplog):
    path = tmp_path / "rgb.png"
    Image.fromarray(pixels).save(path)
    with caplog.at_level(logging.INFO, logger="singan_keras"):
        loaded = load_image(path)
    np.testing.assert_allclose(loaded, _expected(pixels), atol=1e-7)
    assert caplog.records == []


def test_grayscale_is_replicated_and_logged(tmp_path, caplog):
    gray = np.arange(0, 240, dtype=np.uint8).reshape(12, 20)
    path = tmp_path / "gray.png"
    Image.fromarray(gray).save(path)
    with caplog.at_level(logging.INFO, logger="singan_keras"):
        loaded = load_image(path)
    assert loaded.shape == (12, 20, 3)
    for channel in range(3):
        np.testing.assert_allclose(loaded[..., channel], _expected(gray), atol=1e-7)
    assert len(caplog.records) == 1 and "gray.png" in caplog.records[0].getMessage()


def test_16_bit_grayscale_uses_the_full_range(tmp_path):
    values = np.array([[0, 32768, 65535], [1, 257, 65534]], dtype=np.uint16)
    path = tmp_path / "deep.png"
    Image.fromarray(values).save(path)
    with Image.open(path) as image:
        assert image.mode.startswith("I")  # really a 16-bit file
    loaded = load_image(path)
    assert loaded.shape == (2, 3, 3)
    np.testing.assert_allclose(loaded[0, :, 0], [-1.0, 1.0 / 65535.0, 1.0], atol=1e-6)
    np.testing.assert_allclose(loaded[..., 0], values / 32767.5 - 1.0, atol=1e-6)
    assert loaded[1, 0, 0] > -1.0  # 1 / 65535 is not truncated to 0


def test_rgba_alpha_is_dropped_with_a_warning(tmp_path, pixels, caplog):
    alpha = np.full(pixels.shape[:2] + (1,), 255, dtype=np.uint8)
    alpha[0, 0] = 0
    path = tmp_path / "alpha.png"
    Image.fromarray(np.concatenate([pixels, alpha], axis=-1)).save(path)
    with caplog.at_level(logging.INFO, logger="singan_keras"):
        loaded = load_image(path)
    np.testing.assert_allclose(loaded, _expected(pixels), atol=1e-7)  # colour kept, not composited
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "alpha.png" in warnings[0].getMessage()


def test_grayscale_with_alpha(tmp_path):
    la = np.stack([np.full((5, 6), 200, np.uint8), np.full((5, 6), 255, np.uint8)], axis=-1)
    path = tmp_path / "la.png"
    Image.fromarray(la, mode="LA").save(path)
    np.testing.assert_allclose(load_image(path), _expected(np.full((5, 6, 3), 200, np.uint8)))


def test_palette_image_is_expanded(tmp_path, caplog):
    palette = np.array([[255, 0, 0], [0, 128, 255], [10, 20, 30], [255, 255, 255]], np.uint8)
    indices = np.random.default_rng(1).integers(0, 4, size=(9, 14), dtype=np.uint8)
    image = Image.fromarray(indices, mode="P")
    image.putpalette(palette.ravel().tolist())
    path = tmp_path / "palette.png"
    image.save(path)
    with Image.open(path) as reopened:
        assert reopened.mode == "P"
    with caplog.at_level(logging.INFO, logger="singan_keras"):
        loaded = load_image(path)
    np.testing.assert_allclose(loaded, _expected(palette[indices]), atol=1e-7)
    assert any(
        "palette" in r.getMessage() and "palette.png" in r.getMessage() for r in caplog.records
    )


def test_missing_path(tmp_path):
    missing = tmp_path / "nope.png"
    with pytest.raises(FileNotFoundError, match="nope.png"):
        load_image(missing)


def test_directory(tmp_path):
    with pytest.raises(ImageError, match="directory") as info:
        load_image(tmp_path)
    assert str(tmp_path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_text_file_named_png(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("these are not pixels\n")
    with pytest.raises(ImageError, match="notes.png"):
        load_image(path)


def test_truncated_png(tmp_path, pixels):
    noisy = np.random.default_rng(2).integers(0, 256, size=(64, 64, 3), dtype=np.uint8)
    path = tmp_path / "cut.png"
    Image.fromarray(noisy).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match="cut.png") as info:
        load_image(path)
    assert "\n" not in str(info.value)


def test_to_uint8_clips_and_rounds():
    values = np.array([-2.0, -1.0, -0.999, 0.0, 0.5, 1.0, 7.0])
    np.testing.assert_array_equal(to_uint8(values), [0, 0, 0, 128, 191, 255, 255])
    with pytest.raises(ValueError, match="NaN"):
        to_uint8(np.array([0.0, np.nan]))


def test_save_image_grayscale_creates_parents_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "a" / "b" / "gray.png"
    save_image(np.zeros((4, 5)), target)
    save_image(np.ones((4, 5, 1)), target)  # overwrite in place
    with Image.open(target) as image:
        assert image.mode == "RGB" and image.size == (5, 4)
        assert np.all(np.asarray(image) == 255)
    assert [p.name for p in target.parent.iterdir()] == ["gray.png"]


def test_save_image_rejects_bad_shapes(tmp_path):
    with pytest.raises(ValueError, match="shape"):
        save_image(np.zeros((4, 5, 4)), tmp_path / "x.png")


def test_save_grid_layout(tmp_path):
    levels = np.linspace(-1.0, 1.0, 5)
    images = [np.full((6, 4, 3), level) for level in levels]
    path = save_grid(images, tmp_path / "grid.png", columns=3, padding=2)
    with Image.open(path) as image:
        grid = np.asarray(image)
    assert grid.shape == (2 + 2 * (6 + 2), 2 + 3 * (4 + 2), 3)
    for index, level in enumerate(levels):
        top, left = 2 + (index // 3) * 8, 2 + (index % 3) * 6
        assert np.all(grid[top : top + 6, left : left + 4] == to_uint8(level))
    assert np.all(grid[:2] == 0) and np.all(grid[-10:, -6:] == 0)  # padding and empty cell


def test_save_grid_errors(tmp_path):
    with pytest.raises(ValueError, match="equally sized"):
        save_grid([np.zeros((4, 4, 3)), np.zeros((5, 4, 3))], tmp_path / "g.png")
    with pytest.raises(ValueError, match="at least one"):
        save_grid([], tmp_path / "g.png")
    with pytest.raises(ValueError, match="columns"):
        save_grid(np.zeros((2, 4, 4, 3)), tmp_path / "g.png", columns=0)


def test_saved_files_get_the_usual_permissions(tmp_path):
    """Atomic writes go through mkstemp (mode 0600); the renamed file must have 0666 - umask."""
    import os
    import stat

    from singan_keras.image_io import default_file_mode, save_image

    old = os.umask(0o022)
    try:
        path = save_image(np.zeros((4, 5, 3), np.float32), tmp_path / "x.png")
        assert default_file_mode() == 0o644
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
    finally:
        os.umask(old)
