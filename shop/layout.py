"""Personal pages in a shared layout: the layout once per process, the content per visitor.

A page such as the cart is personal in its `content` block only. Everything around it
(the head, the site header and footer, the links) is the same for every visitor, and
rendering it took a third of the cart page's template time. So the layout is rendered
through the page cache (`shop.cache.cached_page`) with a marker where the content goes:
the cache's contract keeps it free of anything personal, and its per-request parts (the
header with the cart count, flashed messages, the CSRF token) are filled in on every
request as on any cached page. The `content` block is then rendered for this visitor
alone and put in place of the marker.

Templates rendered this way keep their `{% import %}`s inside the `content` block, which
is rendered on its own.
"""

from __future__ import annotations

from flask import current_app
from jinja2 import Template

from shop.cache import cached_page
from shop.seo import CANONICAL_PARAMS

MARK_CONTENT = "<!--\x00content\x00-->"


def render_personal_page(template_name: str, **context) -> str:
    """`template_name` (extending base.html) with its `content` block rendered from
    `context` for this visitor, inside its layout rendered once and cached."""
    template = current_app.jinja_env.get_template(template_name)
    layout = cached_page(lambda: _render(template, {}, content=MARK_CONTENT), CANONICAL_PARAMS)
    return layout.replace(MARK_CONTENT, _render(template, context), 1)


def _marker(text: str):
    def block(_context):
        yield text

    return block


def _render(template: Template, context: dict, *, content: str | None = None) -> str:
    """With `content`: the whole page, that text standing for the `content` block.
    Without: the `content` block alone."""
    current_app.update_template_context(context)
    jinja_context = template.new_context(context)
    try:
        if content is None:
            return "".join(template.blocks["content"](jinja_context))
        jinja_context.blocks["content"] = [_marker(content)]
        return "".join(template.root_render_func(jinja_context))
    except Exception:  # noqa: BLE001 - Jinja rewrites the traceback to point at templates
        return template.environment.handle_exception()
