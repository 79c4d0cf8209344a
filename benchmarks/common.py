"""Helpers shared by the benchmark scripts: argument types and the machine's name."""

from __future__ import annotations

import argparse
import os
import platform


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
