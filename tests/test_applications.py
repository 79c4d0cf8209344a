"""The applications (paper §4): super-resolution, paint-to-image, editing, harmonization,
animation, the Fig. 8 figure, their CLI sub-commands and the bundled extra inputs.

Two tiny models are trained once for the module: a default-procedure one (3 scales of
14x16 .. 21x24 px from a 24x28 image) and an SR-mode one (2 scales of 14x17 and 15x18 px).
"""

import argparse
import math
import warnings
from pathlib import Path

import keras
import numpy as np
import pytest
from conftest import smooth_image, tiny_config
from numpy_reference import generator_forward, matlab_resize, network_weights
from PIL import Image

from singan_keras import SinGAN, save_image
from singan_keras.applications import (
    animate,
    edit,
    harmonize,
    paint_to_image,
    save_animation,
    start_scale_figure,
    super_resolution_config,
    super_resolve,
)
from singan_keras.applications.animation import random_walk
from singan_keras.applications.editing import blend_mask, load_mask
from singan_keras.applications.injection import inject, injection_input
from singan_keras.applications.paint import color_palette, quantize_colors
from singan_keras.applications.super_resolution import super_resolution_steps
from singan_keras.cli import applications as app_cli
from singan_keras.imresize import imresize

TINY = dict(
    iterations=3,
    critic_steps=1,
    generator_steps=1,
    base_channels=4,
    max_channels=8,
    channels_double_every=2,
)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("apps") / "run"
    model = SinGAN.train(smooth_image(), tiny_config(), run_dir, verbose=0)
    return model, run_dir


@pytest.fixture(scope="module")
def model(trained):
    return trained[0]


@pytest.fixture(scope="module")
def identity_model(trained):
    """A copy of the trained model whose generators have a zero last convolution: every
    G(σz, x↑) is then x↑ exactly, so an application reduces to its resizes and blending."""
    copy = SinGAN.load(trained[1])
    for generator in copy.generators:
        tail = generator.get_layer("g_tail_conv")
        tail.set_weights([np.zeros_like(w) for w in tail.get_weights()])
    return copy


@pytest.fixture(scope="module")
def sr_trained(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("apps") / "sr_run"
    config = super_resolution_config(2, "quick", min_size=14, max_size=18, **TINY)
    model = SinGAN.train(smooth_image(16, 20, seed=1), config, run_dir, verbose=0)
    return model, run_dir


def _edited_and_mask(model):
    """The finest real with a 5x5 block changed in the top-left corner, and its mask."""
    edited = model.reals[-1].copy()
    edited[2:7, 2:7] = -edited[2:7, 2:7]
    mask = np.zeros(edited.shape[:2], bool)
    mask[2:7, 2:7] = True
    return edited, mask


# -- the shared sampler ------------------------------------------------------------------------


def test_injecting_the_training_image_is_sampling_from_the_real_image(model):
    # Independent route: SinGAN.sample(start_input="real") feeds reals[n-1] upsampled.
    for n in (1, 2):
        x_in = injection_input(model, model.reals[-1], n)
        np.testing.assert_allclose(x_in, imresize(model.reals[n - 1], model.sizes[n]), atol=1e-5)
        ours = inject(model, x_in, n, num_samples=3, seed=11)
        expected = model.sample(3, start_scale=n, seed=11, start_input="real")
        np.testing.assert_allclose(ours, expected, atol=1e-4)


# -- paint-to-image ----------------------------------------------------------------------------


def test_paint_to_image_shape_range_and_determinism(model):
    paint = np.clip(model.reals[-1] * 0.5 + 0.3, -1, 1)
    out = paint_to_image(model, paint, 1, seed=3)
    assert out.shape == (*model.sizes[-1], 3) and out.dtype == np.float32
    assert np.all(np.isfinite(out)) and np.abs(out).max() < 2.0
    np.testing.assert_array_equal(out, paint_to_image(model, paint, 1, seed=3))
    assert not np.array_equal(out, paint_to_image(model, paint, 1, seed=4))
    # A paint of the training image's size (before the max_size downscale) is accepted too.
    big = np.clip(smooth_image() * 0.5 + 0.3, -1, 1)
    assert paint_to_image(model, big, 2, seed=0).shape == out.shape
    quantized = paint_to_image(model, paint, 2, quantize=True, seed=3)
    assert quantized.shape == out.shape and np.all(np.isfinite(quantized))


def _correlation(a, b):
    a, b = a.ravel() - a.mean(), b.ravel() - b.mean()
    return float(a @ b / np.sqrt((a @ a) * (b @ b)))


def test_paint_to_image_keeps_the_paints_coarse_layout(model):
    """The output, seen at the coarsest scale's size, follows the paint and not the training
    image. The paint (another smooth image) correlates 0.21 with the training image there, so
    an output that ignored it (the reconstruction or the real image injected instead) would
    correlate about 0.2 with it. Measured with this 3-iteration model: 0.95 (n = 1) and 0.99
    (n = 2) under torch, 0.97 and 0.96 under JAX (each backend trains other weights; which n
    keeps more of the paint depends on them). Bounds: 0.85, and 0.5 above the correlation
    with the real image."""
    paint = np.clip(smooth_image(24, 28, seed=5) * 0.9, -1, 1)  # the training image's size
    coarsest = model.sizes[0]
    paint_coarse = imresize(imresize(paint, model.sizes[-1]), coarsest)
    real_coarse = model.reals[0]
    assert abs(_correlation(paint_coarse, real_coarse)) < 0.35  # a different layout
    for n in (1, 2):
        out_coarse = imresize(paint_to_image(model, paint, n, seed=3), coarsest)
        layout = _correlation(out_coarse, paint_coarse)
        assert layout > 0.85, (n, layout)
        assert layout > _correlation(out_coarse, real_coarse) + 0.5, (n, layout)


def test_quantized_paint_is_snapped_to_the_real_images_colours(identity_model):
    """quantize=True: each paint pixel becomes the nearest of 5 k-means colours of the real
    image at scale n (official ``--quantization_flag``). At the finest scale with identity
    generators the output *is* the quantised paint, so check it pixel by pixel."""
    model = identity_model
    paint = np.clip(smooth_image(*model.sizes[-1], seed=6) * 0.9, -1, 1)
    out = paint_to_image(model, paint, 2, quantize=True, seed=0)
    centres = color_palette(model.reals[2])
    assert centres.shape == (5, 3)
    distances = ((paint[:, :, None, :] - centres[None, None]) ** 2).sum(-1)
    np.testing.assert_allclose(out, centres[distances.argmin(-1)], atol=1e-5)
    assert len(np.unique(out.reshape(-1, 3).round(5), axis=0)) > 1


def test_color_palette_and_quantization():
    rng = np.random.default_rng(0)
    centres = np.array([[-0.8, 0.1, 0.5], [0.7, -0.6, 0.0], [0.2, 0.9, -0.9]])
    pixels = centres[rng.integers(0, 3, 600)] + rng.normal(0, 0.02, (600, 3))
    found = color_palette(pixels, 3)
    order = np.argsort(found[:, 0])
    np.testing.assert_allclose(found[order], centres[np.argsort(centres[:, 0])], atol=0.01)
    snapped = quantize_colors(pixels.reshape(20, 30, 3), found)
    assert len(np.unique(snapped.reshape(-1, 3), axis=0)) == 3


# -- editing and harmonization -----------------------------------------------------------------


@pytest.mark.parametrize("function", [edit, harmonize])
def test_blending_keeps_the_input_exactly_where_the_mask_is_zero(model, function):
    edited, mask = _edited_and_mask(model)
    out = function(model, edited, mask, 1, seed=5)
    assert out.shape == edited.shape and out.dtype == np.float32
    np.testing.assert_array_equal(out, function(model, edited, mask, 1, seed=5))
    # The default radius/sigma at 24 px: round(20 or 7 * 24/250) -> 2 or 1; sigma 0.5.
    radius = max(1, round((20 if function is edit else 7) * 24 / 250))
    soft = blend_mask(mask, radius, 0.5)
    zero = soft == 0.0
    # Independent bound: farther than radius + the blur's 4-sigma cut (2 px) from the mask.
    far = np.ones_like(mask)
    far[: 7 + radius + 2, : 7 + radius + 2] = False
    assert zero[far].all() and zero.sum() > edited.shape[0] * edited.shape[1] // 2
    np.testing.assert_array_equal(out[zero], edited[zero])  # bit for bit
    assert np.all(np.abs(out[mask] - edited[mask]).max(axis=-1) > 0)  # every masked pixel moved


def _seam_gradient(image, top, left, size):
    """Mean |difference| between neighbours across the border of the block image[top:top+size,
    left:left+size] (summed over channels): how visible its seams are."""
    rows = np.abs(np.diff(image, axis=0)).sum(-1)[[top - 1, top + size - 1], left : left + size]
    cols = np.abs(np.diff(image, axis=1)).sum(-1)[top : top + size, [left - 1, left + size - 1]]
    return float(np.concatenate([rows.ravel(), cols.ravel()]).mean())


def test_editing_softens_the_seams_of_a_moved_block(model):
    """A block copied from elsewhere in the image leaves sharp seams; editing re-synthesises
    the region from a coarse scale, so the seams fade. Measured on this model: the seam
    gradient falls to 0.45 (n = 1) and 0.52 (n = 2) of the edited input's (the real image's
    own gradient there is 0.24 of it); bound 0.7. Returning the input, or blending with the
    wrong polarity of the mask, leaves the ratio at 1."""
    real = model.reals[-1]
    edited = real.copy()
    edited[2:9, 3:10] = real[10:17, 12:19]
    mask = np.zeros(real.shape[:2], bool)
    mask[2:9, 3:10] = True
    before = _seam_gradient(edited, 2, 3, 7)
    for n in (1, 2):
        after = _seam_gradient(edit(model, edited, mask, n, seed=5), 2, 3, 7)
        assert after < 0.7 * before, (n, after / before)


def test_harmonization_pulls_a_pasted_colour_toward_the_background(identity_model):
    """Harmonization's mechanism, with identity generators (this 3-iteration model does not
    learn colours: measured, it moves the pasted block's mean colour 7 % *away* from the
    background at n = 1, and a 100-iteration one pulls it only 5 %). The composite goes down
    to scale n − 1 and back up, mixing the block with its surroundings, and is blended back
    inside the dilated mask: out = (1 − m)·composite + m·(its resize chain), checked exactly;
    the block's mean colour then moves toward the background's (measured 8 % at n = 1, 11 %
    at n = 2 for this block; bound 5 %)."""
    model = identity_model
    real = model.reals[-1]
    mask = np.zeros(real.shape[:2], bool)
    mask[2:9, 3:10] = True
    composite = real.copy()
    composite[mask] = np.clip(real[mask] + np.array([0.6, -0.5, 0.4]), -1, 1)  # pasted, off-colour
    # Disk of radius 1, no blur: m is the mask grown by one pixel up, down, left and right.
    grown = mask.copy()
    grown[1:] |= mask[:-1]
    grown[:-1] |= mask[1:]
    grown[:, 1:] |= mask[:, :-1]
    grown[:, :-1] |= mask[:, 1:]
    background = real[~grown].mean(0)
    factor = model.schedule.scale_factor
    for n in (1, 2):
        out = harmonize(model, composite, mask, n, seed=5, dilation_radius=1, blur_sigma=0)
        chain = imresize(composite, model.sizes[n - 1], scale=factor ** (2 - (n - 1)))
        for size in model.sizes[n:]:
            chain = imresize(chain, size)
        np.testing.assert_allclose(out[grown], chain[grown], atol=1e-5)
        np.testing.assert_array_equal(out[~grown], composite[~grown])
        distance_before = np.linalg.norm(composite[mask].mean(0) - background)
        distance_after = np.linalg.norm(out[mask].mean(0) - background)
        assert distance_after < 0.95 * distance_before, (n, distance_after / distance_before)


def test_blend_mask_is_dilated_blurred_and_rescaled():
    mask = np.zeros((40, 40), bool)
    mask[18:22, 18:22] = True
    soft = blend_mask(mask, 5, 2.0)
    assert soft.min() == 0.0 and soft.max() == 1.0
    assert soft[20, 20] > 0.95 and soft[20, 24] > 0.5  # inside the dilated disk
    assert (soft[:, :5] == 0).all()  # beyond radius 5 + 4 sigma (8) of the mask
    assert (blend_mask(np.ones((6, 6), bool), 1, 1.0) == 1).all()


# -- super-resolution --------------------------------------------------------------------------


def test_super_resolution_steps_follow_the_r_power_k_rule():
    for factor, steps in ((2, 3), (4, 6), (2.5, 4), (8, 9), (1.1, 1)):
        k, r = super_resolution_steps(factor)
        assert k == steps == max(1, round(math.log(1 / factor, 0.5 ** (1 / 3))))
        assert r**k == pytest.approx(factor, rel=1e-12)
    config = super_resolution_config(4)
    assert config.reconstruction_weight == 100 and config.min_size == 18
    assert config.scale_factor == pytest.approx(0.5 ** (1 / 3))
    with pytest.raises(ValueError, match="--factor"):
        super_resolution_steps(1.0)


def test_super_resolution_output_size_and_determinism(sr_trained):
    sr_model, _ = sr_trained
    height, width = sr_model.sizes[-1]
    assert sr_model.config.reconstruction_weight == 100
    for factor in (2, 4):  # the model was trained for x2, whose step 2^(1/3) is x4's too
        out = super_resolve(sr_model, factor, seed=1)
        assert out.shape == (round(height * factor), round(width * factor), 3)
        assert np.all(np.isfinite(out)) and np.abs(out).max() < 2.0
    with warnings.catch_warnings():  # x2.5's step (1.2574) is within 2 % of x2's (1.2599)
        warnings.simplefilter("error", UserWarning)
        out = super_resolve(sr_model, 2.5, seed=1)
    assert out.shape == (round(height * 2.5), round(width * 2.5), 3)
    with pytest.warns(UserWarning, match="SR mode"):  # x1.5: 2 steps of 1.2247, 2.9 % off
        super_resolve(sr_model, 1.5, seed=1)
    np.testing.assert_array_equal(
        super_resolve(sr_model, 2, seed=7), super_resolve(sr_model, 2, seed=7)
    )


def test_super_resolution_with_a_zero_residual_is_repeated_bicubic(sr_trained):
    # With G_finest's tail at zero, G(σz, x↑) = x↑ + tanh(0) = x↑: the chain must reduce to
    # k bicubic steps of r from the low-res image (wrong step order, size or input fails).
    sr_model, _ = sr_trained
    tail = sr_model.generators[-1].get_layer("g_tail_conv")
    saved = tail.get_weights()
    try:
        tail.set_weights([np.zeros_like(w) for w in saved])
        out = super_resolve(sr_model, 2, seed=3)
    finally:
        tail.set_weights(saved)
    steps, step = super_resolution_steps(2)
    expected, (height, width) = sr_model.reals[-1], sr_model.sizes[-1]
    for j in range(1, steps + 1):  # sizes round(size · r^j) (documented; MATLAB would ceil)
        expected = imresize(expected, (round(height * step**j), round(width * step**j)))
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, atol=1e-5)
    assert np.abs(super_resolve(sr_model, 2, seed=3) - out).max() > 1e-3  # weights restored


def test_super_resolution_is_the_finest_generator_applied_k_times_by_hand(sr_trained):
    """x_j = G_finest(σ_finest z_j, x_{j−1}↑) for j = 1..k at sizes round(size · 2^(j/3)),
    fresh 3-channel noise z_j from the seed's stream, recomputed with `numpy_reference`
    (networks and MATLAB bicubic). This 3-iteration model's residual is large (the output is
    0.2 from plain bicubic on average), so a missing step, a wrong σ or noise is visible."""
    sr_model, _ = sr_trained
    out = super_resolve(sr_model, 2, seed=4)
    weights = network_weights(sr_model.generators[-1], "g")
    sigma = sr_model.noise_amplitudes[-1]
    stream = np.random.default_rng(np.random.SeedSequence(4).spawn(1)[0])
    image, (height, width) = sr_model.reals[-1].astype(np.float64), sr_model.sizes[-1]
    for j in range(1, 4):
        size = (round(height * 2 ** (j / 3)), round(width * 2 ** (j / 3)))
        z = stream.standard_normal((1, *size, 3), dtype=np.float32)
        previous = matlab_resize(image, size)[None]
        image = generator_forward(weights, z * np.float32(sigma), previous)[0]
    assert out.shape == image.shape == (round(height * 2), round(width * 2), 3)
    np.testing.assert_allclose(out, image, atol=1e-4)
    assert np.abs(out - previous[0]).mean() > 1e-2  # the last step's residual matters


# -- animation ---------------------------------------------------------------------------------


def test_animation_frames_are_coherent_and_deterministic(model):
    frames = animate(model, frames=12, start_scale=0, seed=2)
    assert frames.shape == (12, *model.sizes[-1], 3) and frames.dtype == np.float32
    np.testing.assert_array_equal(frames, animate(model, frames=12, start_scale=0, seed=2))
    consecutive = np.abs(np.diff(frames, axis=0)).mean()
    samples = model.sample(12, start_scale=0, seed=9)
    independent = np.mean(
        [np.abs(samples[i] - samples[j]).mean() for i in range(12) for j in range(i)]
    )
    assert 0 < consecutive < 0.5 * independent, (consecutive, independent)
    later = animate(model, frames=6, start_scale=2, seed=2)
    assert later.shape == (6, *model.sizes[-1], 3)


@pytest.fixture(scope="module")
def lively_model(trained):
    """A copy of the trained model whose output depends strongly on the noise (the 3-iteration
    model's barely does), so a wrong noise map shows: conv kernels of gain ~1.5 (σ 1.5 /
    sqrt(fan-in)) and BatchNorm statistics 0 / 1, which keep the activations O(1) (with the
    training's tiny moving variances they would explode and round-off with them)."""
    copy = SinGAN.load(trained[1])
    rng = np.random.default_rng(0)
    for generator in copy.generators:
        for layer in generator.layers:
            if isinstance(layer, keras.layers.Conv2D):
                kernel, bias = layer.get_weights()
                scale = 1.5 / np.sqrt(np.prod(kernel.shape[:3]))
                layer.set_weights([rng.normal(0, scale, kernel.shape), bias])
            if isinstance(layer, keras.layers.BatchNormalization):
                gamma, beta, mean, variance = layer.get_weights()
                layer.set_weights([gamma, beta, np.zeros_like(mean), np.ones_like(variance)])
    return copy


@pytest.mark.parametrize("start_scale", [0, 1])
def test_animation_runs_the_pyramid_on_one_walk_per_scale_by_hand(lively_model, start_scale):
    """Frame f: scales s..K−1 get step f of their own walk (anchored at z* at scale 0, at 0
    above; drawn from one seeded stream, scale after scale), scales below s the
    reconstruction; recomputed with `numpy_reference` (networks and MATLAB bicubic)."""
    model, frames = lively_model, 3
    out = animate(model, frames=frames, start_scale=start_scale, seed=2)
    stream = np.random.default_rng(2)
    walks = {
        k: random_walk(model.z_star if k == 0 else np.zeros((*model.sizes[k], 3), np.float32),
                       frames, stream, 0.1, 0.9, single_channel=k == 0)
        for k in range(start_scale, model.num_scales)
    }  # fmt: skip
    weights = [network_weights(g, "g") for g in model.generators]
    sigmas = model.noise_amplitudes
    image = np.zeros((frames, *model.sizes[0], 3))
    for k in range(model.num_scales):
        if k > 0:
            image = np.stack([matlab_resize(frame, model.sizes[k]) for frame in image])
        if k < start_scale:  # the reconstruction: z* at scale 0, zero noise above
            noise = np.repeat(model.z_star[None], frames, 0) if k == 0 else np.zeros_like(image)
        else:
            noise = walks[k] * np.float32(sigmas[k])
        image = generator_forward(weights[k], noise, image)
    np.testing.assert_allclose(out, image, atol=1e-4)
    assert np.abs(np.diff(out, axis=0)).mean() > 2e-3  # 0.12 / 0.005 measured: far above 1e-4


def test_gif_has_every_frame(model, tmp_path):
    walk = animate(model, frames=7, start_scale=0, seed=2)
    # The 3-iteration model barely reacts to noise (frames differ by ~1e-6, below 8-bit
    # resolution, and Pillow merges equal frames): magnify the walk's deviations.
    with pytest.warns(UserWarning, match="frames equal the previous one"):
        save_animation(walk, tmp_path / "still.gif")
    frames = np.clip(walk.mean(0) + (walk - walk.mean(0)) * 1e5, -1, 1)
    path = save_animation(frames, tmp_path / "walk.gif", fps=5)
    with Image.open(path) as gif:
        assert gif.n_frames == 7 and gif.size == frames.shape[2:0:-1]
        assert gif.info["duration"] == 200
    with pytest.raises(ValueError, match=r"\.gif"):
        save_animation(frames, tmp_path / "walk.avi")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["still.gif", "walk.gif"]


def test_gif_frames_share_one_palette_so_still_regions_do_not_flicker(tmp_path):
    # A smooth image whose right half drifts slowly while the left half stands still.
    rng = np.random.default_rng(0)
    base = np.cumsum(np.cumsum(rng.standard_normal((48, 64, 3)), 0), 1)
    base = (base - base.min()) / (base.max() - base.min()) * 1.6 - 0.8
    drift = np.concatenate([np.zeros(32), np.linspace(0, 1, 32)])[None, :, None]
    frames = np.stack([base + 0.1 * np.sin(i / 2) * drift for i in range(12)])
    path = save_animation(frames, tmp_path / "drift.gif")
    with Image.open(path) as gif:
        decoded = []
        for i in range(gif.n_frames):
            gif.seek(i)
            decoded.append(np.asarray(gif.convert("RGB"), np.float32))
    decoded = np.stack(decoded)
    still = decoded[:, :, :32]  # the left half: identical in every input frame
    assert np.abs(np.diff(still, axis=0)).max() == 0.0
    original = np.round((np.clip(frames, -1, 1) + 1) * 127.5)
    assert np.abs(decoded - original).mean() < 6.0  # a 256-colour palette is close enough


# -- Fig. 8 ------------------------------------------------------------------------------------


def test_start_scale_figure_has_one_row_per_start_scale(model, tmp_path):
    figure = start_scale_figure(model, num_samples=2, seed=0, path=tmp_path / "fig8.png")
    assert len(figure.axes) == model.num_scales * 3
    with Image.open(tmp_path / "fig8.png") as image:
        assert image.width > 100


# -- validation --------------------------------------------------------------------------------


def test_user_input_errors_name_the_flag_and_the_range(model):
    edited, mask = _edited_and_mask(model)
    last = model.num_scales - 1
    for bad in (0, last + 1):
        with pytest.raises(ValueError, match=rf"--start-scale.*between 1 and {last}"):
            paint_to_image(model, edited, bad)
    with pytest.raises(ValueError, match=r"--start-scale.*between 0 and"):
        animate(model, frames=2, start_scale=last + 1)
    with pytest.raises(ValueError, match=r"PAINT.*size.*21x24 or 24x28|PAINT.*24x28 or 21x24"):
        paint_to_image(model, edited[:-1], 1)
    with pytest.raises(ValueError, match=r"PAINT.*\(H, W, 3\).*channels: 4"):
        paint_to_image(model, np.zeros((*model.sizes[-1], 4), np.float32), 1)
    with pytest.raises(ValueError, match=r"PAINT.*\[-1, 1\]"):
        paint_to_image(model, edited * 3, 1)
    with pytest.raises(ValueError, match=r"--mask must be binary"):
        edit(model, edited, mask * 0.5 + 0.25, 1)
    with pytest.raises(ValueError, match=r"--mask must have the image's size"):
        harmonize(model, edited, mask[:-2], 1)
    with pytest.raises(ValueError, match=r"--mask is empty"):
        edit(model, edited, np.zeros_like(mask), 1)
    assert load_mask(np.uint8(mask) * 255, mask.shape).sum() == 25


# -- command line ------------------------------------------------------------------------------


def _main(argv):
    from singan_keras.cli import main

    return main([str(a) for a in argv])


@pytest.fixture(scope="module")
def files(model, tmp_path_factory):
    folder = tmp_path_factory.mktemp("inputs")
    edited, mask = _edited_and_mask(model)
    save_image(edited, folder / "edited.png")
    save_image(mask * 2.0 - 1.0, folder / "mask.png")
    save_image(mask * 1.0 - 0.5, folder / "grey_mask.png")
    save_image(smooth_image(30, 30), folder / "wrong_size.png")
    return folder


def test_cli_commands_write_their_outputs(trained, sr_trained, files, tmp_path, capsys):
    _, run = trained
    _, sr_run = sr_trained
    commands = {
        "paint.png": ["paint", run, files / "edited.png", "--start-scale", 1],
        "edit.png": ["edit", run, files / "edited.png", "--mask", files / "mask.png",
                     "--start-scale", 2],
        "harmonize.png": ["harmonize", run, files / "edited.png", "--mask", files / "mask.png",
                          "--start-scale", 1, "--dilation", 1, "--blur", 0],
        "walk.gif": ["animate", run, "--frames", 4, "--start-scale", 0],
        "x2.png": ["super-resolve", sr_run, "--factor", 2],
    }  # fmt: skip
    for name, argv in commands.items():
        assert _main([*argv, "--out", tmp_path / name, "--seed", 0]) == 0, name
        assert (tmp_path / name).is_file()
    with Image.open(tmp_path / "x2.png") as image:
        assert (image.height, image.width) == (30, 36)
    with Image.open(tmp_path / "walk.gif") as image:
        assert image.n_frames >= 1 and image.size == (24, 21)
    assert "seed 0" in capsys.readouterr().out


BAD = {
    "start scale too large": ["paint", "{run}", "{files}/edited.png", "--start-scale", 3],
    "start scale 0 for paint": ["paint", "{run}", "{files}/edited.png", "--start-scale", 0],
    "paint of the wrong size": ["paint", "{run}", "{files}/wrong_size.png", "--start-scale", 1],
    "missing paint": ["paint", "{run}", "{files}/nothing.png", "--start-scale", 1],
    "grey mask": ["edit", "{run}", "{files}/edited.png", "--mask", "{files}/grey_mask.png",
                  "--start-scale", 1],
    "mask of the wrong size": ["harmonize", "{run}", "{files}/edited.png", "--mask",
                               "{files}/wrong_size.png", "--start-scale", 1],
    "animation start scale": ["animate", "{run}", "--start-scale", 9],
    "animation to avi": ["animate", "{run}", "--frames", 2],
    "factor 1": ["super-resolve", "{sr_run}", "--factor", 1],
    "not a run": ["super-resolve", "{files}", "--factor", 2],
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD))
def test_cli_bad_input_is_one_line_and_writes_nothing(case, trained, sr_trained, files, tmp_path,
                                                      capsys):  # fmt: skip
    names = dict(run=trained[1], sr_run=sr_trained[1], files=files)
    argv = [str(a).format(**names) for a in BAD[case]]
    out = tmp_path / ("out.avi" if case == "animation to avi" else "out.gif")
    if argv[0] != "animate":
        out = tmp_path / "out.png"
    code = _main([*argv, "--out", out])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, case
    assert len([line for line in err if "error" in line]) == 1, err
    assert "Traceback" not in "\n".join(err)
    assert list(tmp_path.iterdir()) == []


def test_parsers_set_their_run_function_and_document_every_flag():
    parser = argparse.ArgumentParser(prog="singan")
    subparsers = parser.add_subparsers(dest="command")
    app_cli.register(subparsers)
    for name in ("super_resolve", "paint", "edit", "harmonize", "animate"):
        sub = subparsers.choices[name.replace("_", "-")]
        assert sub.get_default("run") is getattr(app_cli, f"run_{name}")
        for action in sub._actions:
            assert action.help, (name, action.dest)


# -- bundled extra inputs ----------------------------------------------------------------------


def test_extras_regenerate_exactly_and_fit_their_images(tmp_path):
    from singan_keras import data
    from singan_keras.data.extras import make_extras

    shipped = Path(make_extras.__file__).parent
    for path in make_extras.make_all(tmp_path):
        with Image.open(path) as new, Image.open(shipped / path.name) as old:
            np.testing.assert_array_equal(np.asarray(new), np.asarray(old), err_msg=path.name)
    pairs = {
        "rocket_paint": "rocket",
        "brick_edited": "brick",
        "brick_edited_mask": "brick",
        "hubble_deep_field_composite": "hubble_deep_field",
        "hubble_deep_field_composite_mask": "hubble_deep_field",
    }
    for extra, source in pairs.items():
        with Image.open(shipped / f"{extra}.png") as image:
            assert image.size == Image.open(data.image_path(source)).size
            if extra.endswith("mask"):
                assert set(np.unique(np.asarray(image))) == {0, 255}
