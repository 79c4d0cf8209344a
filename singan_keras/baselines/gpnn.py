r"""GPNN: random samples from one image by patch nearest neighbours, without training.

"Drop the GAN: In Defense of Patches Nearest Neighbors as Single Image Generative Models"
(Granot, Feinstein, Shocher, Bagon, Irani, CVPR 2022) keeps SinGAN's coarse-to-fine pyramid
and replaces each scale's generator by a Patch Nearest-Neighbour (PNN) step. Here it runs on
the package's own pyramid (`singan_keras.pyramid.scale_schedule` / `build_pyramid`, the
same sizes SinGAN trains on) and the package's MATLAB-bicubic `imresize`, so a GPNN sample
and a SinGAN sample of one image are directly comparable.

**The algorithm.** Real images $x_0$ (coarsest) ... $x_N$ (finest), values in [0, 1].

1. Coarsest scale: $y_0 = x_0 + z$, $z \sim \mathcal N(0, \sigma^2)$ per pixel and channel
   (paper: $\sigma = 0.75$), resized first to the output's coarsest size when the height or
   width scale is not 1.
2. Every scale $n$ (coarsest included) runs $T$ PNN iterations (paper: $T = 10$) on the
   initial guess: at $n > 0$ that is $y_{n-1}$ upsampled, $y_{n-1}{\uparrow}$.
3. One PNN iteration: queries $Q_i$ are all 7x7 patches (stride 1) of the current image;
   keys $K_j$ are the patches of the real image *blurred the same way the guess is*,
   $x_{n-1}{\uparrow}$ (down then up), in the first iteration of a scale, and of $x_n$ in the
   later ones (the guess is sharp by then; at the coarsest scale always $x_0$); values
   $V_j$ are the patches of $x_n$ at the same positions. With $D$ the mean squared
   difference of two patches, every query takes the value of

   $$ j^*(i) = \arg\min_j S(Q_i, K_j), \qquad
      S(Q_i, K_j) = \frac{D(Q_i, K_j)}{\alpha + \min_\ell D(Q_\ell, K_j)} . $$

   The denominator is small for a key that some query already matches well, which makes
   that key *more* expensive for everyone else: small $\alpha$ pushes every real patch to be
   used somewhere (completeness, the "visual completeness" of bidirectional similarity);
   large $\alpha$ gives plain nearest neighbours. Paper: $\alpha = 0.005$ with images in
   [0, 1].
4. The new image is the average, at every pixel, of the chosen value patches that cover it
   ("fold": up to 49 overlapping patches per pixel).

**Exact search, memory.** The normaliser $\min_\ell D(Q_\ell, K_j)$ needs every query before
any argmin, so the search makes two passes over blocks of queries (the first keeps a running
minimum per key, the second the argmin per query); a block holds
``max(1, block_elements // num_keys)`` queries, so the distance block is at most
``max(block_elements, num_keys)`` float32 values (default 2**22: 16 MiB, about 3x that with
temporaries), whatever the image size. The cost is that of two
(queries x keys x 147) matrix products per iteration: ~1.1 TFLOP for the 43k patches of a
250-px image, minutes on a 2-core CPU for the whole pyramid.

**Fast search (the default).** Three departures, each cheap to justify, together about
30x fewer operations at 250 px: (a) the candidate search runs in a `projection_dims`-dim
PCA space of the keys (147 -> 16: natural-image patches keep almost all their energy in the
first components, and a projection only shrinks distances, so true neighbours stay near
the top), then each query's `candidates` best keys are re-ranked with the exact $D$ (the
normaliser stays the projected one, a lower bound of the exact); and, at scales with more
than `fine_scale_patches` query patches, where the upsampled guess is already close to its
fixed point, (b) `fine_iterations` PNN iterations instead of $T$ and (c) keys and values
on a stride-`fine_key_stride` grid (queries stay dense, so every output pixel is still the
average of up to 49 real patches). Exact search stays available with
``GPNNConfig(search="exact")``; `benchmarks/gpnn.py` reports the time, patch SWD and
diversity of both.

Example:
    >>> import numpy as np
    >>> from singan_keras.baselines import GPNNConfig, gpnn_sample
    >>> image = np.random.default_rng(0).uniform(-1, 1, (24, 28, 3)).astype(np.float32)
    >>> config = GPNNConfig(iterations=1, min_size=20)  # tiny: two scales, one iteration
    >>> images, sources = gpnn_sample(image, 2, seed=0, config=config, return_sources=True)
    >>> images.shape, sources.shape
    ((2, 24, 28, 3), (2, 18, 22, 2))
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from keras import ops

from singan_keras.errors import InputError
from singan_keras.imresize import imresize, resize_images
from singan_keras.pyramid import build_pyramid, scale_schedule

__all__ = ["SEARCH_MODES", "GPNNConfig", "gpnn_sample", "patch_nearest_neighbours"]

SEARCH_MODES = ("fast", "exact")


@dataclass(frozen=True)
class GPNNConfig:
    """GPNN's settings; the defaults are the paper's (pyramid: SinGAN's paper preset).

    Attributes:
        patch_size: side of the square patches (paper: 7).
        alpha: the completeness parameter α of the normalised score (paper: 0.005, images in
            [0, 1]); large values give plain nearest neighbours.
        noise_std: σ of the noise added to the coarsest image, in [0, 1] units (paper: 0.75).
        iterations: PNN iterations T per scale (paper: 10).
        search: ``"fast"`` (PCA candidates + exact re-rank, fewer iterations at the finest
            scales) or ``"exact"`` (the paper's brute-force search).
        projection_dims: PCA dimensions of the fast candidate search.
        candidates: keys per query re-ranked exactly in fast mode.
        fine_iterations: iterations at the large scales in fast mode.
        fine_key_stride: keys (and values) on this stride grid at the large scales in fast
            mode; queries stay dense, so every output pixel is still covered.
        fine_scale_patches: a scale with more query patches than this is "large".
        block_elements: distances held at once by the search (its memory bound).
        scale_factor: nominal factor between scales (`scale_schedule`).
        min_size: shorter side of the coarsest scale.
        max_size: longer side of the finest scale; larger images are downscaled first.
    """

    patch_size: int = 7
    alpha: float = 0.005
    noise_std: float = 0.75
    iterations: int = 10
    search: str = "fast"
    projection_dims: int = 16
    candidates: int = 4
    fine_iterations: int = 2
    fine_key_stride: int = 2
    fine_scale_patches: int = 10_000
    block_elements: int = 2**22
    scale_factor: float = 0.75
    min_size: int = 25
    max_size: int = 250

    def __post_init__(self):
        if self.search not in SEARCH_MODES:
            raise InputError(f"search must be one of {SEARCH_MODES}, got {self.search!r}.")
        for name in ("patch_size", "iterations", "projection_dims", "candidates"):
            if getattr(self, name) < 1:
                raise InputError(f"{name} must be >= 1, got {getattr(self, name)}.")
        if min(self.fine_iterations, self.fine_key_stride, self.block_elements) < 1:
            raise InputError("fine_iterations, fine_key_stride and block_elements must be >= 1.")
        if self.alpha <= 0 or self.noise_std < 0:
            raise InputError(
                f"Need alpha > 0 and noise_std >= 0, got {self.alpha} and {self.noise_std}."
            )

    def iterations_at(self, num_query_patches: int) -> int:
        """PNN iterations at a scale with this many query patches."""
        if self.search == "fast" and num_query_patches > self.fine_scale_patches:
            return min(self.iterations, self.fine_iterations)
        return self.iterations


# -- patches -----------------------------------------------------------------------------------


def _patches(image, patch_size: int):
    """All stride-1 patches of an (H, W, C) tensor as rows (dy, dx, c order), row-major."""
    height = image.shape[0] - patch_size + 1
    width = image.shape[1] - patch_size + 1
    shifted = [
        image[dy : dy + height, dx : dx + width, :]
        for dy in range(patch_size)
        for dx in range(patch_size)
    ]
    stacked = ops.stack(shifted, axis=2)  # (height, width, p*p, C)
    return ops.reshape(stacked, (height * width, -1))


def _fold(values, shape: tuple[int, int, int], patch_size: int):
    """Averages overlapping patch rows (as `_patches` makes them) back into an (H, W, C) image."""
    height, width, channels = shape
    rows, cols = height - patch_size + 1, width - patch_size + 1
    grid = ops.reshape(values, (rows, cols, patch_size * patch_size, channels))
    total = None
    for k in range(patch_size * patch_size):
        dy, dx = divmod(k, patch_size)
        placed = ops.pad(
            grid[:, :, k, :],
            [[dy, patch_size - 1 - dy], [dx, patch_size - 1 - dx], [0, 0]],
        )
        total = placed if total is None else total + placed
    # How many patches cover each pixel: a product of two 1-D counts.
    coverage = np.outer(_coverage(height, patch_size), _coverage(width, patch_size))
    return total / ops.convert_to_tensor(coverage[:, :, None].astype(np.float32))


def _coverage(length: int, patch_size: int) -> np.ndarray:
    starts = length - patch_size + 1
    position = np.arange(length)
    first = np.maximum(position - patch_size + 1, 0)
    last = np.minimum(position, starts - 1)
    return (last - first + 1).astype(np.float64)


# -- the nearest-neighbour search --------------------------------------------------------------
#
# Squared distances as ONE matrix product: [q, |q|^2, 1] . [-2k, 1, |k|^2] = |q - k|^2, and
# the score's per-key factor 1 / (alpha + min_l D(Q_l, K_j)) folded into the key columns, so a
# block costs one matmul and one reduction (no elementwise pass over the block).


def _augmented_queries(queries):
    norms = ops.sum(ops.square(queries), axis=1, keepdims=True)
    return ops.concatenate([queries, norms, ops.ones_like(norms)], axis=1)


def _augmented_keys_t(keys, weights=None):
    norms = ops.sum(ops.square(keys), axis=1, keepdims=True)
    augmented = ops.concatenate([-2.0 * keys, ops.ones_like(norms), norms], axis=1)
    if weights is not None:
        augmented = augmented * weights[:, None]
    return ops.transpose(augmented)


def _blocks(num_queries: int, num_keys: int, block_elements: int, chunk_size: int | None):
    step = chunk_size if chunk_size is not None else max(1, block_elements // num_keys)
    return [(start, min(start + step, num_queries)) for start in range(0, num_queries, step)]


def _score_weights(augmented_queries, keys, alpha: float, dims: int, blocks):
    """1 / (alpha + min_l D(Q_l, K_j)) per key (pass 1); D = squared distance / `dims`."""
    keys_t = _augmented_keys_t(keys)
    minima = None
    for start, stop in blocks:
        block_minima = ops.min(ops.matmul(augmented_queries[start:stop], keys_t), axis=0)
        minima = block_minima if minima is None else ops.minimum(minima, block_minima)
    return 1.0 / (alpha + ops.maximum(minima, 0.0) / dims)  # rounding: a zero may be < 0


def patch_nearest_neighbours(
    queries,
    keys,
    alpha: float,
    *,
    chunk_size: int | None = None,
    block_elements: int = 2**22,
):
    """Exact GPNN search: for each query row, the key row minimising the normalised score.

    $S(Q_i, K_j) = D(Q_i, K_j) / (\\alpha + \\min_\\ell D(Q_\\ell, K_j))$, with $D$ the mean
    squared difference of two rows. Two passes over blocks of queries keep memory at about
    ``max(block_elements, num_keys)`` distances (times a small constant), whatever the sizes.

    Args:
        queries: (num_queries, dims) tensor or array.
        keys: (num_keys, dims) tensor or array.
        alpha: completeness parameter α (> 0).
        chunk_size: queries per block; default ``max(1, block_elements // num_keys)``.
        block_elements: the distances one block may hold when `chunk_size` is not given.

    Returns:
        (num_queries,) integer tensor of key indices.

    Example:
        >>> import numpy as np
        >>> keys = np.eye(3, dtype=np.float32)
        >>> queries = np.array([[0.9, 0, 0], [0.8, 0.2, 0]], np.float32)
        >>> def nearest(alpha):
        ...     found = patch_nearest_neighbours(queries, keys, alpha=alpha)
        ...     return [int(i) for i in ops.convert_to_numpy(found)]
        >>> nearest(10.0)  # large alpha: plain nearest neighbours
        [0, 0]
        >>> nearest(1e-3)  # small alpha: key 0 is taken by query 0, query 1 goes elsewhere
        [0, 1]
    """
    queries = ops.convert_to_tensor(queries, "float32")
    keys = ops.convert_to_tensor(keys, "float32")
    num_queries, dims = queries.shape
    blocks = _blocks(num_queries, keys.shape[0], block_elements, chunk_size)
    augmented = _augmented_queries(queries)
    weights = _score_weights(augmented, keys, alpha, dims, blocks)
    # argmin_j of raw_ij * w_j equals argmin_j of S_ij: the 1 / dims is common to all j.
    scored_t = _augmented_keys_t(keys, weights)
    nearest = [ops.argmin(ops.matmul(augmented[a:b], scored_t), axis=1) for a, b in blocks]
    return ops.concatenate(nearest, axis=0)


@dataclass(frozen=True)
class _KeyBank:
    """One set of keys with their values, prepared once per scale for every sample."""

    keys: object  # (num_keys, dims) tensor
    values: object  # (num_keys, dims) tensor: the sharp real patches at the same positions
    positions: np.ndarray  # (num_keys, 2): top-left (row, col) of each key in the real image
    basis: object | None  # (dims, projection_dims) PCA basis of the keys; None: exact search
    projected: object | None  # keys @ basis
    key_norms: object | None  # |k|^2 per key, for the exact re-rank


def _key_bank(keys, values, positions: np.ndarray, config: GPNNConfig, fast: bool) -> _KeyBank:
    if not fast or config.projection_dims >= keys.shape[1] or keys.shape[0] <= config.candidates:
        return _KeyBank(keys, values, positions, None, None, None)
    centred = keys - ops.mean(keys, axis=0, keepdims=True)
    covariance = ops.convert_to_numpy(ops.matmul(ops.transpose(centred), centred))
    _, vectors = np.linalg.eigh(covariance.astype(np.float64))  # ascending eigenvalues
    basis = ops.convert_to_tensor(
        np.ascontiguousarray(vectors[:, ::-1][:, : config.projection_dims]), "float32"
    )
    projected = ops.matmul(keys, basis)
    return _KeyBank(keys, values, positions, basis, projected, ops.sum(ops.square(keys), axis=1))


def _search(queries, bank: _KeyBank, config: GPNNConfig):
    """The key index for every query row: exact, or PCA candidates + exact re-rank."""
    num_queries, dims = queries.shape
    blocks = _blocks(num_queries, bank.keys.shape[0], config.block_elements, None)
    if bank.basis is None:
        return patch_nearest_neighbours(
            queries, bank.keys, config.alpha, block_elements=config.block_elements
        )
    # Projected distances (still divided by the full `dims`) are lower bounds of D.
    augmented = _augmented_queries(ops.matmul(queries, bank.basis))
    weights = _score_weights(augmented, bank.projected, config.alpha, dims, blocks)
    # Negated weights: top_k (largest) of the product is the smallest score, with no extra
    # elementwise pass over the block.
    negated_t = _augmented_keys_t(bank.projected, -weights)
    query_norms = ops.sum(ops.square(queries), axis=1)
    nearest = []
    for start, stop in blocks:
        _, candidates = ops.top_k(ops.matmul(augmented[start:stop], negated_t), config.candidates)
        # Exact re-rank as |q|^2 + |k|^2 - 2 q.k: one read of the gathered keys.
        candidate_keys = ops.take(bank.keys, candidates, axis=0)  # (block, candidates, dims)
        dots = ops.einsum("bd,bkd->bk", queries[start:stop], candidate_keys)
        squared = query_norms[start:stop, None] + ops.take(bank.key_norms, candidates) - 2 * dots
        best = ops.argmin(squared * ops.take(weights, candidates), axis=1)
        nearest.append(ops.take_along_axis(candidates, best[:, None], axis=1)[:, 0])
    return ops.concatenate(nearest, axis=0)


# -- sampling ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scale:
    """What one scale of the pyramid needs: its keys (blurred, sharp) and their values."""

    blurred: _KeyBank  # keys of the first iteration
    sharp: _KeyBank  # keys of the later iterations


def _real_patches(image: np.ndarray, patch_size: int, stride: int):
    """Patches of a real image on a stride grid, and their top-left positions."""
    rows = image.shape[0] - patch_size + 1
    cols = image.shape[1] - patch_size + 1
    grid_rows, grid_cols = np.arange(0, rows, stride), np.arange(0, cols, stride)
    every = _patches(ops.convert_to_tensor(image, "float32"), patch_size)
    index = (grid_rows[:, None] * cols + grid_cols[None, :]).reshape(-1)
    positions = np.stack(np.meshgrid(grid_rows, grid_cols, indexing="ij"), -1).reshape(-1, 2)
    if stride == 1:
        return every, positions
    return ops.take(every, ops.convert_to_tensor(index.astype(np.int32)), axis=0), positions


def _prepare_scales(reals: list[np.ndarray], out_sizes, config: GPNNConfig) -> list[_Scale]:
    scales = []
    for n, real in enumerate(reals):
        p = config.patch_size
        num_queries = (out_sizes[n][0] - p + 1) * (out_sizes[n][1] - p + 1)
        large = config.search == "fast" and num_queries > config.fine_scale_patches
        stride = config.fine_key_stride if large else 1
        values, positions = _real_patches(real, p, stride)
        sharp = _key_bank(values, values, positions, config, config.search == "fast")
        if n == 0:
            blurred = sharp
        else:
            blurred_image = imresize(reals[n - 1], output_shape=real.shape[:2])
            keys, _ = _real_patches(blurred_image, p, stride)
            blurred = _key_bank(keys, values, positions, config, config.search == "fast")
        scales.append(_Scale(blurred, sharp))
    return scales


def _to_unit(image: np.ndarray) -> np.ndarray:
    return ((np.asarray(image, np.float32) + 1.0) / 2.0).astype(np.float32)


def _load(image) -> np.ndarray:
    if isinstance(image, np.ndarray):
        if image.ndim != 3 or image.shape[2] != 3:
            raise InputError(f"image must be an (H, W, 3) array, got shape {image.shape}.")
        return image.astype(np.float32, copy=False)
    from singan_keras.data import resolve_image
    from singan_keras.image_io import load_image

    return load_image(resolve_image(image))


def _output_sizes(sizes, height_scale: float, width_scale: float, patch_size: int):
    if height_scale <= 0 or width_scale <= 0:
        raise InputError(
            "height_scale (--height-scale) and width_scale (--width-scale) must be > 0."
        )
    out = [(max(1, round(h * height_scale)), max(1, round(w * width_scale))) for h, w in sizes]
    if min(out[0]) < patch_size:
        raise InputError(
            f"height_scale (--height-scale) {height_scale:g} and width_scale (--width-scale) "
            f"{width_scale:g} make the coarsest "
            f"scale {out[0][0]}x{out[0][1]} px, smaller than the {patch_size}-px patches; "
            "use larger scale factors."
        )
    return out


def _one_sample(initial, scales: list[_Scale], sizes, reals, config: GPNNConfig):
    """Runs the pyramid from the noisy coarsest guess; returns the image and the last indices."""
    current = ops.convert_to_tensor(initial, "float32")
    chosen = None
    for n, scale in enumerate(scales):
        if n > 0:
            current = resize_images(current[None], sizes[n], "channels_last")[0]
        shape = (sizes[n][0], sizes[n][1], 3)
        num_queries = (shape[0] - config.patch_size + 1) * (shape[1] - config.patch_size + 1)
        for t in range(config.iterations_at(num_queries)):
            bank = scale.blurred if t == 0 else scale.sharp
            chosen = _search(_patches(current, config.patch_size), bank, config)
            current = _fold(ops.take(bank.values, chosen, axis=0), shape, config.patch_size)
    return current, ops.convert_to_numpy(chosen).astype(np.int64)


def gpnn_sample(
    image,
    num_samples: int = 1,
    *,
    height_scale: float = 1.0,
    width_scale: float = 1.0,
    seed: int | None = None,
    config: GPNNConfig | None = None,
    return_sources: bool = False,
):
    """Random samples of one image with GPNN: no training, any output size.

    Args:
        image: (H, W, 3) float array in [-1, 1] (as `singan_keras.load_image` returns), a
            file path, or the name of a bundled image.
        num_samples: number of images.
        height_scale: output height as a multiple of the image's (any aspect ratio, like
            `SinGAN.sample`: every scale's size is multiplied and rounded).
        width_scale: output width multiplier.
        seed: seed of the coarsest-scale noise (a private numpy generator: no global state);
            None draws a fresh one.
        config: a `GPNNConfig`; default the paper's settings with the fast search.
        return_sources: also return where every output patch was copied from.

    Returns:
        (num_samples, H, W, 3) float32 numpy array in [-1, 1]; with `return_sources`, a pair
        (images, sources) where ``sources[s, i, j] = (row, col)``: the top-left corner, in
        the finest real image, of the patch whose values were placed with its top-left corner
        at (i, j) of sample s in the last iteration; shape
        (num_samples, H - patch_size + 1, W - patch_size + 1, 2), int32.

    Raises:
        InputError: for a malformed image, a scale that leaves the coarsest output smaller
            than a patch, or an image too small for the pyramid.

    Example:
        >>> import numpy as np
        >>> image = np.random.default_rng(0).uniform(-1, 1, (24, 28, 3)).astype(np.float32)
        >>> gpnn_sample(image, 1, seed=0, config=GPNNConfig(iterations=1, min_size=20)).shape
        (1, 24, 28, 3)
        >>> # width_scale=1.5 would give (1, 24, 42, 3): every scale's width times 1.5
    """
    config = config or GPNNConfig()
    if num_samples < 1:
        raise InputError(f"num_samples must be >= 1, got {num_samples}.")
    real = _load(image)
    schedule = scale_schedule(
        real.shape[0], real.shape[1], config.scale_factor, config.min_size, config.max_size
    )
    if schedule.sizes[0][0] < config.patch_size or schedule.sizes[0][1] < config.patch_size:
        raise InputError(
            f"The coarsest scale {schedule.sizes[0]} is smaller than the {config.patch_size}-px "
            "patches; raise min_size."
        )
    reals = [_to_unit(x) for x in build_pyramid(real, schedule)]
    sizes = _output_sizes(schedule.sizes, height_scale, width_scale, config.patch_size)
    scales = _prepare_scales(reals, sizes, config)
    rng = np.random.default_rng(seed)
    images, sources = [], []
    for _ in range(num_samples):
        coarse = imresize(reals[0], output_shape=sizes[0]).astype(np.float32)
        noise = rng.standard_normal(coarse.shape).astype(np.float32) * np.float32(config.noise_std)
        result, chosen = _one_sample(coarse + noise, scales, sizes, reals, config)
        images.append(ops.convert_to_numpy(result) * 2.0 - 1.0)
        if return_sources:
            rows = sizes[-1][0] - config.patch_size + 1
            cols = sizes[-1][1] - config.patch_size + 1
            sources.append(scales[-1].sharp.positions[chosen].reshape(rows, cols, 2))
    images = np.stack(images).astype(np.float32)
    if return_sources:
        return images, np.stack(sources).astype(np.int32)
    return images


def with_search(config: GPNNConfig, search: str) -> GPNNConfig:
    """`config` with another search mode (a convenience for the CLI and the benchmark).

    Example:
        >>> with_search(GPNNConfig(), "exact").search
        'exact'
    """
    return dataclasses.replace(config, search=search)
