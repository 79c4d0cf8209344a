# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 · One scale: G_n, D_n and one training iteration
#
# Every scale of SinGAN is a small GAN: a generator $G_n$ and a critic (discriminator)
# $D_n$, both fully convolutional (paper §2.1, Fig. 5). This notebook builds them, measures
# what they can see (the receptive field), and walks through **one training iteration**
# of the coarsest scale term by term: the adversarial WGAN-GP loss, the reconstruction
# loss (paper Eq. 4–5) and the noise amplitude that hands over to the next scale. At the
# end we read the backend-specific part of the train step — three short files, one per
# framework — side by side, and see what else lives in the backend packages.
#
# Index reminder (notebook 01): in the code **scale `k = 0` is the coarsest**; the paper's
# $n = N - k$. The formulas below use the paper's $n$, with $n + 1$ the *coarser*
# neighbour.

# %%
# Set-up, the same in every notebook. Choose the backend here: "torch", "jax" or
# "tensorflow"; Keras reads it once, so restart the kernel to switch. Where singan_keras is
# missing (this notebook uploaded to Colab, say), pip installs it with that backend's extra.
import importlib.util
import os
import subprocess
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # quieter TensorFlow start-up
if importlib.util.find_spec("singan_keras") is None:
    package = f"singan-keras[{os.environ['KERAS_BACKEND']}]"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", package], check=True)
    importlib.invalidate_caches()

from singan_keras.backends import default_device  # noqa: E402  (imports Keras)

print(f"KERAS_BACKEND={os.environ['KERAS_BACKEND']}, device: {default_device()}")

import inspect  # noqa: E402
import math  # noqa: E402
from pathlib import Path  # noqa: E402

import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from IPython.display import HTML, display  # noqa: E402

import singan_keras  # noqa: E402
from singan_keras import build_pyramid, data, preset, scale_schedule  # noqa: E402
from singan_keras.imresize import imresize  # noqa: E402
from singan_keras.layout import to_internal, to_numpy_nhwc  # noqa: E402
from singan_keras.models import build_critic, build_generator, channels_at_scale  # noqa: E402
from singan_keras.scale_trainer import FrozenPyramid, ScaleTensors, ScaleTrainer  # noqa: E402

# %% [markdown]
# ## Parameters
#
# `WARMUP_ITERATIONS` is how long we train the coarsest scale at the end (section 6) to
# compute the next scale's noise amplitude: a handful in quick mode, the paper's 2000 in
# full mode.

# %%
MODE = os.environ.get("SINGAN_TUTORIAL_MODE", "quick")  # "quick" or "full"
IMAGE = "rocket"
CONFIG = preset("paper") if MODE == "full" else preset("quick")
WARMUP_ITERATIONS = CONFIG.iterations if MODE == "full" else 30
print(MODE, CONFIG.max_size, WARMUP_ITERATIONS)


def show(image):
    """[-1, 1] -> [0, 1] for matplotlib."""
    return np.clip((np.asarray(image) + 1) / 2, 0, 1)


image = data.load_image(IMAGE)
schedule = scale_schedule(*image.shape[:2], scale_factor=CONFIG.scale_factor,
                          min_size=CONFIG.min_size, max_size=CONFIG.max_size)
reals = build_pyramid(image, schedule)  # reals[0] = coarsest
print(schedule)

# %% [markdown]
# ## 1. The generator $G_n$
#
# $G_n$ is **residual** over the upsampled output of the coarser scale (paper Eq. 3,
# Fig. 5):
#
# $$
# \tilde x_n = (\tilde x_{n+1})\!\uparrow^r
#   + \,\psi_n\!\big(z_n + (\tilde x_{n+1})\!\uparrow^r\big),
# $$
#
# where $z_n$ is Gaussian noise already multiplied by the scale's amplitude $\sigma_n$,
# and $\psi_n$ is five 3×3 convolutions: four `Conv → BatchNorm → LeakyReLU(0.2)` blocks
# and a `Conv → tanh` tail. The convolutions do not pad; instead the *input* is
# zero-padded once by $(3-1)\cdot 5/2 = 5$ pixels, so the output has the input's size. At
# the coarsest scale there is no coarser image: $\tilde x_N = \psi_N(z_N)$ (the `previous`
# input is zeros).
#
# The width doubles every 4 scales from 32, capped at 128:
# `channels = min(32 · 2^(k // 4), 128)`.

# %%
print("channels per scale:", [channels_at_scale(k) for k in range(schedule.num_scales)])
print("paper-size pyramid (11 scales):", [channels_at_scale(k) for k in range(11)])

# seed=0: the same weights every run (keras.utils.set_random_seed would
# also import TensorFlow, when installed, under any backend)
generator = build_generator(channels_at_scale(0), name="G_coarsest", seed=0)
# 76 characters, no name cut: the table fits the site's column
generator.summary(line_length=76, positions=[0.31, 0.58, 0.71, 1.0])

# %% [markdown]
# Two inputs, `scaled_noise` ($\sigma_n z_n$) and `previous`
# ($(\tilde x_{n+1})\!\uparrow^r$), added, padded, through the body, and the tanh residual
# added back to `previous`. The parameter counts are small — SinGAN's whole point is that
# one image is enough data for *these* networks:

# %%
def count(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


for channels in (32, 64, 128):
    g, d = build_generator(channels), build_critic(channels)
    print(f"{channels:3d} channels: G {count(g):7,d} parameters, D {count(d):7,d}")

# 3x3 conv = 9·c_in·c_out weights + c_out biases; BatchNorm = 2·c (γ, β)
c = 32
by_hand = (9 * 3 * c + c + 2 * c) + 3 * (9 * c * c + c + 2 * c) + (9 * c * 3 + 3)
print("G at 32 channels by hand:", f"{by_hand:,d}")

# %% [markdown]
# ## 2. The critic $D_n$
#
# $D_n$ has the same body; its tail is a 3×3 convolution to **one** channel, no tanh, and
# no input padding. It outputs a *map* of scores, one per 11×11 patch — a Markovian
# (PatchGAN) critic. Its loss averages the map, so it judges the image as a bag of
# patches, which is exactly the statistic SinGAN learns.

# %%
critic = build_critic(channels_at_scale(0), name="D_coarsest", seed=0)
x0 = reals[0]
scores = to_numpy_nhwc(critic(to_internal(x0), training=False))
print("input", x0.shape, "-> score map", scores.shape[1:3], "(10 pixels smaller per axis)")

# %% [markdown]
# A note on **layout**: the public API speaks numpy `(H, W, 3)` images, but the networks
# take tensors in the backend's internal layout (`channels_first` on PyTorch, where the
# gradient penalty's double backward needs it; `channels_last` on TensorFlow and JAX).
# `to_internal` and `to_numpy_nhwc` from `singan_keras.layout` convert.
#
# ## 3. The receptive field, measured
#
# Five 3×3 convolutions see $1 + 5\cdot(3-1) = 11$ pixels. Instead of trusting the
# formula, change **one** input pixel and see which outputs move. (We use inference mode,
# `training=False`: in training mode BatchNorm's batch statistics would couple every pixel
# to every other one, weakly.)

# %%
rng = np.random.default_rng(0)
base = rng.uniform(-1, 1, (1, 31, 31, 3)).astype("float32")
poked = base.copy()
poked[0, 15, 15, :] += 0.5  # one pixel in the middle

d_change = np.abs(to_numpy_nhwc(critic(to_internal(poked), training=False))
                  - to_numpy_nhwc(critic(to_internal(base), training=False)))[0, ..., 0]
zeros = np.zeros_like(base)
g_change = np.abs(
    to_numpy_nhwc(generator([to_internal(poked), to_internal(zeros)], training=False))
    - to_numpy_nhwc(generator([to_internal(base), to_internal(zeros)], training=False))
)[0].max(-1)


def extent(mask):
    rows, cols = np.nonzero(mask)
    return int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)


print("critic outputs that changed:   ", extent(d_change > 0), "of", d_change.shape)
print("generator outputs that changed:", extent(g_change > 0), "of", g_change.shape)
fig, axes = plt.subplots(1, 2, figsize=(7, 3.2))
for ax, change, title in zip(axes, [d_change, g_change], ["|ΔD(x)|", "|ΔG(z)|"], strict=True):
    ax.imshow(change > 0, cmap="gray_r")
    ax.set_title(f"{title}: {extent(change > 0)[0]}x{extent(change > 0)[1]}")
plt.show()

# %% [markdown]
# Each critic score depends on an 11×11 patch — and each generator output pixel on an
# 11×11 neighbourhood of its noise. At the coarsest scale (25×38 here) an 11×11 patch
# spans almost half the image height: the coarse GAN sees *global* arrangement; at the
# finest scale the same 11×11 patch is texture. That is how one architecture learns
# every level of structure, and why `min_size` must be at least 11.
#
# ## 4. The training objective (paper Eq. 4–5)
#
# Each scale solves
#
# $$
# \min_{G_n}\max_{D_n}\; \mathcal L_{adv}(G_n, D_n) + \alpha\, \mathcal L_{rec}(G_n),
# \qquad \alpha = 10 .
# $$
#
# **Adversarial term: WGAN-GP.** The critic minimises
#
# $$
# L_D = \underbrace{\operatorname{mean} D(\tilde x_n) - \operatorname{mean} D(x_n)}_
#         {\text{negative Wasserstein estimate}}
#   + \lambda\, \underbrace{\operatorname{mean}_{\text{pixels}}
#         \big(\lVert \nabla_{\hat x} D(\hat x)\rVert_2 - 1\big)^2}_{\text{gradient penalty}},
#   \qquad \hat x = \varepsilon x_n + (1 - \varepsilon)\tilde x_n,\;
#   \varepsilon\sim U(0,1),
# $$
#
# with $\lambda = 0.1$. Two details come from the reference code, not the WGAN-GP paper:
# one scalar $\varepsilon$ per step, and the norm is taken **per pixel over the three
# channels** (then averaged over pixels), not once per image. The penalty needs the
# gradient of a gradient (second order) on every backend.
#
# **Generator:** $L_G = -\operatorname{mean} D(\tilde x_n) + \alpha\, \mathcal L_{rec}$.
#
# **Reconstruction** (Eq. 5): one fixed noise map must reproduce the training image:
# $\mathcal L_{rec} = \lVert G_n(0, (\tilde x^{rec}_{n+1})\!\uparrow^r) - x_n\rVert^2$, and at
# the coarsest scale $\lVert G_N(z^*) - x_N\rVert^2$ with $z^*$ drawn **once** and kept
# with the model. (The squared norm is a mean over pixels in the code.)
#
# `ScaleTrainer` is a `keras.Model` holding $G_n$, $D_n$, two Adam optimizers and the
# scale's fixed tensors. Here is its critic loss, beside the equation above:

# %%
print(inspect.getsource(ScaleTrainer.critic_loss))

# %% [markdown]
# ### Building the coarsest scale's trainer
#
# At the coarsest scale there are no frozen coarser generators, `previous` is zeros, the
# noise amplitude is 1 and the noise has **one** channel repeated three times (a grey
# noise field, as in the reference).

# %%
size0 = schedule.sizes[0]
z_star = np.repeat(np.random.default_rng(CONFIG.seed).standard_normal((*size0, 1)), 3, axis=-1)
z_star = z_star.astype("float32")

trainer = ScaleTrainer(
    generator, critic,
    frozen=FrozenPyramid(),  # nothing coarser yet
    scale=ScaleTensors(
        real=reals[0],
        previous_reconstruction=np.zeros_like(reals[0]),  # (x~rec_{N+1})↑r does not exist
        noise_amplitude=1.0, z_star=z_star,
    ),
    config=CONFIG, seed=0,
)
trainer.compile_for_training()

# %% [markdown]
# ### Every term, computed and checked
#
# `run_outside_fit` runs a function of the trainer eagerly on any backend (on JAX it sets
# up the explicit state that `fit()` would). We draw one noise map, make $\tilde x_N$,
# evaluate both losses and recompute the penalty and the totals independently in numpy.

# %%
rng = np.random.default_rng(1)
noise = np.repeat(rng.standard_normal((1, *size0, 1)), 3, axis=-1).astype("float32")
previous = np.zeros_like(noise)
epsilon = 0.37


def all_terms():
    fake = generator([to_internal(noise), to_internal(previous)], training=True)
    l_d, (wasserstein, penalty) = trainer.critic_loss(fake, epsilon)
    l_g, (adversarial, reconstruction) = trainer.generator_loss(
        to_internal(noise), to_internal(previous))
    mixed = to_internal(epsilon * reals[0][None] + (1 - epsilon) * to_numpy_nhwc(fake))
    gradient = trainer.input_gradient(lambda x: critic(x, training=True), mixed)
    terms = (l_d, wasserstein, penalty, l_g, adversarial, reconstruction)
    numbers = [float(keras.ops.convert_to_numpy(v)) for v in terms]
    return numbers, to_numpy_nhwc(fake)[0], to_numpy_nhwc(gradient)[0]


(l_d, wasserstein, penalty, l_g, adversarial, reconstruction), fake, gradient = (
    trainer.run_outside_fit(all_terms))

pixel_norms = np.sqrt((gradient ** 2).sum(-1))            # ‖∇D(x̂)‖₂ per pixel, over RGB
penalty_numpy = np.mean((pixel_norms - 1) ** 2)
print(f"Wasserstein term  mean D(fake) - mean D(real) = {wasserstein:+.4f}")
print(f"gradient penalty  library {penalty:.5f}   numpy {penalty_numpy:.5f}")
print(f"L_D = W + λ·GP    library {l_d:+.5f}   by hand {wasserstein + 0.1 * penalty:+.5f}")
print(f"L_G = adv + α·rec library {l_g:+.5f}   by hand {adversarial + 10 * reconstruction:+.5f}")
assert math.isclose(penalty, penalty_numpy, rel_tol=1e-3)
assert math.isclose(l_d, wasserstein + CONFIG.gradient_penalty_weight * penalty,
                    rel_tol=1e-4, abs_tol=1e-6)
assert math.isclose(l_g, adversarial + CONFIG.reconstruction_weight * reconstruction,
                    rel_tol=1e-4, abs_tol=1e-6)

fig, axes = plt.subplots(1, 4, figsize=(12, 2.6))
for ax, img, title in zip(axes[:3], [reals[0], noise[0], fake],
                          ["real $x_N$", "noise $z_N$ (1 channel ×3)", "untrained $G_N(z_N)$"],
                          strict=True):
    ax.imshow(show(img))
    ax.set_title(title, fontsize=9)
    ax.axis("off")
im = axes[3].imshow(pixel_norms, cmap="magma")
axes[3].set_title(r"$\|\nabla_{\hat x} D(\hat x)\|_2$ per pixel", fontsize=9)
axes[3].axis("off")
fig.colorbar(im, ax=axes[3], fraction=0.046)
plt.show()

# %% [markdown]
# The gradient-norm map is darker near the border: a border pixel lies in fewer 11×11
# patches, so fewer critic scores depend on it. The penalty pulls every pixel's norm
# towards 1, border pixels included.
#
# ## 5. One iteration, driven by `fit()`
#
# One SinGAN iteration (one "batch" for Keras) is:
#
# 1. draw one noise map $z_n$, shared by the whole iteration;
# 2. **3 critic steps**: each with a fresh random $(\tilde x_{n+1})\!\uparrow^r$ from the
#    frozen coarser scales (zeros here), a fresh $\varepsilon$, one Adam step on $L_D$;
# 3. **3 generator steps**: one Adam step each on $L_G$, recomputing $G_n$'s output every
#    time (the paper's reading; the `official` preset reuses the stale one).
#
# Adam has lr $5\cdot10^{-4}$, $\beta = (0.5, 0.999)$, decayed ×0.1 after 80 % of the
# iterations. Because the step is a `train_step`, `fit()` drives it, and callbacks,
# progress bars and `History` work unchanged. The dataset is a dummy: one row per
# iteration.

# %%
before = [keras.ops.convert_to_numpy(w) for w in generator.trainable_weights]
history = trainer.fit(np.zeros((1, 1), "float32"), batch_size=1, epochs=1, verbose=0)
after = [keras.ops.convert_to_numpy(w) for w in generator.trainable_weights]
print({name: round(float(v[-1]), 4) for name, v in history.history.items()})
print("critic Adam updates:   ",
      int(keras.ops.convert_to_numpy(trainer.critic_optimizer.iterations)))
print("generator Adam updates:",
      int(keras.ops.convert_to_numpy(trainer.generator_optimizer.iterations)))
print("largest change of a trainable G weight:",
      max(float(np.abs(a - b).max()) for a, b in zip(after, before, strict=True)))

# %% [markdown]
# ## 6. Noise amplitude: handing over to the next scale
#
# The next (finer) scale's noise must be strong enough to add detail, but no stronger
# than what is *missing*: the paper sets it to the error of the upsampled reconstruction,
#
# $$
# \sigma_{n} = 0.1\cdot \operatorname{RMSE}\big(x_{n},\, (\tilde x^{rec}_{n+1})\!\uparrow^r\big).
# $$
#
# Let us train the coarsest scale a little more, reconstruct from $z^*$, upsample with
# the same MATLAB bicubic, and compute $\sigma$ for scale `k = 1`.

# %%
trainer.fit(np.zeros((WARMUP_ITERATIONS, 1), "float32"), batch_size=1, verbose=0)
reconstruction = to_numpy_nhwc(
    generator([to_internal(z_star), to_internal(np.zeros_like(z_star))], training=False))[0]
upsampled = imresize(reconstruction, schedule.sizes[1])
rmse = float(np.sqrt(np.mean((reals[1] - upsampled) ** 2)))
sigma_1 = CONFIG.noise_amplitude_factor * rmse
print(f"after {1 + WARMUP_ITERATIONS} iterations: L_rec = "
      f"{np.mean((reconstruction - reals[0]) ** 2):.4f}, RMSE at scale 1 = {rmse:.4f}, "
      f"σ_1 = {sigma_1:.4f}")

fig, axes = plt.subplots(1, 3, figsize=(9, 2.6))
for ax, img, title in zip(axes, [reconstruction, upsampled, reals[1]],
                          [r"$G_N(z^*)$", r"$(\tilde x^{rec}_N)\uparrow^r$", r"$x_{N-1}$"],
                          strict=True):
    ax.imshow(show(img))
    ax.set_title(title)
    ax.axis("off")
plt.show()

# %% [markdown]
# A well-trained coarsest scale reconstructs $x_N$ closely, so $\sigma$ is small (≈ 0.01–
# 0.03 for the paper's images): fine scales add detail on top of a fixed layout. With the
# few quick-mode iterations the reconstruction is still blurry and $\sigma$ larger.
#
# ## 7. The three backend files, side by side
#
# Everything above is backend-agnostic `keras.ops`, *except* taking gradients: Keras 3
# has no common API for reverse-mode differentiation. So each backend package
# (`singan_keras/backends/{tensorflow,jax,torch}/`) has a `train_step.py` with the same six
# methods in the same order — `train_step`, `run_outside_fit`, `compute_gradients`,
# `apply_gradients`, `input_gradient` (the differentiable inner gradient of the penalty)
# and `release_compiled_step` (drops the compiled step once a scale is trained) — and
# `singan_keras.backends` binds one of them once, at import. We read them from the
# installed package (not importing the other frameworks).

# %%
backends_dir = Path(singan_keras.__file__).parent / "backends"
columns = []
for name in ("tensorflow", "jax", "torch"):
    source = (backends_dir / name / "train_step.py").read_text()
    escaped = source.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    columns.append(
        f"<td style='vertical-align:top'><b>{name}/train_step.py</b> "
        f"({len(source.splitlines())} lines)<pre style='font-size:10px'>{escaped}</pre></td>")
display(HTML("<table><tr>" + "".join(columns) + "</tr></table>"))
print(f"active backend: {keras.backend.backend()} -> "
      f"{type(trainer).__mro__[1].__module__}")

# %% [markdown]
# Read across the `input_gradient` rows: TensorFlow records a nested `GradientTape`;
# PyTorch asks autograd for the gradient with `create_graph=True` so it can be
# differentiated again; JAX simply composes `jax.grad` inside `jax.value_and_grad`. The
# JAX file is longer because JAX is functional: during `fit()` the model's variables hold
# no values, and the whole state (weights, BatchNorm statistics, both Adams, the seed)
# travels explicitly through a `keras.StatelessScope`.
#
# The train steps are not the only backend-specific code. Each backend package also holds
# its **fast paths**: the same maths as a plain Keras layer or update, in code that backend
# runs faster (measured in `benchmarks/`). Which classes did our networks get on this
# backend? Run the notebook with `SINGAN_KERAS_FAST_PATHS=0` and they become Keras' own.

# %%
from singan_keras import backends

print("fast paths on:", backends.FAST_PATHS)
for role, cls in vars(backends.NETWORK_CLASSES).items():
    print(f"  {role:12s} {cls.__module__}.{cls.__name__}")

# %% [markdown]
# On torch the BatchNorm is one fused `torch.native_batch_norm` and the models call their
# layers directly (Keras' per-call bookkeeping cost ~10 ms per network call); on JAX-on-CPU
# the critic's convolutions are matrix products (XLA:CPU's second-order convolutions were
# 10–40× slower); TensorFlow's graph compiler fuses Keras' layers itself. The
# Backends page of the documentation lists each with its measured gain.
#
# ## Summary
#
# * $G_n$ is residual over the upsampled coarser image; $\psi_n$ is 5 conv layers with a
#   5-pixel input padding; $D_n$ is the same body ending in a 1-channel score map.
# * Both see 11×11 patches at every scale — global structure at the coarsest scale,
#   texture at the finest.
# * The loss is WGAN-GP (λ = 0.1, per-pixel gradient norm, one ε per step) plus α = 10
#   times the reconstruction of $x_n$ from the fixed $z^*$.
# * One iteration = one noise map, 3 critic steps, 3 generator steps; `fit()` drives it.
# * $\sigma_n = 0.1\cdot$RMSE of the upsampled reconstruction sets the next scale's noise.
# * Gradient-taking is written per backend, in three short parallel train steps; the
#   backend packages also hold measured fast paths, which one switch turns off.
#
# ## Exercises
#
# 1. Count the critic's parameters by hand at 32 channels and check `count(critic)`.
# 2. Change one pixel *at the border* of `base` instead of the middle. How large is the
#    changed region of the generator's output now, and why?
# 3. Compute the gradient penalty with the *per-image* norm of the WGAN-GP paper
#    (one norm over all pixels and channels). How does it compare with the per-pixel
#    version for the same `gradient`?
# 4. Set `WARMUP_ITERATIONS` to 0, 30 and 200. Plot $\sigma_1$ against the number of
#    iterations. What happens to the next scale if $\sigma$ stays large?
# 5. `diff` the TensorFlow and PyTorch train-step files. Which lines differ only in name?
