"""Griffe extension (mkdocstrings): read the package's ``Example:`` sections as examples.

* The package writes Keras-style ``Example:`` sections (STYLE.md). Griffe's Google parser
  knows only the plural, ``Examples:``, and renders any other title as an admonition whose
  body is Markdown, where doctest lines (``>>> x``) turn into nested block quotes and their
  outputs (``[1, 2]``) into broken links. The title is renamed before parsing.
* Some sections put their doctest lines at the title's own indentation instead of one level
  deeper, which ends the section at once; those lines are indented.

Both happen before the docstrings are parsed, so examples render as Python sessions.
"""

from __future__ import annotations

import re

import griffe

_TITLE = re.compile(r"^(?P<indent>[ \t]*)Examples?:[ \t]*$")


def normalise_examples(text: str) -> str:
    """`text` with every ``Example(s):`` section titled ``Examples:`` and indented under it."""
    lines = text.split("\n")
    out = []
    i = 0
    while i < len(lines):
        match = _TITLE.match(lines[i])
        if match is None:
            out.append(lines[i])
            i += 1
            continue
        indent = match["indent"]
        out.append(f"{indent}Examples:")
        i += 1
        # A doctest block at the title's indentation: indent it, up to the first blank line.
        if i < len(lines) and lines[i].startswith(f"{indent}>>>"):
            while i < len(lines) and lines[i].strip():
                out.append("    " + lines[i])
                i += 1
    return "\n".join(out)


class ExampleSections(griffe.Extension):
    def on_instance(self, *, obj, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = normalise_examples(obj.docstring.value)
