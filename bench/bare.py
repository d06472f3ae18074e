"""The baseline: the smallest Flask application, served like the shop.

Its requests per second under the same gunicorn settings and the same load is the
yardstick every shop page is compared with (SPEC §9). Served as `bench.bare:app`.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def index() -> tuple[str, int, dict[str, str]]:
    return "Hello from a bare Flask app.\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
