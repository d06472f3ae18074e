"""Recording events and delivering them, signed, to the webhook endpoint.

Every event is kept (newest last) with each delivery attempt. Deliveries run on one
background thread: a job is due at a time, a failed attempt (no answer or a non-2xx
status) is tried again after the next delay of the retry schedule, and jobs that are
not due yet never hold up others, so a failing event does not block later ones (as with
Stripe, events may therefore arrive out of order). Each attempt is signed afresh with
the current time, over the exact bytes that are sent.
"""

from __future__ import annotations

import contextlib
import copy
import heapq
import http.client
import itertools
import json
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from .signing import sign_payload

DEFAULT_RETRY_DELAYS: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0)  # so five tries in all
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks; sandbox)"


class Dispatcher:
    """The event log and its delivery worker. It never calls into the rest of the
    sandbox while holding its own lock, except `on_tick`, which runs unlocked."""

    def __init__(
        self,
        *,
        url: str | None,
        secret: str,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        timeout: float = 10.0,
        tick_interval: float = 1.0,
        on_tick: Callable[[], None] | None = None,
    ) -> None:
        self._initial = (url, secret)
        self.url = url
        self.secret = secret
        self.retry_delays = tuple(float(d) for d in retry_delays)
        self.timeout = timeout
        self.tick_interval = tick_interval
        self.on_tick = on_tick
        self._cond = threading.Condition()
        self._events: dict[str, dict[str, Any]] = {}
        self._queue: list[tuple[float, int, str, int, int]] = []
        self._seq = itertools.count()
        self._busy = 0
        self._generation = 0
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="stripe-sandbox-webhooks")
        self._thread.daemon = True
        self._thread.start()

    # -- configuration -------------------------------------------------------------

    def configure(self, url: str | None, secret: str | None = None) -> None:
        with self._cond:
            self.url = url
            if secret is not None:
                self.secret = secret

    def reset(self) -> None:
        """Forget every event, cancel pending deliveries, restore the first endpoint."""
        with self._cond:
            self._events.clear()
            self._queue.clear()
            self._generation += 1
            self.url, self.secret = self._initial
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        self._thread.join(timeout=5)

    # -- events --------------------------------------------------------------------

    def publish(self, event: dict[str, Any]) -> None:
        """Record `event` and, when an endpoint is set, queue its first delivery."""
        body = json.dumps(event, indent=2).encode("utf-8")
        with self._cond:
            self._events[event["id"]] = {
                "event": copy.deepcopy(event),
                "body": body,
                "deliveries": 0,
                "attempts": [],
            }
            if self.url:
                self._schedule_locked(event["id"])

    def resend(self, event_id: str) -> bool:
        """Deliver a recorded event once more (a duplicate, exactly as Stripe may send)."""
        with self._cond:
            if event_id not in self._events or not self.url:
                return False
            self._schedule_locked(event_id)
            return True

    def get(self, event_id: str) -> dict[str, Any] | None:
        with self._cond:
            record = self._events.get(event_id)
            return copy.deepcopy(record["event"]) if record else None

    def history(self) -> list[dict[str, Any]]:
        with self._cond:
            return [
                {
                    "id": event_id,
                    "type": record["event"]["type"],
                    "event": copy.deepcopy(record["event"]),
                    "delivered": any(a["ok"] for a in record["attempts"]),
                    "attempts": [dict(a) for a in record["attempts"]],
                }
                for event_id, record in self._events.items()
            ]

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is queued or being delivered; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and not self._busy, timeout)

    # -- the worker ----------------------------------------------------------------

    def _schedule_locked(self, event_id: str) -> None:
        record = self._events[event_id]
        record["deliveries"] += 1
        self._push_locked(time.monotonic(), event_id, record["deliveries"], 1)

    def _push_locked(self, due: float, event_id: str, delivery: int, attempt: int) -> None:
        heapq.heappush(self._queue, (due, next(self._seq), event_id, delivery, attempt))
        self._cond.notify_all()

    def _run(self) -> None:
        next_tick = time.monotonic() + self.tick_interval
        while True:
            job = None
            with self._cond:
                if self._stopped:
                    return
                now = time.monotonic()
                if self._queue and self._queue[0][0] <= now:
                    _, _, event_id, delivery, attempt = heapq.heappop(self._queue)
                    record = self._events[event_id]
                    job = (event_id, delivery, attempt, record["body"], self.url, self.secret)
                    generation = self._generation
                    self._busy += 1
                elif now < next_tick:
                    due = self._queue[0][0] if self._queue else next_tick
                    self._cond.wait(max(0.0, min(due, next_tick) - now))
                    continue
            if job is None:
                next_tick = time.monotonic() + self.tick_interval
                if self.on_tick is not None:
                    with contextlib.suppress(Exception):  # a sweep must never kill the worker
                        self.on_tick()
                continue
            self._attempt(*job, generation=generation)

    def _attempt(
        self,
        event_id: str,
        delivery: int,
        attempt: int,
        body: bytes,
        url: str | None,
        secret: str,
        *,
        generation: int,
    ) -> None:
        status, error = None, None
        if url:
            status, error = self._post(url, body, secret)
        else:
            error = "no webhook endpoint configured"
        ok = status is not None and 200 <= status < 300
        with self._cond:
            self._busy -= 1
            if generation == self._generation and event_id in self._events:
                self._events[event_id]["attempts"].append(
                    {
                        "delivery": delivery,
                        "attempt": attempt,
                        "url": url,
                        "status": status,
                        "error": error,
                        "ok": ok,
                        "at": time.time(),
                    }
                )
                if not ok and url and attempt <= len(self.retry_delays):
                    due = time.monotonic() + self.retry_delays[attempt - 1]
                    self._push_locked(due, event_id, delivery, attempt + 1)
            self._cond.notify_all()

    def _post(self, url: str, body: bytes, secret: str) -> tuple[int | None, str | None]:
        parts = urlsplit(url)
        connection_class = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "Stripe-Signature": sign_payload(body, secret, int(time.time())),
        }
        connection = connection_class(parts.netloc, timeout=self.timeout)
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read(64 * 1024)
            return response.status, None
        except Exception as exc:  # refused, timed out, bad URL: a failed attempt, never a crash
            return None, f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()
