// MathJax 3 for the equations of the site, served from the site's own assets
// (javascripts/vendor/mathjax/, see its README.md): no CDN, so the equations render offline.
// `pymdownx.arithmatex` (generic mode) wraps the Markdown pages' and docstrings' $...$ /
// $$...$$ in `.arithmatex` elements with \( \) and \[ \] delimiters; notebook markdown cells
// (`.jp-RenderedMarkdown`, rendered by mkdocs-jupyter) keep their $ delimiters. Only those
// two kinds of element are typeset. This file must load before the MathJax bundle.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"], ["$", "$"]],
    displayMath: [["\\[", "\\]"], ["$$", "$$"]],
    processEscapes: true,
    processEnvironments: true,
  },
  svg: {
    fontCache: "global", // each glyph's path once per page, referenced by every equation
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
