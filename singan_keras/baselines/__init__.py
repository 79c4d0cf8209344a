"""Training-free baselines to compare SinGAN against.

* `gpnn` — Generative Patch Nearest Neighbours ("Drop the GAN", Granot et al., CVPR 2022):
  the same coarse-to-fine pyramid as SinGAN, with every scale's generator replaced by a
  patch nearest-neighbour step. Random samples in seconds, no training.

Example:
    >>> from singan_keras.baselines import GPNNConfig
    >>> GPNNConfig().patch_size, GPNNConfig().alpha
    (7, 0.005)
"""

from singan_keras.baselines.gpnn import (
    GPNNConfig,
    gpnn_sample,
    patch_nearest_neighbours,
)

__all__ = ["GPNNConfig", "gpnn_sample", "patch_nearest_neighbours"]
