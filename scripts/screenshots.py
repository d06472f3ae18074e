"""Screenshots of the cart, the checkout and the payment page, on a phone and a desktop.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Builds a throwaway SQLite shop with the demo data, serves it and the payment sandbox
on free local ports, and drives the system Chromium through a purchase: two products
(one with a warning), the WELCOME10 coupon, the checkout review, then the sandbox's
payment page. Each page is saved at 390 px and 1280 px wide as `<page>-<width>.png`.
Nothing outside the output folder and a temporary folder is touched.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
from pathlib import Path

from flask_migrate import upgrade
from playwright.sync_api import sync_playwright
from werkzeug.serving import WSGIRequestHandler, make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shop import create_app  # noqa: E402
from shop.demo import seed_demo  # noqa: E402
from shop.extensions import db  # noqa: E402
from shop.payments.sandbox import SandboxServer  # noqa: E402

WIDTHS = (390, 1280)
MAX_BYTES = 200 * 1024
SECRET = "whsec_screenshots_only"  # noqa: S105 - a throwaway sandbox, never a real secret
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run"]


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        pass


def serve(app) -> tuple[str, callable]:
    """The app on a free port in a thread; its URL and a function that stops it."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{server.server_port}", server.shutdown


def build_shop(folder: Path, sandbox_url: str):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'shop.sqlite3'}",
            "STRIPE_API_BASE": sandbox_url,
            "STRIPE_WEBHOOK_SECRET": SECRET,
            "SHOP_UPLOADS_FOLDER": str(folder / "uploads"),
            "SHOP_PRIVATE_UPLOADS_FOLDER": str(folder / "private"),
        }
    )
    with app.app_context():
        upgrade()
        seed_demo(db.session)
        db.session.commit()
    return app


def shrink(path: Path) -> None:
    """Keep a screenshot under MAX_BYTES: a 256-colour palette loses nothing visible on
    flat UI colours; a very long page is cut to its top part after that."""
    from PIL import Image

    if path.stat().st_size <= MAX_BYTES:
        return
    image = Image.open(path).convert("RGB")
    while True:
        image.quantize(colors=256, dither=Image.Dither.NONE).save(path, optimize=True)
        if path.stat().st_size <= MAX_BYTES or image.height < 900:
            return
        image = image.crop((0, 0, image.width, int(image.height * 0.85)))


def capture(page, base: str, path: str, name: str, out: Path) -> list[Path]:
    saved = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 844 if width < 800 else 900})
        page.goto(base + path)
        target = out / f"{name}-{width}.png"
        page.screenshot(path=str(target), full_page=True)
        shrink(target)
        saved.append(target)
    return saved


def shop_and_pay(page, base: str, out: Path) -> list[Path]:
    for slug in ("joint-capsule", "self-heating-back-wrap"):
        page.goto(f"{base}/products/{slug}")
        page.get_by_role("button", name="Add to cart").first.click()
        page.locator(".add-status").first.wait_for()
    page.goto(base + "/cart")
    page.get_by_label("Coupon code").fill("WELCOME10")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/cart")
    saved = capture(page, base, "/cart", "cart", out)
    saved += capture(page, base, "/checkout", "checkout", out)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base + "/checkout")
    page.get_by_label("E-mail for your receipt").fill("reader@example.com")
    page.get_by_label("Full name").fill("Reader Rao")
    page.get_by_label("Mobile number").fill("9845012345")
    page.get_by_label("House, building, street").fill("12 MG Road")
    page.get_by_label("City or town").fill("Bengaluru")
    page.get_by_label("State or union territory").select_option("29")
    page.get_by_label("PIN code").fill("560001")
    page.locator('input[name="acknowledge"]').check()
    page.locator("form.checkout-form button[type=submit]").click()
    page.wait_for_url("**/pay/cs_*")
    pay_url = page.url
    return saved + capture(page, "", pay_url, "payment-page", out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    chromium = shutil.which("chromium") or "/usr/bin/chromium"

    with tempfile.TemporaryDirectory(prefix="shop-screens-") as tmp:
        sandbox = SandboxServer(webhook_url=None, webhook_secret=SECRET).start()
        try:
            app = build_shop(Path(tmp), sandbox.url)
            base, stop = serve(app)
            app.config["SHOP_BASE_URL"] = base  # payment links lead back here
            try:
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(
                        executable_path=chromium, args=CHROMIUM_FLAGS
                    )
                    page = browser.new_context().new_page()
                    page.set_default_timeout(15_000)
                    saved = shop_and_pay(page, base, args.out)
                    browser.close()
            finally:
                stop()
        finally:
            sandbox.stop()
    for path in saved:
        print(
            f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}"
            f"  {path.stat().st_size // 1024} KB"
        )


if __name__ == "__main__":
    main()
