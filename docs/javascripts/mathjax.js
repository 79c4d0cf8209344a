// MathJax 3 for the equations of the site, served from the site's own assets
// (javascripts/vendor/mathjax/, see its README.md): no CDN, so the equations render offline.
// This file must load before the MathJax bundle.
//
// Where MathJax looks: `pymdownx.arithmatex` (generic mode) wraps the Markdown pages' and
// docstrings' $...$ / $$...$$ in `.arithmatex` elements with \( \) and \[ \] delimiters;
// notebook markdown cells (`.jp-RenderedMarkdown`, rendered by mkdocs-jupyter) keep their $
// delimiters in plain <p>, <li>, <h2> children; the table of contents repeats a heading's
// math as text in `.md-ellipsis`. MathJax carries "ignore" down the tree until an element
// with a process class, and re-tests every descendant's class against ignoreHtmlClass: the
// usual ".*|" also matches an empty class, so it ignored the <p> inside a notebook cell and
// left the notebooks' math as raw TeX. ".+" ignores only elements that have a class, so
// class-less children inherit: typeset inside those three, ignored elsewhere (code, outputs
// and the theme's elements all have classes).
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
    ignoreHtmlClass: ".+",
    processHtmlClass: "arithmatex|jp-RenderedMarkdown|md-ellipsis",
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
