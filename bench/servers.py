"""Start and stop the servers the benchmark drives.

Both the shop and the bare app run under exactly the same gunicorn command line (sync
workers, same worker count, warning-level logs, no access log), each on a free port of
127.0.0.1. A third process, the shop's own Stripe-compatible payment sandbox
(`python -m shop.payments.sandbox`, `PaymentSandbox` here), answers the Checkout Session
calls of the checkout target; the shop is pointed at it with `STRIPE_API_BASE` and has
no `STRIPE_SECRET_KEY`, so it runs in sandbox mode and can never reach real Stripe.
Servers run in their own session so a Ctrl-C in the terminal reaches only the
benchmark, which then stops them itself.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# A fresh secret per run for the local sandbox (it only ever records events).
SANDBOX_WEBHOOK_SECRET = "whsec_" + secrets.token_urlsafe(24)


class ServerError(RuntimeError):
    """A server did not start or did not answer in time."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_environment(**extra: str) -> dict[str, str]:
    """The benchmark's environment without debug switches or Stripe settings, plus `extra`.

    Dropping every `STRIPE_*` variable matters: with a real `STRIPE_SECRET_KEY` inherited
    from the shell, the checkout target would create Checkout Sessions at Stripe.
    """
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "GUNICORN_", "STRIPE_"))
    }
    env.pop("WEB_CONCURRENCY", None)
    env.update(extra)
    return env


class Server:
    """One gunicorn master with its workers."""

    def __init__(
        self, name: str, app_spec: str, env: dict[str, str], log_path: Path, workers: int
    ) -> None:
        self.name = name
        self.app_spec = app_spec
        self.env = env
        self.log_path = log_path
        self.workers = workers
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(self.workers),
            "-k",
            "sync",
            self.app_spec,
            "--bind",
            f"127.0.0.1:{self.port}",
            "--log-level",
            "warning",
        ]

    def start(self) -> None:
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=PROJECT_ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_until_ready(self, path: str, timeout: float = 30.0) -> None:
        """Poll `path` until it answers 200; fail early if gunicorn exits."""
        deadline = time.monotonic() + timeout
        last_error = "no answer"
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise ServerError(f"{self.name} server exited while starting.\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base_url + path, timeout=2) as response:
                    if response.status == 200:
                        return
                    last_error = f"HTTP {response.status}"
            except urllib.error.HTTPError as error:
                last_error = f"HTTP {error.code}"
            except OSError as error:
                last_error = str(error)
            time.sleep(0.1)
        raise ServerError(
            f"{self.name} server did not answer {path} within {timeout:.0f}s "
            f"({last_error}).\n{self.log_tail()}"
        )

    def stop(self) -> None:
        """Graceful stop (SIGTERM to the master), then SIGKILL to its group if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        tail = "\n".join(text.splitlines()[-lines:])
        return f"--- last lines of {self.log_path} ---\n{tail}" if tail else "(server log empty)"


class PaymentSandbox(Server):
    """The shop's payment sandbox in its own process, on a free port.

    Started without a webhook URL, so the events it would send are only recorded; the
    checkout target only needs Checkout Sessions to be created.
    """

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        super().__init__("payments", "shop.payments.sandbox", env, log_path, workers=1)

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "shop.payments.sandbox",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--webhook-secret",
            SANDBOX_WEBHOOK_SECRET,
        ]

    def shop_environment(self) -> dict[str, str]:
        """What the shop needs to use this sandbox (and no real Stripe key)."""
        return {
            "STRIPE_API_BASE": self.base_url,
            "STRIPE_WEBHOOK_SECRET": SANDBOX_WEBHOOK_SECRET,
            "SHOP_PAYMENTS_SANDBOX": "1",  # test payments on purpose, outside debug
            # Every bench visitor shares 127.0.0.1 and places order after order: lift the
            # per-address and per-visitor checkout limits so the target measures placing.
            "SHOP_MAX_UNPAID_PER_CUSTOMER": "1000000",
            "SHOP_MAX_UNPAID_PER_IP": "1000000",
            "SHOP_CHECKOUT_RATE_LIMIT": "1000000 per minute",
            "SHOP_CHECKOUT_IP_RATE_LIMIT": "1000000 per minute",
        }
