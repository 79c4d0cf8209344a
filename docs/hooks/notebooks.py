"""MkDocs hook: every tutorial notebook on the site, with its outputs when they exist.

* **Which notebooks.** Every ``tutorials/*.ipynb`` (the set ``.ci/run_notebooks.py`` runs)
  becomes the page ``tutorials/<name>/``, appended in file order to the nav section
  ``Tutorials`` of ``mkdocs.yml``; a new notebook appears without editing any list. Its nav
  title is the notebook's first ``# `` heading, up to a colon. The marker
  ``<!-- tutorial-list -->`` (``docs/tutorials/index.md``) becomes a list of the pages.
* **Which copy.** The committed notebooks have no outputs (CONTRIBUTING.md). CI executes them
  once, ``python .ci/run_notebooks.py --save-executed build/executed_notebooks``, and this hook
  renders those executed copies, so every figure on the site comes from the current code and
  the build executes nothing. A copy is used only if its cells equal the committed
  notebook's, every code cell ran without an error, and it is newer than every file of the
  package; otherwise (and when there is none, as in a plain local ``mkdocs build``) the
  committed notebook is rendered, with a note saying why and how to get the outputs. The
  folder is ``build/executed_notebooks``, or ``$SINGAN_DOCS_EXECUTED_NOTEBOOKS``.
* **Download.** Each notebook page has a button that downloads the committed notebook (no
  outputs: the file a student runs, the same one ``singan tutorials DIR`` copies), written
  next to the page as ``tutorials/<name>/<name>.ipynb``. mkdocs-jupyter's ``include_source``
  is not used: it would offer the rendered copy (with this site's outputs), and Material shows
  no button for it without a template override.
* mkdocs-jupyter (``mkdocs.yml``) converts the notebooks to HTML. This hook hands it the
  chosen copies and, on each notebook page, removes the MathJax 2 loader it embeds (the
  site's MathJax 3, ``docs/javascripts/mathjax.js``, typesets the notebooks' equations) and
  moves the stylesheets it inlines — the same ~0.6 MB of JupyterLab CSS on every page — into
  one shared file, ``assets/stylesheets/jupyter.css``, which keeps the pages small and the
  build (search indexing) fast.
"""

from __future__ import annotations

import html
import json
import logging
import os
import posixpath
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import mkdocs.plugins
from mkdocs.structure.files import File
from mkdocs.utils import get_relative_url

log = logging.getLogger("mkdocs.hooks.notebooks")

ROOT = Path(__file__).resolve().parents[2]
TUTORIALS = ROOT / "tutorials"
PACKAGE = ROOT / "singan_keras"
EXECUTED = Path(
    os.environ.get("SINGAN_DOCS_EXECUTED_NOTEBOOKS", ROOT / "build" / "executed_notebooks")
).resolve()
STAGING = ROOT / "build" / "docs_notebooks"  # a docs-like folder of the copies to render
NAV_SECTION = "Tutorials"
LIST_MARKER = "<!-- tutorial-list -->"
RUN_COMMAND = (
    "KERAS_BACKEND=torch python .ci/run_notebooks.py "
    f"--save-executed {os.path.relpath(EXECUTED, ROOT)}"
)


@dataclass(frozen=True)
class Notebook:
    stored: Path  # tutorials/01_pyramid.ipynb, as committed
    rendered: Path  # the executed copy, or `stored`
    heading: str  # the notebook's first "# " heading
    note: str  # HTML shown under that heading

    @property
    def title(self) -> str:  # for the nav
        return self.heading.split(":")[0].strip()

    @property
    def has_outputs(self) -> bool:
        return self.rendered != self.stored


_notebooks: dict[str, Notebook] = {}  # src_uri ("tutorials/01_pyramid.ipynb") -> Notebook
_stylesheets: dict[str, None] = {}  # the CSS blocks moved out of the pages, in order
_downloads: dict[str, Path] = {}  # site path of a notebook offered for download -> its file
STYLESHEET = "assets/stylesheets/jupyter.css"


# -- choosing the copy ---------------------------------------------------------------------------


def _source(cell: dict) -> str:
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else source


def _cells(notebook: dict) -> list[tuple[str, str]]:
    return [(cell["cell_type"], _source(cell)) for cell in notebook["cells"]]


def _newest_package_file() -> Path:
    return max(PACKAGE.rglob("*.py"), key=lambda path: path.stat().st_mtime)


def _why_not_usable(executed_path: Path, executed: dict, stored: dict) -> str | None:
    """None when `executed` is a complete, error-free, current run of `stored`; else why not."""
    if _cells(executed) != _cells(stored):
        return "its cells differ from the committed notebook's (it was executed before a change)"
    for index, cell in enumerate(executed["cells"]):
        if cell["cell_type"] != "code" or not _source(cell).strip():
            continue
        if any(output.get("output_type") == "error" for output in cell.get("outputs", [])):
            return f"cell {index} raised an error when it was executed"
        if cell.get("execution_count") is None:
            return f"cell {index} was never executed (the run stopped before it)"
    newest = _newest_package_file()
    if newest.stat().st_mtime > executed_path.stat().st_mtime:
        return (
            f"the package changed after it was executed ({newest.relative_to(ROOT)} is newer), "
            "so its outputs may not be what the current code gives"
        )
    return None


def _heading(notebook: dict, fallback: str) -> str:
    for kind, source in _cells(notebook):
        if kind == "markdown":
            for line in source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def _admonition(kind: str, title: str, body: str) -> str:
    return f'<div class="admonition {kind}"><p class="admonition-title">{title}</p>{body}</div>'


def _note(stored: Path, executed: Path | None, problem: str | None) -> str:
    files = (
        f"<code>tutorials/{stored.stem}.py</code> (the source, jupytext) and "
        f"<code>tutorials/{stored.name}</code>"
    )
    if executed is not None and problem is None:
        return _admonition(
            "info",
            "Rendered with outputs",
            "<p>The outputs on this page come from executing the notebook top to bottom in "
            "quick mode with <code>.ci/run_notebooks.py</code>, after the last change to the "
            "package's code (CI executes every notebook in the run that builds this site). "
            f"Files: {files}.</p>",
        )
    reason = "No executed copy of this notebook was found"
    if executed is not None:
        reason = (
            f"The executed copy <code>{html.escape(os.path.relpath(executed, ROOT))}</code> "
            f"was not used: {html.escape(problem)}"
        )
    return _admonition(
        "note",
        "Shown without outputs",
        f"<p>{reason}; this page shows the notebook as committed, without outputs. To see its "
        "figures, execute the notebooks (quick mode: minutes on a CPU) and build the site "
        f"again:</p><pre><code>{html.escape(RUN_COMMAND)}\nmkdocs serve</code></pre>"
        f"<p>or open it in Jupyter. Files: {files}.</p>",
    )


def _collect() -> dict[str, Notebook]:
    notebooks = {}
    for stored in sorted(TUTORIALS.glob("*.ipynb")):
        try:
            committed = json.loads(stored.read_text(encoding="utf-8"))
            _cells(committed)
        except (ValueError, KeyError, TypeError) as error:
            log.warning("%s is not a readable notebook (%s); it is left out", stored, error)
            continue
        candidate = EXECUTED / stored.name
        executed = candidate if candidate.is_file() else None
        problem = None
        if executed is not None:
            try:
                content = json.loads(executed.read_text(encoding="utf-8"))
                problem = _why_not_usable(executed, content, committed)
            except (ValueError, KeyError, TypeError) as error:
                problem = f"it could not be read ({error})"
            if problem is not None:
                log.info("%s: not using %s: %s", stored.name, executed, problem)
        notebooks[f"tutorials/{stored.name}"] = Notebook(
            stored=stored,
            rendered=executed if executed is not None and problem is None else stored,
            heading=_heading(committed, stored.stem),
            note=_note(stored, executed, problem),
        )
    return notebooks


def _stage() -> Path:
    """Copies each chosen notebook to build/docs_notebooks/tutorials/<name>.ipynb.

    mkdocs-jupyter wraps the files it renders in a way that loses the path of a
    `File.generated`, so the notebooks reach it as ordinary files of a second source folder
    (git-ignored, rewritten at every build).
    """
    shutil.rmtree(STAGING, ignore_errors=True)
    for uri, notebook in _notebooks.items():
        target = STAGING / uri
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(notebook.rendered, target)
    return STAGING


# -- MkDocs events -------------------------------------------------------------------------------


def on_config(config):
    global _notebooks
    _notebooks = _collect()
    _stylesheets.clear()
    _downloads.clear()
    log.info(
        "tutorials: %d notebook(s), %d rendered with outputs from %s",
        len(_notebooks),
        sum(nb.has_outputs for nb in _notebooks.values()),
        EXECUTED,
    )
    for item in config.nav or []:
        if isinstance(item, dict) and NAV_SECTION in item:
            section = item[NAV_SECTION]
            section = [section] if isinstance(section, str) else list(section)
            # Idempotent: `mkdocs serve` may hand the same nav to a rebuild.
            kept = [
                entry
                for entry in section
                if not (isinstance(entry, dict) and set(entry.values()) <= set(_notebooks))
            ]
            item[NAV_SECTION] = kept + [{nb.title: uri} for uri, nb in _notebooks.items()]
            break
    else:
        log.warning("mkdocs.yml has no nav section %r to list the notebooks in", NAV_SECTION)
    return config


@mkdocs.plugins.event_priority(50)  # before mkdocs-jupyter wraps the notebook files
def on_files(files, config):
    staging = _stage()
    for uri in _notebooks:
        existing = files.get_file_from_path(uri)
        if existing is not None:
            files.remove(existing)
        files.append(File(uri, str(staging), config.site_dir, config.use_directory_urls))
    return files


def on_page_markdown(markdown, page, config, files):
    if LIST_MARKER not in markdown:
        return markdown
    here = Path(page.file.src_uri).parent
    lines = []
    for uri, notebook in _notebooks.items():
        link = Path(os.path.relpath(uri, here)).as_posix()
        state = "with outputs" if notebook.has_outputs else "without outputs"
        text = notebook.heading.replace("[", "\\[").replace("]", "\\]")
        lines.append(f"* [{text}]({link}) — `{notebook.stored.name}`, {state}")
    return markdown.replace(LIST_MARKER, "\n".join(lines) or "*No notebooks found.*")


_MATHJAX_2 = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S)
_TEMPLATE_CSS = re.compile(r'<style type="text/css">(.*?)</style>', re.S)  # not outputs' CSS
_FIRST_H1_END = re.compile(r"</h1>", re.I)


def _download_button(notebook: Notebook, page) -> str:
    """A button that downloads the committed notebook, which `on_post_build` writes beside
    the page."""
    uri = posixpath.join(posixpath.dirname(page.file.dest_uri), notebook.stored.name)
    _downloads[uri] = notebook.stored
    href = html.escape(get_relative_url(uri, page.url))
    return (
        f'<p><a class="md-button" href="{href}" download>Download the notebook '
        f"<code>{notebook.stored.name}</code></a> &nbsp;Or every tutorial at once, after "
        "<code>pip install singan-keras</code>: <code>singan tutorials ./singan-tutorials</code>"
        "</p>"
    )


def on_page_content(html_content, page, config, files):
    notebook = _notebooks.get(page.file.src_uri)
    if notebook is None:
        return html_content
    html_content = _MATHJAX_2.sub("", html_content)
    blocks = _TEMPLATE_CSS.findall(html_content)
    if blocks:
        _stylesheets.update(dict.fromkeys(blocks))
        href = get_relative_url(STYLESHEET, page.url)
        html_content = f'<link rel="stylesheet" href="{href}">' + _TEMPLATE_CSS.sub(
            "", html_content
        )
    header = _download_button(notebook, page) + notebook.note
    if _FIRST_H1_END.search(html_content):
        return _FIRST_H1_END.sub(lambda m: m.group(0) + header, html_content, count=1)
    return header + html_content


def on_post_build(config):
    for uri, stored in _downloads.items():
        target = Path(config.site_dir) / uri
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(stored, target)
    if _stylesheets:
        path = Path(config.site_dir) / STYLESHEET
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(_stylesheets), encoding="utf-8")


def on_serve(server, config, builder):
    server.watch(str(TUTORIALS))
    if EXECUTED.is_dir():
        server.watch(str(EXECUTED))
    return server
