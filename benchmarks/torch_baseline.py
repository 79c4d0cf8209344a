"""A plain-PyTorch SinGAN scale, written the way the original implementation runs: the yardstick.

Eager `nn.Module`s, no Keras: the same layers as `singan_keras.models` (5 blocks of Conv 3×3
valid → BatchNorm → LeakyReLU(0.2), the generator's input zero-padded by 5 and its tanh
output added to the upsampled coarser image; the critic ends in a 1-channel conv) and the
same iteration as `singan_keras.scale_trainer.ScaleTrainer.singan_iteration` at a coarsest
scale: 3 critic steps on the WGAN-GP loss (λ = 0.1, per-pixel gradient norm) and 3 generator
steps on −mean D(G(z)) + α‖G(z*) − x‖² (α = 10), two Adams (lr 5e-4, β = (0.5, 0.999)).

Used only by `benchmarks/train_step.py`; nothing in the package imports it.
"""

from __future__ import annotations

import torch
from torch import nn

PADDING = 5  # 5 valid 3×3 convs shrink each side by 5


def _blocks(channels: int) -> nn.Sequential:
    layers, in_channels = [], 3
    for _ in range(4):
        layers += [
            nn.Conv2d(in_channels, channels, 3),
            nn.BatchNorm2d(channels, momentum=0.1, eps=1e-5),
            nn.LeakyReLU(0.2),
        ]
        in_channels = channels
    return nn.Sequential(*layers)


class Generator(nn.Module):
    """G(z, y) = y + tanh(tail(body(pad(z + y))))."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = _blocks(channels)
        self.tail = nn.Sequential(nn.Conv2d(channels, 3, 3), nn.Tanh())

    def forward(self, noise: torch.Tensor, previous: torch.Tensor) -> torch.Tensor:
        x = nn.functional.pad(noise + previous, (PADDING,) * 4)
        return previous + self.tail(self.body(x))


class Critic(nn.Module):
    """A patch critic: one score per 11×11 receptive field (valid convs)."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = _blocks(channels)
        self.tail = nn.Conv2d(channels, 1, 3)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.tail(self.body(image))


class BaselineScale:
    """One scale's G and D with their optimizers, trained on `real` (1, 3, H, W)."""

    def __init__(self, real: torch.Tensor, channels: int, critic_steps: int = 3,
                 generator_steps: int = 3, penalty_weight: float = 0.1,
                 reconstruction_weight: float = 10.0):  # fmt: skip
        self.real = real
        self.generator, self.critic = Generator(channels), Critic(channels)
        adam = dict(lr=5e-4, betas=(0.5, 0.999))
        self.generator_optimizer = torch.optim.Adam(self.generator.parameters(), **adam)
        self.critic_optimizer = torch.optim.Adam(self.critic.parameters(), **adam)
        self.z_star = torch.randn(1, 1, *real.shape[2:]).expand(1, 3, -1, -1).contiguous()
        self.critic_steps, self.generator_steps = critic_steps, generator_steps
        self.penalty_weight, self.reconstruction_weight = penalty_weight, reconstruction_weight

    def _penalty(self, fake: torch.Tensor) -> torch.Tensor:
        epsilon = torch.rand(())
        mixed = (epsilon * self.real + (1 - epsilon) * fake).requires_grad_(True)
        (gradient,) = torch.autograd.grad(self.critic(mixed).sum(), mixed, create_graph=True)
        return ((gradient.square().sum(1) + 1e-12).sqrt() - 1).square().mean()

    def iteration(self) -> None:
        """One SinGAN iteration at the coarsest scale (the previous image is zero)."""
        zeros = torch.zeros_like(self.real)
        noise = torch.randn(1, 1, *self.real.shape[2:]).expand(1, 3, -1, -1)
        for _ in range(self.critic_steps):
            with torch.no_grad():
                fake = self.generator(noise, zeros)
            loss = self.critic(fake).mean() - self.critic(self.real).mean()
            loss = loss + self.penalty_weight * self._penalty(fake)
            self.critic_optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.critic_optimizer.step()
        for _ in range(self.generator_steps):
            adversarial = -self.critic(self.generator(noise, zeros)).mean()
            reconstruction = (self.generator(self.z_star, zeros) - self.real).square().mean()
            loss = adversarial + self.reconstruction_weight * reconstruction
            self.generator_optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.generator_optimizer.step()
