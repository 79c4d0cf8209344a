"""The whole pyramid: training, run directories, sampling, resume, and cross-backend loading."""

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from conftest import requires_backends, smooth_image, tiny_config
from numpy_reference import generator_forward, matlab_resize, network_weights

from singan_keras import RunDirectoryError, SinGAN, scale_schedule
from singan_keras.training import LOSS_NAMES

HERE = Path(__file__).parent


class CallRecorder(keras.callbacks.Callback):
    """Records the calls a user's Keras callback gets, with a copy of their logs."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def on_train_begin(self, logs=None):
        self.calls.append(("train_begin", None))

    def on_train_batch_end(self, batch, logs=None):
        self.calls.append(("batch_end", {k: float(v) for k, v in (logs or {}).items()}))

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(("epoch_end", epoch, dict(logs or {})))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny run, trained once for the module, with every scale reported."""
    run_dir = tmp_path_factory.mktemp("run") / "tiny run é"  # a space and non-ASCII
    reports = []
    recorder = CallRecorder()
    model = SinGAN.train(
        smooth_image(),
        tiny_config(),
        run_dir,
        callbacks=[recorder],
        on_scale_end=lambda m, result: reports.append(result),
        verbose=0,
    )
    model.recorded_calls = recorder.calls
    return model, run_dir, reports


def test_trains_every_scale_of_the_schedule(trained):
    model, run_dir, reports = trained
    schedule = scale_schedule(24, 28, 0.75, 14, 24)
    assert model.num_scales == schedule.num_scales == 3 and model.is_complete
    assert [r.scale for r in reports] == [0, 1, 2]
    assert [r.size for r in reports] == list(schedule.sizes)
    assert [r.channels for r in reports] == [4, 4, 8]
    assert all(len(r.losses["reconstruction"]) == 3 for r in reports)
    assert model.noise_amplitudes[0] == 1.0
    assert all(0 < a < 1 for a in model.noise_amplitudes[1:])


def test_noise_amplitude_is_a_tenth_of_the_rmse(trained):
    """σ_k = 0.1 · RMSE(x_k, (x~rec_{k-1})↑r) (reference: noise_amp_init · RMSE), recomputed
    from the saved files with numpy alone: reals.npz, z_star.npy, the saved generators'
    weights run through `numpy_reference.generator_forward` (z* at scale 0, zero noise above,
    BatchNorm in inference mode) and the loop restatement of MATLAB's bicubic resize."""
    model, run_dir, _ = trained
    loaded = SinGAN.load(run_dir)
    with np.load(run_dir / "reals.npz") as archive:
        reals = [np.asarray(archive[f"scale_{k:02d}"], np.float64) for k in range(3)]
    z_star = np.load(run_dir / "z_star.npy")
    manifest = json.loads((run_dir / "manifest.json").read_text())
    saved_sigmas = [entry["noise_amplitude"] for entry in manifest["scales"]]
    assert saved_sigmas[0] == 1.0 and [r.shape[:2] for r in reals] == list(model.sizes)

    reconstruction = None
    for k, generator in enumerate(loaded.generators):
        weights = network_weights(generator, "g")
        if k == 0:
            previous, noise = np.zeros((1, *reals[0].shape)), z_star[None]
        else:
            previous = matlab_resize(reconstruction, model.sizes[k])[None]
            noise = np.zeros_like(previous)
            rmse = np.sqrt(np.mean((reals[k] - previous[0]) ** 2))
            assert saved_sigmas[k] == pytest.approx(0.1 * rmse, rel=1e-4)
            assert model.noise_amplitudes[k] == pytest.approx(0.1 * rmse, rel=1e-4)
        reconstruction = generator_forward(weights, noise, previous)[0]
    # The library's reconstruction path gives the same finest image.
    np.testing.assert_allclose(model.reconstruct(), reconstruction, atol=1e-4)


def test_run_directory_contents(trained):
    model, run_dir, _ = trained
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["format_version"] == 1
    assert manifest["num_scales"] == 3 and len(manifest["scales"]) == 3
    assert {"singan_keras_version", "keras_version", "backend", "config"} <= set(manifest)
    for k in range(3):
        assert (run_dir / f"scale_{k:02d}" / "generator.weights.h5").is_file()
    assert not list(run_dir.rglob(".tmp-*"))  # no temporary file left behind
    assert (run_dir / ".lock").read_text() == ""  # released: no PID left in it


def test_losses_csv_has_one_row_per_iteration(trained):
    """Keras' CSVLogger writes ``losses.csv``: one row per iteration, the same values as
    ``ScaleResult.losses`` (Keras' History), and no empty ``val_*`` columns."""
    _, run_dir, reports = trained
    for report in reports:
        with open(run_dir / f"scale_{report.scale:02d}" / "losses.csv", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert list(rows[0]) == ["epoch", *sorted(LOSS_NAMES)]
        assert [int(row["epoch"]) for row in rows] == list(range(tiny_config().iterations))
        for name in LOSS_NAMES:
            np.testing.assert_allclose([float(r[name]) for r in rows], report.losses[name])


def test_user_callbacks_see_every_iteration(trained):
    """A user's callback gets Keras' calls for each iteration: one epoch per iteration, with
    the iteration's losses in the logs of both ``on_train_batch_end`` and ``on_epoch_end``."""
    model, _, reports = trained
    iterations = tiny_config().iterations
    calls = model.recorded_calls
    assert [c[0] for c in calls] == (["train_begin"] + ["batch_end", "epoch_end"] * iterations) * 3
    epoch_ends = [c for c in calls if c[0] == "epoch_end"]
    batch_ends = [c for c in calls if c[0] == "batch_end"]
    for k, report in enumerate(reports):
        mine = epoch_ends[k * iterations : (k + 1) * iterations]
        assert [epoch for _, epoch, _ in mine] == list(range(iterations))
        for name in LOSS_NAMES:
            values = [logs[name] for _, _, logs in mine]
            assert values == report.losses[name] and all(np.isfinite(values))
            batch_values = [logs[name] for _, logs in batch_ends[k * iterations :][:iterations]]
            np.testing.assert_allclose(batch_values, values, rtol=1e-6)
        assert 0 < report.first_iteration_seconds < report.seconds


def test_samples_shape_determinism_and_variety(trained):
    model, _, _ = trained
    a = model.sample(4, seed=3)
    assert a.shape == (4, *model.sizes[-1], 3) and a.dtype == np.float32
    np.testing.assert_array_equal(a, model.sample(4, seed=3))
    assert not np.allclose(a, model.sample(4, seed=4))
    spread = np.abs(a[0] - a[1]).mean()
    assert spread > 1e-6  # different noise, different images (a barely trained G: small)
    # Batch composition does not change an image (BatchNorm runs in inference mode): the
    # first image drawn alone equals the first of the batch far below the sample spread.
    assert np.abs(model.sample(1, seed=3) - a[:1]).max() < 0.05 * spread


def test_sample_any_size_and_start_scale(trained):
    model, _, _ = trained
    h, w = model.sizes[-1]
    wide = model.sample(2, height_scale=1.0, width_scale=2.0, seed=0)
    assert wide.shape == (2, h, round(w * 2.0), 3)
    tall = model.sample(1, height_scale=1.5, width_scale=0.75, seed=0)
    assert tall.shape == (1, round(h * 1.5), round(w * 0.75), 3)
    for start_input in ("reconstruction", "real"):
        late = model.sample(3, start_scale=2, seed=0, start_input=start_input)
        early = model.sample(3, start_scale=0, seed=0)
        # starting later fixes the coarse structure: samples vary less
        assert late.std(axis=0).mean() < early.std(axis=0).mean()
    with pytest.raises(ValueError, match="start_scale must be between 0 and 2"):
        model.sample(1, start_scale=3)


def test_sampling_records_no_gradients(trained):
    """Every generator call of sampling and reconstruction runs with autograd off on torch
    (a recorded chain of scales would keep all their activations alive)."""
    import keras

    from singan_keras.applications import super_resolve
    from singan_keras.sampling import SampleOptions, TrainedPyramid, generate, reconstruct

    model, _, _ = trained
    recording = []

    class Recorder:
        def __init__(self, generator):
            self.generator = generator
            self.variables = generator.variables  # what a compiled reconstruction reads

        def __call__(self, inputs, training):
            if keras.backend.backend() == "torch":
                import torch

                recording.append(torch.is_grad_enabled())
            else:
                recording.append(False)
            return self.generator(inputs, training=training)

    generators = [Recorder(g) for g in model.generators]
    args = (generators, model.noise_amplitudes, model.sizes)
    pyramid = TrainedPyramid(*args)
    assert generate(pyramid, SampleOptions(2, seed=0)).shape == (2, *model.sizes[-1], 3)
    assert len(reconstruct(*args, model.z_star)) == model.num_scales
    finest = model.generators[-1]
    model.generators[-1] = Recorder(finest)
    try:
        with pytest.warns(UserWarning, match="SR mode"):
            super_resolve(model, 2, seed=0)
    finally:
        model.generators[-1] = finest
    assert len(recording) == 2 * model.num_scales + 3 and not any(recording)


def test_reconstruction_path_is_deterministic(trained):
    model, _, _ = trained
    rec = model.reconstruct()
    assert rec.shape == (*model.sizes[-1], 3)
    np.testing.assert_array_equal(rec, model.reconstruct())


def test_save_load_round_trip_reproduces_samples(trained, tmp_path):
    model, run_dir, _ = trained
    loaded = SinGAN.load(run_dir)
    np.testing.assert_array_equal(loaded.sample(3, seed=9), model.sample(3, seed=9))
    saved = model.save(tmp_path / "copy")
    np.testing.assert_array_equal(SinGAN.load(saved).sample(2, seed=1), model.sample(2, seed=1))


def test_same_seed_same_training(trained):
    model, _, _ = trained
    again = SinGAN.train(smooth_image(), tiny_config(), verbose=0)
    for g1, g2 in zip(model.generators, again.generators, strict=True):
        for w1, w2 in zip(g1.get_weights(), g2.get_weights(), strict=True):
            np.testing.assert_allclose(w1, w2, rtol=1e-5, atol=1e-6)


def test_resume_continues_at_the_first_unfinished_scale(trained, tmp_path):
    model, run_dir, _ = trained
    interrupted = tmp_path / "interrupted"
    shutil.copytree(run_dir, interrupted)
    manifest = json.loads((interrupted / "manifest.json").read_text())
    manifest["scales"] = manifest["scales"][:1]  # as if killed during scale 1
    (interrupted / "manifest.json").write_text(json.dumps(manifest))
    assert SinGAN.load(interrupted).num_scales == 1
    reports = []
    resumed = SinGAN.train(
        smooth_image(),
        tiny_config(),
        interrupted,
        resume=True,
        on_scale_end=lambda m, r: reports.append(r.scale),
        verbose=0,
    )
    assert reports == [1, 2]
    assert resumed.num_scales == model.num_scales == SinGAN.load(interrupted).num_scales
    # scale 0 was not retrained
    for w1, w2 in zip(
        resumed.generators[0].get_weights(), model.generators[0].get_weights(), strict=True
    ):
        np.testing.assert_array_equal(w1, w2)


def test_resume_refuses_other_settings_and_fresh_train_refuses_a_used_dir(trained):
    _, run_dir, _ = trained
    with pytest.raises(RunDirectoryError, match="iterations"):
        SinGAN.train(smooth_image(), tiny_config(iterations=5), run_dir, resume=True, verbose=0)
    with pytest.raises(RunDirectoryError, match="already holds"):
        SinGAN.train(smooth_image(), tiny_config(), run_dir, verbose=0)


def test_load_refuses_a_future_format_and_a_corrupt_weights_file(trained, tmp_path):
    _, run_dir, _ = trained
    future = tmp_path / "future"
    shutil.copytree(run_dir, future)
    manifest = json.loads((future / "manifest.json").read_text())
    manifest["format_version"] = 99
    (future / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(RunDirectoryError, match="newer"):
        SinGAN.load(future)
    corrupt = tmp_path / "corrupt"
    shutil.copytree(run_dir, corrupt)
    (corrupt / "scale_01" / "generator.weights.h5").write_bytes(b"not an h5 file")
    with pytest.raises(RunDirectoryError, match="scale_01"):
        SinGAN.load(corrupt)
    with pytest.raises(RunDirectoryError, match="not a run directory"):
        SinGAN.load(tmp_path)


SAMPLE_SCRIPT = r"""
import sys, numpy as np
from singan_keras import SinGAN
np.save(sys.argv[2], SinGAN.load(sys.argv[1]).sample(3, seed=5, width_scale=1.3))
"""


@requires_backends("tensorflow", "jax", "torch")
def test_a_run_samples_identically_under_every_backend(trained, tmp_path, backend):
    model, run_dir, _ = trained
    expected = model.sample(3, seed=5, width_scale=1.3)
    for other in {"tensorflow", "jax", "torch"} - {backend}:
        out_file = tmp_path / f"{other}.npy"
        result = subprocess.run(
            [sys.executable, "-c", SAMPLE_SCRIPT, str(run_dir), str(out_file)],
            env=dict(os.environ, KERAS_BACKEND=other),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        np.testing.assert_allclose(np.load(out_file), expected, atol=1e-4)


def test_train_accepts_a_bundled_image_name_and_rejects_bad_arrays():
    from singan_keras import data

    name = data.list_images()[0]
    with pytest.raises(ValueError, match="too small"):
        SinGAN.train(name, tiny_config(min_size=300, max_size=400), verbose=0)
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        SinGAN.train(np.zeros((10, 10), np.float32), tiny_config(), verbose=0)
    with pytest.raises(FileNotFoundError):
        SinGAN.train("no-such-image.png", tiny_config(), verbose=0)
