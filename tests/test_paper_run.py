"""`benchmarks/paper_run.py` on a CPU with tiny settings, the device `singan env` reports, and
that sampling keeps images on the device from scale to scale (issue 18).

The benchmark runs once for the module, under the active backend, in a subprocess (2 scales of
the `paper` preset's networks on `rocket` shrunk to 24 px, 3 iterations each).
"""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from singan_keras import backends, data, scale_schedule
from singan_keras.cli import main
from singan_keras.models import build_generator
from singan_keras.sampling import SampleOptions, TrainedPyramid, generate, reconstruct

REPO = Path(__file__).resolve().parents[1]
BACKEND = keras.backend.backend()
MAX_SIZE, MIN_SIZE, ITERATIONS = 24, 16, 3
PADDING, COLUMNS, SAMPLES = 2, 4, 8  # the grid save_grid draws: 2 px of black between tiles
FULL_ITERATIONS = 2000  # the paper's iterations per scale (§4)


@pytest.fixture(scope="module")
def paper_run(tmp_path_factory):
    """(stdout, table path) of one tiny `paper_run.py` under the active backend."""
    out = tmp_path_factory.mktemp("paper_run") / "table.md"
    command = [
        sys.executable, str(REPO / "benchmarks" / "paper_run.py"), "--backends", BACKEND,
        "--max-size", str(MAX_SIZE), "--min-size", str(MIN_SIZE), "--iters", str(ITERATIONS),
        "--out", str(out),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout, out


def _expected_sizes() -> list[tuple[int, int]]:
    height, width = data.load_image("rocket").shape[:2]
    return list(scale_schedule(height, width, 0.75, MIN_SIZE, MAX_SIZE).sizes)


def _scale_rows(text: str) -> list[list[str]]:
    """Cells of the per-scale table (rows whose first cell is a scale index)."""
    rows = [line.strip("|").split("|") for line in text.splitlines() if re.match(r"\| \d", line)]
    return [[cell.strip() for cell in row] for row in rows]


def test_one_row_per_scale_with_the_schedules_sizes_and_the_papers_channels(paper_run):
    _, out = paper_run
    rows = _scale_rows(out.read_text())
    sizes = _expected_sizes()
    assert len(sizes) == 2  # the settings above give the smallest pyramid SinGAN trains
    assert [row[1] for row in rows] == [f"{h}×{w}" for h, w in sizes]
    # Paper §4 / the reference: 32 channels, doubled every 4 scales, at most 128.
    assert [int(row[2]) for row in rows] == [min(32 * 2 ** (k // 4), 128) for k in range(2)]
    seconds_per_iteration = [float(row[3]) for row in rows]
    assert all(0 < s < 60 for s in seconds_per_iteration)
    assert all(float(row[4]) >= 0 for row in rows)


def test_the_extrapolation_is_the_sum_of_2000_iterations_and_compile_per_scale(paper_run):
    stdout, out = paper_run
    rows = _scale_rows(out.read_text())
    expected = sum(FULL_ITERATIONS * float(row[3]) + float(row[4]) for row in rows)
    [printed] = re.findall(rf"extrapolated {BACKEND}: .* = ([\d.]+) s", stdout)
    # Printed to 0.1 s: rounding is off by at most 0.05 (exactly 0.05 for a value like 157.25,
    # which rounds half to even), plus the float error of summing the table's numbers.
    half_step = 0.05 + 1e-6
    assert float(printed) == pytest.approx(expected, abs=half_step)
    [run_row] = [line for line in out.read_text().splitlines() if line.startswith(f"| {BACKEND} |")]
    in_table = re.search(r"\| ([\d.]+) s \(", run_row).group(1)
    assert float(in_table) == pytest.approx(expected, abs=half_step)


def test_the_run_row_names_the_device_and_its_memory(paper_run):
    _, out = paper_run
    [run_row] = [line for line in out.read_text().splitlines() if line.startswith(f"| {BACKEND} |")]
    cells = [cell.strip() for cell in run_row.strip("|").split("|")]
    assert cells[1] == backends.default_device()
    assert float(cells[2]) > 0 and float(cells[4]) > 50  # total s; peak RSS MB (a Python)
    assert (cells[5] == "n/a") == (cells[1] == "cpu")


def test_the_sample_grid_has_8_tiles_of_the_finest_size(paper_run):
    _, out = paper_run
    grid_path = out.with_name(f"{out.stem}_{BACKEND}.png")
    with Image.open(grid_path) as image:
        grid = np.asarray(image.convert("RGB"))
    height, width = _expected_sizes()[-1]
    rows = SAMPLES // COLUMNS
    assert grid.shape == (
        rows * (height + PADDING) + PADDING,
        COLUMNS * (width + PADDING) + PADDING,
        3,
    )
    tiles = []
    for index in range(SAMPLES):
        top = PADDING + (index // COLUMNS) * (height + PADDING)
        left = PADDING + (index % COLUMNS) * (width + PADDING)
        tiles.append(grid[top : top + height, left : left + width])
        # the padding around each tile is black: the tiles are where they should be
        assert not grid[top - PADDING : top, left : left + width].any()
        assert not grid[top : top + height, left - PADDING : left].any()
    assert all(tile.std() > 0 for tile in tiles)  # each tile is an image
    assert len({tile.tobytes() for tile in tiles}) == SAMPLES  # 8 different samples


@pytest.fixture
def paper_run_module(monkeypatch):
    """benchmarks/paper_run.py imported; it and its neighbours (`common`, `train_step`, top-level
    names) leave sys.modules afterwards."""
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    before = set(sys.modules)
    spec = importlib.util.spec_from_file_location("paper_run", REPO / "benchmarks/paper_run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["paper_run"] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        for name in set(sys.modules) - before:
            del sys.modules[name]


def test_device_slug_names_the_gpu_or_says_cpu(paper_run_module):
    paper_run = paper_run_module
    assert paper_run.device_slug(["cpu", "cpu"]) == "cpu"
    assert paper_run.device_slug(["cpu", "cuda:0 (NVIDIA H100 80GB HBM3)"]) == (
        "nvidia_h100_80gb_hbm3"
    )


# -- `singan env` -------------------------------------------------------------------------------


def test_env_prints_the_device_the_backend_will_use(capsys):
    assert main(["env"]) == 0
    [row] = [line for line in capsys.readouterr().out.splitlines() if line.startswith("device ")]
    device = row.split(None, 1)[1]
    assert device == backends.default_device()
    # On a machine without accelerators the backend runs on the CPU, else on one of them.
    assert (device == "cpu") == (not backends.accelerators())


# -- sampling keeps images on the device -------------------------------------------------------


class _HostCopies:
    """Counts `keras.ops.convert_to_numpy` calls: the package's one device -> host path
    (`singan_keras.layout.to_numpy_nhwc`)."""

    def __init__(self, monkeypatch):
        self.count = 0
        original = keras.ops.convert_to_numpy

        def counted(x):
            self.count += 1
            return original(x)

        monkeypatch.setattr(keras.ops, "convert_to_numpy", counted)


def _pyramid(num_scales: int) -> TrainedPyramid:
    sizes = [(11 + 3 * k, 12 + 3 * k) for k in range(num_scales)]
    generators = [build_generator(4, seed=k) for k in range(num_scales)]
    z_star = np.zeros((*sizes[0], 3), np.float32)
    return TrainedPyramid(generators, [1.0] + [0.1] * (num_scales - 1), sizes, z_star)


@pytest.mark.parametrize("num_samples, batch_size, batches", [(3, 16, 1), (4, 2, 2)])
def test_sampling_copies_to_the_host_once_per_batch_whatever_the_number_of_scales(
    monkeypatch, num_samples, batch_size, batches
):
    pyramids = {k: _pyramid(k) for k in (2, 5)}
    options = SampleOptions(num_samples=num_samples, seed=0, batch_size=batch_size)
    copies = _HostCopies(monkeypatch)
    for num_scales, pyramid in pyramids.items():
        copies.count = 0
        samples = generate(pyramid, options)
        assert samples.shape[0] == num_samples
        assert copies.count == batches, f"{num_scales} scales"


def test_the_host_copy_counter_sees_a_copy_per_scale(monkeypatch):
    """The counter can fail: `reconstruct` returns every scale's image, one copy per scale."""
    pyramid = _pyramid(4)
    copies = _HostCopies(monkeypatch)
    reconstruct(pyramid.generators, pyramid.noise_amplitudes, pyramid.sizes, pyramid.z_star)
    assert copies.count == 4
