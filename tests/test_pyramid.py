"""The scale schedule and the real-image pyramid (DESIGN §1)."""

import math

import numpy as np
import pytest
from numpy_reference import matlab_resize

from singan_keras import build_pyramid, scale_schedule


def reference_schedule(h, w, r0=0.75, min_size=25, max_size=250):
    """A plain re-statement of the reference's adjust_scales2image + creat_reals_pyramid."""
    n = math.ceil(math.log(min_size / min(h, w)) / math.log(r0)) + 1
    k = math.ceil(math.log(min(max_size, max(h, w)) / max(h, w)) / math.log(r0))
    stop = n - k
    s1 = min(max_size / max(h, w), 1)
    hh, ww = math.ceil(h * s1), math.ceil(w * s1)
    r = (min_size / min(hh, ww)) ** (1 / stop)
    return (
        stop + 1,
        r,
        [
            (math.ceil(hh * r ** (stop - i)), math.ceil(ww * r ** (stop - i)))
            for i in range(stop + 1)
        ],
    )


@pytest.mark.parametrize(
    "shape, scales, factor, coarsest, finest",
    [
        ((186, 248), 9, 0.7781, (25, 34), (186, 248)),  # balloons (values from the ref code)
        ((188, 250), 10, 0.7992, (26, 34), (188, 250)),
        ((380, 572), 9, 0.7887, None, (167, 250)),  # zebra
        ((164, 244), 9, 0.7905, None, None),  # birds
        ((250, 250), 11, 0.7943, None, None),  # tree
        ((171, 256), 8, 0.7624, None, (167, 250)),  # mountains3
    ],
)
def test_schedule_matches_reference_values(shape, scales, factor, coarsest, finest):
    schedule = scale_schedule(*shape)
    assert schedule.num_scales == scales
    assert schedule.scale_factor == pytest.approx(factor, abs=5e-5)
    if coarsest:
        assert schedule.sizes[0] == coarsest
    if finest:
        assert schedule.sizes[-1] == finest


@pytest.mark.parametrize("shape", [(100, 100), (64, 48), (300, 1000), (26, 40), (500, 333)])
@pytest.mark.parametrize("settings", [(0.75, 25, 250), (0.5, 12, 64), (0.8, 20, 128)])
def test_schedule_equals_independent_restatement(shape, settings):
    r0, min_size, max_size = settings
    if min(shape) * min(max_size / max(shape), 1) <= min_size + 1:
        pytest.skip("too small for a pyramid")
    scales, factor, sizes = reference_schedule(*shape, r0, min_size, max_size)
    schedule = scale_schedule(*shape, r0, min_size, max_size)
    assert schedule.num_scales == scales
    assert schedule.scale_factor == pytest.approx(factor, rel=1e-12)
    assert list(schedule.sizes) == sizes
    assert max(schedule.sizes[-1]) <= max_size
    assert all(a <= b for a, b in zip(schedule.sizes, schedule.sizes[1:], strict=False))


@pytest.mark.parametrize(
    "args, match",
    [
        ((20, 30), "too small"),
        ((100, 100, 1.2), "scale_factor"),
        ((100, 100, 0.75, 50, 40), "min_size"),
    ],
)
def test_schedule_rejects_bad_arguments(args, match):
    with pytest.raises(ValueError, match=match):
        scale_schedule(*args)


def test_build_pyramid_equals_the_reference_resizes():
    """Every scale is the max_size-downscaled image resized by r^(stop − i) (the reference's
    ``creat_reals_pyramid``), recomputed with the loop restatement of MATLAB's bicubic."""
    rng = np.random.default_rng(0)
    image = rng.uniform(-1, 1, (30, 40, 3)).astype(np.float32)
    schedule = scale_schedule(30, 40, min_size=12, max_size=32)
    pyramid = build_pyramid(image, schedule)
    assert [p.shape[:2] for p in pyramid] == list(schedule.sizes)
    assert all(p.dtype == np.float32 for p in pyramid)
    finest = matlab_resize(image, schedule.sizes[-1], scale=32 / 40)
    np.testing.assert_allclose(pyramid[-1], finest, atol=1e-5)
    stop = schedule.num_scales - 1
    for i, level in enumerate(pyramid[:-1]):
        relative = schedule.scale_factor ** (stop - i)
        expected = matlab_resize(finest, schedule.sizes[i], scale=relative)
        np.testing.assert_allclose(level, expected, atol=1e-5, err_msg=f"scale {i}")
    # A constant image stays constant at every scale (the resize kernel sums to 1).
    constant = np.full((30, 40, 3), 0.25, np.float32)
    for level in build_pyramid(constant, schedule):
        np.testing.assert_allclose(level, 0.25, atol=1e-6)


def test_schedule_str_lists_every_scale():
    text = str(scale_schedule(186, 248))
    assert "9 scales" in text and text.count("scale ") == 9
