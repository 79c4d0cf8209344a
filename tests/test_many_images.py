"""`singan train-many` and `singan evaluate-many`: many images as independent jobs.

Four images through ``train-many --executor local`` with a tiny configuration: two bundled
ones, one synthetic, one corrupt file. The first run is killed at a fixed point, not after a
delay: the training subprocess of the second image SIGKILLs the orchestrator (its parent) and
itself as soon as its scale 0 is saved. The hook replaces the command each job runs
(`many_images.SINGAN_COMMAND`) by a wrapper of `singan` that adds an ``on_scale_end`` to
`SinGAN.train` (the public API the CLI calls). Running the same command again must skip the
first run (its files untouched), resume the second after scale 0 (its scale 0 untouched) and
train the third; the corrupt image fails alone, its reason in the summary. `evaluate-many` must
give, for every finished run, the values `singan evaluate` gives on that run.

The orchestration does not depend on the Keras backend (the jobs are `singan train`
subprocesses): it runs under torch only, the fastest here. The command-line checks run under
every backend.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import keras
import pytest
from conftest import smooth_image

from singan_keras import many_images, save_image
from singan_keras.cli import build_parser, main
from singan_keras.errors import InputError

torch_only = pytest.mark.skipif(
    keras.backend.backend() != "torch",
    reason="backend-independent orchestration (subprocesses): runs under KERAS_BACKEND=torch",
)

# 2 to 4 scales of 4 channels, 3 iterations: the cost is starting the subprocesses.
TINY_FLAGS = [
    "--preset", "quick", "--min-size", "14", "--max-size", "24", "--iters", "3",
    "--critic-steps", "1", "--generator-steps", "1", "--channels", "4", "--samples", "1",
]  # fmt: skip

# Runs `singan` (argv[2:]) with SinGAN.train wrapped: once scale 0 of image argv[1] is saved,
# SIGKILL the parent (the train-many orchestrator) and this process.
KILLING_SINGAN = r"""
import os, signal, sys
from singan_keras import SinGAN
from singan_keras.cli import main

victim = sys.argv[1]
real_train = SinGAN.train.__func__

def train(cls, image, *args, on_scale_end=None, **kwargs):
    def kill(model, result):
        if image == victim and result.scale == 0:
            os.kill(os.getppid(), signal.SIGKILL)
            os.kill(os.getpid(), signal.SIGKILL)
    return real_train(cls, image, *args, on_scale_end=kill, **kwargs)

SinGAN.train = classmethod(train)
sys.exit(main(sys.argv[2:]))
"""

# The orchestrator, whose jobs run KILLING_SINGAN instead of `python -m singan_keras`.
ORCHESTRATOR = r"""
import sys
from singan_keras import many_images
from singan_keras.cli import main

many_images.SINGAN_COMMAND = (sys.executable, "-c", sys.argv[1], sys.argv[2])
sys.exit(main(sys.argv[3:]))
"""


def _files(run_dir: Path) -> dict[str, tuple[int, bytes]]:
    """(mtime in ns, bytes) of every file of a run directory, by relative path."""
    return {
        str(path.relative_to(run_dir)): (path.stat().st_mtime_ns, path.read_bytes())
        for path in sorted(run_dir.rglob("*"))
        if path.is_file()
    }


def _manifest(run_dir: Path) -> dict:
    return json.loads((run_dir / "manifest.json").read_text())


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> list[str]:
    """coffee (2 scales), a synthetic image (3 scales), brick (4 scales), a corrupt file."""
    folder = tmp_path_factory.mktemp("images")
    synthetic = save_image(smooth_image(24, 28, seed=7), folder / "synthetic.png")
    corrupt = folder / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n this is not the rest of a PNG")
    return ["coffee", str(synthetic), "brick", str(corrupt)]


@pytest.fixture(scope="module")
def runs(images, tmp_path_factory):
    """The killed first run, then the same command again; what each left behind."""
    root = tmp_path_factory.mktemp("many") / "runs"
    argv = ["train-many", *images, "--out", str(root), "--executor", "local", *TINY_FLAGS]
    env = dict(os.environ, KERAS_BACKEND=keras.backend.backend(), PYTHONUNBUFFERED="1")
    killed = subprocess.run(
        [sys.executable, "-c", ORCHESTRATOR, KILLING_SINGAN, images[1], *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,  # a hang, not a slow machine: the kill comes at a fixed point
    )
    state = {
        "root": root,
        "argv": argv,
        "killed": killed,
        "first_files": _files(root / "coffee"),
        "second_manifest": _manifest(root / "synthetic"),
        "second_files": _files(root / "synthetic"),
        "third_exists": (root / "brick").exists(),
    }
    return state


@torch_only
def test_the_kill_stopped_the_orchestrator_during_the_second_image(runs):
    killed = runs["killed"]
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    assert "done  coffee" in killed.stdout and "done  synthetic" not in killed.stdout
    assert len(runs["second_manifest"]["scales"]) == 1  # scale 0 saved, then the kill
    assert not runs["third_exists"]
    assert "corrupt.png" in killed.stdout  # refused before any training


def _main_output(argv: list[str]) -> tuple[int, str]:
    """Exit code and stdout of `singan` (for module-scoped fixtures, where capsys is not)."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(argv)
    return code, buffer.getvalue()


@pytest.fixture(scope="module")
def evaluated_after_kill(runs):
    """`evaluate-many` right after the kill: one finished run, one unfinished."""
    code, out = _main_output(["evaluate-many", str(runs["root"]), "--num", "2"])
    rows = list(csv.DictReader(open(runs["root"] / "metrics.csv")))
    return code, out, rows


@torch_only
def test_evaluate_many_lists_unfinished_runs(evaluated_after_kill):
    code, out, rows = evaluated_after_kill
    assert code == 0, out
    assert [row["image"] for row in rows] == ["coffee"]
    assert "unfinished: synthetic (1 of 3 scales)" in out


@pytest.fixture(scope="module")
def rerun(runs, evaluated_after_kill):
    """The same command again, in this process (after the evaluation of the killed state)."""
    return _main_output(runs["argv"])


@torch_only
def test_rerun_skips_the_finished_run_and_leaves_its_files_alone(runs, rerun):
    code, out = rerun
    assert "skip  coffee" in out, out
    assert _files(runs["root"] / "coffee") == runs["first_files"]


@torch_only
def test_rerun_resumes_the_killed_run_after_its_last_finished_scale(runs, rerun):
    code, out = rerun
    run_dir = runs["root"] / "synthetic"
    assert "start synthetic: 3 scales, resuming after scale 0" in out, out
    assert len(_manifest(run_dir)["scales"]) == 3
    now = _files(run_dir)
    for name, saved in runs["second_files"].items():  # scale 0 was not trained again
        if name.startswith("scale_00/"):
            assert now[name] == saved, name
    log = (run_dir / many_images.LOG_NAME).read_text()
    commands = [line for line in log.splitlines() if line.startswith("=== ")]
    assert len(commands) == 2 and "--resume" not in commands[0] and "--resume" in commands[1]


@torch_only
def test_rerun_trains_the_rest_and_the_corrupt_image_fails_alone(runs, rerun, tmp_path):
    code, out = rerun
    assert code == 1, out
    assert "4 images: 2 trained, 1 finished before, 1 failed" in out
    assert "failed corrupt: " in out and "not an image file" in out.split("failed corrupt:")[1]
    for name in ("coffee", "synthetic", "brick"):  # each a complete run `singan sample` reads
        assert main(["sample", str(runs["root"] / name), "--num", "1", "--out", str(tmp_path)]) == 0
    assert not (runs["root"] / "corrupt").exists()


@torch_only
def test_evaluate_many_equals_singan_evaluate_on_each_run(runs, rerun, tmp_path, capsys):
    assert main(["evaluate-many", str(runs["root"]), "--num", "2", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "generation from" in out and " N-1 " in out
    rows = list(csv.DictReader(open(runs["root"] / "metrics.csv")))
    assert [row["image"] for row in rows] == ["brick", "coffee", "synthetic"]
    for row in rows:
        report = tmp_path / f"{row['image']}.json"
        run_dir = runs["root"] / row["image"]
        assert (
            main(["evaluate", str(run_dir), "--num", "2", "--seed", "3", "--json", str(report)])
            == 0
        )
        expected = json.loads(report.read_text())
        assert int(row["num_scales"]) == expected["num_scales"]
        for result in expected["results"]:
            for metric in ("diversity", "swd", "sifid"):
                cell = row[f"{metric}_{result['paper_scale']}"]
                value = None if cell == "" else float(cell)
                assert value == result[metric], (row["image"], metric, result["paper_scale"])


# -- submitit --------------------------------------------------------------------------------


@torch_only
def test_the_same_jobs_through_submitit_local_executors(tmp_path):
    submitit = pytest.importorskip("submitit")
    image = save_image(smooth_image(24, 28, seed=9), tmp_path / "one.png")
    root = tmp_path / "runs"
    jobs = many_images.plan_jobs([str(image)], root, TINY_FLAGS)
    said = []
    executor = submitit.LocalExecutor(folder=root / ".submitit")
    [outcome] = many_images.train_many(jobs, executor, say=said.append)
    assert outcome.status == "done", (outcome, said)
    assert many_images.run_state(root / "one").status == "finished"
    files = _files(root / "one")
    # again, in this process: finished runs are skipped, nothing is submitted
    debug = submitit.DebugExecutor(folder=root / ".submitit")
    [again] = many_images.train_many(jobs, debug, say=said.append)
    assert again.status == "skipped" and _files(root / "one") == files


@torch_only
def test_checkpoint_stops_the_training_and_resubmits_the_same_job(tmp_path):
    pytest.importorskip("submitit")
    job = many_images.ImageJob("coffee", tmp_path / "coffee", tuple(TINY_FLAGS))
    training = many_images.CheckpointableTraining()
    # a stand-in for a training that is stopped by SIGINT (as `singan train` is)
    training._remember(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]))
    process = training._process
    resubmitted = training.checkpoint(job)
    assert process.poll() is not None  # stopped, not left running
    import pickle

    function, args = resubmitted.function, resubmitted.args
    assert isinstance(function, many_images.CheckpointableTraining) and args == (job,)
    pickle.dumps(resubmitted)  # what submitit writes for the requeued job


# -- command line, every backend -------------------------------------------------------------


def test_train_many_has_every_training_flag_of_train():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    options = {
        name: {o for action in commands[name]._actions for o in action.option_strings}
        for name in ("train", "train-many")
    }
    missing = options["train"] - {"--resume", "--quiet"} - options["train-many"]
    assert not missing


def test_train_many_help_and_bad_input(capsys, tmp_path):
    assert main(["train-many", "--help"]) == 0
    assert "--executor" in capsys.readouterr().out
    assert main(["train-many", "coffee", "--out", str(tmp_path), "--parallel", "0"]) == 2
    assert "--parallel: must be >= 1" in capsys.readouterr().err
    assert main(["train-many", "no-such-image", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("singan: error:") and "no-such-image" in err and len(err.splitlines()) == 1
    )


def test_slurm_without_submitit_names_the_extra(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(many_images, "DelayedSubmission", None)
    code = main(["train-many", "coffee", "--out", str(tmp_path), "--executor", "slurm"])
    assert code == 2
    assert 'pip install "singan-keras[cluster]"' in capsys.readouterr().err


@torch_only
def test_a_run_with_other_settings_is_refused_untouched(runs, rerun):
    before = _files(runs["root"] / "coffee")
    code, out = _main_output([*runs["argv"], "--iters", "4"])  # the last --iters wins
    assert code == 1, out
    assert "fail  coffee: " in out and "other settings (changed: iterations)" in out
    assert "0 trained, 0 finished before, 4 failed" in out
    assert _files(runs["root"] / "coffee") == before


@torch_only
def test_slurm_options_reach_the_sbatch_script(tmp_path, monkeypatch):
    """As far as submitit goes without a cluster: the flags become these sbatch lines."""
    pytest.importorskip("submitit")
    from submitit.slurm.slurm import _make_sbatch_string  # what submitit would submit

    options = many_images.SlurmOptions("gpu", gpus_per_job=1, cpus_per_job=8, timeout_min=240)
    with pytest.raises(InputError, match="no Slurm on this machine"):
        many_images.slurm_executor(tmp_path, options, parallel=16)
    bin_dir = tmp_path / "bin"  # submitit only checks that srun exists
    bin_dir.mkdir()
    for tool in ("srun", "sbatch"):
        (bin_dir / tool).write_text("#!/bin/sh\nexit 1\n")
        (bin_dir / tool).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    executor = many_images.slurm_executor(tmp_path, options, parallel=16)
    parameters = executor._executor.parameters
    assert parameters["array_parallelism"] == 16
    script = _make_sbatch_string(command="python job", folder=tmp_path, **parameters)
    for line in ("--partition=gpu", "--gpus-per-node=1", "--cpus-per-task=8", "--time=240"):
        assert f"#SBATCH {line}" in script, script
    assert "#SBATCH --signal=USR2@120" in script, script  # time to stop before the limit
