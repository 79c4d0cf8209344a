"""Training hyper-parameters and the named presets (paper §4 and the reference code's defaults).

`TrainConfig` is a frozen dataclass: a run is described completely by one value of it, which
is written into the run directory's manifest. The presets are:

* ``paper`` — every value of the paper / reference defaults (DESIGN §1): 2000 iterations per
  scale, 3 critic + 3 generator steps, Adam(5e-4, β=(0.5, 0.999)), lr ×0.1 at 80 %,
  λ = 0.1, α = 10, σ_n = 0.1·RMSE, r = 0.75, min_size 25, max_size 250.
* ``official`` — the paper values plus the two behaviours of the official code that depart
  from the paper (z* redrawn every iteration; stale fake image in the generator steps).
* ``quick`` — the same algorithm with small numbers (max_size 64, 100 iterations per scale),
  for CPUs, tests and the notebooks' quick mode. It follows the paper: z* is drawn once, so
  the coarsest scale reconstructs the image better, σ of the next scale is smaller and
  samples generated from N−1 vary less than with ``official`` (whose z* is redrawn, as in
  the code the paper's diversity was measured with); use ``official`` with
  ``max_size=64, iterations=100`` for that diversity at quick settings
  (`benchmarks/results/fidelity_presets_cpu.md`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from singan_keras.errors import InputError

__all__ = ["TrainConfig", "PRESETS", "preset"]


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines how a SinGAN pyramid is trained.

    Args:
        scale_factor: nominal pyramid factor r0 in (0, 1); the actual factor is recomputed
            from the image size (see `singan_keras.pyramid.scale_schedule`).
        min_size: shorter side of the coarsest scale, in pixels (>= 11, the critic's
            receptive field).
        max_size: longer side of the finest scale; larger images are downscaled first.
        iterations: training iterations per scale.
        critic_steps: critic updates per iteration (reference `Dsteps`).
        generator_steps: generator updates per iteration (reference `Gsteps`).
        learning_rate: Adam learning rate of both networks.
        beta_1: Adam β1.
        beta_2: Adam β2.
        adam_epsilon: Adam ε, applied as in PyTorch (after bias correction).
        lr_decay_at: fraction of `iterations` after which the learning rate is multiplied
            by `lr_decay_factor` (reference: MultiStepLR at 1600 of 2000).
        lr_decay_factor: the multiplier applied at `lr_decay_at`.
        gradient_penalty_weight: λ of the WGAN-GP term (reference `lambda_grad`).
        reconstruction_weight: α of Eq. (4), the weight of the reconstruction loss.
        noise_amplitude_factor: σ_n = factor · RMSE(x_n, upsampled reconstruction).
        base_channels: channels at the coarsest scale.
        max_channels: channel cap.
        channels_double_every: the channel count doubles every this many scales.
        redraw_z_star_each_iteration: official-code behaviour: at the coarsest scale z* is
            redrawn at every iteration and the last draw is kept (paper: drawn once).
        stale_fake_in_generator_steps: official-code behaviour: all generator steps of an
            iteration use the adversarial gradient of the fake image produced by the last
            critic step (paper: recomputed at every generator step).
        seed: seed of weights initialisation, training noise and z*.

    Example:
        >>> from singan_keras import TrainConfig
        >>> TrainConfig(iterations=10).reconstruction_weight
        10.0
    """

    scale_factor: float = 0.75
    min_size: int = 25
    max_size: int = 250
    iterations: int = 2000
    critic_steps: int = 3
    generator_steps: int = 3
    learning_rate: float = 5e-4
    beta_1: float = 0.5
    beta_2: float = 0.999
    adam_epsilon: float = 1e-8
    lr_decay_at: float = 0.8
    lr_decay_factor: float = 0.1
    gradient_penalty_weight: float = 0.1
    reconstruction_weight: float = 10.0
    noise_amplitude_factor: float = 0.1
    base_channels: int = 32
    max_channels: int = 128
    channels_double_every: int = 4
    redraw_z_star_each_iteration: bool = False
    stale_fake_in_generator_steps: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        problems = []
        if not 0.0 < self.scale_factor < 1.0:
            problems.append(f"scale_factor must be in (0, 1), got {self.scale_factor}")
        if self.min_size < 11:
            problems.append(
                f"min_size must be >= 11 (the critic's 11x11 receptive field), got {self.min_size}"
            )
        if self.max_size < self.min_size:
            problems.append(f"max_size ({self.max_size}) must be >= min_size ({self.min_size})")
        for name in ("iterations", "critic_steps", "generator_steps", "base_channels"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.max_channels < self.base_channels:
            problems.append("max_channels must be >= base_channels")
        if not 0.0 <= self.lr_decay_at <= 1.0:
            problems.append(f"lr_decay_at must be in [0, 1], got {self.lr_decay_at}")
        if self.learning_rate <= 0:
            problems.append(f"learning_rate must be > 0, got {self.learning_rate}")
        if problems:
            raise InputError("Invalid TrainConfig: " + "; ".join(problems) + ".")

    def replace(self, **changes: Any) -> TrainConfig:
        """Returns a copy with some fields changed (validated again)."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise InputError(f"Unknown TrainConfig field(s): {sorted(unknown)}.")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


PRESETS: dict[str, TrainConfig] = {
    "paper": TrainConfig(),
    "official": TrainConfig(redraw_z_star_each_iteration=True, stale_fake_in_generator_steps=True),
    "quick": TrainConfig(max_size=64, iterations=100),
}


def preset(name: str, **overrides: Any) -> TrainConfig:
    """Returns the named preset, optionally with some fields overridden.

    Example:
        >>> preset("quick", iterations=20).iterations
        20
    """
    if name not in PRESETS:
        raise InputError(f"Unknown preset {name!r}; choose one of {sorted(PRESETS)}.")
    return PRESETS[name].replace(**overrides) if overrides else PRESETS[name]
