"""Metrics for single-image generation: SIFID, diversity and patch SWD.

* `sifid` — Single Image FID (SinGAN §3, Table 2) on the InceptionV3 stem, as the official
  SIFID script computes it (`sifid.py`).
* `frechet_distance` — the Fréchet distance between two Gaussians (`frechet.py`).
* `diversity` — the paper's per-pixel std across samples over the training image's std
  (`diversity.py`).
* `sliced_wasserstein_distance` — ProGAN-style patch SWD over a Laplacian pyramid, weight-free
  (`swd.py`).

Images are numpy arrays, channels-last, with values in [-1, 1] (the package's convention).
"""

from singan_keras.metrics.diversity import diversity
from singan_keras.metrics.frechet import feature_statistics, frechet_distance
from singan_keras.metrics.report import fidelity_report
from singan_keras.metrics.sifid import (
    SIFID_LAYERS,
    TORCHVISION_INCEPTION_URL,
    SIFIDResult,
    build_sifid_stem,
    convert_torchvision_inception_stem,
    load_sifid_stem,
    load_sifid_weights,
    sifid,
    sifid_features,
)
from singan_keras.metrics.swd import SWDResult, laplacian_pyramid, sliced_wasserstein_distance

__all__ = [
    "SIFID_LAYERS",
    "TORCHVISION_INCEPTION_URL",
    "SIFIDResult",
    "SWDResult",
    "build_sifid_stem",
    "convert_torchvision_inception_stem",
    "diversity",
    "feature_statistics",
    "fidelity_report",
    "frechet_distance",
    "laplacian_pyramid",
    "load_sifid_stem",
    "load_sifid_weights",
    "sifid",
    "sifid_features",
    "sliced_wasserstein_distance",
]
