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
# # 01 · The pyramid: how many scales, of what size
#
# SinGAN learns one image with a **pyramid of GANs**, one per scale, trained from the
# coarsest to the finest (paper §2.1, Fig. 4). Before any network exists, the image is
# turned into a pyramid of downscaled copies
#
# $$x_N,\; x_{N-1},\; \dots,\; x_0, \qquad x_n = x \downarrow r^{n},$$
#
# with a factor $r < 1$ (paper: $r \approx 4/3$ *upsampling*, i.e. $r = 3/4$ here). Each
# scale's GAN only has to learn what is new at its resolution: coarse scales the global
# layout, fine scales texture and detail.
#
# **Index direction.** The paper counts $n = N$ (coarsest) down to $n = 0$ (finest). The
# code counts the other way, in training order: **scale `k = 0` is the coarsest**, `k =
# N` the finest, so our scale `k` is the paper's $n = N - k$.
#
# This notebook needs no training, only the schedule (`scale_schedule`), the pyramid
# (`build_pyramid`) and the MATLAB-style resize behind it (`imresize`).

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

from singan_keras import build_pyramid, data, preset, scale_schedule  # noqa: E402

# `singan_keras.imresize` is also the name of the module that defines the function, so
# import the function from its module (`from singan_keras import imresize` can give you
# the module, once `build_pyramid` has loaded it).
from singan_keras.imresize import imresize  # noqa: E402

# %% [markdown]
# ## Parameters
#
# Quick mode uses the `quick` preset (finest scale at most 64 px), full mode the paper's
# (at most 250 px). Nothing here is slow; the switch only changes the numbers you see.

# %%
MODE = os.environ.get("SINGAN_TUTORIAL_MODE", "quick")  # "quick" or "full"
IMAGE = "rocket"  # any of data.list_images()
CONFIG = preset("paper") if MODE == "full" else preset("quick")
print(f"mode {MODE}: min_size={CONFIG.min_size}, max_size={CONFIG.max_size}, "
      f"nominal r0={CONFIG.scale_factor}")


def show(image):
    """Images live in [-1, 1]; matplotlib wants [0, 1]."""
    return np.clip((image + 1) / 2, 0, 1)


# %%
print("bundled images:", data.list_images())
image = data.load_image(IMAGE)  # (H, W, 3) float32 in [-1, 1]
print(IMAGE, image.shape, image.dtype, f"range [{image.min():.2f}, {image.max():.2f}]")
plt.imshow(show(image))
plt.title(f"{IMAGE}: {image.shape[0]}x{image.shape[1]}")
plt.axis("off")
plt.show()

# %% [markdown]
# ## 1. The schedule
#
# Three numbers set the pyramid: the nominal factor $r_0 = 0.75$, `min_size` (the shorter
# side of the coarsest scale, 25 px) and `max_size` (the longer side of the finest scale,
# 250 px). The reference code (`adjust_scales2image`) derives the rest, and so do we:
#
# 1. downscale the image so the longer side is at most `max_size`:
#    $s = \min(\text{max\_size} / \max(H, W),\, 1)$, giving $H' \times W'$;
# 2. count scales with the *nominal* factor, on the original size:
#    $N_0 = \lceil \log_{r_0}(\text{min\_size} / \min(H, W)) \rceil + 1$ and
#    $k = \lceil \log_{r_0}(\min(\text{max\_size}, \max(H,W)) / \max(H, W)) \rceil$,
#    then $N = N_0 - k$ (so $N + 1$ scales are trained);
# 3. **recompute** the factor on the resized image so the coarsest shorter side is
#    exactly `min_size`: $r = (\text{min\_size} / \min(H', W'))^{1/N}$;
# 4. scale $i$ has size $\lceil H' r^{N - i} \rceil \times \lceil W' r^{N - i} \rceil$.

# %%
schedule = scale_schedule(*image.shape[:2], scale_factor=CONFIG.scale_factor,
                          min_size=CONFIG.min_size, max_size=CONFIG.max_size)
print(schedule)

# %% [markdown]
# Let us redo steps 1–4 by hand with `math` and check every number against the library:

# %%
import math  # noqa: E402

H, W = image.shape[:2]
r0, min_size, max_size = CONFIG.scale_factor, CONFIG.min_size, CONFIG.max_size
s = min(max_size / max(H, W), 1.0)                                          # step 1
H1, W1 = math.ceil(H * s), math.ceil(W * s)
N0 = math.ceil(math.log(min_size / min(H, W), r0)) + 1                      # step 2
k = math.ceil(math.log(min(max_size, max(H, W)) / max(H, W), r0))
N = N0 - k
r = (min_size / min(H1, W1)) ** (1 / N)                                     # step 3
sizes = [(math.ceil(H1 * r ** (N - i)), math.ceil(W1 * r ** (N - i))) for i in range(N + 1)]

print(f"resize {s:.4f} -> {H1}x{W1}; N0={N0}, k={k}, N={N}; r={r:.4f} (nominal {r0})")
assert (H1, W1) == schedule.resized_shape
assert math.isclose(r, schedule.scale_factor)
assert tuple(sizes) == schedule.sizes
print("hand computation == scale_schedule ✓")

# %% [markdown]
# The recomputed factor is usually *larger* than 0.75 (0.76–0.84): the number of scales
# is rounded up, so each step has to shrink a bit less to land exactly on `min_size`.
# The reference values for the paper's images are a good test of the whole recipe:

# %%
paper_images = {  # name: (H, W) -> (scales, r) measured with the reference code
    "balloons": ((186, 248), (9, 0.7781)),
    "birds": ((164, 244), (9, 0.7905)),
    "tree": ((250, 250), (11, 0.7943)),
    "mountains3": ((171, 256), (8, 0.7624)),
    "zebra": ((380, 572), (9, 0.7887)),
}
for name, ((h, w), (scales, factor)) in paper_images.items():
    sched = scale_schedule(h, w)  # the paper's defaults
    ok = sched.num_scales == scales and round(sched.scale_factor, 4) == factor
    print(f"{name:11s} {h}x{w}: {sched.num_scales:2d} scales, r={sched.scale_factor:.4f}, "
          f"coarsest {sched.sizes[0]}, finest {sched.sizes[-1]}  {'✓' if ok else '✗'}")

# %% [markdown]
# ## 2. The images of every scale
#
# `build_pyramid` resizes the image to every size of the schedule with a MATLAB-style
# bicubic, **antialiased** when downscaling (the kernel is widened by $1/r$ so high
# frequencies are averaged away instead of aliasing). The same resize is used for every
# upsampling between scales during training and sampling.
#
# Below, each scale is drawn **at its true relative size** (one pixel = one pixel), and
# labelled both ways: our `k` and the paper's $n = N - k$.

# %%
pyramid = build_pyramid(image, schedule)  # list of (h, w, 3), coarsest first
gap = 6
canvas_h = max(p.shape[0] for p in pyramid)
canvas_w = sum(p.shape[1] for p in pyramid) + gap * (len(pyramid) - 1)
canvas = np.ones((canvas_h, canvas_w, 3))
x0 = 0
for p in pyramid:  # bottom-aligned, left to right
    canvas[canvas_h - p.shape[0]:, x0:x0 + p.shape[1]] = show(p)
    x0 += p.shape[1] + gap

fig, ax = plt.subplots(figsize=(canvas_w / 40, canvas_h / 40 + 1))
ax.imshow(canvas, interpolation="nearest")
x0 = 0
for i, p in enumerate(pyramid):
    ax.text(x0, canvas_h - p.shape[0] - 2,
            f"k={i} (n={N - i})\n{p.shape[0]}x{p.shape[1]}", fontsize=8, va="bottom")
    x0 += p.shape[1] + gap
ax.set_title(f"{IMAGE}: {schedule.num_scales} scales, r = {schedule.scale_factor:.4f}",
             pad=28)
ax.axis("off")
plt.show()

# %% [markdown]
# The sizes follow a geometric sequence, so on a log axis they lie on straight lines of
# slope $\log r$. The rounding up ($\lceil\cdot\rceil$) is visible as small steps off the
# line, and it is why the coarsest side can be `min_size + 1`.

# %%
ks = np.arange(schedule.num_scales)
heights = np.array([h for h, _ in schedule.sizes])
widths = np.array([w for _, w in schedule.sizes])
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.semilogy(ks, heights, "o", label="height (ceil)")
ax.semilogy(ks, widths, "s", label="width (ceil)")
ax.semilogy(ks, H1 * r ** (N - ks), "-", lw=0.8, label=r"$H' r^{N-k}$")
ax.semilogy(ks, W1 * r ** (N - ks), "-", lw=0.8, label=r"$W' r^{N-k}$")
ax.axhline(min_size, ls=":", c="gray", label="min_size")
ax.set_xlabel("scale k (0 = coarsest)")
ax.set_ylabel("pixels")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## 3. Why antialiasing matters
#
# The pyramid's coarse scales must be faithful *low-pass* versions of the image, because
# the coarsest GAN learns the layout from them. Downscale a fine checkerboard with and
# without the antialiasing kernel: the naive resize (pick every $1/r$-th pixel) invents
# low-frequency patterns that are not in the image (aliasing); `imresize` averages them to
# grey, which is the right answer.

# %%
yy, xx = np.mgrid[0:96, 0:96]
checker = np.where((yy // 2 + xx // 2) % 2 == 0, 1.0, -1.0).astype("float32")
checker = np.repeat(checker[..., None], 3, axis=-1)
target = (int(96 * 0.3), int(96 * 0.3))
naive = checker[np.round(np.linspace(0, 95, target[0])).astype(int)][
    :, np.round(np.linspace(0, 95, target[1])).astype(int)]
smooth = imresize(checker, target)
fig, axes = plt.subplots(1, 3, figsize=(8, 3))
for ax, img, title in zip(axes, [checker, naive, smooth],
                          ["input 96x96", "naive subsampling", "imresize (antialiased)"],
                          strict=True):
    ax.imshow(show(img), interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.axis("off")
plt.show()
print(f"std of the downscaled image: naive {naive.std():.3f}, imresize {smooth.std():.3f}")

# %% [markdown]
# ## 4. What `max_size` and `min_size` do
#
# `max_size` caps the finest resolution (cost grows with pixels); `min_size` sets how
# coarse the coarsest scale is, i.e. how *global* the structure the first GAN sees. The
# critic looks at 11×11 patches (notebook 02), so at `min_size = 25` one patch covers
# almost half the coarsest image: that is what lets SinGAN learn the layout there.

# %%
for mx in (64, 128, 250):
    for mn in (19, 25, 33):
        sch = scale_schedule(H, W, min_size=mn, max_size=mx)
        print(f"max_size={mx:3d} min_size={mn}: {sch.num_scales:2d} scales, "
              f"r={sch.scale_factor:.3f}, {sch.sizes[0]} -> {sch.sizes[-1]}")

# %% [markdown]
# ## Summary
#
# * The pyramid has $N+1$ scales from `min_size` (shorter side, coarsest) to `max_size`
#   (longer side, finest); **scale 0 is the coarsest in the code** (the paper's $x_N$).
# * The nominal factor 0.75 only sets the *number* of scales; the actual factor $r$ is
#   recomputed so the coarsest scale lands on `min_size` exactly.
# * Sizes are $\lceil H' r^{N-k} \rceil$, so every scale is resized from the *finest*
#   image, not from its neighbour.
# * Downscaling is antialiased MATLAB-style bicubic (`imresize`), the same resize used
#   between scales during training and sampling.
#
# ## Exercises
#
# 1. Which of the bundled images gives the most scales in the paper setting? Explain from
#    the formula for $N$.
# 2. Show that with $r$ recomputed, the coarsest *shorter* side is `min_size` or
#    `min_size + 1`. When exactly is it `min_size + 1`?
# 3. Build the pyramid by repeatedly resizing each scale from its finer neighbour instead
#    of from the finest image. Compare with `build_pyramid` (max absolute difference per
#    scale). Why does the reference resize from the finest image?
# 4. For a panorama of 200×800 pixels, print the schedule. How many scales, and what is
#    the coarsest size? What would an 11×11 critic see at the coarsest scale?
