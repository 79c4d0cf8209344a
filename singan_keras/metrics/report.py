"""The fidelity report: diversity, patch SWD and SIFID of a trained SinGAN in one call.

The SinGAN paper evaluates random samples generated from the coarsest scale ("N") and from
the next one ("N − 1", which keeps the global layout of the training image): diversity (§3,
≈ 0.5 and ≈ 0.35 in the paper) and SIFID (Table 2). `fidelity_report` draws `num_samples`
seeded samples from each requested start scale and scores them against the training image
at the generated scale with

* `diversity` (`diversity.py`),
* the patch `sliced_wasserstein_distance` (`swd.py`, weight-free: always computed),
* `sifid` (`sifid.py`) when InceptionV3 stem weights are given; otherwise `null`, with a note.

Index direction: the package counts scales from the coarsest (scale 0), the paper from the
finest (its scale N is the coarsest). Our start scale k is the paper's N − k, so the paper's
"from N − 1" is `start_scale=1` here.

Choices fixed here (all recorded in the returned dict):

* samples are clipped to [-1, 1], i.e. scored as the images a user would save;
* scale k > 0 is fed with the reconstruction from z* (`start_input="reconstruction"`, the
  official code) unless `start_input="real"` (the paper's description);
* the SWD uses the package defaults with as many Laplacian bands (at most 4) as the image size
  allows (every band ≥ 7 px), and the report's `seed`.

The returned dict is JSON-serialisable (plain floats, ints, strings, lists, `None`):

| key | meaning |
|---|---|
| `metric` | `"fidelity"` |
| `backend` | the Keras backend that generated the samples |
| `num_samples`, `seed` | samples per start scale and their noise seed (also the SWD seed) |
| `num_scales` | trained scales of the model |
| `image_size` | `[H, W]` of the samples and of the real image they are compared with |
| `start_input` | what feeds a start scale > 0 (`"reconstruction"` or `"real"`) |
| `clipped_to` | `[-1.0, 1.0]`: the range samples were clipped to before scoring |
| `swd_levels` | Laplacian bands of the SWD (finest first) |
| `sifid_weights` | the weights given (a string), or `None` |
| `sifid_note` | why `sifid` is `null`, or `None` when it was computed |
| `results` | one dict per start scale, in the order requested, with the keys below |
| `results[i].start_scale` | our start scale (0 = coarsest) |
| `results[i].paper_scale` | the paper's name of it: `"N"`, `"N-1"`, … |
| `results[i].diversity` | `diversity(samples, real)` |
| `results[i].swd`, `.swd_per_level` | patch SWD: mean over bands, and per band (finest first) |
| `results[i].sifid` | mean SIFID over the samples, or `None` without weights |
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import keras
import numpy as np

from singan_keras.errors import InputError
from singan_keras.metrics.diversity import diversity
from singan_keras.metrics.sifid import load_sifid_stem, sifid
from singan_keras.metrics.swd import PATCH_SIZE, sliced_wasserstein_distance

if TYPE_CHECKING:  # the training code imports Keras models; keep this module light
    from singan_keras.singan import SinGAN

__all__ = ["DEFAULT_START_SCALES", "fidelity_report", "paper_scale_name"]

# Full generation (paper: from N) and from the next finer scale (paper: from N − 1).
DEFAULT_START_SCALES = (0, 1)
SWD_MAX_LEVELS = 4  # the package default of `sliced_wasserstein_distance`
NO_SIFID_NOTE = (
    "SIFID not computed: no InceptionV3 weights were given (pass sifid_weights= a torchvision "
    "inception_v3_google-0cc3c7bd.pth, a SIFID stem .weights.h5, or 'imagenet'; see "
    "docs/metrics.md)."
)


def paper_scale_name(start_scale: int) -> str:
    """The paper's name of our start scale: 0 → `"N"`, 1 → `"N-1"`, k → `"N-k"`.

    Example:
        >>> paper_scale_name(0), paper_scale_name(1)
        ('N', 'N-1')
    """
    return "N" if start_scale == 0 else f"N-{start_scale}"


def _swd_levels(height: int, width: int) -> int:
    """Most Laplacian bands (≤ 4) whose coarsest band is still ≥ 7 px on its shorter side."""
    smallest = min(height, width)
    levels = 1
    while levels < SWD_MAX_LEVELS and -(-smallest // 2**levels) >= PATCH_SIZE:
        levels += 1  # band `levels` has ceil(smallest / 2^levels) pixels
    return levels


def _checked_start_scales(start_scales: Sequence[int] | None, num_scales: int) -> list[int]:
    if start_scales is None:  # the defaults, clipped to what the model has
        return [k for k in DEFAULT_START_SCALES if k < num_scales]
    scales = []
    for k in start_scales:
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 0 <= k < num_scales:
            raise InputError(
                f"start scales must be integers between 0 and {num_scales - 1} for this model "
                f"({num_scales} scales, 0 = coarsest = the paper's N), got {k!r}."
            )
        if int(k) not in scales:
            scales.append(int(k))
    if not scales:
        raise InputError("start_scales is empty; pass at least one scale (0 = the coarsest).")
    return scales


def fidelity_report(
    model: SinGAN,
    num_samples: int = 50,
    start_scales: Sequence[int] | None = None,
    seed: int = 0,
    sifid_weights: str | os.PathLike | keras.Model | None = None,
    start_input: str = "reconstruction",
) -> dict[str, Any]:
    """Diversity, patch SWD and (with weights) SIFID of samples from each start scale.

    For each start scale k, `model.sample(num_samples, start_scale=k, seed=seed)` is clipped to
    [-1, 1] and compared with the training image at the generated scale,
    `model.reals[model.num_scales - 1]` (the finest real image, `model.reals[-1]`, for a
    finished run).

    Args:
        model: a trained `SinGAN` (from `SinGAN.train` or `SinGAN.load`).
        num_samples: samples per start scale, ≥ 2 (the paper uses 100 for diversity and 50
            for SIFID).
        start_scales: our start scales, 0 = coarsest = the paper's N. Default `(0, 1)` (the
            paper's N and N − 1), without 1 for a one-scale model. Duplicates are dropped.
        seed: noise seed of the samples and seed of the SWD's random patches and directions;
            the same seed gives the same report on the same backend.
        sifid_weights: InceptionV3 stem weights for SIFID, as `sifid(weights=...)` takes them
            (a `.pth` / `.weights.h5` path, `"imagenet"`, or a stem `keras.Model`); `None`
            skips SIFID (its values are `None` and `sifid_note` says why).
        start_input: what feeds a start scale > 0: `"reconstruction"` (official code) or
            `"real"` (the paper); see `SinGAN.sample`.

    Returns:
        A JSON-serialisable dict; its keys are listed in this module's docstring.

    Raises:
        ValueError: `num_samples` < 2, a start scale outside the model, or an untrained model.
        FileNotFoundError: a missing SIFID weights file (the message says where to get it).

    Example:
        >>> report = fidelity_report(model, num_samples=50)  # doctest: +SKIP
        >>> [(r["paper_scale"], round(r["diversity"], 2))
        ...  for r in report["results"]]  # doctest: +SKIP
        [('N', 0.48), ('N-1', 0.33)]
    """
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 2:
        raise InputError(
            f"num_samples must be an integer >= 2 (diversity needs two), got {num_samples!r}."
        )
    if model.num_scales == 0:
        raise InputError("this SinGAN has no trained scale yet; nothing to evaluate.")
    scales = _checked_start_scales(start_scales, model.num_scales)
    # The finest real comes from a bicubic resize, which can overshoot [-1, 1] slightly;
    # clip it as the samples are clipped (and as SIFID requires).
    real = np.clip(np.asarray(model.reals[model.num_scales - 1], dtype=np.float64), -1.0, 1.0)
    height, width = real.shape[:2]
    swd_levels = _swd_levels(height, width)

    # Build the SIFID stem once: loading weights is the slow part.
    stem = None
    if sifid_weights is not None:
        stem = (
            sifid_weights
            if isinstance(sifid_weights, keras.Model)
            else load_sifid_stem(sifid_weights)
        )

    results = []
    for k in scales:
        samples = model.sample(num_samples, start_scale=k, seed=seed, start_input=start_input)
        samples = np.clip(np.asarray(samples, dtype=np.float64), -1.0, 1.0)  # as saved
        swd = sliced_wasserstein_distance(real, samples, num_levels=swd_levels, seed=seed)
        results.append(
            {
                "start_scale": k,
                "paper_scale": paper_scale_name(k),
                "diversity": diversity(samples, real),
                "swd": swd.mean,
                "swd_per_level": list(swd.per_level),
                "sifid": None if stem is None else sifid(real, samples, weights=stem).mean,
            }
        )

    if sifid_weights is None:
        weights_label = None
    elif isinstance(sifid_weights, keras.Model):
        weights_label = f"keras.Model {sifid_weights.name}"
    else:
        weights_label = str(sifid_weights)
    return {
        "metric": "fidelity",
        "backend": keras.backend.backend(),
        "num_samples": num_samples,
        "seed": int(seed),
        "num_scales": model.num_scales,
        "image_size": [int(height), int(width)],
        "start_input": start_input,
        "clipped_to": [-1.0, 1.0],
        "swd_levels": swd_levels,
        "sifid_weights": weights_label,
        "sifid_note": NO_SIFID_NOTE if stem is None else None,
        "results": results,
    }
