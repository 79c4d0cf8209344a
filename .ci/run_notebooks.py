#!/usr/bin/env python3
"""Check and execute the tutorial notebooks.

Two checks, both failing the run with a non-zero exit status:

1. **storage** (always, fast): every ``tutorials/*.ipynb`` has no outputs and no execution
   counts, and its cells are what ``jupytext`` makes of the paired ``.py`` percent file
   (so a ``.py`` edited without regenerating its ``.ipynb`` is caught);
2. **execution** (unless ``--check-only``): each notebook runs top to bottom with
   ``nbclient`` on the ``python3`` kernel of the current environment, in quick mode
   (``SINGAN_TUTORIAL_MODE=quick`` unless ``--mode`` says otherwise), with a wall-clock
   limit per notebook. Any cell error fails it. The wall time of each notebook is printed.
3. **foreign log output** (with execution): under a backend other than TensorFlow, no
   output of an executed notebook may contain TensorFlow's start-up log (``absl``,
   ``oneDNN``, ``TF_ENABLE``): the site renders these outputs, and such text means something
   imported TensorFlow under another backend (``keras.utils.set_random_seed`` does, when
   TensorFlow is installed).

The backend is whatever ``KERAS_BACKEND`` says (the kernel inherits the environment).

Usage:
    python .ci/run_notebooks.py                      # every tutorials/*.ipynb
    python .ci/run_notebooks.py tutorials/01_pyramid.ipynb --timeout 300
    KERAS_BACKEND=jax python .ci/run_notebooks.py --check-only
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TUTORIALS = ROOT / "tutorials"


# -- 1. storage checks ----------------------------------------------------------------------


def storage_problems(ipynb: Path) -> list[str]:
    """What is wrong with how `ipynb` is stored (outputs, or out of sync with its .py)."""
    import jupytext
    import nbformat

    problems = []
    notebook = nbformat.read(ipynb, as_version=4)
    for i, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            if cell.get("outputs"):
                problems.append(f"cell {i} has outputs (clear them before committing)")
            if cell.get("execution_count") is not None:
                problems.append(f"cell {i} has an execution count")
    source = ipynb.with_suffix(".py")
    if not source.exists():
        return problems + [f"no paired jupytext file {source.name}"]
    expected = jupytext.read(source)
    got = [(c.cell_type, c.source) for c in notebook.cells]
    want = [(c.cell_type, c.source) for c in expected.cells]
    if got != want:
        first = next(
            (i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b),
            min(len(got), len(want)),
        )
        problems.append(
            f"out of sync with {source.name} ({len(got)} vs {len(want)} cells, first "
            f"difference at cell {first}); regenerate with `jupytext --to ipynb {source.name}`"
        )
    return problems


# -- 3. foreign log output ------------------------------------------------------------------

# TensorFlow's start-up lines ("WARNING: All log messages before absl::InitializeLog() ...",
# "oneDNN custom operations are on ... set `TF_ENABLE_ONEDNN_OPTS=0`").
TENSORFLOW_LOG_MARKERS = ("absl", "oneDNN", "TF_ENABLE")


def _output_text(output: dict) -> str:
    if output.get("output_type") == "stream":
        text = output.get("text", "")
    else:  # execute_result, display_data, error
        text = output.get("data", {}).get("text/plain", "") or output.get("traceback", "")
    return "".join(text) if isinstance(text, list) else text


def foreign_log_problems(notebook: dict, backend: str) -> list[str]:
    """The outputs of an executed `notebook` that show TensorFlow's log under `backend`."""
    if backend == "tensorflow":
        return []
    problems = []
    for index, cell in enumerate(notebook["cells"]):
        for output in cell.get("outputs", []):
            for line in _output_text(output).splitlines():
                if any(marker in line for marker in TENSORFLOW_LOG_MARKERS):
                    problems.append(
                        f"cell {index} prints TensorFlow's log under the {backend} backend "
                        f"(something imported TensorFlow): {line.strip()[:120]}"
                    )
                    break
    return problems


# -- 2. execution ----------------------------------------------------------------------------


def execute_one(ipynb: Path, cell_timeout: int, save_to: Path | None = None) -> None:
    """Runs one notebook in this process (called in a child process by `main`)."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(ipynb, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=cell_timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(ipynb.parent)}},  # cwd = tutorials/
    )
    try:
        client.execute()  # raises CellExecutionError on the first failing cell
    finally:
        if save_to is not None:  # executed copy, for reading the outputs (never committed)
            save_to.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, save_to / ipynb.name)
    # Keras' default backend is TensorFlow when KERAS_BACKEND is unset.
    problems = foreign_log_problems(notebook, os.environ.get("KERAS_BACKEND", "tensorflow"))
    if problems:
        sys.exit("\n".join(f"FOREIGN LOG {ipynb.name}: {problem}" for problem in problems))


def run_with_limit(
    ipynb: Path, timeout: int, save_to: Path | None = None
) -> tuple[bool, float, str]:
    """Executes `ipynb` in a child process group killed after `timeout` seconds."""
    start = time.perf_counter()
    command = [sys.executable, __file__, "--execute-one", str(ipynb), "--timeout", str(timeout)]
    if save_to is not None:
        command += ["--save-executed", str(save_to)]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: the kernel dies with it
    )
    try:
        output, _ = process.communicate(timeout=timeout)
        ok = process.returncode == 0
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        output, _ = process.communicate()
        output += f"\nTIMEOUT: {ipynb.name} ran longer than {timeout} s"
        ok = False
    return ok, time.perf_counter() - start, output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "notebooks",
        nargs="*",
        type=Path,
        help="notebooks to run (default: every tutorials/*.ipynb)",
    )
    parser.add_argument(
        "--timeout",
        type=int,
        default=600,
        help="wall-clock limit per notebook, seconds (default 600)",
    )
    parser.add_argument(
        "--mode",
        choices=("quick", "full"),
        default=None,
        help="SINGAN_TUTORIAL_MODE for the kernels (default: quick unless set)",
    )
    parser.add_argument(
        "--check-only",
        action="store_true",
        help="only check storage (no outputs, .py/.ipynb in sync)",
    )
    parser.add_argument(
        "--save-executed",
        type=Path,
        metavar="DIR",
        help="also write the executed notebooks (with outputs) into DIR",
    )
    parser.add_argument("--execute-one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.execute_one is not None:
        save_to = args.save_executed.resolve() if args.save_executed else None
        execute_one(args.execute_one.resolve(), args.timeout, save_to)
        return 0

    notebooks = [p.resolve() for p in args.notebooks] or sorted(TUTORIALS.glob("*.ipynb"))
    if not notebooks:
        print("no notebooks found", file=sys.stderr)
        return 1
    failed = False
    for ipynb in notebooks:
        problems = storage_problems(ipynb)
        for problem in problems:
            print(f"STORAGE {ipynb.name}: {problem}")
        failed |= bool(problems)
    orphans = [p.name for p in TUTORIALS.glob("[0-9]*.py") if not p.with_suffix(".ipynb").exists()]
    for name in orphans:
        print(f"STORAGE {name}: no paired .ipynb (run `jupytext --to ipynb {name}`)")
    failed |= bool(orphans)
    if args.check_only:
        print("storage:", "FAILED" if failed else f"ok ({len(notebooks)} notebooks)")
        return int(failed)

    os.environ["SINGAN_TUTORIAL_MODE"] = args.mode or os.environ.get(
        "SINGAN_TUTORIAL_MODE", "quick"
    )
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(ROOT / ".jax_cache"))
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    backend = os.environ.get("KERAS_BACKEND", "(keras default)")
    print(
        f"executing {len(notebooks)} notebook(s), backend {backend}, "
        f"mode {os.environ['SINGAN_TUTORIAL_MODE']}, limit {args.timeout} s each"
    )
    times = []
    for ipynb in notebooks:
        save_to = args.save_executed.resolve() if args.save_executed else None
        ok, seconds, output = run_with_limit(ipynb, args.timeout, save_to)
        times.append((ipynb.name, seconds, ok))
        print(f"{'ok  ' if ok else 'FAIL'} {ipynb.name:40s} {seconds:7.1f} s", flush=True)
        if not ok:
            print(output[-6000:])
            failed = True
    print(
        f"total {sum(t for _, t, _ in times):.1f} s; "
        f"{sum(not ok for *_, ok in times)} failed of {len(times)}"
    )
    return int(failed)


if __name__ == "__main__":
    sys.exit(main())
