"""Large CSV imports run as background jobs with a progress page; or inline without a worker."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from shop.catalog.models import Variant
from shop.database import utcnow
from shop.extensions import db as shop_db
from shop.jobs import service as jobs
from shop.jobs.models import Job
from shop.staff.audit import AuditEntry
from shop.staff.products import csv_service
from tests.conftest import csrf_token_for
from tests.factories import make_product, make_user
from tests.helpers import log_in


@pytest.fixture()
def staff(client, db):
    make_user("staff@example.com", role="staff")
    db.session.commit()
    log_in(client, "staff@example.com")
    return client


@pytest.fixture()
def catalogue(db):
    make_product(
        "joint-oil",
        name="Joint Oil",
        variants=[
            {"sku": "JO-100", "label": "100 ml", "mrp": 39900, "price": 34900, "stock": 12},
            {"sku": "JO-200", "label": "200 ml", "mrp": 59900, "price": 54900, "stock": 4},
        ],
    )
    db.session.commit()


@pytest.fixture()
def background(app, monkeypatch):
    """Every file goes to the job queue (the threshold is one byte)."""
    monkeypatch.setitem(app.config, "SHOP_IMPORT_INLINE_BYTES", 1)
    monkeypatch.setitem(app.config, "SHOP_JOBS", "worker")


def edited_export(client, **cells) -> bytes:
    """The export with `column=value` set on the JO-100 row."""
    rows = list(csv.reader(io.StringIO(client.get("/staff/products/export.csv").get_data(True))))
    for column, value in cells.items():
        rows[1][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def upload(client, body: bytes):
    return client.post(
        "/staff/products/import",
        data={"csrf_token": csrf_token_for(client), "file": (io.BytesIO(body), "big.csv")},
        content_type="multipart/form-data",
    )


def price(db, sku: str) -> int:
    db.session.expire_all()
    return db.session.scalar(select(Variant.price).where(Variant.sku == sku))


def test_a_large_file_is_queued_and_the_worker_imports_it(staff, db, runner, catalogue, background):
    response = upload(staff, edited_export(staff, price="329", stock="15"))
    assert response.status_code == 303
    job = db.session.scalars(select(Job)).one()
    assert response.headers["Location"] == f"/staff/jobs/{job.id}"
    assert (job.state, job.created_by_email, job.filename) == (
        "queued",
        "staff@example.com",
        "big.csv",
    )
    assert price(db, "JO-100") == 34900  # nothing imported yet
    page = staff.get(f"/staff/jobs/{job.id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' in page and "Waiting for a worker" in page
    queued = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "queue")).one()
    assert queued.object_id == str(job.id) and queued.actor_email == "staff@example.com"

    result = runner.invoke(args=["run-jobs", "--once"])
    assert result.exit_code == 0, result.output
    assert f"job {job.id} (csv_import): done: Imported 2 rows: 1 variants" in result.output
    assert price(db, "JO-100") == 32900
    db.session.refresh(job)
    assert (job.state, job.done, job.total, job.payload) == ("done", 2, 2, b"")
    assert job.result == {"rows": 2, "variants": 1, "products": 0}
    changed = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "update")).one()
    assert changed.actor_email == "staff@example.com"  # the staff member, not the worker
    assert (changed.before["stock"], changed.after["stock"]) == (12, 15)
    page = staff.get(f"/staff/jobs/{job.id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in page and "Imported 2 rows: 1 variants" in page
    assert "big.csv" in staff.get("/staff/products/import").get_data(as_text=True)


def test_without_a_worker_the_job_runs_in_the_request(app, staff, db, catalogue, monkeypatch):
    monkeypatch.setitem(app.config, "SHOP_IMPORT_INLINE_BYTES", 1)
    monkeypatch.setitem(app.config, "SHOP_JOBS", "inline")
    response = upload(staff, edited_export(staff, price="300"))
    job = db.session.scalars(select(Job)).one()
    assert response.headers["Location"] == f"/staff/jobs/{job.id}"
    assert job.state == "done" and price(db, "JO-100") == 30000
    assert "Finished." in staff.get(response.headers["Location"]).get_data(as_text=True)


def test_a_job_with_bad_lines_fails_whole_and_lists_them(staff, db, runner, catalogue, background):
    upload(staff, edited_export(staff, price="329", mrp="nothing"))
    runner.invoke(args=["run-jobs", "--once"])
    job = db.session.scalars(select(Job)).one()
    assert job.state == "failed" and job.message.startswith("Nothing was imported")
    assert job.result["error_count"] == 1 and job.result["errors"][0][0] == 2
    assert price(db, "JO-100") == 34900
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action != "queue")).all() == []
    page = staff.get(f"/staff/jobs/{job.id}").get_data(as_text=True)
    assert "Line 2: mrp:" in page and "Failed; nothing was changed." in page


def test_a_job_whose_stock_went_stale_fails_with_nothing_written(
    staff, db, runner, catalogue, background
):
    upload(staff, edited_export(staff, price="329", stock="20"))
    db.session.execute(update(Variant).where(Variant.sku == "JO-100").values(stock=9))
    db.session.commit()  # an order took three units while the job waited
    runner.invoke(args=["run-jobs", "--once"])
    job = db.session.scalars(select(Job)).one()
    assert job.state == "failed" and "Stock of JO-100 is now 9, not the 12" in job.message
    assert price(db, "JO-100") == 34900


def test_a_job_is_claimed_once(app, staff, db, catalogue, background):
    upload(staff, edited_export(staff, price="329"))
    job_id = db.session.scalar(select(Job.id))
    assert jobs.claim(job_id) is True
    assert jobs.claim(job_id) is False
    assert jobs.run_queued(job_id) is False  # already running elsewhere
    assert jobs.run_next() is None


def test_progress_is_reported_before_anything_is_written(app, db, catalogue, monkeypatch):
    monkeypatch.setattr(csv_service, "PROGRESS_EVERY", 1)
    body = (
        b"sku,product_slug,product_name,variant_label,mrp,price,stock,active\n"
        b"JO-100,joint-oil,Joint Oil,100 ml,399,300,12,true\n"
        b"JO-200,joint-oil,Joint Oil,200 ml,599,549,4,true\n"
    )
    seen = []

    def progress(phase, done, total):
        seen.append((phase, done, total, price(db, "JO-100")))

    with app.test_request_context():
        result, errors = csv_service.import_products(body, "p.csv", progress)
    assert errors == [] and result.variants == ["JO-100"]
    assert seen == [
        ("checking rows", 0, 2, 34900),
        ("checking rows", 1, 2, 34900),
        ("matching SKUs", 2, 2, 34900),
        ("writing", 2, 2, 34900),
    ]
    db.session.rollback()


def test_job_pages_are_for_staff_and_unknown_jobs_are_404(app, staff, db):
    assert staff.get("/staff/jobs/999").status_code == 404
    assert app.test_client().get("/staff/jobs/1").status_code in (302, 303)


# -- a worker that died: its job is claimed again after SHOP_JOB_CLAIM_TIMEOUT


def _silent_for(db, job_id: int, seconds: int) -> None:
    """The job's worker last showed a sign of life `seconds` ago."""
    db.session.execute(
        update(Job).where(Job.id == job_id).values(claimed_at=utcnow() - timedelta(seconds=seconds))
    )
    db.session.commit()


def test_a_job_left_by_a_dead_worker_is_claimed_again_after_the_timeout(
    app, staff, db, runner, catalogue, background
):
    assert app.config["SHOP_JOB_CLAIM_TIMEOUT"] == 15 * 60  # the default
    upload(staff, edited_export(staff, price="329"))
    job_id = db.session.scalar(select(Job.id))
    assert jobs.claim(job_id) is True  # a worker claims it, then dies
    _silent_for(db, job_id, 14 * 60)
    assert jobs.run_next() is None and jobs.claim(job_id) is False  # maybe still alive
    assert price(db, "JO-100") == 34900

    _silent_for(db, job_id, 16 * 60)
    result = runner.invoke(args=["run-jobs", "--once"])
    assert f"job {job_id} (csv_import): done" in result.output
    job = db.session.get(Job, job_id)
    db.session.refresh(job)
    assert (job.state, job.attempts) == ("done", 2)
    assert price(db, "JO-100") == 32900


def test_the_claim_timeout_is_configurable(app, staff, db, catalogue, background, monkeypatch):
    monkeypatch.setitem(app.config, "SHOP_JOB_CLAIM_TIMEOUT", 60)
    upload(staff, edited_export(staff, price="329"))
    job_id = db.session.scalar(select(Job.id))
    assert jobs.claim(job_id) is True
    _silent_for(db, job_id, 50)
    assert jobs.claim(job_id) is False
    _silent_for(db, job_id, 70)
    assert jobs.claim(job_id) is True
    assert db.session.scalar(select(Job.attempts).where(Job.id == job_id)) == 2


def test_the_claim_timeout_must_be_at_least_a_minute(app):
    from shop.config import ConfigError, check_config

    with pytest.raises(ConfigError, match="SHOP_JOB_CLAIM_TIMEOUT"):
        check_config({**app.config, "SHOP_JOB_CLAIM_TIMEOUT": 10}, debug=False, testing=True)


def takeover_handler(payload, filename, progress):
    """Reports progress, loses the job to another worker, then writes a price."""
    progress("checking rows", 0, 1)
    shop_db.session.execute(update(Job).values(attempts=Job.attempts + 1, claimed_at=utcnow()))
    shop_db.session.commit()  # another worker claimed the job meanwhile
    shop_db.session.execute(update(Variant).where(Variant.sku == "JO-100").values(price=100))
    return "done", {}


def test_a_slow_worker_that_lost_its_job_writes_nothing(app, staff, db, catalogue, background,
                                                        monkeypatch):  # fmt: skip
    monkeypatch.setitem(jobs.HANDLERS, "csv_import", f"{__name__}:takeover_handler")
    upload(staff, edited_export(staff, price="329"))
    job_id = db.session.scalar(select(Job.id))
    assert jobs.run_queued(job_id) is True
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    assert (job.state, job.attempts, job.message) == ("running", 2, "")
    assert price(db, "JO-100") == 34900  # the lost run's write was rolled back


def test_a_job_that_kills_its_worker_every_time_fails_after_three_claims(
    app, staff, db, catalogue, background
):
    upload(staff, edited_export(staff, price="329"))
    job_id = db.session.scalar(select(Job.id))
    for _ in range(jobs.MAX_ATTEMPTS):
        assert jobs.claim(job_id) is True
        _silent_for(db, job_id, 16 * 60)
    assert jobs.run_next() == job_id
    job = db.session.get(Job, job_id)
    db.session.refresh(job)
    assert job.state == "failed" and "stopped 3 times" in job.message
    assert job.attempts == jobs.MAX_ATTEMPTS + 1 and price(db, "JO-100") == 34900
