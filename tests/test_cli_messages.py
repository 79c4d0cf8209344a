"""What the `singan` commands say: flags and commands, never Python parameters; output paths
checked before any work; requests too large for memory refused before the work; corrupt
manifests refused.

These run under one backend (torch, the cheapest): the wording does not depend on it.
"""

import inspect
import json
import logging
import os
import re
import shutil
from pathlib import Path

import keras
import numpy as np
import pytest
from conftest import smooth_image
from PIL import Image

from singan_keras import SinGAN
from singan_keras.checkpoint import RunDirectoryError
from singan_keras.cli import main, resources
from singan_keras.cli.reporting import cli_wording

one_backend = pytest.mark.skipif(
    keras.backend.backend() != "torch", reason="backend-independent: runs under torch only"
)
pytestmark = one_backend

ROOT = hasattr(os, "geteuid") and os.geteuid() == 0  # permissions do not stop root
TINY = [
    "--max-size", "24", "--min-size", "14", "--scale-factor", "0.75", "--iters", "2",
    "--critic-steps", "1", "--generator-steps", "1", "--channels", "4", "--samples", "2",
    "--quiet",
]  # fmt: skip


def _cli(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _python_names() -> set[str]:
    """Parameter names (with an underscore: not plain words) of the public functions the
    commands call, collected here from their signatures."""
    from singan_keras.applications import animation, editing, paint, super_resolution
    from singan_keras.metrics import report

    functions = [
        SinGAN.sample,
        SinGAN.train,
        super_resolution.super_resolve,
        super_resolution.super_resolution_config,
        animation.animate,
        paint.paint_to_image,
        editing.edit,
        editing.harmonize,
        report.fidelity_report,
    ]
    names = {n for f in functions for n in inspect.signature(f).parameters if "_" in n}
    return names | {f.__name__ for f in functions if "_" in f.__name__}


def _assert_speaks_cli(text: str) -> None:
    for name in _python_names():
        assert not re.search(rf"(?<![\w-]){name}(?![\w-])", text), (name, text)
    assert not re.search(r"\b[a-z_]+=\s", text), text  # "pass name= value"


@pytest.fixture(scope="module")
def image_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("image") / "smooth.png"
    Image.fromarray(((smooth_image() + 1) * 127.5).round().astype(np.uint8)).save(path)
    return path


@pytest.fixture(scope="module")
def trained_run(image_file, tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "run"
    assert main(["train", str(image_file), "--out", str(run), *TINY]) == 0
    return run


# -- wording -------------------------------------------------------------------------------------


def test_cli_wording_keeps_the_flag_and_drops_the_python_name():
    assert cli_wording("frames (--frames) must be >= 1, got 0.") == "--frames must be >= 1, got 0."
    assert "super_resolution_config" not in cli_wording(
        "expected 0.7937 and 100: train it with super_resolution_config(factor)); results"
    )


def test_super_resolve_on_a_normal_run_speaks_cli(trained_run, tmp_path, capsys):
    code, out, err = _cli(
        [
            "super-resolve",
            trained_run,
            "--factor",
            "2",
            "--out",
            tmp_path / "sr.png",
            "--seed",
            "0",
        ],
        capsys,
    )
    assert code == 0, err
    assert "not trained in the SR mode" in out  # the note is there, in CLI words
    assert "singan super-resolve IMAGE --factor" in out
    _assert_speaks_cli(out + err)


def test_evaluate_without_weights_names_the_flag(trained_run, tmp_path, capsys):
    report = tmp_path / "fidelity.json"
    code, out, err = _cli(["evaluate", trained_run, "--num", "2", "--json", report], capsys)
    assert code == 0, err
    assert "--weights" in out
    _assert_speaks_cli(out + err)


def test_application_errors_name_flags(trained_run, tmp_path, capsys):
    paint = tmp_path / "paint.png"
    Image.new("RGB", (28, 24)).save(paint)
    for argv in (
        ["paint", trained_run, paint, "--start-scale", "9", "--out", tmp_path / "p.png"],
        ["animate", trained_run, "--out", tmp_path / "a.gif", "--start-scale", "9"],
    ):
        code, _, err = _cli(argv, capsys)
        assert code == 2 and "--start-scale" in err, err
        _assert_speaks_cli(err)


def test_evaluate_on_an_unfinished_run_says_how_to_finish_it(trained_run, tmp_path, capsys):
    unfinished = tmp_path / "unfinished"
    shutil.copytree(trained_run, unfinished)
    manifest = json.loads((unfinished / "manifest.json").read_text())
    manifest["scales"] = manifest["scales"][:1]
    (unfinished / "manifest.json").write_text(json.dumps(manifest))
    code, _, err = _cli(["evaluate", unfinished, "--num", "2", "--start-scale", "0"], capsys)
    assert code == 0
    assert "unfinished run (1 of" in err and f"--out {unfinished} --resume" in err


# -- output paths, before any work -----------------------------------------------------------------


def _no_loading(monkeypatch):
    """Makes loading or training a model fail loudly: the checks must come first."""

    def forbidden(*args, **kwargs):
        raise AssertionError("the model was loaded or trained before the output was checked")

    monkeypatch.setattr(SinGAN, "load", forbidden)
    monkeypatch.setattr(SinGAN, "train", forbidden)


def test_an_output_under_a_file_fails_before_any_work(
    trained_run, image_file, tmp_path, monkeypatch, capsys
):
    _no_loading(monkeypatch)
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder")
    for argv in (
        ["sample", trained_run, "--num", "1", "--out", a_file / "s"],
        ["super-resolve", trained_run, "--out", a_file / "sr.png"],
        ["animate", trained_run, "--out", a_file / "a.gif"],
        ["paint", trained_run, image_file, "--start-scale", "1", "--out", a_file / "p.png"],
        ["evaluate", trained_run, "--json", a_file / "r.json"],
        ["train", image_file, "--out", a_file / "run", *TINY],
    ):
        code, _, err = _cli(argv, capsys)
        assert code == 2 and f"Not a directory: {a_file}" in err, (argv, err)


@pytest.mark.skipif(ROOT, reason="permissions do not stop root")
def test_a_read_only_target_fails_before_any_work(trained_run, tmp_path, monkeypatch, capsys):
    _no_loading(monkeypatch)
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "sr.png").write_bytes(b"")
    locked.chmod(0o500)
    try:
        for argv, target in (
            (["super-resolve", trained_run, "--out", locked / "sr.png"], locked / "sr.png"),
            (["sample", trained_run, "--num", "1", "--out", locked], locked),
            (["sample", trained_run, "--num", "1", "--out", locked / "new"], locked / "new"),
        ):
            code, _, err = _cli(argv, capsys)
            assert code == 2 and f"Permission denied: {target}" in err, (argv, err)
    finally:
        locked.chmod(0o700)


def test_train_refuses_an_existing_run_before_loading_anything(
    trained_run, image_file, monkeypatch, capsys
):
    _no_loading(monkeypatch)
    code, _, err = _cli(["train", image_file, "--out", trained_run, *TINY], capsys)
    assert code == 2 and "already holds a training run; pass --resume" in err


def test_a_failed_write_names_the_file_asked_for_not_a_temporary(
    trained_run, tmp_path, monkeypatch, capsys
):
    from singan_keras import image_io

    def refuse(image, path, *args, **kwargs):  # what an atomic write reports
        raise PermissionError(13, "Permission denied", str(Path(path).parent / ".sr.png.x1.tmp"))

    monkeypatch.setattr(image_io, "save_image", refuse)
    out = tmp_path / "sr.png"
    code, _, err = _cli(["super-resolve", trained_run, "--out", out, "--seed", "0"], capsys)
    assert code == 2 and err.strip().endswith(f"Permission denied: {out}"), err
    assert ".tmp" not in err


# -- memory ----------------------------------------------------------------------------------------


@pytest.fixture
def one_gib(monkeypatch):
    """The memory available, fixed (the refusals must not depend on the machine)."""
    monkeypatch.setattr(resources, "available_bytes", lambda: 2**30)


def _finest(run: Path) -> tuple[int, int, int]:
    manifest = json.loads((run / "manifest.json").read_text())
    last = manifest["scales"][-1]
    return (*last["size"], last["channels"])


def test_a_huge_sample_is_refused_with_size_estimate_and_flag(
    trained_run, tmp_path, one_gib, monkeypatch, capsys
):
    height, width, _ = _finest(trained_run)
    _no_loading(monkeypatch)
    out = tmp_path / "s"
    argv = ["sample", trained_run, "--num", "1", "--out", out]
    code, _, err = _cli([*argv, "--height-scale", "400", "--width-scale", "400"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"{height * 400}x{width * 400}" in err
    assert re.search(r"at least [\d.]+ (GiB|TiB) of memory \(1\.0 GiB available\)", err)
    assert "--skip-memory-check" in err and not out.exists()


def test_memory_refusals_for_super_resolve_animate_and_train(
    trained_run, image_file, tmp_path, one_gib, monkeypatch, capsys
):
    height, width, _ = _finest(trained_run)
    _no_loading(monkeypatch)
    cases = [
        (["super-resolve", trained_run, "--factor", "400", "--out", tmp_path / "sr.png"],
         f"--factor 400 asks for a {height * 400}x{width * 400} image"),
        (["animate", trained_run, "--frames", "100000000", "--out", tmp_path / "a.gif"],
         f"--frames 100000000 asks for 100000000 frames of {height}x{width}"),
        (["train", "coffee", "--preset", "paper", "--out", tmp_path / "run"],
         "--max-size 250 gives a finest scale of"),
    ]  # fmt: skip
    for argv, expected in cases:
        code, _, err = _cli(argv, capsys)
        assert code == 2 and expected in err and "--skip-memory-check" in err, (argv, err)


def test_the_estimates_are_what_the_docstring_says():
    # 2 images of 10x20 at 8 channels: batch 2 x (3·8 + 9) + 2 x 9 floats per pixel
    assert resources.generation_bytes(10, 20, 8, images=2) == 200 * (2 * 33 + 18) * 4
    assert resources.training_bytes(10, 20, 8) == 200 * 60 * 8 * 4


# -- corrupt manifests -----------------------------------------------------------------------------


def test_a_manifest_whose_num_scales_disagrees_is_rejected(trained_run, tmp_path, capsys):
    for wrong in (7, "2", None):
        broken = tmp_path / f"broken {wrong}"
        shutil.copytree(trained_run, broken)
        manifest = json.loads((broken / "manifest.json").read_text())
        manifest["num_scales"] = wrong
        (broken / "manifest.json").write_text(json.dumps(manifest))
        with pytest.raises(RunDirectoryError, match="malformed manifest") as info:
            SinGAN.load(broken)
        assert "num_scales" in str(info.value) and "\n" not in str(info.value)
        code, _, err = _cli(["sample", broken, "--num", "1", "--out", tmp_path / "s"], capsys)
        assert code == 2 and "malformed manifest" in err and len(err.strip().splitlines()) == 1


# -- consistency -----------------------------------------------------------------------------------


def test_the_alpha_note_is_said_once_per_training(tmp_path, caplog, capsys):
    rgba = np.concatenate(
        [
            ((smooth_image() + 1) * 127.5).round().astype(np.uint8),
            np.full((24, 28, 1), 255, np.uint8),
        ],
        axis=-1,
    )
    rgba[0, 0, 3] = 0  # one transparent pixel: a warning, not just information
    path = tmp_path / "with alpha.png"
    Image.fromarray(rgba, "RGBA").save(path)
    with caplog.at_level(logging.INFO, logger="singan_keras"):
        code, _, err = _cli(["train", path, "--out", tmp_path / "run", *TINY], capsys)
    assert code == 0, err
    alpha_notes = [r for r in caplog.records if "alpha" in r.getMessage()]
    assert len(alpha_notes) == 1, [r.getMessage() for r in alpha_notes]


def test_train_and_sample_name_their_samples_alike(trained_run, tmp_path, capsys):
    code, _, err = _cli(["sample", trained_run, "--num", "2", "--out", tmp_path / "s"], capsys)
    assert code == 0, err
    from_sample = sorted(p.name for p in (tmp_path / "s").glob("sample_*.png"))
    from_train = sorted(p.name for p in (trained_run / "samples").glob("sample_*.png"))
    assert from_sample == from_train and len(from_train) == 2


def test_schedule_says_which_preset_it_shows(capsys):
    for preset_name in ("quick", "paper"):
        code, out, err = _cli(["schedule", "rocket", "--preset", preset_name], capsys)
        assert code == 0 and f"preset {preset_name!r}" in err.lower(), err
        assert out.startswith(("4 scales", "9 scales")), out  # stdout: the schedule alone
    code, _, err = _cli(["schedule", "rocket"], capsys)
    assert "preset 'paper'" in err.lower() and "--preset" in err


def test_the_readme_shows_the_schedule_of_what_its_quickstart_trains():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    trained = re.search(r"singan train (\w+) --preset (\w+)", readme)
    shown = re.search(r"singan schedule (\w+) --preset (\w+)", readme)
    assert trained and shown and trained.groups() == shown.groups()
