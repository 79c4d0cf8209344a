"""Tests of the fidelity report (`singan_keras.metrics.fidelity_report`), `singan evaluate`
and `benchmarks/fidelity.py`. One tiny model is trained for the whole module (the JAX backend
compiles every scale); expected values are recomputed here with plain numpy."""

from __future__ import annotations

import argparse
import copy
import json
import math
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from conftest import smooth_image, tiny_config

from singan_keras import SinGAN
from singan_keras.cli.metrics import register, run_evaluate
from singan_keras.metrics import build_sifid_stem, fidelity_report, sifid

REPO = Path(__file__).resolve().parents[1]
NUM = 6  # samples per start scale: enough for a std, cheap on every backend

TOP_KEYS = {
    "metric",
    "backend",
    "num_samples",
    "seed",
    "num_scales",
    "image_size",
    "start_input",
    "clipped_to",
    "swd_levels",
    "sifid_weights",
    "sifid_note",
    "results",
}
RESULT_KEYS = {"start_scale", "paper_scale", "diversity", "swd", "swd_per_level", "sifid"}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """A run directory of a 3-scale model trained for 2 iterations per scale."""
    run = tmp_path_factory.mktemp("runs") / "tiny"
    SinGAN.train(smooth_image(24, 28), tiny_config(iterations=2), run, verbose=0)
    return run


@pytest.fixture(scope="module")
def model(run_dir) -> SinGAN:
    return SinGAN.load(run_dir)


@pytest.fixture(scope="module")
def report(model) -> dict:
    return fidelity_report(model, num_samples=NUM, seed=3)


def _plain_diversity(model: SinGAN, start_scale: int, seed: int) -> float:
    """The paper's diversity restated: per-pixel std over samples / std of the real image."""
    samples = np.clip(model.sample(NUM, start_scale=start_scale, seed=seed), -1, 1)
    samples = samples.astype(np.float64)
    real = np.clip(model.reals[-1].astype(np.float64), -1, 1)
    return float(np.mean(np.std(samples, axis=0)) / np.std(real))


def test_report_has_the_documented_keys_and_finite_values(report, model):
    assert set(report) == TOP_KEYS
    assert json.loads(json.dumps(report)) == report  # plain JSON types only
    assert report["metric"] == "fidelity"
    assert (report["num_samples"], report["seed"]) == (NUM, 3)
    assert report["num_scales"] == model.num_scales == 3
    assert report["image_size"] == list(model.reals[-1].shape[:2])
    # A 20-px side allows two 7-px Laplacian bands (20 -> 10), not three (5).
    assert report["swd_levels"] == 2
    assert report["sifid_weights"] is None and "weights" in report["sifid_note"]

    assert [r["start_scale"] for r in report["results"]] == [0, 1]
    assert [r["paper_scale"] for r in report["results"]] == ["N", "N-1"]
    for result in report["results"]:
        assert set(result) == RESULT_KEYS
        assert result["sifid"] is None
        assert len(result["swd_per_level"]) == report["swd_levels"]
        assert all(math.isfinite(v) and v >= 0 for v in result["swd_per_level"])
        assert result["swd"] == pytest.approx(np.mean(result["swd_per_level"]), rel=1e-12)
        assert math.isfinite(result["diversity"]) and result["diversity"] > 0


def test_diversity_equals_a_plain_numpy_restatement(report, model):
    for result in report["results"]:
        expected = _plain_diversity(model, result["start_scale"], seed=3)
        assert result["diversity"] == pytest.approx(expected, rel=1e-9)


def test_generating_from_n_minus_1_is_less_diverse_than_from_n(report):
    # Measured on this tiny model, every backend: about 3x lower (the coarse layout is fixed).
    full, from_next = (r["diversity"] for r in report["results"])
    assert from_next < full


def test_same_seed_same_numbers_other_seed_other_samples(model, report):
    again = fidelity_report(model, num_samples=NUM, seed=3)
    assert again == report
    other = fidelity_report(model, num_samples=NUM, start_scales=[0], seed=4)
    assert other["results"][0]["diversity"] != report["results"][0]["diversity"]


def test_sifid_is_computed_with_weights_and_matches_a_direct_call(model):
    stem = build_sifid_stem(seed=0)  # random weights: no download
    report = fidelity_report(model, num_samples=NUM, start_scales=[1], seed=3, sifid_weights=stem)
    assert report["sifid_note"] is None and report["sifid_weights"].startswith("keras.Model")
    samples = np.clip(model.sample(NUM, start_scale=1, seed=3), -1, 1)
    expected = sifid(model.reals[-1], samples, weights=stem).mean
    assert report["results"][0]["sifid"] == pytest.approx(expected, rel=1e-6)
    assert math.isfinite(expected) and expected > 0


def test_a_finest_real_that_overshoots_by_resizing_is_clipped_not_rejected(model):
    # Bicubic downscaling of a real photo overshoots [-1, 1] by a little (rocket: 1.0064);
    # SIFID rejects inputs outside [-1, 1], so the report must clip the real image first.
    overshooting = copy.copy(model)
    overshooting.reals = [*model.reals[:-1], np.clip(model.reals[-1] * 1.5, -1.01, 1.01)]
    assert overshooting.reals[-1].max() > 1.0
    stem = build_sifid_stem(seed=0)
    report = fidelity_report(overshooting, num_samples=2, start_scales=[0], seed=0,
                             sifid_weights=stem)  # fmt: skip
    assert math.isfinite(report["results"][0]["sifid"])


def test_default_start_scales_are_clipped_to_a_one_scale_model(model):
    one_scale = SinGAN(
        model.generators[:1],
        model.noise_amplitudes[:1],
        model.schedule,
        model.reals,
        model.z_star,
        model.config,
    )
    report = fidelity_report(one_scale, num_samples=NUM)
    assert [r["start_scale"] for r in report["results"]] == [0]
    assert report["image_size"] == list(model.reals[0].shape[:2])  # the generated scale


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"start_scales": [3]}, "between 0 and 2"),
        ({"start_scales": [-1]}, "between 0 and 2"),
        ({"start_scales": []}, "empty"),
        ({"num_samples": 1}, ">= 2"),
    ],
)
def test_bad_arguments_are_one_line_value_errors(model, kwargs, words):
    with pytest.raises(ValueError, match=words) as error:
        fidelity_report(model, **kwargs)
    assert "\n" not in str(error.value)


def _evaluate_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="singan")
    register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["evaluate", *argv])


def test_evaluate_writes_the_report_as_json_and_prints_a_table(run_dir, model, capsys):
    args = _evaluate_args(str(run_dir), "--num", str(NUM), "--seed", "3")
    assert args.run is run_evaluate
    assert args.run(args) == 0

    written = json.loads((run_dir / "fidelity.json").read_text())
    assert set(written) == TOP_KEYS | {"run_dir"}
    assert written["run_dir"] == str(run_dir)
    direct = fidelity_report(model, num_samples=NUM, seed=3)
    for got, expected in zip(written["results"], direct["results"], strict=True):
        assert set(got) == RESULT_KEYS
        assert got["diversity"] == pytest.approx(expected["diversity"], rel=1e-9)
        assert got["swd"] == pytest.approx(expected["swd"], rel=1e-9)

    lines = capsys.readouterr().out.splitlines()
    rows = [line.split() for line in lines if line.split()[:2] in (["0", "N"], ["1", "N-1"])]
    assert len(rows) == 2
    assert float(rows[0][2]) == pytest.approx(direct["results"][0]["diversity"], abs=1e-4)
    assert any(line.startswith("note: SIFID not computed") for line in lines)


def test_evaluate_json_option_and_chosen_start_scale(run_dir, tmp_path):
    out = tmp_path / "sub" / "report.json"
    args = _evaluate_args(str(run_dir), "--num", "3", "--start-scale", "2", "--json", str(out))
    assert run_evaluate(args) == 0
    written = json.loads(out.read_text())
    assert [(r["start_scale"], r["paper_scale"]) for r in written["results"]] == [(2, "N-2")]


def test_evaluate_bad_start_scale_and_missing_run_are_one_line_errors(run_dir, tmp_path):
    with pytest.raises(ValueError, match="between 0 and 2") as error:
        run_evaluate(_evaluate_args(str(run_dir), "--num", "2", "--start-scale", "7"))
    assert "\n" not in str(error.value)
    with pytest.raises(FileNotFoundError, match="run directory not found"):
        run_evaluate(_evaluate_args(str(tmp_path / "nowhere")))


def test_benchmark_help_runs():
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "fidelity.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    for flag in ("--images", "--iters", "--preset", "--max-size", "--samples"):
        assert flag in done.stdout, flag


@pytest.mark.skipif(
    keras.backend.backend() != "torch",
    reason="the script's own logic does not depend on the backend (fidelity_report is tested "
    "on every backend above)",
)
def test_fidelity_benchmark_compares_presets_with_sigma_per_scale(tmp_path):
    out = tmp_path / "presets.md"
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "fidelity.py"), "--images", "rocket"]
        + ["--preset", "quick", "official", "--max-size", "40", "--iters", "1", "--samples", "2"]
        + ["--out", str(out), "--runs-dir", str(tmp_path / "runs")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text()
    assert "`quick`: max size 40, 1 iterations" in text and "`official`: max size 40" in text
    rows = [line.split(" | ") for line in text.splitlines() if line.startswith("| rocket")]
    assert [row[1] for row in rows] == ["quick", "official"]
    for row, name in zip(rows, ("quick", "official"), strict=True):
        # σ per scale, as the run directory's manifest recorded it (the coarsest's 1 left out)
        manifest = json.loads(
            (tmp_path / "runs" / f"rocket_{name}_torch" / "manifest.json").read_text()
        )
        sigmas = [scale["noise_amplitude"] for scale in manifest["scales"]][1:]
        assert row[3] == str(len(manifest["scales"]))
        assert row[-1].rstrip(" |") == " ".join(f"{sigma:.3f}" for sigma in sigmas)
        assert manifest["config"]["redraw_z_star_each_iteration"] == (name == "official")


@pytest.mark.skipif(
    keras.backend.backend() != "torch",
    reason="the script's own logic does not depend on the backend (two trainings: ~2 min on "
    "TensorFlow or JAX); super_resolve is tested on every backend in test_applications",
)
def test_super_resolution_benchmark_prints_every_step(tmp_path):
    from singan_keras import save_image

    image = tmp_path / "hr.png"
    save_image(smooth_image(81, 90, seed=3), image)  # x4: cropped to 80x88, LR 20x22
    out = tmp_path / "sr.md"
    command = [sys.executable, str(REPO / "benchmarks" / "super_resolution.py"), "--image"]
    done = subprocess.run(
        [*command, str(image), "--preset", "quick", "--iters", "1", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [line for line in out.read_text().splitlines() if line.startswith("| ")]
    assert [row.split(" | ")[1] for row in rows[1:]] == [  # k = 6 steps of 2^(1/3) for x4
        f"{round(20 * 4 ** (j / 6))}x{round(22 * 4 ** (j / 6))}" for j in range(1, 7)
    ]
    assert rows[-1].split(" | ")[1] == "80x88"  # the last step is exactly the ground truth's size
    bicubic = [float(row.split(" | ")[3]) for row in rows[1:]]
    assert all(0 < value < 1 for value in bicubic)
    odd = tmp_path / "odd.md"  # x2.5 of 81x90: LR 32x36, SR 80x90 (HR resized to it)
    done = subprocess.run(
        [*command, str(image), "--factor", "2.5", "--preset", "quick", "--iters", "1"]
        + ["--out", str(odd)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert odd.read_text().splitlines()[-1].split(" | ")[1] == "80x90"
    bad = subprocess.run(
        [*command, str(image), "--factor", "1"], capture_output=True, text=True, timeout=120
    )
    assert bad.returncode == 2 and "--factor must be > 1" in bad.stderr
