"""Queueing, claiming and running background jobs (a table, polled by `run-jobs`).

A job row holds its input, who asked, and its progress. A worker claims the oldest
queued job with a conditional UPDATE (`… WHERE state = 'queued'`), so two workers never
run the same job, and runs its handler. The handler's writes and the job's final state
are committed together: a job that fails leaves nothing half done. Progress is
committed between phases (before the handler writes anything), so the staff member's
progress page sees it at once. With `SHOP_JOBS=inline` a job runs in the request that
queued it, for a shop that runs no worker.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable

from flask import current_app, g
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from shop.database import utcnow
from shop.extensions import db
from shop.jobs.models import DONE, FAILED, QUEUED, RUNNING, Job
from shop.staff.audit import actor, audit

log = logging.getLogger(__name__)

# kind → "module:function" taking (payload, filename, progress) and returning
# (message, result); raises JobFailed to end the job with nothing written.
HANDLERS = {"csv_import": "shop.staff.products.csv_job:run_import"}
Progress = Callable[[str, int, int], None]


class JobFailed(Exception):
    """The job cannot be done (bad input, a conflict); nothing it wrote is kept."""

    def __init__(self, message: str, result: dict | None = None) -> None:
        super().__init__(message)
        self.message, self.result = message, result


def enqueue(kind: str, payload: bytes, filename: str) -> Job:
    """Queue a job for the current staff member, audited; commits."""
    actor_id, actor_email = actor()
    job = Job(
        kind=kind,
        created_by_id=actor_id,
        created_by_email=actor_email,
        filename=filename[:200],
        payload=payload,
        phase="waiting for a worker",
    )
    db.session.add(job)
    db.session.flush()
    audit(
        "queue",
        "job",
        job.id,
        after={"kind": kind, "filename": job.filename, "bytes": len(payload)},
        summary=f"Queued {kind.replace('_', ' ')} of {job.filename} ({len(payload):,} bytes)",
    )
    db.session.commit()
    if current_app.config.get("SHOP_JOBS") == "inline":
        run_queued(job.id)
    return job


def claim(job_id: int) -> bool:
    """Take a queued job for this worker; False when another worker took it first."""
    moved = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == QUEUED)
        .values(state=RUNNING, started_at=utcnow(), phase="starting")
    ).rowcount
    db.session.commit()
    return moved == 1


def run_queued(job_id: int) -> bool:
    """Claim and run one job; False when it was not queued (any more)."""
    if not claim(job_id):
        return False
    job = db.session.get(Job, job_id)
    had_actor = "audit_actor" in g
    g.audit_actor = (job.created_by_id, job.created_by_email)
    try:
        _run(job)
    finally:
        if not had_actor:
            g.pop("audit_actor", None)
    return True


def _run(job: Job) -> None:
    def progress(phase: str, done: int, total: int) -> None:
        job.phase, job.done, job.total = phase, done, total
        db.session.commit()

    module, name = HANDLERS[job.kind].split(":")
    handler = getattr(importlib.import_module(module), name)
    try:
        message, result = handler(job.payload, job.filename, progress)
        _finish(job, DONE, message, result)  # committed with the handler's writes
    except JobFailed as failure:
        db.session.rollback()
        _finish(job, FAILED, failure.message, failure.result)
    except IntegrityError:
        db.session.rollback()
        _finish(job, FAILED, "The catalogue changed while this ran; nothing was changed.", None)
    except Exception:  # noqa: BLE001 - a job's bug must end the job, not the worker
        db.session.rollback()
        log.exception("job %s (%s) failed", job.id, job.kind)
        _finish(job, FAILED, "The job stopped on an unexpected error; nothing was changed.", None)


def _finish(job: Job, state: str, message: str, result: dict | None) -> None:
    job.state, job.message, job.result = state, message, result
    job.phase, job.done = state, job.total
    job.finished_at, job.payload = utcnow(), b""
    db.session.commit()


def run_next() -> int | None:
    """Run the oldest queued job, if any; its id."""
    job_id = db.session.scalar(select(Job.id).where(Job.state == QUEUED).order_by(Job.id).limit(1))
    db.session.commit()
    if job_id is not None and run_queued(job_id):
        return job_id
    return None


def run_worker(*, once: bool, interval: float, echo=print) -> None:
    """Run queued jobs one after another; poll every `interval` seconds when idle."""
    while True:
        try:
            job_id = run_next()
        except Exception:  # noqa: BLE001 - a database hiccup must not stop the worker
            db.session.rollback()
            log.exception("job round failed")
            job_id = None
        if job_id is not None:
            job = db.session.get(Job, job_id)
            echo(f"job {job.id} ({job.kind}): {job.state}: {job.message}")
            db.session.commit()
            continue
        if once:
            return
        db.session.remove()
        time.sleep(interval)
