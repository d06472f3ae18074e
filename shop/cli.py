"""Commands run through `flask --app shop …`."""

from __future__ import annotations

import click
from flask import Flask

from shop.extensions import db


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Load the demo catalogue, articles and doctors; running it twice changes nothing."""
    from shop.demo import seed_demo

    created = seed_demo(db.session)
    db.session.commit()
    made = {kind: n for kind, n in created.items() if n}
    if made:
        click.echo("Demo data created: " + ", ".join(f"{n} {kind}" for kind, n in made.items()))
    else:
        click.echo("Demo data already present; nothing changed.")


@click.command("rebuild-search")
def rebuild_search_command() -> None:
    """Rebuild the full-text search index from the catalogue and articles."""
    from shop.catalog.search import rebuild_index

    rebuild_index()
    db.session.commit()
    click.echo("Search index rebuilt.")


def init_commands(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(rebuild_search_command)
