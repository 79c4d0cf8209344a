"""Many images: train each of a list of images as an independent job, locally or on Slurm.

One SinGAN is one image on one device, so more images means more jobs, not a bigger model.
Every image trains in ``ROOT/<image stem>/`` exactly as ``singan train IMAGE --out
ROOT/<stem>`` would: each job *is* that command, run as a subprocess whose output goes to
``ROOT/<stem>/train.log``. A job receives paths and flags (an `ImageJob`), never a model, so
it can be pickled to a cluster node; a subprocess per image keeps its memory apart from the
others', can be stopped on its own, and a crash in one image never stops the others.

Re-running is safe and cheap: a finished run (its manifest lists every scale and
``reconstruction.png`` is written, the last file `singan train` writes) is skipped without
starting a process; an unfinished one is continued with ``--resume`` from its first
unfinished scale.

Executors (`train_many`):

* ``"local"``: a pool of `parallel` worker threads, each waiting on one training subprocess
  (no extra dependency);
* a `submitit <https://github.com/facebookincubator/submitit>`_ executor (``pip install
  "singan-keras[cluster]"``): the jobs are submitted as one job array (`map_array`) of
  `CheckpointableTraining` callables; on Slurm a job that is preempted or reaches its time
  limit stops its training (which keeps the finished scales), is requeued and resumes.
  `slurm_executor` builds one; submitit's ``LocalExecutor`` and ``DebugExecutor`` run the
  same code without a cluster.

Only the standard library, numpy and PIL are imported here (the image checks): Keras and the
backend load in the training subprocesses, not in the process that orchestrates them.

Example:
    >>> from pathlib import Path
    >>> jobs = plan_jobs(["coffee", "brick"], Path("runs"), ("--preset", "quick"))
    >>> [(job.image, str(job.run_dir)) for job in jobs]
    [('coffee', 'runs/coffee'), ('brick', 'runs/brick')]
    >>> jobs[0].command("--resume")[3:]  # after `python -m singan_keras`
    ['train', 'coffee', '--out', 'runs/coffee', '--preset', 'quick', '--resume', '--quiet']
    >>> outcomes = train_many(jobs, parallel=1)  # doctest: +SKIP
    start coffee: 5 scales, log runs/coffee/train.log
    ...
"""

from __future__ import annotations

import concurrent.futures
import glob
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from singan_keras.errors import InputError

try:  # the optional `cluster` extra
    from submitit.helpers import Checkpointable as _Checkpointable
    from submitit.helpers import DelayedSubmission
except ImportError:  # without submitit the local executor still works
    _Checkpointable, DelayedSubmission = object, None

__all__ = [
    "CLUSTER_EXTRA_HINT",
    "IMAGE_SUFFIXES",
    "LOG_NAME",
    "CheckpointableTraining",
    "ImageJob",
    "JobOutcome",
    "RunState",
    "SlurmOptions",
    "collect_images",
    "plan_jobs",
    "run_state",
    "slurm_executor",
    "has_slurm",
    "submitit_available",
    "summary",
    "train_image",
    "train_many",
]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
LOG_NAME = "train.log"
CLUSTER_EXTRA_HINT = 'pip install "singan-keras[cluster]"'
# What starts `singan` in a job: the interpreter that runs the orchestrator (on a cluster, the
# same environment on a shared file system). Tests replace it to stop a job at a set point.
SINGAN_COMMAND: tuple[str, ...] = (sys.executable, "-m", "singan_keras")
_STOP_SECONDS = 60  # how long a stopped training may take to save its current state


# -- what is there ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RunState:
    """How far a run directory is: ``"new"`` (no manifest), ``"unfinished"`` or
    ``"finished"``; `scales_done` of `num_scales` (0 and None when new or unreadable)."""

    status: str
    scales_done: int = 0
    num_scales: int | None = None
    config: dict | None = None


def run_state(run_dir: str | os.PathLike) -> RunState:
    """Reads a run directory's manifest as plain JSON (without Keras) and says how far it is.

    Finished means: every scale is listed and ``reconstruction.png`` exists, which `singan
    train` writes after the samples, last. A manifest that cannot be read counts as
    unfinished (``singan train --resume`` says what is wrong with it).

    Example:
        >>> run_state("no/such/run")
        RunState(status='new', scales_done=0, num_scales=None, config=None)
    """
    run_dir = Path(run_dir)
    path = run_dir / "manifest.json"
    if not path.is_file():
        return RunState("new")
    try:
        manifest = json.loads(path.read_text())
        done, total = len(manifest["scales"]), int(manifest["num_scales"])
        config = manifest.get("config")
    except (OSError, ValueError, KeyError, TypeError):
        return RunState("unfinished")
    finished = done == total and (run_dir / "reconstruction.png").is_file()
    return RunState("finished" if finished else "unfinished", done, total, config)


def collect_images(specs: Sequence[str]) -> list[str]:
    """The images named by `specs`: files, folders (their image files, sorted), glob patterns
    and bundled image names, in the order given, duplicates dropped.

    Raises:
        InputError: a folder without images, a pattern matching nothing, or a name that is
            neither a file nor a bundled image.

    Example:
        >>> collect_images(["coffee", "brick", "coffee"])
        ['coffee', 'brick']
    """
    from singan_keras.data import list_images

    bundled = set(list_images())
    images: list[str] = []
    for spec in specs:
        path = Path(spec)
        if path.is_dir():
            found = sorted(str(p) for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if not found:
                raise InputError(
                    f"folder {spec} holds no image files ({', '.join(IMAGE_SUFFIXES)})."
                )
        elif path.is_file() or spec in bundled:
            found = [spec]
        elif glob.has_magic(spec):
            found = sorted(glob.glob(spec))
            if not found:
                raise InputError(f"the pattern {spec!r} matches no file.")
        else:
            raise InputError(
                f"{spec!r} is neither an image file, a folder, a glob pattern nor a bundled "
                f"image ({', '.join(sorted(bundled))})."
            )
        images += [image for image in found if image not in images]
    return images


# -- one job ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageJob:
    """One image to train: everything a job needs, as paths and flags (picklable).

    Attributes:
        image: an image file or a bundled image name.
        run_dir: where it trains (``ROOT/<stem>``); its log is ``run_dir/train.log``.
        train_flags: the `singan train` flags after ``IMAGE --out RUN_DIR`` (preset, pyramid,
            iterations, seed, samples, ...), the same for every image.
        singan: the command that starts `singan` (default `SINGAN_COMMAND`).
    """

    image: str
    run_dir: Path
    train_flags: tuple[str, ...] = ()
    singan: tuple[str, ...] = field(default_factory=lambda: SINGAN_COMMAND)

    @property
    def log(self) -> Path:
        return self.run_dir / LOG_NAME

    @property
    def name(self) -> str:
        return self.run_dir.name

    def command(self, *extra: str) -> list[str]:
        """The `singan train` command line of this job, `extra` flags appended."""
        return [
            *self.singan,
            "train",
            self.image,
            "--out",
            str(self.run_dir),
            *self.train_flags,
            *extra,
            "--quiet",
        ]


@dataclass(frozen=True)
class JobOutcome:
    """What became of one job.

    `status` is ``"done"``, ``"skipped"`` (finished before), ``"failed"`` or
    ``"interrupted"``; `reason` is the last line of the log of a failed job (or why it could
    not start); `scales` is how many scales the run has finished.
    """

    STATUSES: ClassVar[tuple[str, ...]] = ("done", "skipped", "failed", "interrupted")

    name: str
    status: str
    seconds: float = 0.0
    scales: int = 0
    reason: str = ""
    log: str = ""


def _last_line(path: Path) -> str:
    try:
        lines = [line.strip() for line in path.read_text(errors="replace").splitlines()]
    except OSError:
        return ""
    lines = [line for line in lines if line]
    return lines[-1] if lines else ""


def train_image(job: ImageJob, on_process: Callable | None = None) -> JobOutcome:
    """Runs one job: skips a finished run, resumes an unfinished one, trains a new one.

    The training is a subprocess (`ImageJob.command`) writing into ``job.log`` (appended to,
    so the log of an interrupted attempt stays). A failure is returned, not raised.

    Args:
        job: the image, its run directory and the training flags.
        on_process: called with the `subprocess.Popen` once it runs (to stop it from elsewhere).
    """
    state = run_state(job.run_dir)
    if state.status == "finished":
        return JobOutcome(job.name, "skipped", scales=state.scales_done, log=str(job.log))
    command = job.command(*(["--resume"] if state.status == "unfinished" else []))
    job.run_dir.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    with open(job.log, "a", encoding="utf-8") as log:
        log.write(f"=== {time.strftime('%Y-%m-%d %H:%M:%S')} {shlex.join(command)}\n")
        log.flush()
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        if on_process is not None:
            on_process(process)
        returncode = process.wait()
    seconds = time.monotonic() - start
    scales = run_state(job.run_dir).scales_done
    if returncode == 0:
        return JobOutcome(job.name, "done", seconds, scales, log=str(job.log))
    status = "interrupted" if returncode in (130, -signal.SIGINT) else "failed"
    reason = _last_line(job.log) or f"exit code {returncode}"
    return JobOutcome(job.name, status, seconds, scales, reason, str(job.log))


class CheckpointableTraining(_Checkpointable):
    """`train_image` as a submitit job that is requeued when preempted or out of time.

    On Slurm, submitit signals a job shortly before its time limit or when it is preempted
    and calls `checkpoint`: the training subprocess gets SIGINT (as Ctrl-C: it stops, keeping
    every finished scale) and the same call is resubmitted; the requeued job finds the run
    unfinished and continues it with ``--resume``.

    Example:
        >>> job = ImageJob("coffee", Path("runs/coffee"), ("--preset", "quick"))
        >>> outcome = CheckpointableTraining()(job)  # doctest: +SKIP
    """

    def __init__(self) -> None:
        self._process: subprocess.Popen | None = None

    def __call__(self, job: ImageJob) -> JobOutcome:
        return train_image(job, on_process=self._remember)

    def _remember(self, process: subprocess.Popen) -> None:
        self._process = process

    def checkpoint(self, job: ImageJob):  # submitit's hook; returns a DelayedSubmission
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self._process.kill()
        return DelayedSubmission(CheckpointableTraining(), job)

    def __getstate__(self) -> dict:  # a running process is not part of what is resubmitted
        return {"_process": None}


# -- many jobs -------------------------------------------------------------------------------


def plan_jobs(images: Sequence[str], root: Path, train_flags: Sequence[str] = ()) -> list[ImageJob]:
    """One `ImageJob` per image, training into ``root/<image stem>``.

    Raises:
        InputError: two images with the same stem (they would train into one directory).
    """
    by_stem: dict[str, str] = {}
    for image in images:
        stem = Path(image).stem
        if stem in by_stem:
            raise InputError(
                f"{by_stem[stem]} and {image} would both train into {Path(root) / stem}; "
                "rename one of them."
            )
        by_stem[stem] = image
    return [
        ImageJob(image, Path(root) / stem, tuple(train_flags)) for stem, image in by_stem.items()
    ]


@dataclass(frozen=True)
class SlurmOptions:
    """The Slurm resources of each job (`slurm_executor`); None leaves the cluster default."""

    partition: str | None = None
    gpus_per_job: int = 1
    cpus_per_job: int | None = None
    timeout_min: int = 24 * 60


def submitit_available() -> bool:
    return DelayedSubmission is not None


def slurm_executor(folder: Path, options: SlurmOptions, parallel: int | None = None):
    """A submitit executor for Slurm; its own logs go to `folder`.

    Raises:
        InputError: submitit is not installed (names the extra to install), or there is no
            Slurm here.
    """
    if not submitit_available():
        raise InputError(f"--executor slurm needs submitit: {CLUSTER_EXTRA_HINT}")
    if not has_slurm():
        raise InputError(
            "--executor slurm: no Slurm on this machine (srun and sbatch not found); run on "
            "the cluster's login node, or use --executor local."
        )
    import submitit

    executor = submitit.AutoExecutor(folder=folder, cluster="slurm")
    parameters = dict(
        timeout_min=options.timeout_min,
        gpus_per_node=options.gpus_per_job,
        tasks_per_node=1,
        slurm_signal_delay_s=120,  # time to stop the training before the limit
    )
    if options.partition is not None:
        parameters["slurm_partition"] = options.partition
    if options.cpus_per_job is not None:
        parameters["cpus_per_task"] = options.cpus_per_job
    if parallel is not None:
        parameters["slurm_array_parallelism"] = parallel
    executor.update_parameters(**parameters)
    return executor


def _skipped_or_none(job: ImageJob) -> JobOutcome | None:
    state = run_state(job.run_dir)
    if state.status == "finished":
        return JobOutcome(job.name, "skipped", scales=state.scales_done, log=str(job.log))
    return None


def train_many(
    jobs: Sequence[ImageJob],
    executor: str | object = "local",
    parallel: int = 1,
    say: Callable[[str], None] = print,
    scales: dict[str, int] | None = None,
) -> list[JobOutcome]:
    """Runs the jobs; returns one `JobOutcome` per job, in the order of `jobs`.

    Finished runs are skipped at once. A failed job never stops the others. One line is said
    per job as it starts and as it ends.

    Args:
        jobs: from `plan_jobs`.
        executor: ``"local"`` (a pool of subprocesses) or a submitit executor (e.g. from
            `slurm_executor`, or ``submitit.LocalExecutor``).
        parallel: trainings at once (local executor; a submitit executor has its own limit).
        say: where progress lines go.
        scales: number of scales per job name, for the progress lines.
    """
    scales = scales or {}
    outcomes: dict[str, JobOutcome] = {}
    pending = []
    for job in jobs:
        skipped = _skipped_or_none(job)
        if skipped is not None:
            outcomes[job.name] = skipped
            say(f"skip  {job.name}: finished before ({skipped.scales} scales)")
        else:
            pending.append(job)

    def started(job: ImageJob, how: str) -> None:
        state = run_state(job.run_dir)
        what = f"{scales[job.name]} scales" if job.name in scales else "scales ?"
        if state.status == "unfinished":
            what += f", resuming after scale {state.scales_done - 1}"
        say(f"{how} {job.name}: {what}, log {job.log}")

    def ended(outcome: JobOutcome) -> None:
        outcomes[outcome.name] = outcome
        line = f"{outcome.status:<5} {outcome.name}: {outcome.seconds:.1f} s"
        if outcome.reason:
            line += f": {outcome.reason}"
        say(f"{line} (log {outcome.log})")

    if executor == "local":
        _run_locally(pending, parallel, started, ended)
    else:
        _run_with_submitit(pending, executor, started, ended)
    return [outcomes[job.name] for job in jobs if job.name in outcomes]


def _run_locally(jobs, parallel, started, ended) -> None:
    """A thread per running job, each waiting on its subprocess. Ctrl-C reaches the
    trainings too (same process group): they stop and keep their finished scales."""

    def run(job: ImageJob) -> None:
        started(job, "start")
        try:
            outcome = train_image(job)
        except OSError as error:  # e.g. the run directory cannot be created
            outcome = JobOutcome(job.name, "failed", reason=str(error), log=str(job.log))
        ended(outcome)

    with concurrent.futures.ThreadPoolExecutor(max_workers=parallel) as pool:
        futures = [pool.submit(run, job) for job in jobs]
        try:
            for future in futures:
                future.result()
        except KeyboardInterrupt:
            for future in futures:
                future.cancel()
            raise


def _run_with_submitit(jobs, executor, started, ended) -> None:
    if not jobs:
        return
    submitted = executor.map_array(CheckpointableTraining(), jobs)
    for job, handle in zip(jobs, submitted, strict=True):
        started(job, f"submitted (job {handle.job_id})")
    waiting = dict(zip(submitted, jobs, strict=True))
    while waiting:
        for handle in [h for h in waiting if h.done()]:
            job = waiting.pop(handle)
            try:
                outcome = handle.result()
            except Exception as error:  # the job itself died (node failure, out of memory)
                reason = str(error).strip().splitlines()
                outcome = JobOutcome(
                    job.name, "failed", reason=reason[-1] if reason else "", log=str(job.log)
                )
            ended(outcome)
        if waiting:
            time.sleep(1.0)


def summary(outcomes: Sequence[JobOutcome]) -> list[str]:
    """The final report's lines: counts, then one line per failed or interrupted job with the
    last line of its log.

    Example:
        >>> outcomes = [JobOutcome("a", "done"), JobOutcome("b", "failed", reason="x")]
        >>> print("\\n".join(summary(outcomes)))
        2 images: 1 trained, 0 finished before, 1 failed
          failed b: x
    """
    count = {s: sum(o.status == s for o in outcomes) for s in JobOutcome.STATUSES}
    first = (
        f"{len(outcomes)} images: {count['done']} trained, {count['skipped']} finished before, "
        f"{count['failed']} failed"
    )
    if count["interrupted"]:
        first += f", {count['interrupted']} interrupted"
    lines = [first]
    for outcome in outcomes:
        if outcome.status in ("failed", "interrupted"):
            where = f" (log {outcome.log})" if outcome.log and Path(outcome.log).is_file() else ""
            lines.append(f"  {outcome.status} {outcome.name}: {outcome.reason}{where}")
    return lines


def has_slurm() -> bool:
    """Whether this machine can submit to Slurm (``srun`` and ``sbatch`` on the PATH)."""
    return shutil.which("srun") is not None and shutil.which("sbatch") is not None


# -- evaluating many runs --------------------------------------------------------------------

METRICS = ("diversity", "swd", "sifid")
PAPER_SCALES = ("N", "N-1")  # start scales 0 and 1: generation from the paper's N and N - 1
METRICS_CSV = "metrics.csv"


def metrics_columns() -> list[str]:
    """The columns of ``ROOT/metrics.csv``.

    Example:
        >>> metrics_columns()[:6]
        ['image', 'num_scales', 'height', 'width', 'diversity_N', 'swd_N']
    """
    per_scale = [f"{metric}_{scale}" for scale in PAPER_SCALES for metric in METRICS]
    return ["image", "num_scales", "height", "width", *per_scale]


def run_directories(root: str | os.PathLike) -> tuple[list[Path], list[tuple[Path, RunState]]]:
    """(finished runs, (unfinished run, its state)) among the folders of `root`, by name.

    Hidden folders (submitit's ``.submitit``) are not runs.
    """
    finished, unfinished = [], []
    for folder in sorted(p for p in Path(root).iterdir() if p.is_dir()):
        if folder.name.startswith("."):
            continue
        state = run_state(folder)
        if state.status == "finished":
            finished.append(folder)
        else:
            unfinished.append((folder, state))
    return finished, unfinished


def evaluate_run(run_dir: Path, num_samples: int, seed: int, sifid_stem=None, start_input=None):
    """One row of ``metrics.csv``: `fidelity_report` (what `singan evaluate` computes) of a
    finished run, from start scales 0 and 1 (the paper's N and N-1)."""
    from singan_keras.metrics.report import fidelity_report
    from singan_keras.singan import SinGAN

    model = SinGAN.load(run_dir)
    report = fidelity_report(
        model,
        num_samples=num_samples,
        seed=seed,
        sifid_weights=sifid_stem,
        start_input=start_input or "reconstruction",
    )
    height, width = report["image_size"]
    row: dict[str, object] = dict(
        image=run_dir.name, num_scales=report["num_scales"], height=height, width=width
    )
    for result in report["results"]:
        for metric in METRICS:
            row[f"{metric}_{result['paper_scale']}"] = result[metric]
    return row, report


def mean_and_std(values: Sequence[float | None]) -> tuple[float, float, int] | None:
    """(mean, sample standard deviation, count) of the values that are not None.

    Example:
        >>> mean_and_std([1.0, 3.0, None])
        (2.0, 1.4142135623730951, 2)
        >>> mean_and_std([None]) is None
        True
    """
    present = [float(v) for v in values if v is not None and v != ""]
    if not present:
        return None
    mean = sum(present) / len(present)
    if len(present) == 1:
        return mean, 0.0, 1
    variance = sum((v - mean) ** 2 for v in present) / (len(present) - 1)
    return mean, variance**0.5, len(present)


def table_2(rows: Sequence[dict]) -> list[str]:
    """The paper's Table 2 over many runs: one line per start scale (generation from N and
    N-1), mean ± std of each metric over the images.

    Example:
        >>> rows = [{"diversity_N": 0.5, "swd_N": 0.1, "sifid_N": None},
        ...         {"diversity_N": 0.3, "swd_N": 0.3, "sifid_N": None}]
        >>> print("\\n".join(table_2(rows)))
        generation from  images   diversity              SWD            SIFID
                      N       2   0.400 ± 0.141  0.200 ± 0.141                -
    """
    lines = [f"{'generation from':>15}  {'images':>6}  {'diversity':>14} {'SWD':>16} {'SIFID':>16}"]
    for scale in PAPER_SCALES:
        cells, count = [], 0
        for metric in METRICS:
            stats = mean_and_std([row.get(f"{metric}_{scale}") for row in rows])
            if stats is None:
                cells.append("-")
            else:
                cells.append(f"{stats[0]:.3f} ± {stats[1]:.3f}")
                count = max(count, stats[2])
        if count:
            lines.append(f"{scale:>15}  {count:>6}  {cells[0]:>14} {cells[1]:>16} {cells[2]:>16}")
    return lines
