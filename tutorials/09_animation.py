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
# # 09 · Single-image animation: a random walk in noise space
#
# A SinGAN turns noise maps into images, and similar noise maps give similar images. So a
# *slowly changing* sequence of noise maps gives a slowly changing sequence of images — a
# video made from one photograph (paper Fig. 1 and §4, "single image animation").
#
# Which sequence? One that stays near the reconstruction noise
# $z^* = (z^*_0, 0, \dots, 0)$ (paper Eq. 5; $z^*_0$ at the coarsest scale, zero above),
# so the frames look like the training image, and that moves smoothly. The official code
# (`generate_gif`) runs, independently at every scale $k \ge s$ (the walk's start scale;
# scale 0 is the coarsest in the code, the paper's $n = N - k$), an **anchored random walk
# with momentum**:
#
# $$
# \begin{aligned}
# z^{(0)} &= z^*_k, \qquad z^{(1)} = 0.95\,z^*_k + 0.05\,\varepsilon,\\
# d^{(t)} &= \beta\,\big(z^{(t)} - z^{(t-1)}\big) + (1 - \beta)\,\varepsilon^{(t)}
#   &&\text{(momentum } \beta\text{)}\\
# z^{(t+1)} &= \alpha\,z^*_k + (1 - \alpha)\,\big(z^{(t)} + d^{(t)}\big)
#   &&\text{(anchoring } \alpha\text{)}
# \end{aligned}
# $$
#
# with fresh standard-normal $\varepsilon^{(t)}$. Every frame $t$ is one pass of the pyramid
# with the maps $z^{(t)}_k$ (scaled by $\sigma_k$ as always); scales coarser than $s$ use
# $z^*$, so they stay the reconstruction's.

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

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from IPython.display import Image, display  # noqa: E402
from PIL import Image as PILImage  # noqa: E402

from singan_keras import SinGAN, preset  # noqa: E402
from singan_keras.applications import animate, save_animation  # noqa: E402
from singan_keras.applications.animation import mp4_writer_available, random_walk  # noqa: E402

# %% [markdown]
# ## Parameters
#
# The model is notebook 03's `rocket` run (loaded if 03 has run, trained otherwise). The
# official animations have 100 frames at 10 fps, α = 0.1 and β between 0.80 and 0.95; quick
# mode makes 40 frames (each frame is a full pass through the pyramid).

# %%
MODE = os.environ.get("SINGAN_TUTORIAL_MODE", "quick")  # "quick" or "full"
IMAGE = "rocket"
QUICK_ITERATIONS = 60  # must match notebook 03 to reuse its run
CONFIG = preset("paper") if MODE == "full" else preset("quick", iterations=QUICK_ITERATIONS)
RUN_DIR = f"runs/{IMAGE}_{MODE}"
FRAMES = 40 if MODE == "quick" else 100
FPS = 10
ALPHA, BETA = 0.1, 0.9  # anchoring and momentum (official: 0.1 and 0.80-0.95)
START_SCALE = 0  # the walk's first scale (0 = coarsest); see section 4 for the others
SEED = 0


def show(image):
    """[-1, 1] -> [0, 1] for matplotlib."""
    return np.clip((np.asarray(image) + 1) / 2, 0, 1)


def strip(frames, every, title):
    """Every `every`-th frame side by side."""
    chosen = list(range(0, len(frames), every))
    fig, axes = plt.subplots(1, len(chosen), figsize=(1.5 * len(chosen), 1.4), squeeze=False)
    for ax, t in zip(axes[0], chosen, strict=True):
        ax.imshow(show(frames[t]))
        ax.set_title(f"t = {t}", fontsize=7)
        ax.axis("off")
    fig.suptitle(title, fontsize=9)
    plt.show()


model = SinGAN.train(IMAGE, CONFIG, run_dir=RUN_DIR, resume=True, verbose=0)
print(f"{model.num_scales} scales {model.sizes}")
print("noise amplitudes σ_k:", [round(a, 4) for a in model.noise_amplitudes])

# %% [markdown]
# ## 1. The walk itself, one noise value
#
# `random_walk(anchor, frames, rng, alpha, beta, single_channel)` is the recursion above
# for one scale's map. On a 1×1 map with anchor 0 we can plot it. There is no separate
# step size: each step adds $(1-\alpha)(1-\beta)\,\varepsilon$ of fresh noise, so a larger
# β means smaller, more persistent steps (smooth motion), and α pulls the walk back to
# $z^*$ (α = 0: a free walk that drifts away; α = 1: $z^*$ in every frame, a still image).

# %%
settings = [(0.1, 0.8), (0.1, 0.95), (0.0, 0.95), (0.5, 0.9)]
fig, ax = plt.subplots(figsize=(8, 2.8))
for alpha, beta in settings:
    walk = random_walk(np.zeros((1, 1, 3), np.float32), 200, np.random.default_rng(SEED),
                       alpha=alpha, beta=beta, single_channel=False)[:, 0, 0, 0]
    ax.plot(walk, lw=0.9, label=f"α = {alpha}, β = {beta}: step std "
                                f"{np.diff(walk).std():.3f}, |z| mean {np.abs(walk).mean():.2f}")
ax.axhline(0, color="gray", lw=0.6)
ax.set_xlabel("frame t")
ax.set_ylabel("z (one pixel)")
ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
plt.show()

# %% [markdown]
# β = 0.95 moves slowly and smoothly; β = 0.8 jitters. Without anchoring (α = 0) the walk
# wanders off — and images from noise far from $z^*$ drift away from the training image;
# with strong anchoring (α = 0.5) it hardly leaves 0.
#
# ## 2. Animating the rocket
#
# `animate(model, frames, start_scale, alpha, beta, seed)` returns `(frames, H, W, 3)` in
# $[-1, 1]$; the same seed gives the same frames under every backend. A strip of frames:

# %%
video = animate(model, frames=FRAMES, start_scale=START_SCALE, alpha=ALPHA, beta=BETA,
                seed=SEED)
print(video.shape, video.dtype)
strip(video, max(1, FRAMES // 8),
      f"every {max(1, FRAMES // 8)}th frame (start scale {START_SCALE}, α = {ALPHA}, β = {BETA})")

# %% [markdown]
# `save_animation(frames, path, fps)` writes an animated GIF (or an MP4 when
# `imageio-ffmpeg` is installed). The frame time is $1000/\text{fps}$ ms; 40 frames at
# 10 fps loop every 4 s. Shown inline, enlarged five times (the quick model's frames are
# only 64 px wide):

# %%
gif = save_animation(video, f"{RUN_DIR}/animation_s{START_SCALE}.gif", fps=FPS)
with PILImage.open(gif) as opened:
    print(f"{gif}: {opened.n_frames} frames, {opened.info['duration']} ms each, "
          f"{os.path.getsize(gif) / 1024:.0f} KiB; MP4 writer available: {mp4_writer_available()}")
display(Image(filename=str(gif), width=5 * video.shape[2]))

# %% [markdown]
# ## 3. Consecutive frames differ much less than independent samples — measured
#
# The point of the walk is continuity. Compare the mean absolute difference between
# consecutive frames with that between independent random samples from the same start
# scale (`model.sample(start_scale=...)`, which draws fresh noise for each image), and the
# frames' distance from the reconstruction (what anchoring controls).

# %%
reconstruction = model.reconstruct()
independent = model.sample(16, start_scale=START_SCALE, seed=1)


def mean_pairwise(images):
    return np.mean([np.abs(images[i] - images[j]).mean()
                    for i in range(len(images)) for j in range(i)])


consecutive = np.abs(np.diff(video, axis=0)).mean(axis=(1, 2, 3))  # one value per step
print(f"consecutive frames:           {consecutive.mean():.4f}  "
      f"(largest step {consecutive.max():.4f})")
print(f"frames t and t + 10:          {np.abs(video[10:] - video[:-10]).mean():.4f}")
print(f"independent samples:          {mean_pairwise(independent):.4f}")
print(f"frames vs the reconstruction: {np.abs(video - reconstruction).mean():.4f}")
ratio = mean_pairwise(independent) / consecutive.mean()
print(f"independent samples differ {ratio:.1f}x more than consecutive frames")
assert consecutive.mean() < mean_pairwise(independent) / 2

fig, ax = plt.subplots(figsize=(6, 2.5))
ax.plot(range(1, FRAMES), consecutive, ".-", lw=0.8, label="|frame t − frame t−1|")
ax.axhline(mean_pairwise(independent), color="C3", ls="--", label="independent samples")
ax.set_xlabel("frame t")
ax.set_ylabel("mean |difference|")
ax.legend(fontsize=7)
plt.show()

# %% [markdown]
# ## 4. The walk's parameters
#
# One short walk per setting, measured the same way: frame-to-frame change (smoothness)
# and distance to the reconstruction (how far the animation strays). The start scale
# decides *what* moves: from scale 0 the whole layout sways; from finer scales only the
# structures those scales add. In quick mode the fine scales' $\sigma_k$ are small
# (printed above), so walks that start there barely move — on a paper-trained model they
# make the fine details shimmer.

# %%
steps = 20 if MODE == "quick" else 50
print(f"{'start':>5} {'α':>5} {'β':>5} {'frame-to-frame':>15} {'to reconstruction':>18}")
for start, alpha, beta in [(0, 0.1, 0.8), (0, 0.1, 0.95), (0, 0.0, 0.95), (0, 0.5, 0.9),
                           *[(s, ALPHA, BETA) for s in range(1, model.num_scales)]]:
    frames = animate(model, frames=steps, start_scale=start, alpha=alpha, beta=beta, seed=SEED)
    print(f"{start:5d} {alpha:5.2f} {beta:5.2f} {np.abs(np.diff(frames, axis=0)).mean():15.4f} "
          f"{np.abs(frames - reconstruction).mean():18.4f}")

# %% [markdown]
# Larger β: smaller steps. α = 0: the frames drift furthest from the reconstruction;
# α = 0.5: they barely leave it. **frames** sets the length and **fps** only the playback
# speed (the same frames at 20 fps play twice as fast).
#
# ## 5. The same from the command line
#
# `singan animate RUN_DIR --out FILE.gif [--frames N] [--fps F] [--start-scale N]
# [--alpha A] [--beta B] [--seed S]` (default start scale 1, 100 frames at 10 fps; it also
# writes `FILE.mp4` when `imageio-ffmpeg` is installed). Run in a new process with our
# settings, it writes the same GIF, byte for byte:

# %%
cli_gif = f"{RUN_DIR}/animation_cli.gif"
command = [sys.executable, "-m", "singan_keras", "animate", RUN_DIR, "--out", cli_gif,
           "--frames", str(FRAMES), "--fps", str(FPS), "--start-scale", str(START_SCALE),
           "--alpha", str(ALPHA), "--beta", str(BETA), "--seed", str(SEED)]
print("$ singan animate", *command[4:])
print(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
same = open(cli_gif, "rb").read() == open(gif, "rb").read()
print("the CLI's GIF is byte for byte the notebook's:", same)


def gif_frames(path):
    """All frames of a GIF as (N, H, W, 3) uint8."""
    frames = []
    with PILImage.open(path) as opened:
        for t in range(opened.n_frames):
            opened.seek(t)
            frames.append(np.asarray(opened.convert("RGB")))
    return np.stack(frames)


decoded = gif_frames(cli_gif).astype(np.float32) / 127.5 - 1
error = np.abs(decoded - video)
print(f"GIF vs float frames: mean |difference| {error.mean():.4f}, largest {error.max():.3f}")

# %% [markdown]
# The GIF itself is lossy: Pillow reduces each frame to its own palette of at most 256
# colours, so single pixels can be off by many grey levels. Compare the mean error with
# the frame-to-frame change of section 3: where they are of the same size, the palette's
# changes from frame to frame can show as flicker on top of the motion. Use MP4
# (`pip install imageio-ffmpeg`) or keep the array (`np.save`) when exact frames matter.
#
# ## Summary
#
# * An animation is a sequence of pyramid passes whose noise maps, from a start scale on,
#   follow an anchored random walk with momentum around the reconstruction noise $z^*$.
# * β (momentum) sets smoothness — each step adds $(1-\alpha)(1-\beta)\varepsilon$ of fresh
#   noise; α (anchoring) keeps the frames near the training image; the start scale decides
#   which structures move; frames and fps set length and speed.
# * Consecutive frames differ several times less than independent samples (measured), which
#   is what makes the result a video rather than a slide show.
# * `animate` + `save_animation` (GIF; MP4 with imageio-ffmpeg), or `singan animate`.
#
# ## Exercises
#
# 1. Make a 100-frame animation with β = 0.95 and one with β = 0.8 and watch both. Which
#    looks more like the paper's videos?
# 2. Set α = 1. What do you expect, and what does `save_animation` warn about?
# 3. Write a *looping* walk: take 40 frames from `animate`, then append them reversed. Why
#    does that loop seamlessly, and why doesn't the plain walk?
# 4. The official animation model is trained with `min_size=20` (more, coarser scales).
#    Train `preset("quick", min_size=20, iterations=60)` and animate from scales 0, 1 and
#    2. How does the motion change?
