"""Template URLs built once per process.

Building a URL with `url_for` walks the routing map each time, and a page such as the
cart calls it some twenty times (stylesheets, scripts, the footer's links, each form's
action). A relative URL depends only on the endpoint, its arguments and the script root
the shop is mounted under, so templates use a `url_for` that remembers what it built.
External URLs, anchors and the like (`_external=True`, any `_` argument), relative
endpoints (".name"), calls outside a request and apps with URL default functions are
built as usual, never remembered.
"""

from __future__ import annotations

from flask import Flask, request

MAX_URLS = 4096  # product links add an entry per product: past this, start again


def _rememberable(app: Flask, endpoint: str, values: dict) -> bool:
    return not (
        endpoint.startswith(".")
        or any(app.url_default_functions.values())
        or any(name.startswith("_") for name in values)
    )


def init_url_cache(app: Flask) -> None:
    built: dict[tuple, str] = {}
    build = app.url_for

    def url_for(endpoint: str, /, **values) -> str:
        try:  # outside a request, `request` raises RuntimeError
            key = (request.root_path, endpoint, *values.items())
            return built[key]
        except KeyError:
            pass
        except (RuntimeError, TypeError):  # no request, or an unhashable argument
            return build(endpoint, **values)
        url = build(endpoint, **values)
        if _rememberable(app, endpoint, values):
            if len(built) >= MAX_URLS:
                built.clear()
            built[key] = url
        return url

    app.jinja_env.globals["url_for"] = url_for
