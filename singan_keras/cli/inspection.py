"""`singan list-images`, `singan schedule` and `singan env`: look before training.

`list-images` and `schedule` never import Keras; `env` imports it to report the backend.

Example:
    $ singan list-images
    $ singan schedule coffee --preset quick
    $ KERAS_BACKEND=jax singan env
"""

from __future__ import annotations

import argparse
import sys

from singan_keras import __version__
from singan_keras.cli.arguments import add_command, add_pyramid_flags

__all__ = ["register", "run_env", "run_list_images", "run_schedule"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds `list-images`, `schedule` and `env`."""
    add_command(
        subparsers,
        "list-images",
        run_list_images,
        help="list the bundled example images and their sizes.",
        description="Names (usable as IMAGE in train/schedule) and sizes of the bundled images.",
    )

    parser = add_command(
        subparsers,
        "schedule",
        run_schedule,
        help="print the scale pyramid (number of scales, sizes) an image would get.",
        description="Prints the scale schedule SinGAN would train IMAGE with; nothing is trained.",
    )
    parser.add_argument("image", metavar="IMAGE", help="image file or the name of a bundled image.")
    add_pyramid_flags(parser)

    add_command(
        subparsers,
        "env",
        run_env,
        help="print versions, the Keras backend and the device it runs on (for bug reports).",
        description="Versions of singan_keras, Keras, the backend, numpy and Python, and "
        "whether the backend sees a GPU and which device it will run on.",
    )


def run_list_images(args: argparse.Namespace) -> int:
    """Runs `singan list-images`: one line ``name  height x width`` per bundled image."""
    from PIL import Image

    from singan_keras.data import list_images, resolve_image

    names = list_images()
    width = max(len(name) for name in names)
    for name in names:
        with Image.open(resolve_image(name)) as image:  # reads the header only
            columns, rows = image.size
        print(f"{name:<{width}}  {rows} x {columns}")
    return 0


def run_schedule(args: argparse.Namespace) -> int:
    """Runs `singan schedule`: the pyramid the same flags would give `singan train`."""
    from singan_keras.cli.training import given_config_flags, image_schedule, train_config

    given = given_config_flags(args)
    overrides = f" with {given}" if given else ""
    # On stderr: stdout stays the schedule alone, for scripts and `diff`.
    print(
        f"Preset {args.preset!r}{overrides} (another: --preset; as `singan train` trains):",
        file=sys.stderr,
    )
    print(image_schedule(args.image, train_config(args)))
    return 0


def _distribution_version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _gpu_visible() -> str:
    """'yes (...)' / 'no' for the active backend; never raises."""
    try:
        from singan_keras import backends

        devices = backends.accelerators()
    except Exception as error:  # a broken CUDA install must not stop a bug report
        return f"unknown ({type(error).__name__}: {error})".splitlines()[0]
    return f"yes ({', '.join(devices)})" if devices else "no"


def _default_device() -> str:
    """Where the active backend will run (`backends.default_device`); never raises."""
    try:
        from singan_keras import backends

        return backends.default_device()
    except Exception as error:  # a broken CUDA install must not stop a bug report
        return f"unknown ({type(error).__name__}: {error})".splitlines()[0]


def _backend_rows() -> list[tuple[str, str]]:
    """Fast paths and the compile cache of `singan_keras.backends` (the `singan` command turns
    the JAX cache on: it owns its process)."""
    from singan_keras import backends

    fast = "on" if backends.FAST_PATHS else "off (SINGAN_KERAS_FAST_PATHS=0)"
    cache = backends.enable_compile_cache()
    return [
        ("fast paths", fast),
        ("compile cache", str(cache) if cache else "none (nothing compiled is kept on disk)"),
    ]


def run_env(args: argparse.Namespace) -> int:
    """Runs `singan env`: versions, the backend and whether it sees a GPU (for bug reports)."""
    import os
    import platform

    import numpy as np

    rows = [
        ("singan_keras", __version__),
        ("python", f"{platform.python_version()} ({sys.executable})"),
        ("numpy", np.__version__),
        ("keras", _distribution_version("keras") or "not installed"),
        ("KERAS_BACKEND", os.environ.get("KERAS_BACKEND", "(not set)")),
    ]
    try:
        import keras

        backend = keras.backend.backend()
    except Exception as error:  # e.g. KERAS_BACKEND names a library that is not installed
        backend = None
        rows.append(("backend", f"cannot import Keras: {error}".splitlines()[0]))
    if backend is not None:
        version = getattr(sys.modules.get(backend), "__version__", "?")  # imported by Keras
        rows.append(("backend", f"{backend} {version}"))
        rows.append(("GPU visible", _gpu_visible()))
        rows.append(("device", _default_device()))
        rows.extend(_backend_rows())
    for name, distributions in (
        ("tensorflow", ("tensorflow", "tensorflow-cpu")),
        ("jax", ("jax",)),
        ("torch", ("torch",)),
    ):
        versions = [_distribution_version(d) for d in distributions]
        rows.append((f"  {name} installed", next((v for v in versions if v), "no")))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    return 0
