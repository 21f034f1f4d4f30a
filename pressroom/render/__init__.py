"""Rendering: Markdown to HTML fragments, Jinja2 pages, figures and the labels of each language."""
