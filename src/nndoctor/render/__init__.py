"""Renderers: a Report in, a string out. Nothing here computes a diagnosis.

``RENDERERS`` maps a format name (``--format``) to its renderer; each takes the report plus
keyword options it may ignore (``color`` for text, ``fail_on`` for junit, ``figures`` for html).
"""

from nndoctor.render.html import render_html
from nndoctor.render.json import render_json
from nndoctor.render.junit import render_junit
from nndoctor.render.text import render_text

RENDERERS = {"text": render_text, "json": render_json, "html": render_html, "junit": render_junit}

__all__ = ["render_text", "render_json", "render_html", "render_junit", "RENDERERS"]
