"""``flask aiconvos …``: apply the extension's migrations and seed demo data."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from . import migration
from .demo import seed_demo as record_demo
from .models import Conversation
from .state import get_state


@click.group("aiconvos", help="flask-aiconvos: AI Conversations for Flask-Admin.")
def aiconvos_cli() -> None:
    pass


@aiconvos_cli.group("db", help="The extension's own migrations (its own version table).")
def db_group() -> None:
    pass


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def upgrade(revision: str) -> None:
    """Apply the extension's migrations up to REVISION (default: head)."""
    migration.upgrade(revision)
    click.echo(f"aiconvos: database at {migration.current() or 'base'}")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def downgrade(revision: str) -> None:
    """Revert the extension's migrations down to REVISION (``base`` removes its tables)."""
    migration.downgrade(revision)
    click.echo(f"aiconvos: database at {migration.current() or 'base'}")


@db_group.command("current")
@with_appcontext
def current() -> None:
    """Show the extension's current migration revision."""
    click.echo(migration.current() or "base")


@aiconvos_cli.command("seed-demo")
@click.option("--conversations", "-n", default=120, show_default=True, type=click.IntRange(1))
@click.option("--seed", default=7, show_default=True, type=int, help="Random seed.")
@click.option(
    "--if-empty", is_flag=True, help="Do nothing when conversations are already recorded."
)
@with_appcontext
def seed_demo(conversations: int, seed: int, if_empty: bool) -> None:
    """Record realistic demo conversations through the public recording API."""
    state = get_state()
    if if_empty:
        existing = state.db.session.scalar(select(func.count()).select_from(Conversation))
        if existing:
            click.echo(f"aiconvos: {existing} conversations already recorded; nothing seeded")
            return
    created = record_demo(state.extension, conversations, seed=seed)
    click.echo(f"aiconvos: seeded {created} demo conversations")
