"""``flask aiconvos …``: migrations, demo data, import, erasure and retention."""

from __future__ import annotations

import os
import stat
import sys
from typing import IO

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from . import migration
from .demo import seed_demo as record_demo
from .importing import MAX_LINE_BYTES, ImportReport
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


#: Errors printed after an import, at most (the count of the rest is printed).
ERRORS_SHOWN = 200


def _file_size(stream: IO[bytes]) -> int | None:
    """The size of a regular file (``None`` for a pipe or a terminal)."""
    try:
        info = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


@aiconvos_cli.command("import")
@click.argument("file", type=click.File("rb"))
@click.option(
    "--max-line-bytes",
    default=MAX_LINE_BYTES,
    show_default=True,
    type=click.IntRange(1),
    help="Longer lines are reported and skipped.",
)
@with_appcontext
def import_command(file: IO[bytes], max_line_bytes: int) -> None:
    """Import conversations from a JSON Lines FILE (``-`` reads standard input).

    One record per line; a record is stored whole or not at all, a bad one is reported with
    its line and field and the others go on; importing a file again stores nothing new. Exits
    with status 1 when any record failed.
    """
    extension = get_state().extension
    size = _file_size(file)
    if size and sys.stderr.isatty():
        with click.progressbar(
            length=size, label="Importing", file=sys.stderr, show_pos=False
        ) as bar:
            done = 0

            def advance(report: ImportReport) -> None:
                nonlocal done
                position = file.tell()
                bar.update(position - done)
                done = position

            report = extension.import_json_lines(
                file, on_progress=advance, max_line_bytes=max_line_bytes
            )
            bar.update(size - done)
    else:
        report = extension.import_json_lines(file, max_line_bytes=max_line_bytes)
    click.echo(f"aiconvos: {report.summary()}")
    for line, message in report.errors[:ERRORS_SHOWN]:
        click.echo(f"line {line}: {message}", err=True)
    if len(report.errors) > ERRORS_SHOWN:
        click.echo(f"… and {len(report.errors) - ERRORS_SHOWN:,} more", err=True)
    if report.errors:
        raise SystemExit(1)
