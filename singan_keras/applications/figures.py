"""The paper's Fig. 8: random samples started at different scales, one row per start scale.

Starting generation at a coarse scale n keeps the training image's global layout (the
coarser scales are fixed) and varies only structures smaller than scale n can see; at the
coarsest scale everything is random. See `SinGAN.sample` for what feeds the start scale.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

__all__ = ["start_scale_figure"]


def start_scale_figure(
    model,
    *,
    num_samples: int = 4,
    start_scales: Sequence[int] | None = None,
    seed: int = 0,
    path: str | os.PathLike | None = None,
):
    """One row per start scale, the training image first, then random samples (Fig. 8).

    Args:
        model: the trained `SinGAN`.
        num_samples: samples per row.
        start_scales: the rows' start scales (0 = coarsest); default every scale.
        seed: noise seed (each row uses it, so columns differ only by start scale's noise).
        path: also save the figure there (PNG, PDF, ... by suffix).

    Returns:
        A `matplotlib.figure.Figure` (no pyplot state is touched).

    Raises:
        ValueError: a start scale out of range.

    Example:
        >>> from singan_keras.applications import start_scale_figure
        >>> figure = start_scale_figure(model, num_samples=3,
        ...                             path="fig8.png")  # doctest: +SKIP
    """
    from matplotlib.figure import Figure

    from singan_keras.applications.injection import check_start_scale

    if start_scales is None:
        start_scales = range(model.num_scales)
    start_scales = [check_start_scale(model, n, 0) for n in start_scales]
    if num_samples < 1:
        raise ValueError(f"num_samples must be >= 1, got {num_samples}.")
    height, width = model.sizes[-1]
    columns = num_samples + 1
    figure = Figure(
        figsize=(
            1.6 * columns * width / max(height, width) + 0.6,
            1.6 * len(start_scales) * height / max(height, width) + 0.4,
        )
    )
    axes = figure.subplots(len(start_scales), columns, squeeze=False)
    to_unit = lambda image: np.clip((image + 1.0) / 2.0, 0.0, 1.0)  # noqa: E731
    for row, n in zip(axes, start_scales, strict=True):
        samples = model.sample(num_samples, start_scale=n, seed=seed)
        row[0].imshow(to_unit(model.reals[-1]))
        row[0].set_ylabel(f"start {n}", fontsize=8)
        for ax, sample in zip(row[1:], samples, strict=True):
            ax.imshow(to_unit(sample))
        for ax in row:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0][0].set_title("training image", fontsize=8)
    for ax in axes[0][1:]:
        ax.set_title("sample", fontsize=8)
    figure.suptitle("Random samples by start scale (0 = coarsest), SinGAN Fig. 8", fontsize=9)
    figure.tight_layout()
    if path is not None:
        figure.savefig(path, dpi=120)
    return figure
