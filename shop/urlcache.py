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

from flask import Flask, has_request_context, request

MAX_URLS = 4096  # product links add an entry per product: past this, start again


def init_url_cache(app: Flask) -> None:
    built: dict[tuple, str] = {}
    build = app.url_for

    def url_for(endpoint: str, /, **values) -> str:
        if (
            endpoint.startswith(".")
            or not has_request_context()
            or any(app.url_default_functions.values())
            or any(name.startswith("_") for name in values)
        ):
            return build(endpoint, **values)
        key = (request.root_path, endpoint, *sorted(values.items()))
        try:
            return built[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable argument (a list of values)
            return build(endpoint, **values)
        url = built[key] = build(endpoint, **values)
        if len(built) > MAX_URLS:
            built.clear()
        return url

    app.jinja_env.globals["url_for"] = url_for
