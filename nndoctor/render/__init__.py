"""Renderers: a Report in, a string out. Nothing here computes a diagnosis."""

from nndoctor.render.html import render_html
from nndoctor.render.json import render_json
from nndoctor.render.text import render_text

RENDERERS = {"text": render_text, "json": render_json, "html": render_html}

__all__ = ["render_text", "render_json", "render_html", "RENDERERS"]
