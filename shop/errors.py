"""Error pages. Bad input is always a 4xx with a clear message, never a 500."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from shop.extensions import db

TITLES = {
    400: "That request could not be understood",
    403: "You do not have access to this page",
    404: "Page not found",
    405: "That action is not allowed here",
    409: "That conflicts with the current state",
    413: "That upload is too large",
    422: "Some values need attention",
    429: "Too many attempts",
}


class ShopError(Exception):
    """A request the shop refuses, raised by services with plain values.

    `status` is the HTTP status the edge answers with (400 malformed, 404 unknown,
    409 conflict, 422 invalid value, 429 too many); `message` is shown to the person.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _render(status: int, message: str):
    title = TITLES.get(status, "Something went wrong")
    if request.accept_mimetypes.best == "application/json":
        return {"error": title, "message": message}, status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def init_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return _render(
            400,
            "The form was missing its security token or it had expired. "
            "Go back, reload the page and try again.",
        )

    @app.errorhandler(ShopError)
    def shop_error(error: ShopError):
        db.session.rollback()
        return _render(error.status, error.message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code >= 500:
            return server_error(error)
        if error.response is not None:  # a page made for this refusal (e.g. sign-in throttled)
            return error.response
        if isinstance(error, RateLimitExceeded) and not error.limit.error_message:
            return _render(429, "Too many attempts in a short time. Wait a few minutes.")
        return _render(error.code, error.description or "")

    @app.errorhandler(InternalServerError)
    def server_error(error: Exception):
        # Flask has already logged the traceback; undo whatever the request half-wrote.
        db.session.rollback()
        status = getattr(error, "code", 500) or 500
        body = render_template(
            "errors/error.html",
            status=status,
            title="Something went wrong on our side",
            message="We have logged the problem. Please try again in a moment.",
        )
        return body, status
