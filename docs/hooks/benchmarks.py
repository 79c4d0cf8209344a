"""MkDocs hook: the benchmark results, included from ``benchmarks/results/*.md`` at build time.

The marker ``<!-- benchmark-results -->`` in a page is replaced by one section per results
file (sorted by name), each naming the file and the script in ``benchmarks/`` that writes it,
followed by the file's content. A new results file appears on the site without any edit, and
the tables are never copied, so they cannot go stale.
"""

from __future__ import annotations

import ast
import logging
from pathlib import Path

log = logging.getLogger("mkdocs.hooks.benchmarks")

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
MARKER = "<!-- benchmark-results -->"


def _script_for(result: Path) -> Path | None:
    """`benchmarks/train_full.py` for `train_full_quick_cpu.md`: the longest matching name."""
    scripts = sorted(RESULTS.parent.glob("*.py"), key=lambda p: -len(p.stem))
    return next((s for s in scripts if result.stem.startswith(s.stem)), None)


def _summary(script: Path) -> str:
    """The first line of a script's docstring (read without running it)."""
    docstring = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8"))) or ""
    return docstring.strip().split("\n")[0].rstrip(".")


def render(heading_level: int = 3) -> str:
    sections = []
    for result in sorted(RESULTS.glob("*.md")):
        script = _script_for(result)
        origin = "From a script no longer in `benchmarks/`"
        if script is not None:
            origin = f"Written by `benchmarks/{script.name}` — {_summary(script)}"
        sections.append(
            f"{'#' * heading_level} `{result.name}`\n\n*{origin}.*\n\n"
            f"{result.read_text(encoding='utf-8').strip()}\n"
        )
    if not sections:
        return "*No results in `benchmarks/results/` yet.*\n"
    return "\n".join(sections)


def on_page_markdown(markdown, page, config, files):
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, render())


def on_serve(server, config, builder):
    server.watch(str(RESULTS))
    return server
