"""Reliability: every kind of file, bad flags, killed runs, broken checkpoints, full disks.

One section per promise of the reliability issue:

1. bad images either load as documented or stop before training with one line naming the file;
2. bad arguments give one message each and write nothing;
3. Ctrl-C and SIGKILL at any moment leave a run that ``--resume`` finishes (the moments are
   fixed, so that every run of the suite tests the same ones: Ctrl-C as a scale starts;
   SIGKILL inside a scale, while a scale is being saved, and between two scales);
4. corrupt, truncated or foreign checkpoint files give one clear error, and nothing from a file
   is ever executed (cross-backend loading: `test_training.py`, whose run trained under each
   CI backend is sampled under the other two);
5. write failures keep the finished scales, and paths with spaces and non-ASCII work.

(Memory from scale to scale is measured in its own test file, in a subprocess with a cold,
private JAX compile cache.)

Tests where the backend does not matter (decoding files, parsing flags, the handling of write
failures) run under `ONE_BACKEND` only. The others share one small run per backend, trained in
stages that interrupt it (`interrupted_run`).
"""

import contextlib
import csv
import io
import json
import os
import re
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import h5py
import keras
import numpy as np
import pytest
from conftest import smooth_image
from PIL import Image

import singan_keras
from singan_keras import SinGAN, build_pyramid, load_image, save_image, scale_schedule
from singan_keras.checkpoint import RunDirectoryError, load_array_file
from singan_keras.cli import main
from singan_keras.image_io import ImageError, image_size, to_uint8

ONE_BACKEND = "torch"  # the cheapest to train on a CPU
one_backend = pytest.mark.skipif(
    keras.backend.backend() != ONE_BACKEND,
    reason=f"backend-independent: runs under KERAS_BACKEND={ONE_BACKEND} only",
)

# A run of 4 scales of 14x17 .. 24x28 px, 4 channels, 3 iterations of 1 + 1 steps. Compiling
# each scale's train step (TensorFlow, JAX) costs far more than training it: few scales.
RUN_FLAGS = [
    "--max-size", "28", "--min-size", "14", "--scale-factor", "0.75", "--iters", "3",
    "--critic-steps", "1", "--generator-steps", "1", "--channels", "4",
]  # fmt: skip
RUN_SCALES = 4
INTERRUPTED_AT = 1  # Ctrl-C arrives as this scale's training starts
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0  # permissions do not stop root


def _cli(argv, capsys) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _error_line(err: str) -> str:
    """The one line a failed command prints; fails if there is more, or a traceback.

    A flag argparse refuses comes after argparse's usage lines, as for every command line
    tool (``usage: ...`` and its indented continuation lines), and is prefixed with the
    sub-command (``singan paint: error: ...``).
    """
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    if lines and lines[0].startswith("usage: "):
        lines = [line for line in lines[1:] if not line.startswith(" ")]
    assert len(lines) == 1 and re.match(r"singan( [a-z-]+)?: error: ", lines[0]), err
    return lines[0]


def _is_temporary(path: Path) -> bool:
    return path.name.startswith(".tmp-") or (path.name.startswith(".") and path.suffix == ".tmp")


def _check_every_file_is_complete(run_dir: Path) -> list[Path]:
    """Opens and reads every file of a run directory fully; returns the temporaries found."""
    temporaries = []
    for path in sorted(p for p in run_dir.rglob("*") if p.is_file()):
        if _is_temporary(path):
            temporaries.append(path)
        elif path.name.endswith(".weights.h5"):
            with h5py.File(path, "r") as file:
                file.visititems(lambda _, o: o[()] if isinstance(o, h5py.Dataset) else None)
        elif path.suffix in (".npy", ".npz"):
            load_array_file(path)
        elif path.suffix == ".json":
            json.loads(path.read_text())
        elif path.suffix == ".csv":
            rows = list(csv.reader(path.open()))
            assert rows and len({len(row) for row in rows}) == 1, path
        elif path.suffix == ".png":
            with Image.open(path) as image:
                image.load()
        elif path.name == ".lock":  # the PID of the process training, or empty
            assert re.fullmatch(r"(\d+\n)?", path.read_text()), path
        else:
            pytest.fail(f"unexpected file in the run directory: {path}")
    return temporaries


# -- 1. bad images ------------------------------------------------------------------------------


def _png(width: int, height: int, bit_depth: int, rows: bytes) -> bytes:
    """An RGB PNG written by hand (Pillow writes neither 16-bit colour nor lying headers)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, bit_depth, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _png16_rgb(pixels: np.ndarray) -> bytes:
    height, width, _ = pixels.shape
    rows = b"".join(b"\x00" + row.astype(">u2").tobytes() for row in pixels)
    return _png(width, height, 16, rows)


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory) -> Path:
    """Good and bad image files in a folder whose name has a space and non-ASCII letters."""
    folder = tmp_path_factory.mktemp("images") / "imágenes de prueba"
    folder.mkdir()
    noise = np.random.default_rng(0).integers(0, 256, (60, 80, 3), dtype=np.uint8)
    Image.fromarray(noise).save(folder / "noise.png")
    Image.fromarray(noise).save(folder / "noise.jpg", quality=90)
    png, jpeg = (folder / "noise.png").read_bytes(), (folder / "noise.jpg").read_bytes()

    (folder / "notes.png").write_text("these are not pixels\n")
    (folder / "empty.png").touch()
    (folder / "empty.jpg").touch()
    (folder / "signature only.png").write_bytes(png[:8])
    (folder / "cut.png").write_bytes(png[: len(png) // 2])
    (folder / "cut.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    flipped = bytearray(png)
    flipped[len(png) // 2] ^= 0xFF  # inside the compressed pixel data
    (folder / "flipped byte.png").write_bytes(bytes(flipped))
    (folder / "a folder.png").mkdir()
    Image.fromarray(noise[:20, :20]).save(folder / "small 20x20.png")
    Image.fromarray(np.zeros((20, 2000, 3), np.uint8)).save(folder / "strip 20x2000.png")
    (folder / "bomb.png").write_bytes(_png(20000, 20000, 8, b"\0" * 16))  # 400 Mpx claimed

    gray = noise[..., 0]
    Image.fromarray(gray).save(folder / "gray.png")
    rgba = np.concatenate([noise, np.full((60, 80, 1), 255, np.uint8)], axis=-1)
    rgba[:10, :10, 3] = 0  # transparent corner: dropped, not composited
    Image.fromarray(rgba).save(folder / "rgba.png")
    Image.fromarray(noise).quantize(16).save(folder / "palette.png")
    Image.fromarray(gray.astype(np.uint16) * 257).save(folder / "gray16.png")
    (folder / "rgb16.png").write_bytes(_png16_rgb(noise.astype(np.uint16) * 256 + 77))
    Image.fromarray(noise).convert("CMYK").save(folder / "cmyk.jpg")
    Image.fromarray(gray > 127).save(folder / "bilevel.png")
    return folder


# Each case: file name in `image_folder`, what the one error line says besides the file name.
BAD_IMAGES = {
    "not an image": ("notes.png", "is not an image file Pillow can read"),
    "empty PNG": ("empty.png", "is an empty file (0 bytes), not an image"),
    "empty JPEG": ("empty.jpg", "is an empty file (0 bytes), not an image"),
    "PNG signature only": ("signature only.png", "is not an image file Pillow can read"),
    "truncated PNG": ("cut.png", "(truncated or corrupt?): image file is truncated"),
    "truncated JPEG": ("cut.jpg", "(truncated or corrupt?): image file is truncated"),
    "corrupt PNG data": ("flipped byte.png", "(truncated or corrupt?)"),
    "directory": ("a folder.png", "is a directory"),
    "missing path": ("missing.png", "is neither an existing file nor one of the bundled images"),
    "smaller than min_size": ("small 20x20.png", "The image is too small for min_size=25"),
    "aspect ratio 2000x20": ("strip 20x2000.png", "its shorter side is 3 px after resizing"),
    "20000x20000 header": ("bomb.png", "is too large to decode safely"),
}


@one_backend
@pytest.mark.parametrize("case", list(BAD_IMAGES))
def test_bad_image_stops_before_training_with_one_line(case, image_folder, tmp_path, capsys):
    name, expected = BAD_IMAGES[case]
    path, run_dir = image_folder / name, tmp_path / "run"
    code, out, err = _cli(["train", path, "--out", run_dir], capsys)
    line = _error_line(err)
    assert code == 2 and out == ""
    assert expected in line and name in line
    assert not run_dir.exists()
    with pytest.raises((ValueError, FileNotFoundError), match=re.escape(name)) as info:
        SinGAN.train(path, "paper", run_dir, verbose=0)  # the API stops at the same point
    assert expected in str(info.value) and "\n" not in str(info.value)
    assert not run_dir.exists()


@one_backend
def test_debug_shows_the_traceback_of_a_bad_image(image_folder, tmp_path):
    with pytest.raises(ImageError, match="notes.png"):
        main(["train", str(image_folder / "notes.png"), "--out", str(tmp_path / "r"), "--debug"])


def _deny(monkeypatch, owner, name: str, path: Path) -> None:
    """Root ignores permissions: make `owner.name` fail as it would for another user."""

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(owner, name, denied)


@one_backend
def test_unreadable_image(image_folder, tmp_path, monkeypatch, capsys):
    path = tmp_path / "secret.png"
    shutil.copy(image_folder / "noise.png", path)
    path.chmod(0)
    if ROOT:
        _deny(monkeypatch, Image, "open", path)
    code, _, err = _cli(["train", path, "--out", tmp_path / "run"], capsys)
    assert code == 2 and _error_line(err) == f"singan: error: Permission denied: {path}"


# Files that load, each with the one log line `load_image` writes about it.
DOCUMENTED_IMAGES = {
    "gray.png": "replicated grayscale (8-bit) to 3 channels",
    "rgba.png": "dropped its alpha channel, which has transparent pixels (not composited",
    "palette.png": "converted palette image (mode P) to RGB via RGBA",
    "gray16.png": "scaled 16-bit grayscale",
    "rgb16.png": "read its 16-bit colour channels at 8 bits (Pillow)",
    "cmyk.jpg": "converted mode CMYK to RGB",
    "bilevel.png": "converted bilevel image (mode 1) to grayscale",
}


@one_backend
@pytest.mark.parametrize("name", list(DOCUMENTED_IMAGES))
def test_unusual_images_load_as_documented(name, image_folder, caplog, capsys):
    path = image_folder / name
    with caplog.at_level("INFO", logger="singan_keras"):
        image = load_image(path)
    assert image.shape == (60, 80, 3) and image.dtype == np.float32
    assert -1.0 <= image.min() and image.max() <= 1.0
    notes = [r.getMessage() for r in caplog.records]
    assert any(DOCUMENTED_IMAGES[name] in n and name in n for n in notes), notes
    # and the command line takes it (the schedule is the last step before training)
    code, out, _ = _cli(["schedule", path, "--preset", "quick"], capsys)
    assert code == 0 and out.strip() == str(scale_schedule(60, 80, 0.75, 25, 64))


@one_backend
def test_colour_values_of_16_bit_rgba_and_cmyk_files(image_folder):
    noise = np.asarray(Image.open(image_folder / "noise.png"))
    expected = noise / 127.5 - 1.0
    # 16-bit colour: Pillow keeps the high byte (the file holds noise * 256 + 77)
    np.testing.assert_allclose(load_image(image_folder / "rgb16.png"), expected, atol=1e-6)
    # RGBA: the colour under transparent pixels is kept (alpha dropped, not composited)
    np.testing.assert_allclose(load_image(image_folder / "rgba.png"), expected, atol=1e-6)
    # CMYK JPEG: Pillow's conversion, close to the RGB it came from despite JPEG losses
    assert np.abs(load_image(image_folder / "cmyk.jpg") - expected).mean() < 0.1


@pytest.fixture(scope="module")
def huge_images(tmp_path_factory) -> dict[str, Path]:
    """An 8000x6000 photo-sized image as JPEG and PNG (a smooth gradient: small files)."""
    folder = tmp_path_factory.mktemp("huge")
    gradient = Image.linear_gradient("L").resize((8000, 6000))
    image = Image.merge(
        "RGB", (gradient, gradient.rotate(180), gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    )
    paths = {"jpeg": folder / "huge 8000x6000.jpg", "png": folder / "huge 8000x6000.png"}
    image.save(paths["jpeg"], quality=85)
    image.save(paths["png"], compress_level=1)
    return paths


MEASURE_LOAD = r"""
import resource, sys
from singan_keras.image_io import load_image
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
image = load_image(sys.argv[1], max_size=int(sys.argv[2]))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(image.shape[0], image.shape[1], (after - before) * 1024)
"""
FULL_DECODE = 8000 * 6000 * 3  # bytes of one 8-bit RGB decode at full resolution (144 MB)


@one_backend
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss in KiB on Linux")
@pytest.mark.parametrize(
    "kind, bound",
    # JPEG is decoded at 1/8 by libjpeg (Image.draft): far below one full decode. A PNG
    # has no reduced decoding in Pillow: one 8-bit decode (144 MB) is unavoidable, the
    # box-filter reduction and zlib buffers stay below another. A full-resolution float
    # conversion, as without max_size, would peak at ~2.9 GB (measured).
    [("jpeg", FULL_DECODE // 4), ("png", 2 * FULL_DECODE)],
)
def test_huge_image_is_decoded_reduced_in_bounded_memory(kind, bound, huge_images):
    """Peak memory is measured in a fresh process (tracemalloc misses Pillow's C buffers)."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE_LOAD, str(huge_images[kind]), "250"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    height, width, peak_increase = map(int, done.stdout.split())
    assert (height, width) == (375, 500)  # reduced by 16, to >= 2 x max_size
    assert peak_increase < bound, f"{kind}: peak grew by {peak_increase / 1e6:.0f} MB"


@one_backend
def test_huge_image_keeps_the_schedule_of_its_full_size(huge_images, capsys):
    assert image_size(huge_images["jpeg"]) == (6000, 8000)
    code, out, _ = _cli(["schedule", huge_images["jpeg"]], capsys)
    assert code == 0 and out.strip() == str(scale_schedule(6000, 8000))


@one_backend
def test_a_reduced_load_gives_nearly_the_same_pyramid(tmp_path):
    path = save_image(smooth_image(600, 800), tmp_path / "big.png")
    schedule = scale_schedule(600, 800, 0.75, 25, 64)
    reduced = load_image(path, max_size=64)
    assert reduced.shape == (100, 134, 3)  # 800 // (2 * 64) = 6
    for full_level, reduced_level in zip(
        build_pyramid(load_image(path), schedule), build_pyramid(reduced, schedule), strict=True
    ):
        difference = np.abs(full_level - reduced_level)
        assert difference.mean() < 1 / 127.5 and difference.max() < 4 / 127.5  # grey levels


# -- 2. bad arguments ---------------------------------------------------------------------------

# Flags checked before an image is read; each: (what the one error line says, extra argv).
BAD_TRAIN_FLAGS = {
    "scale factor 1": ("argument --scale-factor: must be in (0, 1) (exclusive), got 1",
                       ["--scale-factor", "1"]),
    "scale factor 0": ("argument --scale-factor: must be in (0, 1) (exclusive), got 0",
                       ["--scale-factor", "0"]),
    "scale factor -0.5": ("argument --scale-factor: must be in (0, 1) (exclusive), got -0.5",
                          ["--scale-factor=-0.5"]),
    "scale factor nan": ("argument --scale-factor: expected a finite number, got 'nan'",
                         ["--scale-factor", "nan"]),
    "min above max": ("--min-size (40) must be <= --max-size (30)",
                      ["--min-size", "40", "--max-size", "30"]),
    "negative iterations": ("argument --iters: must be >= 1, got -5", ["--iters=-5"]),
    "negative seed": ("argument --seed: must be >= 0, got -1", ["--seed=-1"]),
    "negative samples": ("argument --samples: must be >= 0, got -2", ["--samples=-2"]),
    "text iterations": ("argument --iters: expected an integer, got 'many'", ["--iters", "many"]),
}  # fmt: skip


@one_backend
@pytest.mark.parametrize("case", list(BAD_TRAIN_FLAGS))
def test_bad_training_flags(case, tmp_path, capsys):
    expected, flags = BAD_TRAIN_FLAGS[case]
    code, _, err = _cli(["train", "coffee", "--out", tmp_path / "run", *flags], capsys)
    assert code == 2 and expected in _error_line(err)
    assert not (tmp_path / "run").exists()


@one_backend
@pytest.mark.parametrize(
    "values, expected",
    [
        ({"scale_factor": 1.0}, "scale_factor must be in (0, 1), got 1.0"),
        ({"scale_factor": 0.0}, "scale_factor must be in (0, 1), got 0.0"),
        ({"min_size": 40, "max_size": 30}, "max_size (30) must be >= min_size (40)"),
        ({"iterations": -3}, "iterations must be >= 1, got -3"),
    ],
)
def test_bad_config_values(values, expected):
    from singan_keras import TrainConfig

    with pytest.raises(ValueError, match=r"^Invalid TrainConfig: ") as info:
        TrainConfig(**values)
    assert expected in str(info.value)


# -- 3. interruption ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run_image(tmp_path_factory) -> Path:
    """A 24x28 training image whose path has spaces and non-ASCII letters."""
    folder = tmp_path_factory.mktemp("image") / "fotos de ñandú"
    return save_image(smooth_image(24, 28, seed=3), folder / "árbol 1.png")


# Each SIGKILL: (where the `--resume` subprocess kills itself, the scale, the iteration), and
# how many scales its manifest lists afterwards. They run in this order on one run directory.
KILL_POINTS = {
    # at the end of iteration 2 (of 3) of scale 1: the scale's losses are a temporary file
    "inside a scale": (("iteration", 1, 2), 1),
    # scale 1 trained, its generator saved, its critic written to a temporary and flushed,
    # not yet renamed: the manifest does not list the scale yet
    "while saving a scale": (("rename", 1, 0), 1),
    # once scale 2 is saved, manifest last, before scale 3 starts
    "between scales": (("saved", 2, 0), 3),
}

# Runs `singan train ... --resume` (argv[5:]) and SIGKILLs itself at a kill point: the
# process dies at that point every time, whatever the machine's speed. Hooks through the
# public API (`SinGAN.train`'s callbacks and on_scale_end, which the CLI calls) and
# `os.replace` (every file of a run is renamed into place), not through the library.
KILL_DRIVER = r"""
import os, signal, sys
from pathlib import Path
import keras
from singan_keras import SinGAN
from singan_keras.cli import main

where, scale, iteration, first_scale = sys.argv[1], *map(int, sys.argv[2:5])

def die():
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)

class KillInside(keras.callbacks.Callback):
    # one fit() per scale: counting on_train_begin from the first unfinished scale
    current = first_scale - 1
    def on_train_begin(self, logs=None):
        KillInside.current += 1
    def on_epoch_end(self, epoch, logs=None):
        if where == "iteration" and self.current == scale and epoch + 1 == iteration:
            die()

def kill_when_saved(model, result):
    if where == "saved" and result.scale == scale:
        die()

real_replace = os.replace
def replace(source, destination, *args, **kwargs):
    destination = Path(destination)
    if (where == "rename" and destination.name == "critic.weights.h5"
            and destination.parent.name == f"scale_{scale:02d}"):
        die()
    return real_replace(source, destination, *args, **kwargs)
os.replace = replace

real_train = SinGAN.train.__func__
def train(cls, *args, callbacks=(), on_scale_end=None, **kwargs):
    assert on_scale_end is None  # the CLI reports nothing per scale
    callbacks = [*callbacks, KillInside()]
    return real_train(cls, *args, callbacks=callbacks, on_scale_end=kill_when_saved, **kwargs)
SinGAN.train = classmethod(train)
sys.exit(main(sys.argv[5:]))
"""


class _CtrlCAsScaleStarts(keras.callbacks.Callback):
    """A real SIGINT (Ctrl-C) as scale `scale` starts, before its step is compiled."""

    def __init__(self, scale: int):
        super().__init__()
        self.scale, self.current = scale, -1

    def on_train_begin(self, logs=None):
        self.current += 1
        if self.current == self.scale:
            # raise_signal, not os.kill(getpid()): a process-directed signal may land on one
            # of JAX's threads, and the main thread then raises KeyboardInterrupt wherever it
            # happens to be: in 2 of 3 full JAX suites here, somewhere that swallowed it
            # (training went on). raise_signal delivers it to this thread, right here.
            signal.raise_signal(signal.SIGINT)


@pytest.fixture(scope="module")
def interrupted_run(run_image, tmp_path_factory):
    """One run of `RUN_SCALES` scales, interrupted four times at fixed points, then finished.

    1. in this process, ``singan train`` gets a real SIGINT (Ctrl-C) as scale
       `INTERRUPTED_AT` starts;
    2. three subprocesses ``singan train --resume`` in turn SIGKILL themselves at the
       `KILL_POINTS`: inside a scale, while a scale is being saved, between two scales;
       after each, the state of the run directory is recorded;
    3. in this process, ``singan train --resume`` finishes the run.
    """
    run_dir = tmp_path_factory.mktemp("runs") / "ejecución nº 1"
    argv = ["train", str(run_image), "--out", str(run_dir), *RUN_FLAGS, "--quiet"]
    stages = {"argv": argv, "run_dir": run_dir, "kills": {}}

    # 1. Ctrl-C. The CLI calls SinGAN.train: give it the callback that sends the signal.
    real_train = SinGAN.train.__func__

    def train_with_ctrl_c(cls, *args, **kwargs):
        return real_train(cls, *args, callbacks=[_CtrlCAsScaleStarts(INTERRUPTED_AT)], **kwargs)

    # A shell starts background jobs with SIGINT ignored, and Python keeps that; Ctrl-C in a
    # terminal reaches Python's default handler, so install it for the duration.
    previous_handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(SinGAN, "train", classmethod(train_with_ctrl_c))
            stages["ctrl_c"] = _run_main(argv)
    finally:
        signal.signal(signal.SIGINT, previous_handler)
    stages["after_ctrl_c"] = json.loads((run_dir / "manifest.json").read_text())

    # 2. SIGKILL at each kill point, one subprocess each.
    for name, ((where, scale, iteration), _) in KILL_POINTS.items():
        first_scale = len(json.loads((run_dir / "manifest.json").read_text())["scales"])
        resume = [*argv[:-1], "--resume"]  # not --quiet: the log shows how far it got
        done = subprocess.run(
            [sys.executable, "-c", KILL_DRIVER, where, str(scale), str(iteration)]
            + [str(first_scale), *resume],
            capture_output=True,
            text=True,
            env=dict(os.environ, KERAS_BACKEND=keras.backend.backend(), PYTHONUNBUFFERED="1"),
            timeout=600,  # a hang, not a slow machine: the kill comes at a fixed point
        )
        manifest = json.loads((run_dir / "manifest.json").read_text())
        stages["kills"][name] = {
            "returncode": done.returncode,
            "log": done.stdout + done.stderr,
            "manifest": manifest,
            "lock": (run_dir / ".lock").read_text(),
            "temporaries": _check_every_file_is_complete(run_dir),
            "files": sorted(p.relative_to(run_dir) for p in run_dir.rglob("*") if p.is_file()),
            "bytes": {
                path: path.read_bytes()
                for k in range(len(manifest["scales"]))
                for path in (run_dir / f"scale_{k:02d}").iterdir()
            },
        }

    # 3. --resume finishes the run.
    stages["resume"] = _run_main([*argv, "--resume", "--samples", "2"])
    return stages


def _run_main(argv):
    """`main(argv)` with stdout/stderr captured: (exit code, stderr)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    return code, err.getvalue()


def _wait_for_line(log: Path, text: str, process, timeout: float) -> None:
    """Polls the output of `process` until it contains `text` (`timeout`: against a hang)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            pytest.fail(f"the process ended early: {log.read_text()[-2000:]}")
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"no {text!r} after {timeout} s: {log.read_text()[-2000:]}")


def test_ctrl_c_stops_cleanly_keeping_the_finished_scales(interrupted_run):
    code, err = interrupted_run["ctrl_c"]
    run_dir, argv = interrupted_run["run_dir"], interrupted_run["argv"]
    assert code == 130 and "Traceback" not in err
    [line] = err.strip().splitlines()
    prefix = f"interrupted; finished scales are saved in {run_dir}; continue with: "
    assert line.startswith(prefix)
    # the printed command, as a shell splits it, is the same training plus --resume
    resume = shlex.split(line[len(prefix) :])
    assert resume[:2] == ["singan", "train"] and resume[-1] == "--resume"
    assert resume[2:-1] == [arg for arg in argv[1:] if arg != "--quiet"]
    assert len(interrupted_run["after_ctrl_c"]["scales"]) == INTERRUPTED_AT


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_sigkill_keeps_the_saved_scales_and_leaves_no_half_written_file(point, interrupted_run):
    """Right after the kill: the manifest lists the scales saved before it, every file with a
    real name is complete (`_check_every_file_is_complete` reads each), what was being
    written is a temporary, and the lock names the dead process."""
    (where, scale, _), listed = KILL_POINTS[point]
    kill = interrupted_run["kills"][point]
    assert kill["returncode"] == -signal.SIGKILL, kill["log"][-3000:]
    assert len(kill["manifest"]["scales"]) == listed
    assert re.fullmatch(r"\d+\n", kill["lock"]), kill["lock"]  # a PID; no one released it
    temporaries = [path.name for path in kill["temporaries"]]
    scale_files = {str(p) for p in kill["files"] if p.parts[0] == f"scale_{scale:02d}"}
    if where == "iteration":  # the scale's losses so far, written by Keras' CSVLogger
        assert len(temporaries) == 1 and temporaries[0].endswith(".csv"), temporaries
        assert not any(name.endswith(".weights.h5") for name in scale_files), scale_files
    elif where == "rename":  # the critic's weights, complete but under a temporary name
        assert any(name.endswith(".weights.h5") for name in temporaries), temporaries
        assert f"scale_{scale:02d}/generator.weights.h5" in scale_files
        assert f"scale_{scale:02d}/critic.weights.h5" not in scale_files
    else:  # "saved": nothing was being written
        assert temporaries == [] and len(kill["manifest"]["scales"]) == scale + 1


def test_resume_after_sigkill_finishes_the_run(interrupted_run):
    run_dir = interrupted_run["run_dir"]
    assert interrupted_run["resume"][0] == 0, interrupted_run["resume"][1]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["num_scales"] == len(manifest["scales"]) == RUN_SCALES
    assert SinGAN.load(run_dir).is_complete
    assert (run_dir / ".lock").read_text() == ""  # the last trainer released it
    # the scales saved before each kill were kept as they were, not trained again
    for kill in interrupted_run["kills"].values():
        for path, data in kill["bytes"].items():
            assert path.read_bytes() == data, path


def test_no_file_is_ever_half_written(interrupted_run):
    """Resuming removed the temporary files the killed processes left; every file is
    complete."""
    run_dir = interrupted_run["run_dir"]
    assert any(kill["temporaries"] for kill in interrupted_run["kills"].values())
    assert _check_every_file_is_complete(run_dir) == []
    # the samples the command wrote are the loaded model's samples (seed 0)
    samples = SinGAN.load(run_dir).sample(2, seed=0)
    for i, sample in enumerate(samples):
        written = np.asarray(Image.open(run_dir / "samples" / f"sample_{i:03d}.png"))
        assert np.abs(written.astype(int) - to_uint8(sample)).max() <= 1


# -- 4. checkpoints -------------------------------------------------------------------------------


def _foreign_weights(path: Path) -> None:
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.save_weights(path)


def _wider_generator(path: Path) -> None:
    """The weights of an 8-channel generator where a 4-channel one is expected."""
    from singan_keras.models import build_generator

    build_generator(8).save_weights(path)


def _edit_manifest(change):
    def edit(run_dir: Path) -> None:
        path = run_dir / "manifest.json"
        path.write_text(json.dumps(change(json.loads(path.read_text()))))

    return edit


def _cut(relative: str):
    def cut(run_dir: Path) -> None:
        path = run_dir / relative
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    return cut


def _write(relative: str, data: bytes):
    return lambda run_dir: (run_dir / relative).write_bytes(data)


# Each case: (how to damage a copy of the finished run, what the one error line says).
BROKEN_RUNS = {
    "truncated weights": (_cut("scale_00/generator.weights.h5"),
        "scale_00/generator.weights.h5: corrupt or incompatible weights (Unable to"),
    "garbage weights": (_write("scale_00/generator.weights.h5", b"\x00" * 999),
        "scale_00/generator.weights.h5: corrupt or incompatible weights"),
    "foreign weights": (lambda r: _foreign_weights(r / "scale_00" / "generator.weights.h5"),
        "scale_00/generator.weights.h5: corrupt or incompatible weights (A total of"),
    "8-channel weights": (lambda r: _wider_generator(r / "scale_00" / "generator.weights.h5"),
        "scale_00/generator.weights.h5: corrupt or incompatible weights"),
    "missing weights": (lambda r: (r / "scale_00" / "generator.weights.h5").unlink(),
        "scale_00/generator.weights.h5: missing from the run directory"),
    "truncated reals": (_cut("reals.npz"), "reals.npz: corrupt or not a numpy file"),
    "foreign reals": (lambda r: np.savez(r / "reals.npz", image=np.zeros(3)),
        "reals.npz: not this run's image pyramid"),
    "PNG as z_star.npy": (lambda r: shutil.copy(r / "reconstruction.png", r / "z_star.npy"),
        "z_star.npy: corrupt or not a numpy file"),
    "manifest not JSON": (_write("manifest.json", b"{\"format_version\": 1,"),
        "manifest.json: unreadable manifest"),
    "manifest is a list": (_write("manifest.json", b"[1, 2]"),
        "manifest.json: not a singan_keras manifest"),
    "manifest without scales": (_edit_manifest(lambda m: {k: v for k, v in m.items()
                                                          if k != "scales"}),
        "malformed manifest (no entry 'scales')"),
    "future format": (_edit_manifest(lambda m: {**m, "format_version": 2}),
        "run format version 2 is newer than this singan_keras understands (1); upgrade"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BROKEN_RUNS))
def test_broken_run_directory_gives_one_clear_error(case, interrupted_run, tmp_path, capsys):
    damage, expected = BROKEN_RUNS[case]
    broken = tmp_path / "broken run"
    shutil.copytree(interrupted_run["run_dir"], broken)
    damage(broken)
    with pytest.raises(RunDirectoryError) as info:
        SinGAN.load(broken)
    assert expected in str(info.value) and "\n" not in str(info.value)
    out = tmp_path / "samples"
    code, _, err = _cli(["sample", broken, "--num", "1", "--out", out], capsys)
    assert code == 2 and expected in _error_line(err)
    assert not out.exists()


class _Marker:
    """Unpickling this would create the file `path`."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_loading_never_unpickles(interrupted_run, tmp_path):
    marker = tmp_path / "code was run"
    for name in ("z_star.npy", "reals.npz"):
        broken = tmp_path / name
        shutil.copytree(interrupted_run["run_dir"], broken)
        evil = np.array([_Marker(str(marker))], dtype=object)
        if name.endswith(".npy"):
            np.save(broken / name, evil, allow_pickle=True)
        else:
            np.savez(broken / name, scale_00=evil)
        with pytest.raises(RunDirectoryError, match=f"{name}: corrupt or not a numpy file") as info:
            SinGAN.load(broken)
        assert "allow_pickle" not in str(info.value)  # no advice to load it unsafely
    assert not marker.exists()


@one_backend
def test_the_package_never_unpickles_or_turns_safe_mode_off():
    package = Path(singan_keras.__file__).parent
    for path in package.rglob("*.py"):
        text = path.read_text()
        for forbidden in ("import pickle", "allow_pickle=True", "safe_mode=False"):
            assert forbidden not in text, f"{path}: {forbidden}"
        for call in re.findall(r"torch\.load\(([^)]*)\)", text):  # weights only: no code runs
            assert "weights_only=True" in call, f"{path}: torch.load({call})"


def test_a_run_records_what_it_was_trained_with(interrupted_run):
    manifest = json.loads((interrupted_run["run_dir"] / "manifest.json").read_text())
    assert manifest["format_version"] == 1
    assert manifest["singan_keras_version"] == singan_keras.__version__
    assert manifest["keras_version"] == keras.__version__
    assert manifest["backend"] == keras.backend.backend()


# -- 2. (continued) arguments checked against a trained run -------------------------------------


def _paint_of_size(folder: Path, height: int, width: int) -> Path:
    return save_image(np.zeros((height, width, 3)), folder / f"paint {height}x{width}.png")


def _mask_of_size(folder: Path, height: int, width: int) -> Path:
    mask = np.zeros((height, width, 3))
    mask[:3, :3] = 1.0
    return save_image(mask * 2 - 1, folder / f"mask {height}x{width}.png")


# Each: (what the one error line says, argv from the run dir, the image, a folder, the output).
BAD_RUN_ARGUMENTS = {
    "start scale = number of scales": (
        f"--start-scale must be between 0 and {RUN_SCALES - 1} for this model",
        lambda run, image, tmp, out: ["sample", run, "--num", 1, "--out", out,
                                      "--start-scale", RUN_SCALES]),
    "start scale -1": ("argument --start-scale/--gen_start_scale: must be >= 0, got -1",
        lambda run, image, tmp, out: ["sample", run, "--num", 1, "--out", out,
                                      "--start-scale=-1"]),
    "paint start scale 0": ("argument --start-scale: must be >= 1, got 0",
        lambda run, image, tmp, out: ["paint", run, image, "--start-scale", 0, "--out", out]),
    "paint start scale = number of scales": (
        f"--start-scale must be between 1 and {RUN_SCALES - 1} for this model",
        lambda run, image, tmp, out: ["paint", run, image, "--start-scale", RUN_SCALES,
                                      "--out", out]),
    "paint of the wrong size": ("PAINT must have the training image's size (height x width "
                                "24x28); got 20x28",
        lambda run, image, tmp, out: ["paint", run, _paint_of_size(tmp, 20, 28),
                                      "--start-scale", 2, "--out", out]),
    "mask of the wrong size": ("--mask must have the image's size 24x28 (height x width); "
                               "got 24x27",
        lambda run, image, tmp, out: ["edit", run, image, "--mask", _mask_of_size(tmp, 24, 27),
                                      "--start-scale", 2, "--out", out]),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_RUN_ARGUMENTS))
def test_bad_arguments_for_a_trained_run(case, interrupted_run, run_image, tmp_path, capsys):
    expected, make_argv = BAD_RUN_ARGUMENTS[case]
    out = tmp_path / "out" / "result.png"
    argv = make_argv(interrupted_run["run_dir"], run_image, tmp_path, out)
    code, _, err = _cli(argv, capsys)
    assert code == 2 and expected in _error_line(err)
    assert not out.parent.exists()


# -- 3. (continued) one writer per run directory ------------------------------------------------

HOLD_LOCK = r"""
import sys, time
from singan_keras.checkpoint import RunDirectoryLock
RunDirectoryLock(sys.argv[1]).acquire()
print("locked", flush=True)
time.sleep(600)
"""


@pytest.fixture
def lock_holder(tmp_path):
    """A second process that holds the lock of ``tmp_path / "run"`` (and does nothing else)."""
    run_dir = tmp_path / "run"
    log = tmp_path / "holder.log"
    with open(log, "w") as output:
        process = subprocess.Popen(
            [sys.executable, "-c", HOLD_LOCK, str(run_dir)],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, KERAS_BACKEND=keras.backend.backend()),
        )
    try:
        _wait_for_line(log, "locked", process, timeout=120)
        yield run_dir, process
    finally:
        process.kill()
        process.wait(timeout=60)


@one_backend
@pytest.mark.skipif(os.name != "posix", reason="run directories are locked on POSIX only")
def test_a_second_trainer_stops_with_one_line_naming_the_holder(lock_holder, run_image, capsys):
    run_dir, holder = lock_holder
    expected = f"{run_dir} is being written by another process (PID {holder.pid})"
    for extra in ([], ["--resume"]):
        code, _, err = _cli(["train", run_image, "--out", run_dir, *TINY_FLAGS, *extra], capsys)
        assert code == 2 and expected in _error_line(err)
    with pytest.raises(RunDirectoryError, match=re.escape(expected)):
        SinGAN.train(run_image, _tiny_api_config(), run_dir, resume=True, verbose=0)
    model = SinGAN.train(smooth_image(24, 28), _tiny_api_config(), verbose=0)
    with pytest.raises(RunDirectoryError, match=re.escape(expected)):
        model.save(run_dir)
    assert sorted(p.name for p in run_dir.iterdir()) == [".lock"]  # nothing was written


@one_backend
@pytest.mark.skipif(os.name != "posix", reason="run directories are locked on POSIX only")
def test_a_killed_holder_releases_the_lock(lock_holder, run_image, capsys):
    run_dir, holder = lock_holder
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=60)
    code, _, err = _cli(["train", run_image, "--out", run_dir, *TINY_FLAGS, "--quiet"], capsys)
    assert code == 0, err
    assert SinGAN.load(run_dir).is_complete
    assert (run_dir / ".lock").read_text() == ""  # released by the trainer when it ended


def _tiny_api_config():
    from singan_keras import preset

    return preset(
        "quick", min_size=12, max_size=24, scale_factor=0.7, iterations=1, critic_steps=1,
        generator_steps=1, base_channels=4,
    )  # fmt: skip


# -- 5. disk and paths ----------------------------------------------------------------------------

TINY_FLAGS = [
    "--max-size", "24", "--min-size", "12", "--scale-factor", "0.7", "--iters", "2",
    "--critic-steps", "1", "--generator-steps", "1", "--channels", "4", "--samples", "0",
]  # fmt: skip


@one_backend
def test_output_path_that_cannot_be_a_directory(run_image, tmp_path, capsys):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("a file, not a folder")
    code, _, err = _cli(["train", run_image, "--out", a_file / "run", *TINY_FLAGS], capsys)
    assert code == 2 and _error_line(err) == f"singan: error: Not a directory: {a_file / 'run'}"
    code, _, err = _cli(["train", run_image, "--out", a_file, *TINY_FLAGS], capsys)
    assert code == 2 and _error_line(err) == (
        f"singan: error: Output directory {a_file} exists and is not a directory."
    )
    assert a_file.read_text() == "a file, not a folder"


@one_backend
def test_output_directory_not_writable(run_image, tmp_path, monkeypatch, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    if ROOT:
        _deny(monkeypatch, Path, "mkdir", locked / "run")
    code, _, err = _cli(["train", run_image, "--out", locked / "run", *TINY_FLAGS], capsys)
    assert code == 2 and _error_line(err) == f"singan: error: Permission denied: {locked / 'run'}"
    assert list(locked.iterdir()) == []


@one_backend
def test_a_full_disk_stops_with_one_line_and_keeps_the_finished_scales(
    run_image, tmp_path, monkeypatch, capsys
):
    """A disk that fills up during a run: first found by the free-space check before a scale,
    then by a write that fails half-way (mocked: h5py's own reaction to a real full disk
    varies, down to a crash). Both leave the finished scales loadable and resumable."""
    from singan_keras import checkpoint

    run_dir = tmp_path / "run on a small disk"
    argv = ["train", run_image, "--out", run_dir, *TINY_FLAGS, "--quiet"]
    assert scale_schedule(24, 28, 0.7, 12, 24).num_scales == 3
    real_disk_usage = shutil.disk_usage

    def nearly_full(path):
        usage = real_disk_usage(path)
        full = (run_dir / "scale_01" / "generator.weights.h5").exists()
        return usage._replace(free=100_000) if full else usage

    monkeypatch.setattr(checkpoint.shutil, "disk_usage", nearly_full)
    code, _, err = _cli(argv, capsys)
    line = _error_line(err)
    assert code == 2
    assert "Not enough free space to save scale 2 (about 1.0 MiB needed, 0.1 MiB free): " in line
    assert str(run_dir) in line
    assert "finished scales are kept in" in line and line.endswith("--resume")
    assert SinGAN.load(run_dir).num_scales == 2

    monkeypatch.undo()
    real_save_weights = keras.Model.save_weights

    def fail_half_way(model, path, *args, **kwargs):
        if "scale_02" not in str(path):
            return real_save_weights(model, path, *args, **kwargs)
        Path(path).write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 1000)  # the first bytes only
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(keras.Model, "save_weights", fail_half_way)
    code, _, err = _cli([*argv, "--resume"], capsys)
    line = _error_line(err)
    assert code == 2 and "No space left on device: " in line and "scale_02" in line
    assert SinGAN.load(run_dir).num_scales == 2
    assert _check_every_file_is_complete(run_dir) == []  # no half-written file, no temporary
    assert not (run_dir / "scale_02" / "generator.weights.h5").exists()

    monkeypatch.undo()
    code, _, err = _cli([*argv, "--resume"], capsys)
    assert code == 0, err
    assert SinGAN.load(run_dir).is_complete
