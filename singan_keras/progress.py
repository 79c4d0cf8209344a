"""Whole-run progress of a training: ``scale k/N``, elapsed time, time left, total at the end.

`train_pyramid` prints one `RunProgress` line before each scale and the total after the last
one (nothing with ``verbose=0``). Keras' bar shows the iterations of one scale; these lines
show the run.

How the time left is estimated (`estimate_seconds_left`): one iteration of a scale costs
about ``a + b · work``, where ``work = height · width · channels²`` (each 3x3 convolution of
G and D does ~9 · H · W · C_in · C_out multiply-adds, and C_in = C_out = C for all but the
first and last layer) and ``a`` is the fixed cost of an iteration (Python, kernel launches),
which dominates small scales, above all on a GPU. ``a`` and ``b`` are fitted by least squares
to the finished scales' steady-state seconds per iteration (the first iteration, which traces
or compiles the train step, excluded). A negative intercept (a cost growing faster than
linearly) makes the cost proportional to ``work`` from the largest finished scale; a negative
slope (only timing noise gives one) makes it flat. Each remaining scale also costs what the
finished ones spent outside their steady iterations (building the networks, compiling, the
reconstruction input, saving): their mean. Until two scales of different sizes have finished
no estimate is printed: one scale cannot tell the fixed cost from the cost per pixel, and
extrapolating a small scale proportionally overestimates a run many times over. On tiny runs
(a few channels, a few dozen pixels) everything is fixed cost and timing noise, and the
estimate is rough; on the presets' runs it is within 2x (tests/test_progress.py).

Example:
    >>> done = [ScaleTiming(work=100.0, iterations=10, seconds=12.0, seconds_per_iteration=1.0),
    ...         ScaleTiming(work=300.0, iterations=10, seconds=32.0, seconds_per_iteration=3.0)]
    >>> estimate_seconds_left(done, [(500.0, 10)])  # a + b·work = 0 + 0.01·500 s per iteration
    52.0
    >>> format_duration(3725.0)
    '1 h 02 min'
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import keras

__all__ = ["RunProgress", "ScaleTiming", "estimate_seconds_left", "format_duration", "scale_work"]


def scale_work(height: int, width: int, channels: int) -> float:
    """What one iteration of a scale costs, up to a constant: pixels × channels².

    Example:
        >>> scale_work(10, 20, 4)
        3200.0
    """
    return float(height * width * channels * channels)


@dataclass(frozen=True)
class ScaleTiming:
    """How long one finished scale took.

    Attributes:
        work: `scale_work` of the scale.
        iterations: its training iterations.
        seconds: wall time of the whole scale (networks built, trained, saved).
        seconds_per_iteration: steady-state time of one iteration (the first excluded).
    """

    work: float
    iterations: int
    seconds: float
    seconds_per_iteration: float

    @property
    def overhead(self) -> float:
        """Time spent outside the steady iterations: set-up, compiling, saving."""
        return max(0.0, self.seconds - self.iterations * self.seconds_per_iteration)


MIN_FINISHED_SCALES = 2  # one scale cannot tell how the cost grows with the work


def _per_iteration_model(finished: Sequence[ScaleTiming]) -> tuple[float, float]:
    """(a, b) of ``seconds per iteration ≈ a + b · work`` (see the module docstring)."""
    works = [timing.work for timing in finished]
    times = [timing.seconds_per_iteration for timing in finished]
    largest = max(finished, key=lambda timing: timing.work)
    mean_work, mean_time = sum(works) / len(works), sum(times) / len(times)
    spread = sum((w - mean_work) ** 2 for w in works)
    slope = sum((w - mean_work) * (t - mean_time) for w, t in zip(works, times, strict=True))
    slope /= spread
    if slope < 0:  # larger scales measured faster (timing noise): the cost looks flat
        return largest.seconds_per_iteration, 0.0
    intercept = mean_time - slope * mean_work
    if intercept < 0:  # growing faster than linearly: proportional to the largest scale
        return 0.0, largest.seconds_per_iteration / largest.work
    return intercept, slope


def estimate_seconds_left(
    finished: Sequence[ScaleTiming], remaining: Sequence[tuple[float, int]]
) -> float | None:
    """Estimated seconds to train the `remaining` scales, given (work, iterations) of each.

    None until `MIN_FINISHED_SCALES` scales of different sizes have finished. See the module
    docstring for the model.

    Example:
        >>> done = [ScaleTiming(work=100.0, iterations=10, seconds=25.0, seconds_per_iteration=2.0)]
        >>> estimate_seconds_left(done, [(200.0, 10)]) is None
        True
        >>> done.append(ScaleTiming(200.0, 10, seconds=35.0, seconds_per_iteration=3.0))
        >>> estimate_seconds_left(done, [(400.0, 10)])  # 5 s outside + 10 × (1 s + 4 s)
        55.0
    """
    if len({timing.work for timing in finished}) < MIN_FINISHED_SCALES:
        return None
    intercept, slope = _per_iteration_model(finished)
    overhead = sum(timing.overhead for timing in finished) / len(finished)
    return sum(overhead + iterations * (intercept + slope * work) for work, iterations in remaining)


def format_duration(seconds: float) -> str:
    """A duration for people: ``42 s``, ``3 min 05 s``, ``1 h 02 min``.

    Example:
        >>> format_duration(42.4), format_duration(185), format_duration(7260)
        ('42 s', '3 min 05 s', '2 h 01 min')
    """
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


class _IterationClock(keras.callbacks.Callback):
    """Records when each iteration (= Keras epoch) of a scale's ``fit()`` ends."""

    def __init__(self, clock: Callable[[], float]):
        super().__init__()
        self.clock = clock
        self.ends: list[float] = []

    def on_epoch_end(self, epoch, logs=None):
        self.ends.append(self.clock())


class RunProgress:
    """The whole-run lines `train_pyramid` prints, and the timings behind them.

    Args:
        sizes: (H, W) of every scale of the run.
        channels: channels of every scale's networks.
        iterations: training iterations per scale.
        say: where the lines go (``print``, or a no-op for ``verbose=0``).
        clock: seconds, monotonic (`time.perf_counter`; tests give a fake one).

    Example:
        >>> ticks = iter([0, 0, 1, 2, 4, 4, 8, 12, 14, 14, 30, 46, 48, 48])  # a fake clock
        >>> progress = RunProgress([(8, 8), (16, 16), (32, 32)], [4, 4, 4], 2, print,
        ...                        lambda: next(ticks))
        >>> def train(k):
        ...     iteration_clock = progress.scale_begin(k)
        ...     for epoch in range(2):
        ...         iteration_clock.on_epoch_end(epoch)
        ...     progress.scale_end(k)
        >>> train(0)  # 1 s per iteration, 2 s outside the iterations
        scale 1/3 | elapsed 0 s | time left: estimated after 2 scales
        >>> train(1)  # 4x the pixels: 4 s per iteration
        scale 2/3 | elapsed 4 s | time left: estimated after this scale
        >>> train(2)  # the line through (1 s, 4 s): 2 + 2 x 16 s
        scale 3/3 | elapsed 14 s | about 34 s left
        >>> progress.finish()
        trained 3 scales in 48 s
    """

    def __init__(
        self,
        sizes: Sequence[tuple[int, int]],
        channels: Sequence[int],
        iterations: int,
        say: Callable[[str], None],
        clock: Callable[[], float] = time.perf_counter,
    ):
        self.works = [scale_work(h, w, c) for (h, w), c in zip(sizes, channels, strict=True)]
        self.iterations = iterations
        self.say = say
        self.clock = clock
        self.start = clock()
        self.finished: list[ScaleTiming] = []
        self._scale_start = self.start
        self._iteration_clock: _IterationClock | None = None

    def scale_begin(self, k: int) -> keras.callbacks.Callback:
        """Prints ``scale k+1/N | elapsed ... | ... left``; returns the callback for its fit."""
        self._scale_start = now = self.clock()
        remaining = [(work, self.iterations) for work in self.works[k:]]
        left = estimate_seconds_left(self.finished, remaining)
        needed = MIN_FINISHED_SCALES - len(self.finished)
        if left is not None:
            estimate = f"about {format_duration(left)} left"
        elif needed > 1:
            estimate = f"time left: estimated after {needed} scales"
        else:
            estimate = "time left: estimated after this scale"
        self.say(
            f"scale {k + 1}/{len(self.works)} | elapsed {format_duration(now - self.start)} | "
            f"{estimate}"
        )
        self._iteration_clock = _IterationClock(self.clock)
        return self._iteration_clock

    def scale_end(self, k: int) -> None:
        """Records scale `k`'s timing (call after it is saved: saving is part of its cost)."""
        seconds = self.clock() - self._scale_start
        ends = self._iteration_clock.ends if self._iteration_clock else []
        if len(ends) >= 2:
            per_iteration = (ends[-1] - ends[0]) / (len(ends) - 1)
        else:
            per_iteration = seconds / max(1, len(ends))
        self.finished.append(ScaleTiming(self.works[k], len(ends), seconds, per_iteration))

    def finish(self) -> None:
        """Prints the total once the last scale is trained (nothing if none was trained here)."""
        if self.finished:
            total = format_duration(self.clock() - self.start)
            scales = "1 scale" if len(self.finished) == 1 else f"{len(self.finished)} scales"
            self.say(f"trained {scales} in {total}")
