"""One SinGAN iteration restated in plain PyTorch: the oracle of the iteration-parity tests.

This module is written from the paper and the reference implementation's training loop, not
from the package: it calls nothing of `singan_keras` (no layers, losses, optimizers, resize or
config) and holds the constants itself, so a change of the package's defaults turns the
parity tests red. Networks are dictionaries of tensors run with `torch.nn.functional`, in
NCHW float32. `benchmarks/train_step.py` times the same iteration as its plain-PyTorch
baseline (`initial_network`, `Scale.random_draws`).

One scale n of the pyramid (paper §2, Fig. 4-5):

* G_n(z, y) = y + tanh(ψ_n(pad_5(z + y))), z = σ_n z_n; ψ_n = 4 × [Conv 3×3 valid → BatchNorm
  → LeakyReLU(0.2)] → Conv 3×3 valid. D_n = the same body ending in a 1-channel conv.
* the random input y = (x~_{n+1})↑r: the frozen coarser generators (BatchNorm on running
  statistics), each fed fresh noise, upsampled between scales; zeros at the coarsest scale.
* critic step (×3), WGAN-GP (Eq. 4 with Gulrajani et al.'s penalty):
      L_D = mean D(G(z, y)) − mean D(x_n) + λ · mean_pixels (‖∇_x̂ D(x̂)‖₂ − 1)²,
      x̂ = ε x_n + (1 − ε) G(z, y), ε ~ U(0, 1) drawn per step, the norm over channels.
  A new y for every critic step; one z for the whole iteration.
* generator step (×3): L_G = −mean D(G(z, y)) + α ‖G(z_rec, y_rec) − x_n‖² (Eq. 4-5), with
  z_rec = z* at the coarsest scale and 0 above, y_rec the upsampled coarser reconstruction.
* the reference code's variant (the package's `official` preset): z* redrawn every iteration
  and the last critic step's fake image reused by the 3 generator steps, so their adversarial
  gradient is the one of G's parameters before its first update (the reference computes it
  through the critic step's graph; later PyTorch versions refuse that graph after an update).
  This restatement evaluates that gradient once, at the first generator step, without another
  G forward pass (G's BatchNorm statistics move only when the reference's G runs).
* Adam (PyTorch's form: ε after bias correction) on each network.

Two choices where the package states a deviation from the reference, restated here on
purpose (each is checked by the parity tests):
* BatchNorm's running variance averages the *biased* batch variance (Keras' convention, kept
  on every backend so a checkpoint means the same everywhere); PyTorch averages the unbiased
  one, a factor n/(n − 1) (0.2 % at 25×25 pixels);
* the upsampling between scales resizes to the next scale's exact size with the scale factor
  output/input (the reference upsamples by 1/r and crops); bicubic with MATLAB's kernel
  (a = −0.5), pixel mapping and mirrored borders.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

# The paper's and the reference code's constants, held here (not read from the package).
PENALTY_WEIGHT = 0.1  # λ of the gradient penalty
RECONSTRUCTION_WEIGHT = 10.0  # α
LEARNING_RATE = 5e-4
ADAM_BETAS = (0.5, 0.999)
ADAM_EPSILON = 1e-8
BATCH_NORM_MOMENTUM = 0.1  # PyTorch's convention: running ← (1 − m)·running + m·batch
BATCH_NORM_EPSILON = 1e-5
LEAKY_SLOPE = 0.2
CRITIC_STEPS = 3
GENERATOR_STEPS = 3
INPUT_PADDING = 5  # 5 valid 3×3 convolutions shrink each side by 5
BLOCKS = ("head", "block1", "block2", "block3")  # the BatchNorm blocks; then "tail"


# -- networks as dictionaries of tensors ----------------------------------------------------


@dataclass
class Network:
    """A generator or critic: learnable tensors and BatchNorm running statistics.

    Keys are ``"<block>_conv/kernel"`` (OIHW), ``"<block>_conv/bias"``, ``"<block>_bn/gamma"``,
    ``"<block>_bn/beta"`` in `parameters` and ``"<block>_bn/moving_mean"`` /
    ``"<block>_bn/moving_variance"`` in `statistics`, for block in `BLOCKS` (plus
    ``"tail_conv/..."``). `leaky_slope`: the LeakyReLU's negative slope (the parity tests
    set 1 on both sides: see `tests/test_iteration_parity.py`).
    """

    parameters: dict[str, torch.Tensor]
    statistics: dict[str, torch.Tensor]
    leaky_slope: float = LEAKY_SLOPE


def _batch_norm(net: Network, block: str, x: torch.Tensor, training: bool) -> torch.Tensor:
    gamma, beta = net.parameters[f"{block}_bn/gamma"], net.parameters[f"{block}_bn/beta"]
    mean_key, variance_key = f"{block}_bn/moving_mean", f"{block}_bn/moving_variance"
    if not training:
        mean, variance = net.statistics[mean_key], net.statistics[variance_key]
        return F.batch_norm(x, mean, variance, gamma, beta, False, 0.0, BATCH_NORM_EPSILON)
    # Normalised with the batch's own statistics; no running buffers are passed, because
    # torch would average the unbiased variance into them (see the module docstring).
    output = F.batch_norm(x, None, None, gamma, beta, True, 0.0, BATCH_NORM_EPSILON)
    with torch.no_grad():
        variance, mean = torch.var_mean(x, dim=(0, 2, 3), correction=0)
        m = BATCH_NORM_MOMENTUM
        net.statistics[mean_key] = (1 - m) * net.statistics[mean_key] + m * mean
        net.statistics[variance_key] = (1 - m) * net.statistics[variance_key] + m * variance
    return output


def _body(net: Network, x: torch.Tensor, training: bool) -> torch.Tensor:
    for block in BLOCKS:
        p = net.parameters
        x = F.conv2d(x, p[f"{block}_conv/kernel"], p[f"{block}_conv/bias"])
        x = F.leaky_relu(_batch_norm(net, block, x, training), net.leaky_slope)
    return F.conv2d(x, net.parameters["tail_conv/kernel"], net.parameters["tail_conv/bias"])


def generator(net: Network, scaled_noise, previous, training: bool = True) -> torch.Tensor:
    """G(σz, y) = y + tanh(ψ(pad(σz + y)))."""
    x = F.pad(scaled_noise + previous, (INPUT_PADDING,) * 4)
    return previous + torch.tanh(_body(net, x, training))


def critic(net: Network, image: torch.Tensor) -> torch.Tensor:
    """D(x): a 1-channel patch score map (always on batch statistics, as in training)."""
    return _body(net, image, training=True)


def initial_network(channels: int, out_channels: int, seed: int) -> Network:
    """A network initialised as the reference does: conv kernels N(0, 0.02), conv biases
    U(±1/√fan_in) (PyTorch's default), BatchNorm γ ~ N(1, 0.02), β = 0, running 0 / 1."""
    generator = torch.Generator().manual_seed(seed)
    parameters, statistics, in_channels = {}, {}, 3
    for block in (*BLOCKS, "tail"):
        out = out_channels if block == "tail" else channels
        bound = 1 / math.sqrt(in_channels * 9)
        kernel = torch.randn(out, in_channels, 3, 3, generator=generator) * 0.02
        parameters[f"{block}_conv/kernel"] = kernel
        parameters[f"{block}_conv/bias"] = (torch.rand(out, generator=generator) * 2 - 1) * bound
        if block != "tail":
            parameters[f"{block}_bn/gamma"] = 1 + 0.02 * torch.randn(out, generator=generator)
            parameters[f"{block}_bn/beta"] = torch.zeros(out)
            statistics[f"{block}_bn/moving_mean"] = torch.zeros(out)
            statistics[f"{block}_bn/moving_variance"] = torch.ones(out)
        in_channels = out
    return Network(parameters, statistics)


# -- bicubic upsampling between scales ------------------------------------------------------


def _keys_cubic(d: float) -> float:
    """Keys' cubic convolution kernel with a = −0.5."""
    d = abs(d)
    if d <= 1:
        return 1.5 * d**3 - 2.5 * d**2 + 1
    if d < 2:
        return -0.5 * d**3 + 2.5 * d**2 - 4 * d + 2
    return 0.0


def _upsampling_matrix(n_in: int, n_out: int) -> torch.Tensor:
    """(n_out, n_in): MATLAB's bicubic enlargement of a length-n_in signal to n_out samples."""
    if n_out < n_in:
        raise ValueError("the restatement only enlarges between scales")
    scale = n_out / n_in
    matrix = np.zeros((n_out, n_in))
    for i in range(1, n_out + 1):  # 1-based, as MATLAB
        centre = i / scale + 0.5 * (1 - 1 / scale)
        first = math.floor(centre - 2)
        taps = [(j, _keys_cubic(centre - j)) for j in range(first, first + 6)]
        total = sum(w for _, w in taps)
        for j, w in taps:
            # symmetric border: 0 → 1, −1 → 2, n + 1 → n, n + 2 → n − 1
            while j < 1 or j > n_in:
                j = 1 - j if j < 1 else 2 * n_in + 1 - j
            matrix[i - 1, j - 1] += w / total
    return torch.tensor(matrix, dtype=torch.float32)


def upsample(images: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bicubic resize of an NCHW batch to `size` (one axis, then the other)."""
    rows = _upsampling_matrix(images.shape[2], size[0])
    columns = _upsampling_matrix(images.shape[3], size[1])
    return torch.einsum("oh,nchw,pw->ncop", rows, images, columns)


# -- Adam -----------------------------------------------------------------------------------


class Adam:
    """PyTorch-form Adam: θ ← θ − lr · m̂ / (√v̂ + ε), m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t)."""

    def __init__(self, net: Network):
        self.net = net
        self.step_count = 0
        self.first_moments = {k: torch.zeros_like(v) for k, v in net.parameters.items()}
        self.second_moments = {k: torch.zeros_like(v) for k, v in net.parameters.items()}

    def step(self, gradients: dict[str, torch.Tensor]) -> None:
        self.step_count += 1
        beta_1, beta_2 = ADAM_BETAS
        for key, gradient in gradients.items():
            m = beta_1 * self.first_moments[key] + (1 - beta_1) * gradient
            v = beta_2 * self.second_moments[key] + (1 - beta_2) * gradient.square()
            self.first_moments[key], self.second_moments[key] = m, v
            m_hat = m / (1 - beta_1**self.step_count)
            v_hat = v / (1 - beta_2**self.step_count)
            update = LEARNING_RATE * m_hat / (v_hat.sqrt() + ADAM_EPSILON)
            self.net.parameters[key] = (self.net.parameters[key] - update).detach()


def _gradients(loss: torch.Tensor, net: Network, retain_graph: bool = False) -> dict:
    keys = list(net.parameters)
    grads = torch.autograd.grad(loss, [net.parameters[k] for k in keys], retain_graph=retain_graph)
    return dict(zip(keys, grads, strict=True))


def _track(net: Network) -> None:
    for key, value in net.parameters.items():
        net.parameters[key] = value.detach().requires_grad_(True)


# -- one iteration --------------------------------------------------------------------------


@dataclass
class FrozenScale:
    """A trained coarser scale: its generator (run on running statistics), σ and size."""

    net: Network
    noise_amplitude: float
    size: tuple[int, int]


@dataclass
class IterationDraws:
    """Every random number of one iteration (NCHW float32 tensors; ε as floats).

    Attributes:
        noise: z_n, (1, 3, H, W).
        coarser_noise: per frozen scale k, (CRITIC_STEPS, 3, h_k, w_k): the noise of the
            critic steps' random paths through the coarser scales.
        epsilons: one ε per critic step.
        z_star: the redrawn z* of the reference code's variant, else None.
    """

    noise: torch.Tensor
    coarser_noise: list[torch.Tensor]
    epsilons: list[float]
    z_star: torch.Tensor | None = None


@dataclass
class Scale:
    """One scale being trained: its networks, optimizers and fixed tensors."""

    generator: Network
    critic: Network
    real: torch.Tensor  # x_n, (1, 3, H, W)
    previous_reconstruction: torch.Tensor  # (x~^rec_{n+1})↑r; zeros at the coarsest scale
    noise_amplitude: float  # σ_n (1 at the coarsest scale)
    z_star: torch.Tensor  # the coarsest scale's reconstruction noise (unused above it)
    frozen: list[FrozenScale]

    def __post_init__(self):
        self.generator_adam = Adam(self.generator)
        self.critic_adam = Adam(self.critic)

    def random_draws(self, generator: torch.Generator | None = None) -> IterationDraws:
        """Fresh random numbers for one iteration (as the reference draws them)."""
        size = tuple(self.real.shape[2:])
        channels = 1 if self.coarsest else 3
        noise = torch.randn(1, channels, *size, generator=generator).expand(1, 3, *size)
        coarser = []
        for k, scale in enumerate(self.frozen):
            shape = (CRITIC_STEPS, 1 if k == 0 else 3, *scale.size)
            coarser.append(torch.randn(shape, generator=generator).expand(-1, 3, -1, -1))
        z_star = torch.randn(1, 1, *size, generator=generator).expand(1, 3, *size)
        epsilons = torch.rand(CRITIC_STEPS, generator=generator).tolist()
        return IterationDraws(noise, coarser, epsilons, z_star)

    @property
    def coarsest(self) -> bool:
        return not self.frozen

    def random_previous(self, draws: IterationDraws) -> torch.Tensor:
        """(x~_{n+1})↑r of each critic step: the frozen scales on the injected noise."""
        count = CRITIC_STEPS
        if self.coarsest:
            return torch.zeros(count, *self.real.shape[1:])
        image = None
        with torch.no_grad():
            for scale, noise in zip(self.frozen, draws.coarser_noise, strict=True):
                previous = torch.zeros_like(noise) if image is None else upsample(image, scale.size)
                image = generator(scale.net, scale.noise_amplitude * noise, previous, False)
            return upsample(image, tuple(self.real.shape[2:]))

    def gradient_penalty(self, fake: torch.Tensor, epsilon: float) -> torch.Tensor:
        mixed = (epsilon * self.real + (1 - epsilon) * fake).detach().requires_grad_(True)
        (gradient,) = torch.autograd.grad(
            critic(self.critic, mixed).sum(), mixed, create_graph=True
        )
        return (torch.linalg.vector_norm(gradient, dim=1) - 1).square().mean()

    def reconstruction(self) -> torch.Tensor:
        noise = self.z_star if self.coarsest else torch.zeros_like(self.real)
        output = generator(self.generator, noise, self.previous_reconstruction)
        return (output - self.real).square().mean()

    def iteration(self, draws: IterationDraws, reference_variant: bool = False) -> None:
        """3 critic steps, then 3 generator steps; `reference_variant`: z* redrawn and the
        last critic step's fake reused by the generator steps."""
        if reference_variant and self.coarsest:
            self.z_star = draws.z_star
        scaled_noise = self.noise_amplitude * draws.noise
        previous_images = self.random_previous(draws)
        for step in range(CRITIC_STEPS):
            previous = previous_images[step : step + 1]
            with torch.no_grad():
                fake = generator(self.generator, scaled_noise, previous)
            _track(self.critic)
            # The reference's order of critic calls: real, fake, then the penalty's mix.
            d_real = critic(self.critic, self.real).mean()
            d_fake = critic(self.critic, fake).mean()
            penalty = self.gradient_penalty(fake, draws.epsilons[step])
            loss = d_fake - d_real + PENALTY_WEIGHT * penalty
            self.critic_adam.step(_gradients(loss, self.critic))

        stale_adversarial = None
        for _ in range(GENERATOR_STEPS):
            _track(self.generator)
            if reference_variant:
                if stale_adversarial is None:
                    # The last critic step's fake, with G's graph (no extra BatchNorm update:
                    # recompute it on a copy whose statistics are thrown away).
                    shadow = Network(
                        self.generator.parameters,
                        dict(self.generator.statistics),
                        self.generator.leaky_slope,
                    )
                    adversarial = -critic(
                        self.critic, generator(shadow, scaled_noise, previous)
                    ).mean()
                    stale_adversarial = _gradients(adversarial, self.generator)
                reconstruction = _gradients(
                    RECONSTRUCTION_WEIGHT * self.reconstruction(), self.generator
                )
                gradients = {k: stale_adversarial[k] + reconstruction[k] for k in reconstruction}
            else:
                adversarial = -critic(
                    self.critic, generator(self.generator, scaled_noise, previous)
                ).mean()
                loss = adversarial + RECONSTRUCTION_WEIGHT * self.reconstruction()
                gradients = _gradients(loss, self.generator)
            self.generator_adam.step(gradients)
