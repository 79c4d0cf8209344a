#!/usr/bin/env python3
"""Check that the built site's equations render in a browser with no outside network.

Serves the built site (``site/``, after ``mkdocs build``) from a local HTTP server on
127.0.0.1, loads pages in headless Chromium (Debian's ``chromium``) with every connection
outside 127.0.0.1 blocked, and fails unless, on each page:

* MathJax rendered the equations: the page has ``<mjx-container>`` elements, and on the
  Markdown pages every ``.arithmatex`` element holds one;
* no TeX is left as text outside code: no ``\\(``, ``\\[``, ``$$`` or ``$\\`` in the visible
  text (what a reader sees when MathJax did not run);
* every file the page asked the local server for existed (no 404 of a vendored asset).

Before the pages, a probe page served by the same server loads MathJax from its CDN and an
image from a bare IP address; the check fails unless both are blocked, so it cannot pass
only because the CDN happened to be reachable. The pages are "How it works" and two
tutorials; it works on tutorials rendered with or without outputs (the math is in their
Markdown cells either way).

Usage (CI runs it after `mkdocs build --strict`):
    python .ci/check_site_offline.py                       # site/, chromium on PATH
    python .ci/check_site_offline.py --screenshots build/screenshots
    CHROMIUM=/usr/bin/chromium python .ci/check_site_offline.py --site /tmp/site
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("how-it-works/", "tutorials/01_pyramid/", "tutorials/02_one_scale/")
PROBE = "/__offline_probe__.html"
# The probe's verdicts, written into the DOM by the onload / onerror handlers.
PROBE_HTML = """<!doctype html><html><body data-cdn="pending" data-ip="pending">
<p>\\(x_N, \\dots, x_0\\)</p>
<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-svg.js"
  onload="document.body.dataset.cdn='loaded'"
  onerror="document.body.dataset.cdn='blocked'"></script>
<img src="http://1.1.1.1/favicon.ico"
  onload="document.body.dataset.ip='loaded'" onerror="document.body.dataset.ip='blocked'">
</body></html>"""
# Text a reader would see where MathJax did not typeset: TeX delimiters and `$\command`.
LEFTOVER_TEX = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$\$|\$\\[A-Za-z]")
SKIPPED_TAGS = {"script", "style", "pre", "code", "textarea", "svg", "mjx-container", "title"}


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the site; records every request's status; answers the probe page."""

    requests: list[tuple[str, int]]

    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.path == PROBE:
            body = PROBE_HTML.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_request(self, code="-", size="-"):
        self.requests.append((self.path, int(code) if str(code).isdigit() else 0))

    def log_message(self, format, *args):  # noqa: A002 (http.server's signature)
        pass  # quiet; the statuses are checked instead


class _VisibleText(HTMLParser):
    """The text of a DOM dump outside code, scripts, styles and rendered math."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0  # how many skipped elements we are inside
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_TAGS:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in SKIPPED_TAGS and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


def visible_text(dom: str) -> str:
    parser = _VisibleText()
    parser.feed(dom)
    return "".join(parser.parts)


def chromium_command(chromium: str, profile: str, budget_ms: int) -> list[str]:
    return [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        f"--user-data-dir={profile}",  # fresh: nothing cached from an earlier online run
        # No outside network: names do not resolve, and any connection to an address that is
        # not loopback goes to a proxy on the discard port, which refuses it.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--proxy-server=http://127.0.0.1:9",
        "--proxy-bypass-list=127.0.0.1",
        f"--virtual-time-budget={budget_ms}",
        "--window-size=1280,2000",
    ]


def run_chromium(command: list[str], timeout: float) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"chromium exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def page_problems(dom: str, page: str) -> list[str]:
    """Why `dom` (a page after MathJax ran) does not show its math rendered."""
    problems = []
    containers = dom.count("<mjx-container")
    if containers == 0:
        problems.append("no rendered math (<mjx-container>) at all")
    arithmatex = len(re.findall(r'class="arithmatex"', dom))
    rendered = len(re.findall(r'class="arithmatex"><mjx-container', dom))
    if arithmatex != rendered:
        problems.append(f"{arithmatex - rendered} of {arithmatex} equations are not rendered")
    for match in list(LEFTOVER_TEX.finditer(text := visible_text(dom)))[:5]:
        context = text[max(0, match.start() - 40) : match.end() + 40].replace("\n", " ")
        problems.append(f"TeX left as text: ...{context}...")
    return [f"{page}: {problem}" for problem in problems]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site", help="built site (site/)")
    parser.add_argument(
        "--chromium",
        default=os.environ.get("CHROMIUM", "chromium"),
        help="Chromium executable (default: $CHROMIUM or chromium)",
    )
    parser.add_argument(
        "--budget-ms",
        type=int,
        default=30000,
        help="Chromium's virtual time budget per page (default 30000)",
    )
    parser.add_argument(
        "--screenshots", type=Path, metavar="DIR", help="also save a PNG of each page in DIR"
    )
    args = parser.parse_args(argv)

    if not (args.site / "index.html").is_file():
        print(f"{args.site}/index.html not found: build the site first (mkdocs build)")
        return 1
    chromium = shutil.which(args.chromium)
    if chromium is None:
        print(f"{args.chromium} not found: install Debian's chromium or pass --chromium PATH")
        return 1

    requests: list[tuple[str, int]] = []
    handler = type("Handler", (_Handler,), {"requests": requests})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(args.site))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    problems: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="chromium-offline-") as profile:
            command = chromium_command(chromium, profile, args.budget_ms)
            probe = run_chromium([*command, "--dump-dom", base + PROBE], timeout=120)
            verdicts = dict(re.findall(r'data-(cdn|ip)="(\w+)"', probe))
            if verdicts != {"cdn": "blocked", "ip": "blocked"}:
                problems.append(
                    f"the outside network is not blocked (probe: {verdicts}); a pass would "
                    "not show that the site renders offline"
                )
            for page in PAGES:
                requests.clear()
                dom = run_chromium([*command, "--dump-dom", f"{base}/{page}"], timeout=300)
                page_failures = page_problems(dom, page)
                missing = sorted({path for path, status in requests if status >= 400})
                page_failures += [f"{page}: the server had no {path}" for path in missing]
                problems += page_failures
                containers = dom.count("<mjx-container")
                print(f"{'FAIL' if page_failures else 'ok  '} {page:32s} {containers} equations")
                if args.screenshots is not None:
                    args.screenshots.mkdir(parents=True, exist_ok=True)
                    png = args.screenshots / (page.strip("/").replace("/", "_") + ".png")
                    run_chromium([*command, f"--screenshot={png.resolve()}", f"{base}/{page}"], 300)
    finally:
        server.shutdown()
    for problem in problems:
        print(problem)
    print("offline math:", "FAILED" if problems else f"ok ({len(PAGES)} pages, network blocked)")
    return int(bool(problems))


if __name__ == "__main__":
    sys.exit(main())
