"""MkDocs hook: the CLI reference (docs/cli.md), generated from the `singan` argparse parser.

The marker ``<!-- singan-cli-reference -->`` in ``docs/cli.md`` is replaced by a table of the
sub-commands and, for ``singan`` and each sub-command, the exact text ``--help`` prints
(wrapped at a fixed width). Nothing is copied by hand, so the page cannot drift from the code.

``singan_keras.cli.build_parser()`` imports no Keras. The metric commands (``sifid``,
``evaluate``) are only placeholders there: their real parsers live in
``singan_keras.metrics.cli``, whose import loads Keras. We build them the way ``singan sifid``
does at run time, under Keras' ``numpy`` backend (no TensorFlow, PyTorch or device start-up)
when ``jax`` is installed — the numpy backend needs it — and otherwise under the configured
backend.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import os
import sys

log = logging.getLogger("mkdocs.hooks.cli_reference")

MARKER = "<!-- singan-cli-reference -->"
PAGE = "cli.md"
WIDTH = 92  # columns of the --help text (a code block of the page shows about this many)


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def _full_metric_parser(name: str, placeholder: argparse.ArgumentParser):
    """The real parser behind a metric placeholder, as `singan <name>` builds it."""
    if "keras" not in sys.modules and importlib.util.find_spec("jax") is not None:
        os.environ["KERAS_BACKEND"] = "numpy"  # this process only: the lightest backend
    from singan_keras import cli

    metrics_cli = importlib.import_module("singan_keras.metrics.cli")
    parser = argparse.ArgumentParser(prog=placeholder.prog.rsplit(" ", 1)[0])
    getattr(metrics_cli, f"add_{name}_parser")(parser.add_subparsers(dest="command"))
    full = _subparsers(parser).choices[name]
    cli._add_debug_flag(full, default=argparse.SUPPRESS)  # as `singan_keras.cli` does
    return full


def _commands():
    """[(name, one-line help, parser)] in the order `singan --help` lists them."""
    from singan_keras.cli import build_parser

    parser = build_parser()
    action = _subparsers(parser)
    helps = {choice.dest: choice.help for choice in action._choices_actions}
    commands = [("", parser.description, parser)]
    for name, subparser in action.choices.items():
        if subparser.get_default("metric_command") is not None:
            subparser = _full_metric_parser(name, subparser)
        commands.append((name, helps.get(name, ""), subparser))
    return commands


def _help_text(parser: argparse.ArgumentParser) -> str:
    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(WIDTH + 2)  # argparse wraps at COLUMNS - 2
    try:
        return parser.format_help().rstrip()
    finally:
        if previous is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = previous


def _anchor(name: str) -> str:
    return f"singan-{name}" if name else "singan"


def _conventions() -> list[str]:
    from singan_keras import cli

    return [
        f"Exit status: 0 on success, {cli.EXIT_USER_ERROR} on a user error (a missing file, a "
        f"bad flag value, a directory that is not a run — one line `{cli.PROG}: error: ...` on "
        f"stderr; `--debug` shows the traceback instead), {cli.EXIT_INTERRUPTED} when training "
        "was interrupted with Ctrl-C (the message gives the command that resumes it). The Keras "
        "backend is chosen with `KERAS_BACKEND=tensorflow|jax|torch`; `list-images`, "
        "`schedule` and the `--help` of the other commands answer without starting it "
        "(`sifid` and `evaluate` excepted).",
        "",
    ]


def render() -> str:
    """The generated Markdown: conventions, a summary table, then one section per command."""
    commands = _commands()
    lines = [*_conventions(), "| command | what it does |", "|---|---|"]
    for name, help_text, _ in commands[1:]:
        help_text = (help_text or "").replace("|", "\\|")
        lines.append(f"| [`singan {name}`](#{_anchor(name)}) | {help_text} |")
    for name, _, parser in commands:
        title = f"singan {name}".strip()
        lines += ["", f"## `{title}` {{ #{_anchor(name)} }}", "", "```text", _help_text(parser)]
        lines += ["```"]
    return "\n".join(lines) + "\n"


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri != PAGE:
        return markdown
    if MARKER not in markdown:
        log.warning("%s has no %s marker; the CLI reference was not generated", PAGE, MARKER)
        return markdown
    return markdown.replace(MARKER, render())
