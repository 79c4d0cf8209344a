"""The whole-run progress lines of a training: scale k/N, elapsed, time left, total.

The time-left estimate is checked against a fake clock, never the real one: on this project's
shared 2-core CI machine the real time per iteration of a tiny run swings by more than 2x with
the load of other processes (and the first iterations of each scale, which trace/compile,
dominate a tiny run), so a real-time check would test the machine, not the estimator. The fake
clock advances by what a *known* cost model says each iteration and each scale's set-up cost;
the true time left is then computed from that model here, independently of the estimator.

Why within 2x: the estimator assumes an iteration costs ``a + b·pixels·channels²``; real
costs are not exactly that (memory traffic, fixed per-layer costs, a compile per scale on
JAX/TensorFlow), so the estimate is an order-of-magnitude guide — "about 3 minutes" versus
"about an hour" is what a user decides on — and 2x is the loosest bound that still tells
those apart. The cost models below are deliberately *not* the estimator's own.
"""

import re

import keras
import numpy as np
import pytest
from conftest import smooth_image, tiny_config

from singan_keras import SinGAN, preset, scale_schedule
from singan_keras import training as training_module
from singan_keras.models import channels_at_scale
from singan_keras.progress import RunProgress, estimate_seconds_left, format_duration

LINE = re.compile(r"^scale (\d+)/(\d+) \| elapsed (.+?) \| (.+)$")


def parse_duration(text: str) -> float:
    """Seconds of a `format_duration` text (written here from the format, not the code)."""
    units = {"h": 3600, "min": 60, "s": 1}
    parts = text.split()
    pairs = zip(parts[::2], parts[1::2], strict=True)
    return float(sum(int(value) * units[unit] for value, unit in pairs))


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def simulate(sizes, channels, iterations, cost, setup, say=None):
    """Runs `RunProgress` over a run whose scale k costs setup(k) + iterations × cost(k)
    seconds of fake time; returns ({k: estimate printed before k}, {k: true time left})."""
    clock = FakeClock()
    lines = []
    progress = RunProgress(sizes, channels, iterations, say or lines.append, clock)
    estimates, truths = {}, {}
    for k in range(len(sizes)):
        truths[k] = sum(setup(j) + iterations * cost(j) for j in range(k, len(sizes)))
        iteration_clock = progress.scale_begin(k)
        estimates[k] = estimate_seconds_left(
            progress.finished, [(w, iterations) for w in progress.works[k:]]
        )
        clock.now += setup(k) * 0.7  # before the first iteration: building, compiling
        for epoch in range(iterations):
            clock.now += cost(k)
            iteration_clock.on_epoch_end(epoch)
        clock.now += setup(k) * 0.3  # after the last: saving
        progress.scale_end(k)
    progress.finish()
    return estimates, truths, lines


def paper_like_pyramid():
    config = preset("paper")
    schedule = scale_schedule(188, 250, config.scale_factor, config.min_size, config.max_size)
    channels = [channels_at_scale(k) for k in range(schedule.num_scales)]
    return list(schedule.sizes), channels


@pytest.mark.parametrize(
    "name, cost_of_work, setup_seconds",
    [
        # CPU-like: a fixed 4 ms per iteration plus slightly super-linear compute
        ("cpu", lambda w: 0.004 + 2e-10 * w**1.05, lambda k: 1.0),
        # GPU-like: launch-bound small scales, sub-linear compute, a compile per scale
        ("gpu", lambda w: 0.02 + 3e-9 * w**0.8, lambda k: 8.0 + k),
        # a fixed part and sub-linear compute (larger convolutions use the CPU better)
        ("sublinear", lambda w: 0.002 + 1e-8 * w**0.9, lambda k: 2.0),
        # exactly the estimator's model: then the estimate is exact from the third scale on
        ("linear", lambda w: 0.01 + 1e-9 * w, lambda k: 2.0),
    ],
)
def test_time_left_is_within_2x_of_the_truth(name, cost_of_work, setup_seconds):
    sizes, channels = paper_like_pyramid()
    works = [h * w * c * c for (h, w), c in zip(sizes, channels, strict=True)]
    estimates, truths, _ = simulate(
        sizes, channels, 50, lambda k: cost_of_work(works[k]), setup_seconds
    )
    assert estimates[0] is None and estimates[1] is None  # a line needs two scales
    for k in range(2, len(sizes)):
        assert truths[k] / 2 <= estimates[k] <= truths[k] * 2, (k, estimates[k], truths[k])
    if name == "linear":
        for k in range(2, len(sizes)):
            assert estimates[k] == pytest.approx(truths[k], rel=1e-6)


def test_the_lines_say_scale_elapsed_time_left_and_the_total():
    sizes, channels = [(20, 20), (30, 30), (40, 40)], [4, 4, 8]
    _, truths, lines = simulate(sizes, channels, 10, lambda k: 0.5 * (k + 1), lambda k: 3.0)
    assert len(lines) == 4
    elapsed = 0.0
    for k, line in enumerate(lines[:3]):
        match = LINE.match(line)
        assert match, line
        assert (int(match[1]), int(match[2])) == (k + 1, 3)
        assert parse_duration(match[3]) == pytest.approx(elapsed, abs=0.5)
        elapsed += truths[k] - (truths[k + 1] if k + 1 < 3 else 0.0)
    assert LINE.match(lines[0])[4] == "time left: estimated after 2 scales"
    assert LINE.match(lines[1])[4] == "time left: estimated after this scale"
    assert re.fullmatch(r"about .+ left", LINE.match(lines[2])[4])
    total = re.fullmatch(r"trained 3 scales in (.+)", lines[3])
    assert total and parse_duration(total[1]) == pytest.approx(truths[0], abs=0.5)


@pytest.mark.parametrize(
    "seconds, text",
    [(0.2, "0 s"), (59.4, "59 s"), (60, "1 min 00 s"), (3599, "59 min 59 s"), (3600, "1 h 00 min")],
)
def test_durations_read_as_people_write_them(seconds, text):
    assert format_duration(seconds) == text
    assert parse_duration(text) == pytest.approx(seconds, abs=0.5)


class AdvanceFakeClock(keras.callbacks.Callback):
    """Makes each iteration of scale k cost `cost(k)` fake seconds and its start `setup`."""

    def __init__(self, clock, cost, setup):
        super().__init__()
        self.clock, self.cost, self.setup = clock, cost, setup

    def scale(self) -> int:
        return int(re.search(r"scale_(\d+)", self.model.name)[1])

    def on_train_begin(self, logs=None):
        self.clock.now += self.setup

    def on_epoch_end(self, epoch, logs=None):
        self.clock.now += self.cost(self.scale())


def test_a_tiny_training_prints_progress_with_an_honest_estimate(monkeypatch, capsys):
    clock = FakeClock()
    monkeypatch.setattr(training_module, "progress_clock", clock)
    config = tiny_config()
    image = smooth_image()
    schedule = scale_schedule(
        *image.shape[:2], config.scale_factor, config.min_size, config.max_size
    )
    num_scales = schedule.num_scales
    works = [
        h
        * w
        * channels_at_scale(
            k, config.base_channels, config.max_channels, config.channels_double_every
        )
        ** 2
        for k, (h, w) in enumerate(schedule.sizes)
    ]

    def cost(k):  # not the estimator's model: a square root of the work, plus a fixed part
        return 0.3 + 0.05 * np.sqrt(works[k])

    setup = 4.0
    model = SinGAN.train(image, config, callbacks=[AdvanceFakeClock(clock, cost, setup)], verbose=2)
    assert model.schedule == schedule
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if LINE.match(line)]
    assert [LINE.match(line)[1] for line in lines] == [str(k + 1) for k in range(num_scales)]
    for k in range(2, num_scales):
        left = re.fullmatch(r"about (.+) left", LINE.match(lines[k])[4])
        assert left, lines[k]
        truth = sum(setup + config.iterations * cost(j) for j in range(k, num_scales))
        assert truth / 2 <= parse_duration(left[1]) <= truth * 2, (lines[k], truth)
    total = re.search(rf"^trained {num_scales} scales in (.+)$", out, re.MULTILINE)
    truth = sum(setup + config.iterations * cost(j) for j in range(num_scales))
    assert total and parse_duration(total[1]) == pytest.approx(truth, abs=0.5)


def test_verbose_0_prints_nothing(capsys):
    SinGAN.train(smooth_image(), tiny_config(iterations=1), verbose=0)
    assert capsys.readouterr().out == ""
