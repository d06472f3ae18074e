"""Commands run through `flask --app shop …`."""

from __future__ import annotations

import os
import secrets
import sys

import click
from flask import Flask

from shop.demo.generate_command import generate_catalogue_command
from shop.extensions import db


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Load the demo catalogue, articles and doctors; running it twice changes nothing."""
    from shop.demo import seed_demo

    created = seed_demo(db.session)
    staff_password = seed_demo_staff()
    doctor_logins = seed_demo_doctors()
    questions = seed_demo_questions()
    db.session.commit()
    if questions:
        created["questions"] = questions
    made = {kind: n for kind, n in created.items() if n}
    if made:
        click.echo("Demo data created: " + ", ".join(f"{n} {kind}" for kind, n in made.items()))
    else:
        click.echo("Demo data already present; nothing changed.")
    pharmacist_password = seed_demo_staff(DEMO_PHARMACIST_EMAIL, "pharmacist")
    db.session.commit()
    if pharmacist_password:
        click.echo(f"Demo pharmacist login: {DEMO_PHARMACIST_EMAIL} / {pharmacist_password}")
    if staff_password:
        click.echo(f"Demo staff login: {DEMO_STAFF_EMAIL} / {staff_password}")
        click.echo("(shown once; set SHOP_DEMO_STAFF_PASSWORD to choose it)")
    else:
        click.echo(f"Demo staff login: {DEMO_STAFF_EMAIL} (password unchanged)")
    for email, password in doctor_logins:
        click.echo(f"Demo doctor login: {email} / {password}")
    if doctor_logins:
        click.echo("(shown once; SHOP_DEMO_STAFF_PASSWORD sets these too)")


DEMO_STAFF_EMAIL = "staff@example.com"
DEMO_PHARMACIST_EMAIL = "pharmacist@example.com"


def seed_demo_staff(email: str = DEMO_STAFF_EMAIL, role: str = "staff") -> str | None:
    """Create a demo back-office account once; return its password only when just created."""
    from shop.accounts.service import create_user, find_user

    if find_user(email) is not None:
        return None
    password = os.environ.get("SHOP_DEMO_STAFF_PASSWORD") or secrets.token_urlsafe(12)
    create_user(email, password, role=role)
    return password


def seed_demo_doctors() -> list[tuple[str, str]]:
    """Give each demo doctor an account once; return (e-mail, password) of those just made."""
    from shop.demo.questions import seed_doctor_accounts

    return seed_doctor_accounts(
        lambda: os.environ.get("SHOP_DEMO_STAFF_PASSWORD") or secrets.token_urlsafe(12)
    )


def seed_demo_questions() -> int:
    from shop.demo.questions import seed_questions

    return seed_questions(db.session)


@click.command("rebuild-search")
def rebuild_search_command() -> None:
    """Rebuild the full-text search index from the catalogue and articles."""
    from shop.catalog.search import rebuild_index

    rebuild_index()
    db.session.commit()
    click.echo("Search index rebuilt.")


@click.command("create-user")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice(["customer", "staff", "admin", "doctor", "pharmacist"]),
    default="customer",
    show_default=True,
)
@click.option("--doctor", "doctor_slug", help="With --role doctor: the doctor profile's slug.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(
    email: str, role: str, doctor_slug: str | None, password_stdin: bool
) -> None:
    """Create an account with EMAIL and a role."""
    from sqlalchemy import select

    from shop.accounts.passwords import password_problem
    from shop.accounts.service import create_user
    from shop.content.models import Doctor
    from shop.errors import ShopError

    doctor_id = None
    if role == "doctor":
        if not doctor_slug:
            raise click.UsageError("--role doctor needs --doctor SLUG (the doctor profile).")
        doctor_id = db.session.scalar(select(Doctor.id).where(Doctor.slug == doctor_slug))
        if doctor_id is None:
            raise click.ClickException(f"There is no doctor profile with the slug {doctor_slug!r}.")
    elif doctor_slug:
        raise click.UsageError("--doctor is only for --role doctor.")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    problem = password_problem(password, email)
    if problem:
        raise click.ClickException(f"Password refused: {problem}")
    try:
        user = create_user(email, password, role, doctor_id)
    except ShopError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Created {user.email} with role {user.role}.")


@click.command("expire-orders")
def expire_orders_command() -> None:
    """Cancel unpaid orders past their hold; give back their stock and coupon uses.

    Stripe is asked about each first: an order paid after all is completed instead.
    Prescription orders waiting for review longer than SHOP_RX_REVIEW_DAYS are cancelled
    too (their card authorisation released).
    """
    from shop.checkout.completing import expire_overdue

    report = expire_overdue()
    db.session.commit()

    def listed(numbers: list[str]) -> str:
        return ": " + ", ".join(numbers) if numbers else "."

    click.echo(f"Cancelled {len(report.cancelled)} expired order(s){listed(report.cancelled)}")
    if report.completed:
        click.echo(f"Completed {len(report.completed)} paid order(s){listed(report.completed)}")
    if report.waiting:
        click.echo(
            f"Kept {len(report.waiting)} order(s) Stripe could not confirm yet"
            f"{listed(report.waiting)}"
        )
    from shop.prescriptions.service import expire_reviews

    lapsed, kept = expire_reviews()
    if lapsed:
        click.echo(f"Cancelled {len(lapsed)} prescription review(s) past due{listed(lapsed)}")
    if kept:
        click.echo(f"Kept {len(kept)} review(s) Stripe could not release yet{listed(kept)}")


@click.command("refresh-prices")
@click.option("--all", "everything", is_flag=True, help="Recompute every product, not only due.")
def refresh_prices_command(everything: bool) -> None:
    """Bring the product list's stored sort prices up to date (cron: every minute).

    Without --all only the products of sales that started or ended since the last
    catch-up are recomputed; --all does the whole catalogue (after a bulk load).
    """
    from shop.catalog import prices

    if everything:
        count = prices.refresh_effective_prices(db.session)
        db.session.commit()
        click.echo(f"Recomputed every sort price: {count} product(s) changed.")
        return
    done = prices.catch_up(db.session)
    db.session.commit()
    click.echo("Caught up with sales that started or ended." if done else "Nothing was due.")


@click.command("deliver-mail")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit (cron, tests).")
@click.option(
    "--interval", default=5.0, show_default=True, help="Seconds between rounds when looping."
)
def deliver_mail_command(once: bool, interval: float) -> None:
    """Send queued e-mail from the outbox through SMTP, with retries and backoff."""
    from flask import current_app

    from shop.mail import MailSettings, run_worker

    if current_app.config["MAIL_BACKEND"] != "smtp":
        click.echo(
            "MAIL_BACKEND is 'outbox' (no MAIL_SERVER set): messages stay in the "
            "outbox_messages table; nothing to deliver."
        )
        return
    settings = MailSettings.from_config(current_app.config)
    click.echo(f"Delivering mail through {settings.server}:{settings.port}")
    run_worker(settings, once=once, interval=interval, echo=click.echo)


@click.command("run-jobs")
@click.option("--once", is_flag=True, help="Run the queued jobs, then exit (cron, tests).")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between polls when idle.")
def run_jobs_command(once: bool, interval: float) -> None:
    """Run background jobs (large CSV imports) queued by the back office."""
    from shop.jobs.service import run_worker

    run_worker(once=once, interval=interval, echo=click.echo)


def init_commands(app: Flask) -> None:
    app.cli.add_command(expire_orders_command)
    app.cli.add_command(deliver_mail_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(rebuild_search_command)
    app.cli.add_command(refresh_prices_command)
    app.cli.add_command(generate_catalogue_command)
    app.cli.add_command(run_jobs_command)
