"""Super-resolution quality: SinGAN's SR chain against bicubic, step by step (paper Fig. 10).

The benchmark plays the standard SR game on one image: the given image is the ground truth
`HR` (cropped to a multiple of the factor), `LR` is its bicubic (antialiased) reduction by
`--factor`, SinGAN is trained on `LR` alone in the SR mode (`super_resolution_config`), and
`LR` is super-resolved back. For every SR step j = 1..k (size round(LR · r^j)) the table gives
the RMSE against `HR` brought to that size of

* the SinGAN chain (`super_resolve(model, r**j)`: j steps through the finest generator),
* bicubic upsampling of `LR` straight to that size,
* *one* SinGAN step from the true image one step smaller (`HR` resized), next to bicubic
  for the same single step — whether a single step already loses to bicubic, or only the
  chain (errors compounding) does;

and, at the final size, the patch SWD (`singan_keras.metrics`) of SinGAN and bicubic against
`HR`. The paper's SR inputs (BSD100, ×4) are about 120×80 px; the bundled images are at most
250 px, so the default (`chelsea`, ×4) gives a 62×41 `LR`: pass a larger photograph with
`--image` for BSD-sized inputs.

    KERAS_BACKEND=torch python benchmarks/super_resolution.py --iters 250
    KERAS_BACKEND=torch python benchmarks/super_resolution.py --image photo.png  # paper settings
    # a BSD100-sized LR (112x75): scikit-image's original 451x300 `chelsea` (CC0)
    python -c "import skimage.data as d, PIL.Image as I; I.fromarray(d.chelsea()).save('hr.png')"
    KERAS_BACKEND=torch python benchmarks/super_resolution.py --image hr.png --iters 250
    python benchmarks/super_resolution.py --run-dir runs/sr --image photo.png     # reuse a run

Writes the table to stdout and to `benchmarks/results/super_resolution_<device>.md` (`--out`).
"""

from __future__ import annotations

import argparse
import pathlib
import platform
import shlex
import sys
import time
from datetime import date

from common import device_name, positive_int, write_results

COLUMNS = ("step j", "size", "SinGAN chain", "bicubic", "one G step", "one bicubic step")


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Train SinGAN's SR mode on a reduced image and compare its SR chain with "
        "bicubic, step by step (RMSE against the original; patch SWD at the end).",
        epilog="example: KERAS_BACKEND=torch python benchmarks/super_resolution.py --iters 250",
    )
    parser.add_argument(
        "--image",
        default="chelsea",
        metavar="IMAGE",
        help="the ground-truth image: a file or a bundled image name (default: chelsea).",
    )
    parser.add_argument(
        "--factor", type=float, default=4.0, metavar="S", help="SR factor > 1 (default: 4)."
    )
    parser.add_argument(
        "--preset",
        choices=("paper", "quick"),
        default="paper",
        help="preset the SR mode starts from (default: paper; channels and iterations).",
    )
    parser.add_argument(
        "--iters",
        type=positive_int,
        default=None,
        metavar="N",
        help="iterations per scale (default: the preset's; paper 2000).",
    )
    parser.add_argument(
        "--seed", type=int, default=0, metavar="S", help="training and SR noise seed (default 0)."
    )
    parser.add_argument(
        "--run-dir",
        type=pathlib.Path,
        default=None,
        metavar="DIR",
        help="train into DIR, or load the model from DIR when it holds a finished run.",
    )
    parser.add_argument(
        "--out",
        type=pathlib.Path,
        default=None,
        metavar="FILE",
        help="markdown file to write (default: benchmarks/results/super_resolution_<device>.md).",
    )
    args = parser.parse_args(argv)
    if not args.factor > 1:
        parser.error(f"--factor must be > 1, got {args.factor}")
    return args


def _rmse(image, truth) -> float:
    import numpy as np

    return float(np.sqrt(np.mean((np.clip(image, -1, 1) - truth) ** 2)))


def _trained_model(args, low_res):
    from singan_keras import SinGAN
    from singan_keras.applications import super_resolution_config

    if args.run_dir is not None and (args.run_dir / "manifest.json").exists():
        model = SinGAN.load(args.run_dir)
        if model.reals[-1].shape != low_res.shape:
            sys.exit(
                f"{args.run_dir} was trained on a {model.reals[-1].shape[:2]} image, "
                f"not on this LR {low_res.shape[:2]}"
            )
        return model, None
    overrides = {"max_size": max(low_res.shape[:2]), "seed": args.seed}
    if args.iters is not None:
        overrides["iterations"] = args.iters
    config = super_resolution_config(args.factor, base=args.preset, **overrides)
    start = time.perf_counter()
    model = SinGAN.train(low_res, config, run_dir=args.run_dir, verbose=0)
    return model, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)

    import keras
    import numpy as np

    from singan_keras import data, load_image
    from singan_keras.applications import super_resolve
    from singan_keras.applications.super_resolution import super_resolution_steps
    from singan_keras.imresize import imresize
    from singan_keras.metrics import sliced_wasserstein_distance
    from singan_keras.sampling import NoiseMaps, TrainedPyramid, run_batches

    factor = args.factor
    bundled = args.image in data.list_images()
    full = load_image(data.image_path(args.image) if bundled else args.image)
    # A crop whose sides divide by an integer factor, so that LR · s is exactly HR's size.
    multiple = round(factor) if float(factor).is_integer() else 1
    height, width = (side // multiple * multiple for side in full.shape[:2])
    high_res = full[:height, :width]
    low_res = np.clip(imresize(high_res, (round(height / factor), round(width / factor))), -1, 1)
    print(f"HR {height}x{width} -> LR {low_res.shape[0]}x{low_res.shape[1]}", file=sys.stderr)

    model, seconds = _trained_model(args, low_res)
    steps, step = super_resolution_steps(factor)
    generator = model.generators[-1]

    # The sizes super_resolve gives: round(LR size · r^j), j = 0..k.
    sizes = [(round(low_res.shape[0] * step**j), round(low_res.shape[1] * step**j))
             for j in range(steps + 1)]  # fmt: skip

    def one_step(previous, size):  # G_finest on `previous` upsampled to `size`, zero noise
        upsampled = imresize(previous, size)
        one_scale = TrainedPyramid([generator], [0.0], [size])
        zero_noise = NoiseMaps([np.zeros((1, *size, 3), np.float32)], start_scale=0)
        return run_batches(one_scale, zero_noise, start_image=upsampled)[0], upsampled

    rows, previous_truth = [], low_res
    for j in range(1, steps + 1):
        size = sizes[j]
        # HR itself at its own size (integer factors), else HR resized to the step's size.
        truth = high_res if size == high_res.shape[:2] else imresize(high_res, size)
        chain = super_resolve(model, step**j, seed=args.seed)
        singan_step, bicubic_step = one_step(previous_truth, size)
        rows.append([
            str(j), f"{size[0]}x{size[1]}", f"{_rmse(chain, truth):.4f}",
            f"{_rmse(imresize(low_res, size), truth):.4f}", f"{_rmse(singan_step, truth):.4f}",
            f"{_rmse(bicubic_step, truth):.4f}",
        ])  # fmt: skip
        previous_truth = truth
    final, bicubic = np.clip(chain, -1, 1), np.clip(imresize(low_res, sizes[-1]), -1, 1)
    swd = {
        name: sliced_wasserstein_distance(truth, image, num_levels=3, seed=args.seed).mean
        for name, image in (("SinGAN", final), ("bicubic", bicubic))
    }

    given = sys.argv[1:] if argv is None else argv
    backend = keras.backend.backend()
    command = f"KERAS_BACKEND={backend} " + shlex.join(
        ["python", "benchmarks/super_resolution.py", *given]
    )
    config = model.config
    header = (
        f"SR ×{factor:g} on `{args.image}` (HR {height}×{width}, LR {low_res.shape[0]}×"
        f"{low_res.shape[1]}): {model.num_scales} training scales, {config.iterations} "
        f"iterations per scale, α = {config.reconstruction_weight:g}, "
        f"k = {steps} steps of r = {step:.4f}; "
        + (f"trained in {seconds:.0f} s" if seconds is not None else f"loaded from {args.run_dir}")
        + ". RMSE against HR at each "
        f"step's size (images in [-1, 1]); lower is better.\n\n"
        f"Final patch SWD against HR: SinGAN {swd['SinGAN']:.4f}, bicubic "
        f"{swd['bicubic']:.4f}.\n\n"
        f"{date.today()}, {device_name()}, Keras {keras.__version__}, backend {backend}, "
        f"Python {platform.python_version()}. Command: `{command}`"
    )
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "|".join("---" for _ in COLUMNS) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    write_results(header, "\n".join(lines), "super_resolution", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
