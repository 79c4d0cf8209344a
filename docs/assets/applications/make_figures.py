"""Draws the application figures of the docs (paper Figs. 8, 10, 11, 12, 13 and 1).

Every figure has one row per Keras backend the model was *trained* with; all rows are then
sampled in this process with the same seeds, so the rows differ only by training backend.
The models are the `quick` preset on bundled images (super-resolution: its SR mode from the
`quick` preset); a missing run is trained first, in a subprocess under its backend, with the
`singan` CLI, into `--runs DIR` (reused on the next call).

Usage (from the repository root; trains 12 small models on the first call, ~30 min on two
CPU cores):

    KERAS_BACKEND=torch python docs/assets/applications/make_figures.py --runs runs/figures

Writes `start_scales.png`, `super_resolution.png`, `paint_to_image.png`, `editing.png`,
`harmonization.png` and `animation.gif` next to this file (or into `--out DIR`).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BACKENDS = ("tensorflow", "jax", "torch")
SR_FACTOR = 4
SEED = 0


def _finished(run_dir: Path) -> bool:
    """Whether `run_dir` holds a run whose every scale is trained."""
    manifest = run_dir / "manifest.json"
    if not manifest.exists():
        return False
    content = json.loads(manifest.read_text())
    return len(content["scales"]) == len(content["schedule"]["sizes"])


def _ensure_run(runs: Path, image: str, backend: str, super_resolution: bool = False) -> Path:
    """The run directory of `image` trained under `backend`; trains it if missing."""
    name = f"sr_{image}_{backend}" if super_resolution else f"{image}_{backend}"
    run_dir = runs / name
    if _finished(run_dir):
        return run_dir
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2")
    singan = [sys.executable, "-m", "singan_keras"]
    if super_resolution:
        command = [*singan, "super-resolve", image, "--preset", "quick", "--factor",
                   str(SR_FACTOR), "--seed", str(SEED), "--run-dir", str(run_dir),
                   "--out", str(runs / f"{name}.png")]  # fmt: skip
    else:
        command = [*singan, "train", image, "--preset", "quick", "--out", str(run_dir),
                   "--samples", "0", "--quiet"]  # fmt: skip
        if run_dir.exists():  # an interrupted run: finish it
            command.append("--resume")
    print(f"training {name} ...", flush=True)
    subprocess.run(command, env=env, check=True)
    return run_dir


def _show(image):
    import numpy as np

    return np.clip((np.asarray(image, dtype=np.float32) + 1.0) / 2.0, 0.0, 1.0)


def _grid(rows: list[list], row_titles: list[str], column_titles: list[str], path: Path):
    """Saves a grid of [-1, 1] images; every image keeps its own size (no resampling)."""
    from matplotlib.figure import Figure

    if not rows:
        print(f"skipped {path.name}: no finished run")
        return
    height = max(image.shape[0] for row in rows for image in row)
    widths = [max(row[c].shape[1] for row in rows) for c in range(len(rows[0]))]
    scale = 1.5 / height  # inches per pixel of the tallest image
    figure = Figure(figsize=(scale * sum(widths) + 0.8, (scale * height + 0.3) * len(rows) + 0.25))
    axes = figure.subplots(len(rows), len(widths), squeeze=False,
                           gridspec_kw={"width_ratios": widths})  # fmt: skip
    for r, row in enumerate(rows):
        for c, image in enumerate(row):
            axis = axes[r][c]
            axis.imshow(_show(image), interpolation="nearest")
            axis.set_xticks([])
            axis.set_yticks([])
            if r == 0:
                axis.set_title(column_titles[c], fontsize=8)
            if c == 0:
                axis.set_ylabel(row_titles[r], fontsize=8)
    figure.tight_layout(pad=0.3)
    figure.savefig(path, dpi=100)
    print(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=Path, required=True, help="directory of the runs.")
    parser.add_argument("--out", type=Path, default=HERE, help="where to write the figures.")
    parser.add_argument("--frames", type=int, default=30, help="animation frames.")
    parser.add_argument("--no-train", action="store_true",
                        help="use only the finished runs in --runs; skip other rows.")  # fmt: skip
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS),
                        help="training backends, one row each (default: all three).")  # fmt: skip
    args = parser.parse_args(argv)

    import numpy as np

    from singan_keras import SinGAN, load_image
    from singan_keras.applications import (
        animate,
        edit,
        harmonize,
        paint_to_image,
        save_animation,
        super_resolve,
    )
    from singan_keras.data import extra_path
    from singan_keras.imresize import imresize

    backends = [b for b in args.backends if importlib.util.find_spec(b)]
    args.out.mkdir(parents=True, exist_ok=True)

    def models(image: str, super_resolution: bool = False) -> tuple[list, list[str]]:
        """The models of `image`, one per backend, and their row titles."""
        loaded, titles = [], []
        for backend in backends:
            name = f"sr_{image}_{backend}" if super_resolution else f"{image}_{backend}"
            if args.no_train and not _finished(args.runs / name):
                print(f"skipping {name}: no run (--no-train)")
                continue
            loaded.append(SinGAN.load(_ensure_run(args.runs, image, backend, super_resolution)))
            titles.append(f"trained with {backend}")
        return loaded, titles

    # Fig. 8: one sample per start scale (paper: n = N at the left, finer to the right).
    rows = []
    rocket_models, titles = models("rocket")
    for model in rocket_models:
        starts = list(range(model.num_scales))
        samples = [model.sample(1, start_scale=n, seed=SEED)[0] for n in starts]
        rows.append([model.reals[-1], *samples])
    n_max = len(rows[0]) - 2
    _grid(rows, titles, ["training image"] + [f"start n = N−{k}" if k else "start n = N"
                                              for k in range(n_max + 1)],
          args.out / "start_scales.png")  # fmt: skip

    # Fig. 10: x4 super-resolution against bicubic upsampling of the same input.
    rows = []
    sr_models, titles = models("chelsea", super_resolution=True)
    for model in sr_models:
        low = model.reals[-1]
        size = (round(low.shape[0] * SR_FACTOR), round(low.shape[1] * SR_FACTOR))
        rows.append([low, imresize(low, size), super_resolve(model, SR_FACTOR, seed=SEED)])
    _grid(rows, titles, ["input", f"bicubic x{SR_FACTOR}", f"SinGAN x{SR_FACTOR}"],
          args.out / "super_resolution.png")  # fmt: skip

    # Fig. 11: paint-to-image at two injection scales, and with colour quantisation.
    paint = extra_path("rocket_paint.png")
    rows = []
    rocket_models, titles = models("rocket")
    for model in rocket_models:
        shown = imresize(load_image(paint), model.sizes[-1])
        results = [paint_to_image(model, paint, n, seed=SEED) for n in (1, 2)]
        quantized = paint_to_image(model, paint, 1, quantize=True, seed=SEED)
        rows.append([model.reals[-1], shown, *results, quantized])
    _grid(rows, titles, ["training image", "paint", "start scale 1", "start scale 2",
                         "scale 1, quantized"], args.out / "paint_to_image.png")  # fmt: skip

    # Figs. 12 and 13: editing and harmonization, blended back outside the dilated mask.
    for image, kind, function, columns in (
        ("brick", "edited", edit, "editing.png"),
        ("hubble_deep_field", "composite", harmonize, "harmonization.png"),
    ):
        changed, mask = extra_path(f"{image}_{kind}.png"), extra_path(f"{image}_{kind}_mask.png")
        rows = []
        image_models, titles = models(image)
        for model in image_models:
            shown = imresize(load_image(changed), model.sizes[-1])
            mask_shown = np.repeat(imresize(load_image(mask), model.sizes[-1])[..., :1], 3, -1)
            results = [function(model, changed, mask, n, seed=SEED) for n in (1, 2)]
            rows.append([model.reals[-1], shown, mask_shown, *results])
        _grid(rows, titles, ["training image", kind, "mask", "start scale 1", "start scale 2"],
              args.out / columns)  # fmt: skip

    # Fig. 1: the random walk of every backend's model side by side in one GIF; from the
    # coarsest scale, since a quick model's finer scales have too little noise to move.
    videos = [animate(model, frames=args.frames, start_scale=0, seed=SEED)
              for model in models("rocket")[0]]  # fmt: skip
    video = np.concatenate(videos, axis=2)
    video = np.repeat(np.repeat(video, 2, axis=1), 2, axis=2)  # 2x, nearest: quick models are tiny
    save_animation(video, args.out / "animation.gif", fps=10)
    print(f"wrote {args.out / 'animation.gif'} ({len(videos)} models side by side)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
