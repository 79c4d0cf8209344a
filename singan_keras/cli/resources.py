"""Refusing, before the work, requests that cannot fit in memory.

A typo such as ``singan sample RUN --height-scale 400`` (for 4) asks for a 38,400 x 51,200
image; generating it would run until the kernel's out-of-memory killer ends the process,
with no message at all. The commands that make images of a size the user chooses (`sample`,
`super-resolve`, `animate`) and `train` (``--max-size``) first estimate the memory of their
largest step and compare it with the memory available; above it they stop with one line
naming the size, the estimate and ``--skip-memory-check``.

The estimates are deliberately *lower bounds* — only the float32 arrays that must exist at
once, never the framework's own overhead — so a request refused here would certainly not
have fitted; one that passes may still be too large. Per pixel of the largest scale:

* generating a batch of ``b`` images: ``b · (3 · C + 9)`` floats (a convolution's input and
  output of C channels plus its BatchNorm output, and the 3-channel noise, upsampled image
  and result), plus ``N · 9`` floats for the N results and their noise maps kept until the
  end (the coarser scales add at most as much again: ignored);
* one training iteration: ``TRAINING_FLOATS_PER_CHANNEL · C`` floats: the activations G and
  D keep for the backward pass (5 layers, ~3 tensors each, both networks), doubled by the
  gradient penalty's second backward pass.

Memory available is the kernel's ``MemAvailable`` (Linux), else free physical pages; when
neither is known the check is skipped.

Example:
    >>> generation_bytes(100, 100, channels=32, images=1)  # (3 · 32 + 9 + 9) floats per pixel
    4560000
    >>> format_bytes(3 * 2**30)
    '3.0 GiB'
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from singan_keras.errors import InputError

__all__ = [
    "SKIP_FLAG",
    "TRAINING_FLOATS_PER_CHANNEL",
    "add_memory_flag",
    "available_bytes",
    "check_fits",
    "finest_trained_scale",
    "format_bytes",
    "generation_bytes",
    "training_bytes",
]

SKIP_FLAG = "--skip-memory-check"
BYTES_PER_FLOAT = 4
GENERATION_BATCH = 16  # images through the networks at once (`SinGAN.sample`'s batch size)
TRAINING_FLOATS_PER_CHANNEL = 60  # 2 networks x 5 layers x 3 tensors, x2 for the penalty


def add_memory_flag(parser) -> None:
    """``--skip-memory-check``: go ahead even when the estimate exceeds the memory."""
    parser.add_argument(
        SKIP_FLAG,
        action="store_true",
        help="go ahead even when the memory the request needs (a lower-bound estimate) "
        "exceeds the memory available; by default such a request stops before any work.",
    )


def generation_bytes(height: int, width: int, channels: int, images: int) -> int:
    """Lower bound of the memory to generate `images` images of height x width (see above)."""
    batch = min(images, GENERATION_BATCH)
    floats = height * width * (batch * (3 * channels + 9) + images * 9)
    return floats * BYTES_PER_FLOAT


def training_bytes(height: int, width: int, channels: int) -> int:
    """Lower bound of the memory of one training iteration at a height x width scale."""
    return height * width * TRAINING_FLOATS_PER_CHANNEL * channels * BYTES_PER_FLOAT


def available_bytes() -> int | None:
    """Memory available to a new allocation, in bytes, or None when unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def finest_trained_scale(run_dir: str) -> tuple[int, int, int] | None:
    """(height, width, channels) of a run's finest finished scale, from its manifest alone
    (no Keras, no weights); None when it cannot be read — loading the run then says why."""
    try:
        manifest = json.loads((Path(run_dir) / "manifest.json").read_text())
        finest = manifest["scales"][-1]
        height, width = (int(side) for side in finest["size"])
        return height, width, int(finest["channels"])
    except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None


def format_bytes(count: float) -> str:
    """``512 MiB``, ``3.0 GiB``, ``1.2 TiB``."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count / 2**20:.0f} MiB"


def check_fits(request: str, estimate: int, fix: str, skip: bool) -> None:
    """Raises `InputError` when `estimate` bytes exceed the memory available.

    Args:
        request: what was asked, with the flags, e.g. "--factor 400 asks for a 40000x50000
            image".
        estimate: lower bound of the bytes it needs.
        fix: what to change, e.g. "use a smaller --factor".
        skip: ``--skip-memory-check`` was given.

    Example:
        >>> check_fits("--frames 9 asks for 9 frames of 10x10", 10**30, "use fewer --frames",
        ...            skip=False)
        Traceback (most recent call last):
        ...
        singan_keras.errors.InputError: --frames 9 asks for 9 frames of 10x10, which needs at \
least ... TiB of memory (... available); use fewer --frames, or pass --skip-memory-check to \
try anyway.
    """
    available = available_bytes()
    if skip or available is None or estimate <= available:
        return
    raise InputError(
        f"{request}, which needs at least {format_bytes(estimate)} of memory "
        f"({format_bytes(available)} available); {fix}, or pass {SKIP_FLAG} to try anyway."
    )
