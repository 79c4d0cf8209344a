// MathJax 3 for the equations of the site. `pymdownx.arithmatex` (generic mode) wraps the
// Markdown pages' and docstrings' $...$ / $$...$$ in `.arithmatex` elements with \( \) and
// \[ \] delimiters; notebook markdown cells (`.jp-RenderedMarkdown`, rendered by
// mkdocs-jupyter) keep their $ delimiters. Only those two kinds of element are typeset.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"], ["$", "$"]],
    displayMath: [["\\[", "\\]"], ["$$", "$$"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: {
    ignoreHtmlClass: ".*|",
    processHtmlClass: "arithmatex|jp-RenderedMarkdown",
  },
};

document$.subscribe(() => {
  if (window.MathJax && MathJax.typesetPromise) {
    MathJax.startup.output.clearCache();
    MathJax.typesetClear();
    MathJax.texReset();
    MathJax.typesetPromise();
  }
});
