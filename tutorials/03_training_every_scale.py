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
# # 03 · Training every scale, and watching each one finish
#
# Notebook 02 trained one scale by hand. `SinGAN.train` does the whole pyramid (paper
# §2.2): for every scale $k = 0$ (coarsest) $\dots N$ (finest) it
#
# 1. builds $G_k$ and $D_k$ — starting from scale $k-1$'s trained weights when the channel
#    count is unchanged (the reference's warm start), else from fresh initialisation;
# 2. computes the fixed reconstruction input $(\tilde x^{rec}_{k-1})\!\uparrow^r$ through
#    the frozen coarser scales, and the noise amplitude
#    $\sigma_k = 0.1\cdot\operatorname{RMSE}(x_k, (\tilde x^{rec}_{k-1})\!\uparrow^r)$
#    ($\sigma_0 = 1$);
# 3. runs `iterations` SinGAN iterations (3 critic + 3 generator steps each) with `fit()`;
# 4. **freezes** $G_k$ (its BatchNorm then uses running statistics) and moves on.
#
# Scales are trained one after another and never revisited. We pass a callback,
# `on_scale_end(model_so_far, result)`, which runs after each scale: there we look at
# that scale's reconstruction, some random samples and its loss curves — *while*
# training, not by re-running anything afterwards.

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

import shutil  # noqa: E402
import time  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from singan_keras import ScaleResult, SinGAN, preset  # noqa: E402

# %% [markdown]
# ## Parameters
#
# Quick mode is the `quick` preset (finest scale 64 px, 4 scales for `rocket`) with
# `QUICK_ITERATIONS` iterations per scale instead of the paper's 2000 — the same
# algorithm, stopped early, so the samples are rough. Full mode is `preset("paper")`.
# The run directory is shared with notebook 04, which reuses the trained model.

# %%
MODE = os.environ.get("SINGAN_TUTORIAL_MODE", "quick")  # "quick" or "full"
IMAGE = "rocket"
QUICK_ITERATIONS = 60
CONFIG = preset("paper") if MODE == "full" else preset("quick", iterations=QUICK_ITERATIONS)
RUN_DIR = f"runs/{IMAGE}_{MODE}"  # tutorials/runs/ is git-ignored
SAMPLES_PER_SCALE = 4
print(MODE, CONFIG)


def show(image):
    """[-1, 1] -> [0, 1] for matplotlib."""
    return np.clip((np.asarray(image) + 1) / 2, 0, 1)


# %% [markdown]
# ## The callback
#
# `on_scale_end` receives the model trained **so far** (a `SinGAN` with scales $0..k$)
# and a `ScaleResult`: the scale's index, size, channels, $\sigma_k$, wall time, and
# `losses`, one value per iteration for each logged term:
#
# | key | meaning |
# |---|---|
# | `critic_loss` | $L_D = W + \lambda\,GP$ (last critic step of the iteration) |
# | `wasserstein` | $\operatorname{mean} D(\tilde x) - \operatorname{mean} D(x)$ (= −W) |
# | `gradient_penalty` | $\operatorname{mean}_{px}(\lVert\nabla D(\hat x)\rVert_2-1)^2$ |
# | `generator_loss` | $L_G = adv + \alpha\,L_{rec}$ |
# | `adversarial` | $-\operatorname{mean} D(\tilde x)$ |
# | `reconstruction` | $L_{rec}$, mean squared error of $G_k(z^{rec})$ against $x_k$ |
#
# Because the partial model is a full `SinGAN`, `model.reconstruct()` and
# `model.sample()` already work and produce images at scale $k$'s size.

# %%
results: list[ScaleResult] = []


def on_scale_end(model: SinGAN, result: ScaleResult) -> None:
    results.append(result)
    k = result.scale
    real = model.reals[k]
    reconstruction = model.reconstruct()                  # G_k(...G_0(z*)), zero noise above
    samples = model.sample(SAMPLES_PER_SCALE, seed=k)     # fresh noise at every scale <= k
    rec_error = float(np.mean((reconstruction - real) ** 2))

    fig = plt.figure(figsize=(2.2 * (2 + SAMPLES_PER_SCALE), 4.4), layout="constrained")
    grid = fig.add_gridspec(2, 2 + SAMPLES_PER_SCALE)
    panels = [(real, f"real $x_{k}$"), (reconstruction, f"reconstruction\nMSE {rec_error:.4f}")]
    panels += [(s, f"sample {i}") for i, s in enumerate(samples)]
    for column, (img, title) in enumerate(panels):
        ax = fig.add_subplot(grid[0, column])
        ax.imshow(show(img))
        ax.set_title(title, fontsize=8)
        ax.axis("off")

    losses = result.losses
    half = (2 + SAMPLES_PER_SCALE) // 2
    ax = fig.add_subplot(grid[1, :half])
    for key in ("critic_loss", "wasserstein", "gradient_penalty"):
        ax.plot(losses[key], label=key, lw=0.8)
    ax.set_title("critic", fontsize=8)
    ax.set_xlabel("iteration", fontsize=8)
    ax.legend(fontsize=7)
    ax = fig.add_subplot(grid[1, half:])
    ax.plot(losses["adversarial"], label="adversarial", lw=0.8)
    ax.plot(CONFIG.reconstruction_weight * np.asarray(losses["reconstruction"]),
            label=r"$\alpha\cdot$reconstruction", lw=0.8)
    ax.set_title("generator", fontsize=8)
    ax.set_xlabel("iteration", fontsize=8)
    ax.legend(fontsize=7)
    fig.suptitle(f"scale {k}/{result.num_scales - 1}: {result.size[0]}x{result.size[1]}, "
                 f"{result.channels} channels, σ = {result.noise_amplitude:.4f}, "
                 f"{result.seconds:.0f} s", fontsize=10)
    plt.show()


# %% [markdown]
# ## Training
#
# A run directory makes training resumable and saves every finished scale; we start it
# afresh here so the callback sees every scale (notebook 04 will *resume* the same
# directory, which just loads the finished model). `verbose=0` hides Keras' progress bar;
# try `verbose=1` to see it.

# %%
shutil.rmtree(RUN_DIR, ignore_errors=True)  # this notebook's own run: start from scratch
start = time.perf_counter()
model = SinGAN.train(IMAGE, CONFIG, run_dir=RUN_DIR, on_scale_end=on_scale_end, verbose=0)
print(f"trained {model.num_scales} scales in {time.perf_counter() - start:.0f} s")

# %% [markdown]
# ## Reading the curves
#
# * **Reconstruction** falls fast at every scale: a deterministic regression problem.
#   From scale 1 on, it starts low already, because the coarser scales have done most of
#   the work and $G_k$ is residual (its output starts near the upsampled input).
# * The **Wasserstein** term is negative when the critic tells real from fake. A GAN has
#   no loss that "converges to zero"; with WGAN-GP a gap that shrinks towards 0 means the
#   critic finds the fakes harder to tell apart.
# * The **gradient penalty** stays small: it is only active where $\lVert\nabla D\rVert$
#   strays from 1.
#
# ## The whole run in one table
#
# The noise amplitudes shrink scale by scale: each finer scale only has to add what the
# upsampled coarser reconstruction misses.

# %%
print(f"{'scale':>5} {'size':>9} {'ch':>4} {'sigma':>8} {'final rec':>10} {'seconds':>8}")
for r in results:
    print(f"{r.scale:5d} {r.size[0]:4d}x{r.size[1]:<4d} {r.channels:4d} "
          f"{r.noise_amplitude:8.4f} {r.losses['reconstruction'][-1]:10.5f} {r.seconds:8.1f}")
print("run directory:", sorted(os.listdir(RUN_DIR)))

fig, ax = plt.subplots(figsize=(5, 3))
ax.semilogy([r.scale for r in results], [r.noise_amplitude for r in results], "o-")
ax.set_xlabel("scale k (0 = coarsest)")
ax.set_ylabel(r"$\sigma_k$")
plt.show()

# %% [markdown]
# Each scale's losses are also written to `RUN_DIR/scale_XX/losses.csv` (by Keras' own
# `CSVLogger`), and `callbacks=` passes ordinary Keras callbacks (e.g.
# `keras.callbacks.TensorBoard`) to every scale's `fit()`. Each SinGAN iteration is one
# Keras *epoch*, so `on_epoch_end` fires once per iteration with its losses in `logs`.
#
# ## Summary
#
# * `SinGAN.train(image, config, run_dir, on_scale_end=...)` trains coarse to fine; every
#   finished scale is frozen and saved.
# * The callback gets the partial model — so reconstruction and sampling work after every
#   scale — and a `ScaleResult` with per-iteration losses.
# * $\sigma_k$ is computed once per scale from the reconstruction error and decreases with
#   $k$; reconstruction loss falls quickly, adversarial terms oscillate.
# * Quick mode is the same algorithm with fewer iterations; run full mode on a GPU to see
#   the paper's quality.
#
# ## Exercises
#
# 1. Double `QUICK_ITERATIONS`. Which scales' samples improve most?
# 2. Train with `reconstruction_weight=0` (`preset("quick", reconstruction_weight=0.0)`).
#    What happens to $\sigma_k$ and to the samples? Why does SinGAN need $L_{rec}$?
# 3. Train `preset("official", max_size=64, iterations=QUICK_ITERATIONS)` and compare the
#    loss curves with the paper preset.
# 4. Pass `callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=...)]` that prints the
#    reconstruction loss every 25 iterations. What does `epoch` count here, and why does
#    it start again from 0 at every scale? (Hint: how many times is `fit()` called?)
# 5. Pick a texture (`data.list_images()`: `brick`, `grass`, `gravel`). Is its coarsest
#    scale's reconstruction harder or easier than the rocket's?
