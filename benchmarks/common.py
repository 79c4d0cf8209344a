"""Helpers shared by the benchmark scripts: argument types, the machine's name, the output."""

from __future__ import annotations

import argparse
import os
import pathlib
import platform
import sys

RESULTS_DIR = pathlib.Path(__file__).resolve().parent / "results"


def image_size(minimum: int):
    """An argparse type for ``HxW`` sizes whose sides are at least `minimum` pixels."""

    def parse(text: str) -> tuple[int, int]:
        try:
            height, width = (int(v) for v in text.lower().split("x"))
        except ValueError:
            raise argparse.ArgumentTypeError(f"a size is HxW, e.g. 64x64; got {text!r}") from None
        if min(height, width) < minimum:
            raise argparse.ArgumentTypeError(f"each side must be >= {minimum}: {text}")
        return height, width

    return parse


def positive_int(text: str) -> int:
    """An argparse type for integers >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def device_name() -> str:
    """The GPU's name when torch sees one, else the CPU's architecture and core count."""
    try:
        import torch

        if torch.cuda.is_available():
            return torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return f"{platform.machine()} CPU ({os.cpu_count()} cores)"


def write_results(header: str, table: str, name: str, out: pathlib.Path | None) -> None:
    """Prints `header` and `table`, and writes them to `out`, by default to
    ``results/<name>_cpu.md`` (``_gpu.md`` on a GPU), which the docs' backend page shows."""
    text = f"{header}\n\n{table}"
    print(text)
    slug = "cpu" if "CPU" in device_name() else "gpu"
    out = out or RESULTS_DIR / f"{name}_{slug}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")
    print(f"\nwritten to {out}", file=sys.stderr)
