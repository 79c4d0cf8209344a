"""Single-image animation (paper §4, Fig. 1): a random walk in noise space, saved as GIF/MP4.

Every frame is one pass through the pyramid; from the start scale s on, the noise maps of
consecutive frames are consecutive steps of a random walk anchored to the reconstruction
noise z* (z* at the coarsest scale, 0 above; paper Eq. 5), so frames stay close to each
other and to the training image. The official `manipulate.generate_gif`, per scale k >= s:

    z_1 = 0.95·z*_k + 0.05·ε,   z_2 = z*_k
    for every frame:  d = β·(z_1 − z_2) + (1 − β)·ε          (momentum β)
                      z = α·z*_k + (1 − α)·(z_1 + d)          (anchoring α)
                      z_2, z_1 = z_1, z

with fresh standard-normal ε each time (one channel repeated at the coarsest scale). Scales
coarser than s use z* — the frames share the reconstruction's layout there. Official values:
α = 0.1, β in {0.80, 0.85, 0.90, 0.95}, start scales 0, 1 and 2, 100 frames at 10 fps.

Named deviation: the official animation model is trained with ``min_size`` 20 and noise
drawn at the padded size ("noise padding"); we animate any trained model (train with
``preset(..., min_size=20)`` to match the first; noise padding is not implemented).
"""

from __future__ import annotations

import os
import warnings
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from singan_keras.applications.injection import check_start_scale
from singan_keras.errors import InputError
from singan_keras.files import atomic_write_path
from singan_keras.imresize import imresize
from singan_keras.sampling import (
    NoiseMaps,
    TrainedPyramid,
    numpy_normal_map,
    reconstruct,
    run_batches,
)

__all__ = ["animate", "mp4_writer_available", "random_walk", "save_animation"]


def random_walk(
    anchor: np.ndarray,
    frames: int,
    rng: np.random.Generator,
    alpha: float,
    beta: float,
    single_channel: bool,
) -> np.ndarray:
    """The official anchored, momentum random walk around one scale's z* (module docstring).

    Args:
        anchor: z*_k, (H, W, 3).
        frames: number of steps.
        rng: numpy generator of the fresh noise ε.
        alpha: anchoring α in [0, 1] (1 = always z*; 0 = a free walk).
        beta: momentum β in [0, 1).
        single_channel: ε has one channel repeated (the coarsest scale).

    Returns:
        (frames, H, W, 3) float32 noise maps.

    Example:
        >>> walk = random_walk(np.zeros((4, 4, 3), np.float32), 5, np.random.default_rng(0),
        ...                    alpha=0.1, beta=0.9, single_channel=False)
        >>> walk.shape
        (5, 4, 4, 3)
    """
    size = anchor.shape[:2]
    z_1 = 0.95 * anchor + 0.05 * numpy_normal_map(rng, size, single_channel)
    z_2 = anchor
    walk = np.empty((frames, *anchor.shape), np.float32)
    for t in range(frames):
        step = beta * (z_1 - z_2) + (1.0 - beta) * numpy_normal_map(rng, size, single_channel)
        z = alpha * anchor + (1.0 - alpha) * (z_1 + step)
        z_2, z_1 = z_1, z
        walk[t] = z
    return walk


def animate(
    model,
    *,
    frames: int = 100,
    start_scale: int = 1,
    alpha: float = 0.1,
    beta: float = 0.9,
    seed: int | None = None,
) -> np.ndarray:
    """Frames of a single-image animation (paper Fig. 1): a random walk in z-space.

    Args:
        model: the trained `SinGAN`.
        frames: number of frames (official: 100).
        start_scale: first scale whose noise walks, 0 <= s <= K − 1 (0 = coarsest: whole
            objects move; finer: only details shimmer). Official: 0, 1 and 2.
        alpha: anchoring to z* in [0, 1] (official 0.1): larger stays closer to the
            reconstruction.
        beta: momentum in [0, 1) (official 0.80–0.95): larger moves more smoothly.
        seed: noise seed; the same seed gives the same frames under every backend.

    Returns:
        (frames, H, W, 3) float32 array in about [-1, 1].

    Raises:
        ValueError: an argument out of range (the message names the flag).

    Example:
        >>> from singan_keras.applications import animate, save_animation
        >>> video = animate(model, frames=40, start_scale=1, seed=0)  # doctest: +SKIP
        >>> save_animation(video, "walk.gif", fps=10)  # doctest: +SKIP
    """
    start_scale = check_start_scale(model, start_scale, minimum=0)
    if isinstance(frames, bool) or int(frames) != frames or frames < 1:
        raise InputError(f"frames (--frames) must be an integer >= 1, got {frames!r}.")
    if not 0.0 <= alpha <= 1.0:
        raise InputError(f"alpha (--alpha) must be in [0, 1], got {alpha}.")
    if not 0.0 <= beta < 1.0:
        raise InputError(f"beta (--beta) must be in [0, 1), got {beta}.")
    rng = np.random.default_rng(seed)
    noise = []
    for k in range(start_scale, model.num_scales):
        anchor = model.z_star if k == 0 else np.zeros((*model.sizes[k], 3), np.float32)
        noise.append(random_walk(anchor, int(frames), rng, alpha, beta, single_channel=k == 0))
    start_image = None
    if start_scale > 0:  # the coarser scales follow the reconstruction (z* then zeros)
        coarse = reconstruct(
            model.generators[:start_scale], model.noise_amplitudes, model.sizes, model.z_star
        )[-1]
        start_image = imresize(coarse, model.sizes[start_scale]).astype(np.float32)
    return run_batches(
        TrainedPyramid.of(model),
        NoiseMaps(noise, start_scale),
        start_scale=start_scale,
        start_image=start_image,
    )


def mp4_writer_available() -> bool:
    """True when `imageio` with its ffmpeg plugin (`imageio-ffmpeg`) is installed."""
    return find_spec("imageio") is not None and find_spec("imageio_ffmpeg") is not None


def _write_atomically(path: Path, write) -> Path:
    with atomic_write_path(path, path.suffix) as temp:
        write(temp)
    return path


def save_animation(frames: np.ndarray, path: str | os.PathLike, fps: float = 10.0) -> Path:
    """Writes frames in [-1, 1] as an animated GIF (Pillow) or an MP4 (imageio-ffmpeg).

    The format follows the suffix: ``.gif`` always works; ``.mp4`` needs ``pip install
    imageio-ffmpeg`` (check with `mp4_writer_available`). The GIF loops forever; its frame
    time is 1000/fps ms rounded to the GIF's 10 ms steps; all frames share one 256-colour
    palette (no dithering), so still regions do not flicker. Pillow merges consecutive frames
    that are identical after 8-bit rounding (adding up their times), so a walk that stands
    still can give a GIF with fewer frames.

    Args:
        frames: (N, H, W, 3) array in [-1, 1].
        path: output file, ``.gif`` or ``.mp4``.
        fps: frames per second (official: 10).

    Returns:
        The path written.

    Raises:
        ValueError: another suffix, MP4 without a writer, or bad frames/fps.

    Example:
        >>> import tempfile, pathlib
        >>> frames = np.linspace(-1, 1, 3)[:, None, None, None] * np.ones((3, 8, 8, 3))
        >>> path = save_animation(frames, pathlib.Path(tempfile.mkdtemp()) / "fade.gif")
        >>> from PIL import Image
        >>> Image.open(path).n_frames
        3
    """
    from singan_keras.image_io import to_uint8

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".gif", ".mp4"):
        raise InputError(f"--out must end in .gif or .mp4, got {str(path)!r}.")
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or len(frames) < 1:
        raise InputError(f"frames must have shape (N, H, W, 3), got {frames.shape}.")
    if not (np.isfinite(fps) and fps > 0):
        raise InputError(f"fps (--fps) must be > 0, got {fps}.")
    pixels = to_uint8(frames)
    if suffix == ".mp4":
        if not mp4_writer_available():
            raise InputError(
                "writing MP4 needs imageio and imageio-ffmpeg (pip install imageio-ffmpeg); "
                "write a .gif instead."
            )
        import imageio.v2 as imageio

        def write(temp):
            with imageio.get_writer(temp, fps=fps, format="FFMPEG") as writer:
                for frame in pixels:
                    writer.append_data(frame)

        return _write_atomically(path, write)

    from PIL import Image

    repeats = sum(np.array_equal(pixels[i], pixels[i - 1]) for i in range(1, len(pixels)))
    if repeats:
        warnings.warn(
            f"{repeats} of {len(pixels)} frames equal the previous one after 8-bit rounding; "
            f"the GIF holds {len(pixels) - repeats} frames (Pillow merges repeats).",
            UserWarning,
            stacklevel=2,
        )
    # One palette for every frame, taken from a mosaic of up to 16 frames, and no dithering:
    # with a palette of its own per frame (Pillow's default) the colours of still regions
    # jump from frame to frame, a flicker as large as the walk's motion.
    picked = pixels[np.linspace(0, len(pixels) - 1, min(len(pixels), 16)).round().astype(int)]
    mosaic = Image.fromarray(np.concatenate(list(picked), axis=0))
    palette = mosaic.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    images = [
        Image.fromarray(frame).quantize(palette=palette, dither=Image.Dither.NONE)
        for frame in pixels
    ]
    duration = max(10, round(1000.0 / fps / 10.0) * 10)

    def write(temp):
        images[0].save(
            temp, format="GIF", save_all=True, append_images=images[1:], duration=duration, loop=0
        )

    return _write_atomically(path, write)
