"""Every command on the FAQ page (`docs/faq.md`) runs, and prints what the page shows.

The convention the page follows, and this test enforces:

* Commands are the lines of a ```` ```console ```` block that start with ``$ ``; each must be
  a ``singan`` command (anything else would be an untested command). The lines after a
  command, up to the next ``$`` line, are its output as the page shows it: each must appear
  in what the command really prints (stdout, stderr and the `singan_keras` log lines).
* All commands run in page order in one empty folder (the reader's working directory), so
  a later command may use what an earlier one wrote (`runs/rocket`). That folder holds the
  files the page names as the reader's own: `logo.png` (RGBA with transparent pixels),
  `scan16.png` (16-bit grayscale), `brick_edit.png` (an edit of the bundled brick image)
  and `sifid_stem.weights.h5` (a SIFID stem with *random* weights, standing in for the
  converted torchvision weights the page tells you to make).
* Every ``singan train`` gets `TINY_TRAINING` appended. argparse keeps the last value of a
  flag, so these override what the page wrote (and `--resume` sees the same flags as the
  first run); everything else runs as written. Training then takes seconds: the test shows
  that each command is valid and works, not what it costs.

The commands run in-process (`singan_keras.cli.main`), under torch only: the CLI's
behaviour does not depend on the backend, and `tests/test_cli.py` runs it on every backend.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from singan_keras.cli import main

FAQ = Path(__file__).resolve().parents[1] / "docs" / "faq.md"
TINY_TRAINING = (
    "--max-size 32 --min-size 16 --iters 2 --critic-steps 1 --generator-steps 1 "
    "--channels 4 --samples 2 --quiet"
).split()
CONSOLE_BLOCK = re.compile(r"^```console\n(.*?)^```", re.MULTILINE | re.DOTALL)


def console_commands(markdown: str) -> list[tuple[str, list[str]]]:
    """(command, output lines shown) for every ``$`` line of the console blocks, in order."""
    commands: list[tuple[str, list[str]]] = []
    for block in CONSOLE_BLOCK.findall(markdown):
        for line in block.splitlines():
            if line.startswith("$ "):
                commands.append((line[2:].strip(), []))
            elif line.strip():
                if not commands:
                    raise ValueError(f"output before any command in a console block: {line!r}")
                commands[-1][1].append(line.strip())
    for command, _ in commands:
        if not command.startswith("singan "):
            raise ValueError(f"not a singan command, so not tested: {command!r}")
    return commands


def test_console_commands_are_parsed_with_their_output():
    markdown = (
        "text\n```console\n$ singan env\nline one\n\n$ singan schedule x.png\n```\n"
        "```bash\n$ singan not-run\n```\n```console\n$ singan sample r --num 2 --out s\n```\n"
    )
    assert console_commands(markdown) == [
        ("singan env", ["line one"]),
        ("singan schedule x.png", []),
        ("singan sample r --num 2 --out s", []),
    ]
    with pytest.raises(ValueError, match="not a singan command"):
        console_commands("```console\n$ python train.py\n```\n")
    with pytest.raises(ValueError, match="output before any command"):
        console_commands("```console\nstray\n$ singan env\n```\n")


def _reader_files(folder: Path) -> None:
    """The files the FAQ treats as the reader's own (see the module docstring)."""
    rng = np.random.default_rng(0)
    rgba = rng.integers(0, 256, (60, 80, 4), dtype=np.uint8)
    rgba[:, 40:, 3] = 0  # the right half is transparent
    Image.fromarray(rgba, "RGBA").save(folder / "logo.png")
    gray = rng.integers(0, 65536, (60, 80), dtype=np.uint16)
    Image.fromarray(gray).save(folder / "scan16.png")
    assert Image.open(folder / "scan16.png").mode.startswith("I;16")
    # the reader's edit of the bundled brick image (the edit the package ships as an extra)
    from singan_keras.data import extra_path

    Image.open(extra_path("brick_edited.png")).save(folder / "brick_edit.png")

    from singan_keras.metrics import build_sifid_stem

    build_sifid_stem().save_weights(folder / "sifid_stem.weights.h5")


@pytest.mark.skipif(
    keras.backend.backend() != "torch",
    reason="the CLI's logic does not depend on the backend (test_cli runs it on every one)",
)
# SIFID of the tiny run's 22x32 samples through a random-weight stem: their 64-channel feature
# covariance can be singular (scipy warns, the value is still computed). SIFID itself is
# tested in test_metrics.
@pytest.mark.filterwarnings("ignore:Matrix is singular:scipy.linalg.LinAlgWarning")
def test_every_faq_command_runs_and_prints_what_the_page_shows(
    tmp_path, monkeypatch, capfd, caplog
):
    commands = console_commands(FAQ.read_text(encoding="utf-8"))
    assert len(commands) >= 8, "the FAQ lost its examples, or the parser its way of finding them"
    _reader_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    for command, shown in commands:
        argv = shlex.split(command)[1:]
        if argv[0] == "train":
            argv += TINY_TRAINING
        caplog.clear()
        code = main(argv)
        out, err = capfd.readouterr()
        # A command run by `singan` prints its log lines on stderr (Python's last-resort
        # handler); under pytest its logging plugin takes them instead.
        logged = "".join(f"{record.getMessage()}\n" for record in caplog.records)
        printed = out + err + logged
        assert code == 0, f"`{command}` exited with {code}:\n{printed[-2000:]}"
        missing = [line for line in shown if line not in printed]
        assert not missing, f"`{command}` did not print {missing}; it printed:\n{printed}"
    # What the page says these commands leave behind.
    run = tmp_path / "runs" / "rocket"
    assert (run / "manifest.json").is_file() and (run / "reconstruction.png").is_file()
    assert len(list((tmp_path / "samples" / "rocket").glob("sample_*.png"))) == 8
    assert (tmp_path / "samples" / "rocket_n1" / "grid.png").is_file()
