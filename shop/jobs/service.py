"""Queueing, claiming and running background jobs (a table, polled by `run-jobs`).

A job row holds its input, who asked, and its progress. A worker claims the oldest
queued job with a conditional UPDATE (`… WHERE state = 'queued'`), so two workers never
run the same job, and runs its handler. Each claim counts an attempt and stamps
`claimed_at`, and each progress report stamps it again; a running job whose worker has
been silent for `SHOP_JOB_CLAIM_TIMEOUT` seconds (default 15 minutes; the worker died)
can be claimed again, at most `MAX_ATTEMPTS` times in all. Every later write of a run
(progress, the final state) is conditional on its own attempt still holding the job, so
a worker that was only slow, not dead, writes nothing once another has taken over. The
handler's writes and the job's final state are committed together: a job that fails
leaves nothing half done. Progress is committed between phases (before the handler
writes anything), so the staff member's progress page sees it at once. With
`SHOP_JOBS=inline` a job runs in the request that queued it, for a shop that runs no
worker.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable
from datetime import timedelta

from flask import current_app, g
from sqlalchemy import and_, or_, select, update
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
MAX_ATTEMPTS = 3  # claims of one job: a job that kills its worker is not run forever


class JobLost(Exception):
    """Another worker claimed this job after this one fell silent for too long."""


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


def claimable():
    """Queued jobs, and running ones whose worker has been silent past the timeout."""
    timeout = timedelta(seconds=current_app.config["SHOP_JOB_CLAIM_TIMEOUT"])
    stale = and_(
        Job.state == RUNNING, or_(Job.claimed_at.is_(None), Job.claimed_at < utcnow() - timeout)
    )
    return or_(Job.state == QUEUED, stale)


def claim(job_id: int) -> bool:
    """Take a job for this worker; False when it is not claimable (another worker has it
    and is alive, or it has finished)."""
    now = utcnow()
    moved = db.session.execute(
        update(Job)
        .where(Job.id == job_id, claimable())
        .values(
            state=RUNNING,
            started_at=now,
            claimed_at=now,
            attempts=Job.attempts + 1,
            phase="starting",
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return moved == 1


def run_queued(job_id: int) -> bool:
    """Claim and run one job; False when it was not claimable (any more)."""
    if not claim(job_id):
        return False
    job = db.session.get(Job, job_id)
    had_actor = "audit_actor" in g
    g.audit_actor = (job.created_by_id, job.created_by_email)
    attempt = job.attempts  # this run's claim; a later claim by another worker differs
    try:
        if attempt > MAX_ATTEMPTS:
            _finish(
                job,
                attempt,
                FAILED,
                f"The job stopped {MAX_ATTEMPTS} times without finishing "
                "(its worker died); nothing was changed.",
                None,
            )
        else:
            _run(job, attempt)
    except JobLost:
        db.session.rollback()
        log.warning("job %s: another worker took it over; this run's work is dropped", job_id)
    finally:
        if not had_actor:
            g.pop("audit_actor", None)
    return True


def _owned(job: Job, attempt: int, **values) -> None:
    """Write `values` to the job if this run's claim (`attempt`) still holds it, else
    raise JobLost."""
    moved = db.session.execute(
        update(Job)
        .where(Job.id == job.id, Job.state == RUNNING, Job.attempts == attempt)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise JobLost(job.id)


def _run(job: Job, attempt: int) -> None:
    def progress(phase: str, done: int, total: int) -> None:
        _owned(job, attempt, phase=phase, done=done, total=total, claimed_at=utcnow())
        db.session.commit()

    module, name = HANDLERS[job.kind].split(":")
    handler = getattr(importlib.import_module(module), name)
    try:
        message, result = handler(job.payload, job.filename, progress)
        _finish(job, attempt, DONE, message, result)  # committed with the handler's writes
    except JobLost:
        raise
    except JobFailed as failure:
        db.session.rollback()
        _finish(job, attempt, FAILED, failure.message, failure.result)
    except IntegrityError:
        db.session.rollback()
        _finish(
            job, attempt, FAILED, "The catalogue changed while this ran; nothing was changed.", None
        )
    except Exception:  # noqa: BLE001 - a job's bug must end the job, not the worker
        db.session.rollback()
        log.exception("job %s (%s) failed", job.id, job.kind)
        _finish(
            job,
            attempt,
            FAILED,
            "The job stopped on an unexpected error; nothing was changed.",
            None,
        )


def _finish(job: Job, attempt: int, state: str, message: str, result: dict | None) -> None:
    _owned(
        job,
        attempt,
        state=state,
        message=message,
        result=result,
        phase=state,
        done=Job.total,
        finished_at=utcnow(),
        payload=b"",
    )
    db.session.commit()
    db.session.expire(job)


def run_next() -> int | None:
    """Run the oldest claimable job (queued, or left by a dead worker), if any; its id."""
    job_id = db.session.scalar(select(Job.id).where(claimable()).order_by(Job.id).limit(1))
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
