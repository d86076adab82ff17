"""Render a matrix for people: the HTML page and the Markdown summary."""

from __future__ import annotations

from compat.render.html import render_html, write_page
from compat.render.markdown import GITHUB_COMMENT_LIMIT, render_markdown

__all__ = ["GITHUB_COMMENT_LIMIT", "render_html", "render_markdown", "write_page"]
