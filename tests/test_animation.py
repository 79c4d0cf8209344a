"""The animation's random walk (`singan_keras.applications.animation.random_walk`).

The stated recurrence, per pixel, with anchor a = z*_k and fresh ε_t:

    d_t = β·(z_{t−1} − z_{t−2}) + (1 − β)·ε_t,    z_t = α·a + (1 − α)·(z_{t−1} + d_t)

Written for y_t = z_t − a it is the AR(2) process

    y_t = φ1·y_{t−1} + φ2·y_{t−2} + c·ε_t,   φ1 = (1 − α)(1 + β), φ2 = −(1 − α)β, c = (1 − α)(1 − β)

with y_{−1} = 0.05·(ε_0 − a) (z_1 = 0.95·a + 0.05·ε_0) and y_{−2} = 0 (z_2 = a). The tests check
the walk against this form (not a copy of the loop), and its stationary statistics against the
AR(2) closed forms: for α > 0 both roots lie inside the unit circle (modulus √((1 − α)β)), so
the walk stays around a with variance

    γ0 = c²·(1 − φ2) / ((1 + φ2)·((1 − φ2)² − φ1²))      and lag-1 correlation φ1 / (1 − φ2);

for α = 0 it has a unit root and wanders off (its variance grows with the number of steps).
"""

import numpy as np
import pytest

from singan_keras.applications.animation import random_walk


def _coefficients(alpha, beta):
    return (1 - alpha) * (1 + beta), -(1 - alpha) * beta, (1 - alpha) * (1 - beta)


def _stationary_variance(alpha, beta):
    phi1, phi2, c = _coefficients(alpha, beta)
    return c**2 * (1 - phi2) / ((1 + phi2) * ((1 - phi2) ** 2 - phi1**2))


@pytest.mark.parametrize("single_channel", [False, True])
@pytest.mark.parametrize("alpha, beta", [(0.1, 0.9), (0.3, 0.5)])
def test_walk_follows_the_stated_ar2_recurrence(alpha, beta, single_channel):
    anchor = np.random.default_rng(0).normal(size=(5, 6, 3)).astype(np.float32)
    if single_channel:  # the coarsest scale's z*: one channel repeated, as its ε
        anchor = np.repeat(anchor[..., :1], 3, axis=-1)
    walk = random_walk(anchor, 12, np.random.default_rng(7), alpha, beta, single_channel)
    assert walk.shape == (12, 5, 6, 3) and walk.dtype == np.float32
    # The same stream, drawn in the stated order: ε_0 for z_1, then one ε per frame.
    stream = np.random.default_rng(7)

    def epsilon():
        if single_channel:  # one channel repeated (the coarsest scale)
            return np.repeat(stream.standard_normal((5, 6, 1), dtype=np.float32), 3, axis=-1)
        return stream.standard_normal((5, 6, 3), dtype=np.float32)

    a = anchor.astype(np.float64)
    phi1, phi2, c = _coefficients(alpha, beta)
    y_1, y_2 = 0.05 * (epsilon() - a), np.zeros_like(a)
    for t in range(12):
        y = phi1 * y_1 + phi2 * y_2 + c * epsilon()
        np.testing.assert_allclose(walk[t], a + y, atol=1e-5, err_msg=f"frame {t}")
        y_2, y_1 = y_1, y
    if single_channel:
        np.testing.assert_array_equal(walk[..., 0], walk[..., 2])
    assert np.abs(np.diff(walk, axis=0)).mean() > 1e-2  # the frames do move


@pytest.mark.parametrize("alpha, beta", [(0.1, 0.9), (0.3, 0.5)])
def test_walk_is_stationary_around_the_anchor(alpha, beta):
    # 64 x 64 x 3 pixels are 12,288 independent chains: a frame's sample variance has a
    # relative standard error of sqrt(2 / 12288) = 1.3 %, its mean one of ~0.005.
    anchor = np.full((64, 64, 3), 0.7, np.float32)
    walk = random_walk(anchor, 300, np.random.default_rng(3), alpha, beta, single_channel=False)
    deviation = walk.astype(np.float64) - 0.7
    expected = _stationary_variance(alpha, beta)  # 0.219 for (0.1, 0.9), 0.353 for (0.3, 0.5)
    settled = deviation[100:]  # transients decay as 0.9^t at most: 3e-5 after 100 frames
    variances = settled.reshape(len(settled), -1).var(axis=1)
    # Every frame within 8 % (6 standard errors) of γ0: bounded, and at the stated level.
    np.testing.assert_allclose(variances, expected, rtol=0.08)
    assert np.abs(settled.reshape(len(settled), -1).mean(axis=1)).max() < 0.03
    phi1, phi2, _ = _coefficients(alpha, beta)
    lag1 = np.mean(settled[1:] * settled[:-1]) / np.mean(settled**2)
    assert lag1 == pytest.approx(phi1 / (1 - phi2), abs=0.02)  # 0.945 and 0.778


def test_walk_without_anchoring_wanders_off():
    # α = 0: a unit root; the variance keeps growing (by ~1 per frame for β = 0.9), so the
    # anchoring is what keeps the stationary test above bounded.
    walk = random_walk(np.zeros((32, 32, 3), np.float32), 300, np.random.default_rng(4), 0.0,
                       0.9, single_channel=False)  # fmt: skip
    variances = walk.reshape(300, -1).var(axis=1)
    assert variances[299] > 3 * variances[99] > 3 * 10 * _stationary_variance(0.1, 0.9)
