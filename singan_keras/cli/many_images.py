"""`singan train-many` and `singan evaluate-many`: a folder of images as independent jobs
(locally or on Slurm), and the paper's Table 2 over their runs.

The jobs and the table are in `singan_keras.many_images`; this module turns flags into them.
Each image trains in ``ROOT/<stem>/`` exactly as `singan train` would, so every other
command (`sample`, `evaluate`, the applications) works on it.

Example:
    $ singan train-many coffee chelsea rocket --preset quick --out runs/three
    $ singan train-many 'photos/*.jpg' --out runs/photos --executor slurm --gpus-per-job 1
    $ singan evaluate-many runs/three --num 50
"""

from __future__ import annotations

import argparse
import csv
import json
import shlex
import sys
from pathlib import Path

from singan_keras.cli.arguments import (
    START_INPUTS,
    add_command,
    add_pyramid_flags,
    add_seed,
    at_least,
    checked_out_dir,
    checked_out_file,
    non_negative_int,
    positive_int,
)
from singan_keras.cli.reporting import cli_wording, one_line
from singan_keras.cli.resources import add_memory_flag
from singan_keras.cli.training import EXIT_INTERRUPTED, given_config_flags, image_schedule
from singan_keras.cli.training import train_config as _train_config
from singan_keras.errors import InputError

__all__ = ["EXIT_JOBS_FAILED", "register", "run_evaluate_many", "run_train_many", "train_flags"]

EXIT_JOBS_FAILED = 1  # some images failed; the others were trained
EXECUTORS = ("auto", "local", "slurm")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds `train-many` and `evaluate-many`.

    Example:
        >>> parser = argparse.ArgumentParser(prog="singan")
        >>> register(parser.add_subparsers(dest="command"))
        >>> args = parser.parse_args(["train-many", "a.png", "b.png", "--out", "runs"])
        >>> args.images, args.executor, args.parallel
        (['a.png', 'b.png'], 'auto', None)
    """
    _register_train_many(subparsers)
    _register_evaluate_many(subparsers)


# -- train-many ------------------------------------------------------------------------------


def _register_train_many(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(
        subparsers,
        "train-many",
        run_train_many,
        help="train one SinGAN per image, as independent jobs (local or Slurm).",
        description=(
            "Trains every image into ROOT/<image stem>/ exactly as `singan train IMAGE --out "
            "ROOT/<stem>` would (same flags, same run directory), one job per image, with its "
            "log in ROOT/<stem>/train.log. Running the same command again skips finished runs "
            "and resumes unfinished ones. A failed image never stops the others; the exit code "
            f"is {EXIT_JOBS_FAILED} when any failed. Slurm needs the cluster extra: pip "
            'install "singan-keras[cluster]".'
        ),
    )
    parser.add_argument(
        "images",
        metavar="IMAGES",
        nargs="+",
        help="image files, folders (their images), glob patterns (quote them) or bundled "
        "image names (singan list-images).",
    )
    parser.add_argument(
        "--out", required=True, metavar="ROOT", help="folder holding one run per image."
    )
    add_pyramid_flags(parser)
    parser.add_argument(
        "--iters",
        type=positive_int,
        metavar="N",
        help="as for `singan train`: iterations per scale.",
    )
    add_seed(parser, "as for `singan train` (the same seed for every image).")
    parser.add_argument(
        "--samples",
        type=non_negative_int,
        default=8,
        metavar="K",
        help="random samples each run writes after training. Default: %(default)s.",
    )
    add_memory_flag(parser)
    advanced = parser.add_argument_group("advanced", "as for `singan train`")
    for flag, what in (
        ("--critic-steps", "critic updates per iteration"),
        ("--generator-steps", "generator updates per iteration"),
        ("--channels", "channels of the coarsest scale's networks"),
    ):
        advanced.add_argument(flag, type=positive_int, metavar="N", help=f"{what}, as for train.")

    jobs = parser.add_argument_group("jobs")
    jobs.add_argument(
        "--executor",
        choices=EXECUTORS,
        default="auto",
        help="where the jobs run: 'local' = subprocesses on this machine; 'slurm' = a Slurm "
        "job array (needs submitit); 'auto' = Slurm when sbatch and submitit are there, "
        "else local. Default: %(default)s.",
    )
    jobs.add_argument(
        "--parallel",
        type=positive_int,
        metavar="K",
        help="jobs running at once (local default 1: one training already uses every core; "
        "Slurm default: no limit).",
    )
    jobs.add_argument("--slurm-partition", metavar="NAME", help="Slurm partition of the jobs.")
    jobs.add_argument(
        "--gpus-per-job",
        type=non_negative_int,
        default=1,
        metavar="G",
        help="GPUs per Slurm job. Default: %(default)s.",
    )
    jobs.add_argument("--cpus-per-job", type=positive_int, metavar="C", help="CPUs per Slurm job.")
    jobs.add_argument(
        "--timeout-min",
        type=positive_int,
        default=24 * 60,
        metavar="MIN",
        help="time limit of a Slurm job; a job that reaches it is requeued and resumes. "
        "Default: %(default)s.",
    )


def train_flags(args: argparse.Namespace) -> list[str]:
    """The `singan train` flags every job gets, from the `train-many` flags.

    Example:
        >>> parser = argparse.ArgumentParser()
        >>> register(parser.add_subparsers())
        >>> args = parser.parse_args(["train-many", "a.png", "--out", "r", "--preset", "quick",
        ...                           "--iters", "5"])
        >>> train_flags(args)
        ['--preset', 'quick', '--iters', '5', '--samples', '8']
    """
    flags = ["--preset", args.preset, *shlex.split(given_config_flags(args))]
    flags += ["--samples", str(args.samples)]
    if args.skip_memory_check:
        flags.append("--skip-memory-check")
    return flags


def _checked(jobs, config) -> tuple[list, dict[str, int], list]:
    """(jobs that may run, scales per job name, outcomes of those that cannot)."""
    from singan_keras.many_images import JobOutcome, run_state

    expected = json.loads(json.dumps(config.to_dict()))
    runnable, scales, refused = [], {}, []
    for job in jobs:
        try:
            scales[job.name] = image_schedule(job.image, config).num_scales
        except (InputError, OSError, ValueError) as error:
            refused.append(JobOutcome(job.name, "failed", reason=cli_wording(one_line(error))))
            continue
        state = run_state(job.run_dir)
        if state.config is not None and state.config != expected:
            changed = sorted(k for k in expected if state.config.get(k) != expected[k])
            refused.append(
                JobOutcome(
                    job.name,
                    "failed",
                    reason=f"{job.run_dir} holds a run trained with other settings (changed: "
                    f"{', '.join(changed)}); use the original flags or another --out.",
                )
            )
            continue
        runnable.append(job)
    return runnable, scales, refused


def _executor(args: argparse.Namespace, root: Path):
    from singan_keras import many_images

    choice = args.executor
    if choice == "auto":
        use_slurm = many_images.has_slurm() and many_images.submitit_available()
        choice = "slurm" if use_slurm else "local"
    if choice == "local":
        return "local"
    options = many_images.SlurmOptions(
        args.slurm_partition, args.gpus_per_job, args.cpus_per_job, args.timeout_min
    )
    return many_images.slurm_executor(root / ".submitit", options, args.parallel)


def run_train_many(args: argparse.Namespace) -> int:
    """Runs `singan train-many`; returns 0, `EXIT_JOBS_FAILED` or 130 after Ctrl-C."""
    from singan_keras import many_images

    config = _train_config(args)
    images = many_images.collect_images(args.images)
    root = checked_out_dir(args.out)
    jobs = many_images.plan_jobs(images, root, train_flags(args))
    executor = _executor(args, root)  # an unavailable executor fails before any work
    runnable, scales, refused = _checked(jobs, config)
    for outcome in refused:
        print(f"fail  {outcome.name}: {outcome.reason}")
    where = "locally" if executor == "local" else "on Slurm"
    finished = sum(many_images.run_state(job.run_dir).status == "finished" for job in runnable)
    print(
        f"{len(jobs)} images into {root}: {len(runnable) - finished} to train {where}, "
        f"{finished} finished before"
    )
    try:
        outcomes = many_images.train_many(
            runnable, executor, args.parallel or 1, scales=scales, say=_say
        )
    except KeyboardInterrupt:
        print(
            f"interrupted; finished scales are kept in {root}; run the same command again to "
            "continue (finished runs are skipped, unfinished ones resumed)",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    order = {job.name: i for i, job in enumerate(jobs)}
    outcomes = sorted([*refused, *outcomes], key=lambda outcome: order[outcome.name])
    for line in many_images.summary(outcomes):
        print(line)
    if any(outcome.status != "done" and outcome.status != "skipped" for outcome in outcomes):
        print(f"rerun the same command to retry them; evaluate with: singan evaluate-many {root}")
        return EXIT_JOBS_FAILED
    print(f"evaluate with: singan evaluate-many {shlex.quote(str(root))}")
    return 0


def _say(line: str) -> None:
    print(line, flush=True)


# -- evaluate-many ---------------------------------------------------------------------------


def _register_evaluate_many(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(
        subparsers,
        "evaluate-many",
        run_evaluate_many,
        help="diversity, patch SWD and SIFID of every finished run in a folder (paper Table 2).",
        description=(
            "For every finished run in ROOT (as `singan train-many` writes them), computes "
            "what `singan evaluate` computes from start scales 0 and 1 (the paper's N and "
            "N-1), writes one row per image to ROOT/metrics.csv and prints the mean ± std "
            "over the images, laid out like the paper's Table 2. Unfinished runs are listed."
        ),
    )
    parser.add_argument("root", metavar="ROOT", help="a folder of run directories.")
    parser.add_argument(
        "--num",
        type=at_least(2),
        default=50,
        metavar="N",
        help="samples per start scale and image, >= 2. Default: %(default)s.",
    )
    add_seed(parser, "seed of the samples and the SWD. Default: %(default)s.", default=0)
    parser.add_argument(
        "--start-input",
        choices=START_INPUTS,
        default="reconstruction",
        help="as for `singan evaluate`. Default: %(default)s.",
    )
    parser.add_argument(
        "--weights",
        default=None,
        metavar="PATH|imagenet",
        help="InceptionV3 stem weights for SIFID, as for `singan evaluate`. Default: none, "
        "SIFID is skipped.",
    )
    parser.add_argument(
        "--csv", metavar="FILE", default=None, help="where to write (default: ROOT/metrics.csv)."
    )


def _cell(value) -> str:
    if value is None or value == "":
        return "-"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _csv_value(value) -> str:
    """A CSV cell; floats as `repr`, which reads back as the same float."""
    if value is None:
        return ""
    return repr(float(value)) if isinstance(value, float) else str(value)


def run_evaluate_many(args: argparse.Namespace) -> int:
    """Runs `singan evaluate-many`; returns the exit code (0)."""
    from singan_keras import many_images

    root = Path(args.root)
    if not root.is_dir():
        raise FileNotFoundError(f"folder not found: {root}")
    csv_path = checked_out_file(args.csv or str(root / many_images.METRICS_CSV), (), "--csv")
    finished, unfinished = many_images.run_directories(root)
    if not finished:
        raise InputError(f"{root} holds no finished run (train them with singan train-many).")
    stem = None
    if args.weights is not None:
        from singan_keras.metrics.sifid import load_sifid_stem

        stem = load_sifid_stem(args.weights)  # once for every run
    columns = many_images.metrics_columns()
    rows, note = [], None
    for run_dir in finished:
        row, report = many_images.evaluate_run(run_dir, args.num, args.seed, stem, args.start_input)
        rows.append(row)
        note = report["sifid_note"]
        print(f"{run_dir.name}: " + "  ".join(f"{k} {_cell(row.get(k))}" for k in columns[4:]))
    with open(csv_path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:  # repr: every float written back exactly
            writer.writerow({k: _csv_value(row.get(k)) for k in columns})
    print()
    for line in many_images.table_2(rows):
        print(line)
    if note:
        print(f"note: {cli_wording(note)}")
    for run_dir, state in unfinished:
        how_far = (
            "not started"
            if state.status == "new"
            else f"{state.scales_done} of {state.num_scales or '?'} scales"
        )
        print(f"unfinished: {run_dir.name} ({how_far}); not evaluated")
    print(f"{len(rows)} runs evaluated ({args.num} samples per start scale): {csv_path}")
    return 0
