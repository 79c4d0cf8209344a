"""The tutorials reach a student who only ran `pip install`.

* The wheel carries every ``tutorials/*.ipynb`` (and none of their jupytext ``.py``), and
  ``singan tutorials DIR`` run from that wheel installed in a fresh virtual environment
  writes them all, refusing to overwrite without ``--force``. The wheel is built from a copy
  of the checkout's packaging files, package and notebooks (a build in the checkout itself
  would reuse a stale ``build/lib``), offline.
* Every notebook's first code cell starts with the same set-up block, which installs
  ``singan-keras[<backend>]`` when the package is missing (a notebook uploaded to Colab) and
  prints the device. The block is run here against a stand-in ``pip`` that records its
  arguments and "installs" a stub package.
"""

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import keras
import pytest

from singan_keras.cli import EXIT_USER_ERROR, main

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "tutorials").glob("*.ipynb"))
GUARD_LAST_LINE = 'print(f"KERAS_BACKEND='  # the set-up block ends with this print

one_backend = pytest.mark.skipif(
    keras.backend.backend() != "torch",
    reason="backend-independent (builds and installs a wheel): runs under torch only",
)


def test_the_checkout_has_the_tutorials():
    assert len(NOTEBOOKS) >= 11, [path.name for path in NOTEBOOKS]


# -- singan tutorials, from the checkout ---------------------------------------------------------


def test_singan_tutorials_copies_every_notebook_and_keeps_existing_ones(tmp_path, capsys):
    out = tmp_path / "singan-tutorials"
    assert main(["tutorials", str(out)]) == 0
    assert sorted(path.name for path in out.iterdir()) == [path.name for path in NOTEBOOKS]
    for path in NOTEBOOKS:
        assert (out / path.name).read_bytes() == path.read_bytes(), path.name
    capsys.readouterr()

    worked = out / NOTEBOOKS[3].name
    worked.write_text("a student's answers")
    assert main(["tutorials", str(out)]) == EXIT_USER_ERROR
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("singan: error: "), error
    assert "--force" in error and str(out) in error, error
    assert worked.read_text() == "a student's answers"

    assert main(["tutorials", str(out), "--force"]) == 0
    assert worked.read_bytes() == NOTEBOOKS[3].read_bytes()


def test_singan_tutorials_into_a_file_is_one_line(tmp_path, capsys):
    target = tmp_path / "notes.txt"
    target.write_text("")
    assert main(["tutorials", str(target)]) == EXIT_USER_ERROR
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and str(target) in error, error


# -- from an installed wheel ---------------------------------------------------------------------


def _run(command: list, **options) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, **options)


def _build_wheel(tmp_path: Path) -> Path:
    source = tmp_path / "source"
    (source / "tutorials").mkdir(parents=True)
    for name in ("pyproject.toml", "setup.py", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "singan_keras",
        source / "singan_keras",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
    )
    for path in (ROOT / "tutorials").iterdir():
        if path.suffix in (".ipynb", ".py"):
            shutil.copy2(path, source / "tutorials" / path.name)
    dist = tmp_path / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    built = _run(
        [*pip, "wheel", str(source), "--no-deps", "--no-build-isolation", "--no-index", "-w", dist]
    )
    assert built.returncode == 0, built.stdout + built.stderr
    [wheel] = dist.glob("singan_keras-*.whl")
    return wheel


@one_backend
def test_singan_tutorials_from_the_installed_wheel(tmp_path):
    wheel = _build_wheel(tmp_path)
    environment = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(environment)
    bin_dir = environment / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / ("python.exe" if os.name == "nt" else "python")
    installed = _run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "--python", str(python),
         "install", "--no-deps", "--no-index", str(wheel)]
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr

    # Outside the checkout and without PYTHONPATH, so that nothing but the wheel is found.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    where = _run(
        [str(python), "-I", "-c", "import singan_keras; print(singan_keras.__file__)"],
        cwd=tmp_path,
        env=env,
    )
    package = Path(where.stdout.strip()).parent
    assert package.is_relative_to(environment), where.stdout + where.stderr
    shipped = sorted(path.name for path in (package / "tutorials").iterdir())
    assert shipped == [path.name for path in NOTEBOOKS]  # no jupytext .py, nothing else

    singan = bin_dir / "singan"
    out = tmp_path / "singan-tutorials"
    copied = _run([str(singan), "tutorials", str(out)], cwd=tmp_path, env=env)
    assert copied.returncode == 0, copied.stdout + copied.stderr
    assert sorted(path.name for path in out.iterdir()) == [path.name for path in NOTEBOOKS]
    for path in NOTEBOOKS:
        assert (out / path.name).read_bytes() == path.read_bytes(), path.name

    refused = _run([str(singan), "tutorials", str(out)], cwd=tmp_path, env=env)
    assert refused.returncode == EXIT_USER_ERROR
    assert refused.stderr.count("\n") == 1 and "--force" in refused.stderr, refused.stderr
    forced = _run([str(singan), "tutorials", str(out), "--force"], cwd=tmp_path, env=env)
    assert forced.returncode == 0, forced.stdout + forced.stderr


# -- the first cell of every notebook ------------------------------------------------------------


def _first_code_cell(path: Path) -> str:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    source = next(cell["source"] for cell in cells if cell["cell_type"] == "code")
    return "".join(source) if isinstance(source, list) else source


def _setup_block(path: Path) -> str:
    """The first code cell up to and including the line that prints the device."""
    lines = _first_code_cell(path).splitlines(keepends=True)
    end = next((i for i, line in enumerate(lines) if line.startswith(GUARD_LAST_LINE)), None)
    assert end is not None, f"{path.name}: its first code cell has no {GUARD_LAST_LINE}...)"
    return "".join(lines[: end + 1])


def test_every_notebook_starts_with_the_same_setup_block():
    reference = _setup_block(NOTEBOOKS[0])
    for path in NOTEBOOKS[1:]:
        assert _setup_block(path) == reference, f"{path.name} differs from {NOTEBOOKS[0].name}"
    assert 'find_spec("singan_keras")' in reference
    assert "default_device()" in reference


FAKE_PIP = """\
import json, pathlib, sys
here = pathlib.Path(__file__).resolve().parents[2]
(here / "pip_arguments.json").write_text(json.dumps(sys.argv[1:]))
package = here / "site" / "singan_keras"
package.mkdir(parents=True)
(package / "__init__.py").write_text("")
(package / "backends.py").write_text("def default_device():\\n    return 'fake:0'\\n")
"""


def _run_setup_block(block: str, folder: Path, backend: str | None) -> str:
    """Runs `block` where singan_keras is importable only once the stand-in pip ran."""
    env = {key: value for key, value in os.environ.items() if key != "KERAS_BACKEND"}
    env["PYTHONPATH"] = os.pathsep.join([str(folder / "fake"), str(folder / "site")])
    if backend is not None:
        env["KERAS_BACKEND"] = backend
    # -S: no site-packages, so neither the real package nor an editable install is found.
    # The pip the block starts (`sys.executable -m pip`, with site) finds the stand-in first.
    result = _run([sys.executable, "-S", "-c", block], cwd=folder, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.parametrize("backend", [None, "jax"])
def test_the_setup_block_installs_the_chosen_backend_only_when_missing(tmp_path, backend):
    block = _setup_block(NOTEBOOKS[0])
    (tmp_path / "fake" / "pip").mkdir(parents=True)
    (tmp_path / "fake" / "pip" / "__init__.py").write_text("")
    (tmp_path / "fake" / "pip" / "__main__.py").write_text(FAKE_PIP)
    (tmp_path / "site").mkdir()
    record = tmp_path / "pip_arguments.json"
    chosen = backend or "torch"  # the block's default

    printed = _run_setup_block(block, tmp_path, backend)
    arguments = json.loads(record.read_text())
    assert arguments[0] == "install" and arguments[-1] == f"singan-keras[{chosen}]", arguments
    assert printed.strip() == f"KERAS_BACKEND={chosen}, device: fake:0"

    record.unlink()
    assert _run_setup_block(block, tmp_path, backend).strip() == printed.strip()
    assert not record.exists(), "pip ran although singan_keras was importable"
