"""Tests of the `singan` command line (`singan_keras.cli`), run in-process through `main`.

One tiny run is trained once for the module (2 scales of 12x14 and 21x24 px, 4 channels,
2 iterations); every other test samples from it or never reaches training.
"""

import argparse
import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from singan_keras import cli, data, save_image, scale_schedule
from singan_keras.checkpoint import RunDirectoryError
from singan_keras.cli import inspection, main
from singan_keras.errors import InputError
from singan_keras.image_io import ImageError

TINY_TRAIN_FLAGS = [
    "--max-size", "24", "--min-size", "12", "--scale-factor", "0.5", "--iters", "2",
    "--critic-steps", "1", "--generator-steps", "1", "--channels", "4",
]  # fmt: skip


def _size(path: Path) -> tuple[int, int]:
    """(height, width) of a PNG file."""
    with Image.open(path) as image:
        return image.height, image.width


def _error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("singan: error:")]


@pytest.fixture(scope="module")
def tiny_png(tmp_path_factory) -> Path:
    """A smooth 24x28 colour image."""
    y, x = np.mgrid[0:24, 0:28] / 28.0
    image = 0.8 * np.stack(
        [np.sin(7 * x + 1) * np.cos(5 * y), np.cos(9 * y + 2 * x), np.sin(4 * x * y + 3)], -1
    )
    return save_image(image, tmp_path_factory.mktemp("image") / "tiny.png")


@pytest.fixture(scope="module")
def run_dir(tiny_png, tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("runs") / "tiny"
    code = main(
        ["train", str(tiny_png), "--out", str(run), *TINY_TRAIN_FLAGS, "--samples", "2", "--quiet"]
    )
    assert code == 0
    return run


def _finest_size(run: Path) -> tuple[int, int]:
    manifest = json.loads((run / "manifest.json").read_text())
    return tuple(manifest["schedule"]["sizes"][-1])


# -- train -------------------------------------------------------------------------------------


def test_train_writes_manifest_samples_and_reconstruction(run_dir):
    manifest = json.loads((run_dir / "manifest.json").read_text())
    # 24x28 -> 21x24 with r0 = 0.5: two scales (computed independently: 12/21 > 0.5).
    assert manifest["num_scales"] == 2 and len(manifest["scales"]) == 2
    assert manifest["config"]["iterations"] == 2 and manifest["config"]["base_channels"] == 4
    assert manifest["config"]["scale_factor"] == 0.5
    finest = (21, 24)
    assert _finest_size(run_dir) == finest
    samples = sorted((run_dir / "samples").glob("sample_*.png"))
    assert [p.name for p in samples] == ["sample_000.png", "sample_001.png"]
    assert all(_size(p) == finest for p in samples)
    assert (run_dir / "samples" / "grid.png").is_file()
    assert _size(run_dir / "reconstruction.png") == finest


def test_train_refuses_a_finished_run_without_resume(run_dir, tiny_png, capsys):
    before = sorted(p.name for p in run_dir.rglob("*"))
    code = main(["train", str(tiny_png), "--out", str(run_dir), *TINY_TRAIN_FLAGS, "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert "--resume" in _error_lines(err)[0] and "Traceback" not in err
    assert sorted(p.name for p in run_dir.rglob("*")) == before


def test_train_prints_backend_and_schedule_and_resume_hint_on_ctrl_c(
    tiny_png, tmp_path, monkeypatch, capsys
):
    import keras

    from singan_keras import SinGAN

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(SinGAN, "train", interrupted)
    run = tmp_path / "run"
    code = main(["train", str(tiny_png), "--out", str(run), *TINY_TRAIN_FLAGS, "--seed", "3"])
    out, err = capsys.readouterr()
    assert code == 130
    assert f"Keras backend: {keras.backend.backend()}" in out and "KERAS_BACKEND" in out
    assert str(scale_schedule(24, 28, 0.5, 12, 24)) in out
    [line] = err.strip().splitlines()
    assert line.startswith(f"interrupted; finished scales are saved in {run}; continue with: ")
    resume = line.split("continue with: ")[1].split()
    assert resume[:5] == ["singan", "train", str(tiny_png), "--out", str(run)]
    assert resume[-1] == "--resume"
    for flag, value in zip(TINY_TRAIN_FLAGS[::2], TINY_TRAIN_FLAGS[1::2], strict=True):
        assert resume[resume.index(flag) + 1] == value  # resuming needs the same config
    assert resume[resume.index("--seed") + 1] == "3"


# -- sample ------------------------------------------------------------------------------------


def test_sample_writes_n_images_of_the_training_size(run_dir, tmp_path, capsys):
    out = tmp_path / "samples"
    assert main(["sample", str(run_dir), "--num", "3", "--out", str(out), "--seed", "5"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [f"sample_{i:03d}.png" for i in range(3)]
    assert all(_size(p) == _finest_size(run_dir) for p in out.iterdir())
    assert "seed 5" in capsys.readouterr().out
    again = tmp_path / "again"
    assert main(["sample", str(run_dir), "--num", "3", "--out", str(again), "--seed", "5"]) == 0
    for first in out.iterdir():
        assert first.read_bytes() == (again / first.name).read_bytes()


def test_sample_accepts_the_official_flag_names(run_dir, tmp_path):
    out = tmp_path / "official"
    code = main(
        ["sample", str(run_dir), "--num_samples", "2", "--out", str(out), "--scale_v", "1.5",
         "--scale_h", "1", "--gen_start_scale", "1", "--grid", "--seed", "0"]
    )  # fmt: skip
    assert code == 0
    height, width = _finest_size(run_dir)
    assert sorted(p.name for p in out.iterdir()) == ["grid.png", "sample_000.png", "sample_001.png"]
    assert _size(out / "sample_000.png") == (round(1.5 * height), width)  # taller: vertical


def test_start_scale_beyond_the_model_is_one_line_and_writes_nothing(run_dir, tmp_path, capsys):
    out = tmp_path / "never"
    code = main(["sample", str(run_dir), "--num", "2", "--out", str(out), "--start-scale", "99"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().splitlines() == [
        "singan: error: --start-scale must be between 0 and 1 for this model (2 scales), got 99."
    ]
    assert not out.exists()


def test_sample_of_a_directory_that_is_not_a_run(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["sample", str(tmp_path), "--num", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "not a run directory" in _error_lines(err)[0] and "Traceback" not in err
    assert not out.exists()


def test_debug_shows_the_exception(tmp_path):
    with pytest.raises(ValueError, match="not a run directory"):
        main(["--debug", "sample", str(tmp_path), "--num", "1", "--out", str(tmp_path / "o")])
    with pytest.raises(ValueError, match="not a run directory"):  # also after the command
        main(["sample", str(tmp_path), "--num", "1", "--out", str(tmp_path / "o"), "--debug"])


# -- user errors -------------------------------------------------------------------------------


def _not_an_image(tmp_path: Path) -> str:
    path = tmp_path / "notes.png"
    path.write_text("not an image")
    return str(path)


# Each case: (what the one error line must say, argv from tmp_path, the tiny image and an
# output path that must stay absent).
USER_ERRORS = {
    "missing image": ("neither an existing file nor one of the bundled images",
        lambda tmp, image, out: ["train", str(tmp / "missing.png"), "--out", out]),
    "not an image": ("is not an image file",
        lambda tmp, image, out: ["train", _not_an_image(tmp), "--out", out]),
    "scale factor 1.5": ("argument --scale-factor: must be in (0, 1)",
        lambda tmp, image, out: ["train", image, "--out", out, "--scale-factor", "1.5"]),
    "min above max": ("--min-size (30) must be <= --max-size (20)",
        lambda tmp, image, out: ["train", image, "--out", out, "--min-size", "30",
                                 "--max-size", "20"]),
    "min below 11": ("argument --min-size: must be >= 11",
        lambda tmp, image, out: ["train", image, "--out", out, "--min-size", "5"]),
    "zero iterations": ("argument --iters: must be >= 1, got 0",
        lambda tmp, image, out: ["train", image, "--out", out, "--iters", "0"]),
    "image too small": ("too small for min_size=22",
        lambda tmp, image, out: ["train", image, "--out", out, "--min-size", "22",
                                 "--max-size", "24"]),
    "unknown flag": ("unrecognized arguments: --no-such-flag",
        lambda tmp, image, out: ["train", image, "--out", out, "--no-such-flag"]),
    "zero samples": ("argument --num/--num_samples: must be >= 1, got 0",
        lambda tmp, image, out: ["sample", str(tmp), "--num", "0", "--out", out]),
    "scale_v -1": ("argument --height-scale/--scale_v: must be > 0, got -1",
        lambda tmp, image, out: ["sample", str(tmp), "--num", "1", "--scale_v", "-1",
                                 "--out", out]),
    "not a run": ("not a run directory (no manifest.json)",
        lambda tmp, image, out: ["sample", str(tmp), "--num", "1", "--out", out]),
    "sifid missing image": ("real.png",
        lambda tmp, image, out: ["sifid", str(tmp / "real.png"), image, "--json", out]),
}  # fmt: skip


@pytest.mark.parametrize("case", list(USER_ERRORS))
def test_user_errors_exit_2_with_one_line_and_no_output(case, tiny_png, tmp_path, capsys):
    expected, make_argv = USER_ERRORS[case]
    assert main(make_argv(tmp_path, str(tiny_png), str(tmp_path / "run"))) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    [error_line] = [line for line in err.splitlines() if ": error: " in line]
    assert error_line.split(": error: ")[0] in {"singan", "singan train", "singan sample"}
    assert expected in error_line
    assert not (tmp_path / "run").exists()


# -- help, inspection commands -----------------------------------------------------------------


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    [action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


@pytest.mark.parametrize("command", [[], *[[name] for name in _subcommands()]])
def test_help_of_every_command(command, capsys):
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: singan {command[0] if command else ''}".rstrip())
    if not command:
        for name in _subcommands():
            assert f"\n    {name}" in out
        assert "examples:" in out and out.count("  singan ") >= 2


def test_every_flag_has_help_text():
    parsers = {"": cli.build_parser(), **_subcommands()}
    for name, parser in parsers.items():
        for action in parser._actions:
            assert action.help, f"singan {name} {action.option_strings or action.dest}"


def test_version(capsys):
    import singan_keras

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"singan_keras {singan_keras.__version__}"


def test_list_images(capsys):
    assert main(["list-images"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == data.list_images()
    coffee = next(line for line in lines if line.startswith("coffee"))
    height, width = data.load_image("coffee").shape[:2]
    assert coffee.split()[1:] == [str(height), "x", str(width)]


def test_schedule_of_a_bundled_image(capsys):
    assert main(["schedule", "coffee", "--max-size", "64", "--scale-factor", "0.8"]) == 0
    height, width = data.load_image("coffee").shape[:2]
    expected = scale_schedule(height, width, scale_factor=0.8, min_size=25, max_size=64)
    assert capsys.readouterr().out.strip() == str(expected)


def test_env(capsys):
    import keras

    assert main(["env"]) == 0
    out = capsys.readouterr().out
    for name in ("singan_keras", "keras", "numpy", "python", "GPU visible"):
        assert name in out
    [backend_row] = [line for line in out.splitlines() if line.startswith("backend ")]
    assert backend_row.split()[1] == keras.backend.backend()
    from singan_keras import backends

    [fast_row] = [line for line in out.splitlines() if line.startswith("fast paths ")]
    assert fast_row.split()[2] == ("on" if backends.FAST_PATHS else "off")
    [cache_row] = [line for line in out.splitlines() if line.startswith("compile cache ")]
    if keras.backend.backend() == "jax":  # the tests' cache, set in conftest.py
        assert cache_row.split(None, 2)[2] == os.environ["JAX_COMPILATION_CACHE_DIR"]
    else:
        assert "none" in cache_row


def test_module_entry_point_does_not_import_a_backend_for_help():
    """`python -m singan_keras --help` works and loads neither TensorFlow, JAX nor torch."""
    script = (
        "import json, runpy, sys\n"
        "heavy = ('tensorflow', 'jax', 'torch', 'keras')\n"
        "import singan_keras\n"
        "by_package = [m for m in heavy if m in sys.modules]\n"
        "sys.argv = ['singan', '--help']\n"
        "try:\n"
        "    runpy.run_module('singan_keras', run_name='__main__', alter_sys=True)\n"
        "except SystemExit as exit_:\n"
        "    code = exit_.code\n"
        "after = [m for m in heavy if m in sys.modules]\n"
        "print('RESULT', json.dumps([code, by_package, after]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "usage: singan" in done.stdout
    code, by_package, after_help = json.loads(
        done.stdout.strip().splitlines()[-1][len("RESULT ") :]
    )
    assert code == 0
    if by_package:
        pytest.xfail(f"`import singan_keras` itself imports {by_package} (eager package imports)")
    assert after_help == []


def test_importing_the_cli_and_every_help_text_loads_no_keras():
    """The `singan` parser, all sub-commands included, is built without Keras or a backend."""
    script = (
        "import sys\n"
        "import singan_keras.cli\n"
        "assert 'keras' not in sys.modules\n"
        "from singan_keras.cli import build_parser\n"
        "parser = build_parser()\n"
        "[action] = [a for a in parser._actions if hasattr(a, 'choices') and a.choices]\n"
        "texts = [parser.format_help()] + [p.format_help() for p in action.choices.values()]\n"
        "heavy = [m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules]\n"
        "print(len(texts), heavy)\n"
    )
    repo = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    count, heavy = done.stdout.split(" ", 1)
    assert int(count) == 1 + len(_subcommands()) and heavy.strip() == "[]"


def test_metric_flags_name_what_the_metrics_module_accepts():
    """`cli.metrics` repeats two names of `singan_keras.metrics` (which imports Keras)."""
    from singan_keras.cli import metrics as metrics_cli
    from singan_keras.metrics import SIFID_LAYERS, TORCHVISION_INCEPTION_URL

    assert metrics_cli.SIFID_LAYER_NAMES == tuple(sorted(SIFID_LAYERS))
    assert metrics_cli.TORCHVISION_INCEPTION_URL == TORCHVISION_INCEPTION_URL


# -- user mistakes and bugs are told apart ------------------------------------------------------


def _failing_with(error: BaseException):
    def run(args):
        raise error

    return run


# Each: (the exception a command raises, how the internal-error line names it).
BUGS = {
    "KeyError": (KeyError("scale_07"), "KeyError: 'scale_07'"),
    "ZeroDivisionError": (ZeroDivisionError("division by zero"),
                          "ZeroDivisionError: division by zero"),
    "a plain ValueError": (ValueError("operands could not be broadcast"),
                           "ValueError: operands could not be broadcast"),
    "an OSError no user caused": (OSError(errno.EIO, "Input/output error"),
                                  "OSError: [Errno 5] Input/output error"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BUGS))
def test_a_bug_is_an_internal_error_not_a_user_error(case, monkeypatch, capsys):
    error, named = BUGS[case]
    monkeypatch.setattr(inspection, "run_list_images", _failing_with(error))
    code = main(["list-images"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.splitlines() == [
        f"singan: internal error: {named} — please report it (rerun with --debug for the traceback)"
    ]


@pytest.mark.parametrize("position", ["before", "after"])
def test_debug_raises_a_bug_for_its_traceback(position, monkeypatch):
    monkeypatch.setattr(inspection, "run_list_images", _failing_with(ZeroDivisionError("x")))
    argv = ["--debug", "list-images"] if position == "before" else ["list-images", "--debug"]
    with pytest.raises(ZeroDivisionError):
        main(argv)


def test_debug_prints_the_traceback_of_a_bug_from_the_command_line():
    script = (
        "import sys\n"
        "from singan_keras.cli import inspection, main\n"
        "inspection.run_list_images = lambda args: 1 / 0\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    repo = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    for argv, traceback in ((["list-images"], False), (["--debug", "list-images"], True)):
        done = subprocess.run(
            [sys.executable, "-c", script, *argv],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,  # against a hang only
        )
        assert done.returncode == 1, done.stderr
        assert ("Traceback (most recent call last)" in done.stderr) == traceback
        last_line = done.stderr.strip().splitlines()[-1]
        assert (last_line == "ZeroDivisionError: division by zero") == traceback
        assert ("singan: internal error: ZeroDivisionError" in done.stderr) != traceback


USER_MISTAKES = {
    "InputError": (InputError("--mask is empty (all black): mark the edited region in white."),
                   "--mask is empty (all black): mark the edited region in white."),
    "missing file": (FileNotFoundError(errno.ENOENT, "No such file or directory", "a.png"),
                     "No such file or directory: a.png"),
    "full disk": (OSError(errno.ENOSPC, "No space left on device", "run/scale_02"),
                  "No space left on device: run/scale_02"),
    "existing path": (FileExistsError(errno.EEXIST, "File exists", "out"), "File exists: out"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(USER_MISTAKES))
def test_a_user_mistake_is_one_line_with_exit_code_2(case, monkeypatch, capsys):
    error, message = USER_MISTAKES[case]
    monkeypatch.setattr(inspection, "run_list_images", _failing_with(error))
    assert main(["list-images"]) == 2
    assert capsys.readouterr().err.splitlines() == [f"singan: error: {message}"]
    with pytest.raises(type(error)):
        main(["list-images", "--debug"])


def test_library_errors_for_bad_input_are_input_errors_and_value_errors():
    assert issubclass(ImageError, InputError) and issubclass(RunDirectoryError, InputError)
    assert issubclass(InputError, ValueError)  # `except ValueError` keeps working
