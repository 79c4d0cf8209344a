"""MkDocs hook: the CLI reference (docs/cli.md), generated from the `singan` argparse parser.

The marker ``<!-- singan-cli-reference -->`` in ``docs/cli.md`` is replaced by a table of the
sub-commands and, for ``singan`` and each sub-command, the exact text ``--help`` prints
(wrapped at a fixed width). Nothing is copied by hand, so the page cannot drift from the code.

``singan_keras.cli.build_parser()`` builds every sub-command's real parser without importing
Keras or a backend, so this hook needs neither.
"""

from __future__ import annotations

import argparse
import logging
import os

log = logging.getLogger("mkdocs.hooks.cli_reference")

MARKER = "<!-- singan-cli-reference -->"
PAGE = "cli.md"
WIDTH = 92  # columns of the --help text (a code block of the page shows about this many)


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def _commands():
    """[(name, one-line help, parser)] in the order `singan --help` lists them."""
    from singan_keras.cli import build_parser

    parser = build_parser()
    action = _subparsers(parser)
    helps = {choice.dest: choice.help for choice in action._choices_actions}
    commands = [("", parser.description, parser)]
    for name, subparser in action.choices.items():
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
        f"stderr), {cli.EXIT_INTERNAL_ERROR} on an internal error (a bug: one line "
        f"`{cli.PROG}: internal error: ...` asking you to report it), {cli.EXIT_INTERRUPTED} "
        "when training was interrupted with Ctrl-C (the message gives the command that resumes "
        "it). `--debug` shows the Python traceback of an error instead of the one line. The "
        "Keras backend is chosen with `KERAS_BACKEND=tensorflow|jax|torch`; `list-images`, "
        "`schedule` and the `--help` of every command answer without starting it.",
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
