"""Renderers: a Report (or the results of many files) in, a string out. Nothing here computes a diagnosis.

``RENDERERS`` maps a format name (``--format``) to its renderer for one report; each takes the
report plus keyword options it may ignore (``color`` and ``verbosity`` for text, ``fail_on`` for
junit, ``figures`` for html). ``BATCH_RENDERERS`` does the same for a `BatchResult` (many files);
junit, sarif and github take either. ``Report.__repr__`` (`text.short_summary`) and
``Report._repr_html_`` (`html.report_fragment`) come from here too.
"""

from nndoctor.render.github import render_github
from nndoctor.render.html import render_html
from nndoctor.render.html_summary import render_html_summary
from nndoctor.render.json import render_batch_json, render_json
from nndoctor.render.junit import render_junit
from nndoctor.render.sarif import render_sarif
from nndoctor.render.summary import render_batch_text
from nndoctor.render.text import render_text

FORMATS = ("text", "json", "html", "junit", "sarif", "github")
RENDERERS = {"text": render_text, "json": render_json, "html": render_html, "junit": render_junit,
             "sarif": render_sarif, "github": render_github}
BATCH_RENDERERS = {"text": render_batch_text, "json": render_batch_json, "html": render_html_summary,
                   "junit": render_junit, "sarif": render_sarif, "github": render_github}

__all__ = ["render_text", "render_json", "render_html", "render_junit", "render_sarif", "render_github",
           "render_batch_text", "render_batch_json", "render_html_summary", "RENDERERS", "BATCH_RENDERERS",
           "FORMATS"]
