"""``flask aiconvos …``: migrations, demo data, import, erasure and retention."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import IO
from zoneinfo import ZoneInfo

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from . import erasure, migration
from .demo import seed_demo as record_demo
from .errors import InvalidRecord
from .importing import MAX_LINE_BYTES, ImportReport
from .models import BIND_ARGUMENTS, Conversation
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
        existing = state.db.session.scalar(
            select(func.count()).select_from(Conversation), bind_arguments=BIND_ARGUMENTS
        )
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


# --- erasure and retention --------------------------------------------------------------------


def _interactive() -> bool:
    """Whether someone at a terminal can answer a question."""
    return sys.stdin.isatty()


def _confirm(question: str, yes: bool) -> None:
    """Ask on a terminal unless ``--yes``; off a terminal (cron, scripts) go on as told."""
    if not yes and _interactive():
        click.confirm(question, abort=True, err=True)


def _midnight(day: date) -> datetime:
    """The start of ``day`` in ``AICONVOS_TIMEZONE``."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(get_state().timezone))


@contextlib.contextmanager
def _progress(label: str, total: int) -> Iterator[erasure.Progress | None]:
    """A progress bar on a terminal for a long erasure (``None`` off one, or for one batch)."""
    if not sys.stderr.isatty() or total <= erasure.BATCH_SIZE:
        yield None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        done = 0

        def advance(erased: int) -> None:
            nonlocal done
            bar.update(erased - done)
            done = erased

        yield advance


@aiconvos_cli.command("erase")
@click.option("--customer", "customer_id", metavar="ID", help="The host's customer id.")
@click.option(
    "--identifier", "external_identifier", metavar="TEXT", help="An e-mail address or phone."
)
@click.option("--conversation", "conversation_id", metavar="ID", type=int, help="One conversation.")
@click.option("--dry-run", is_flag=True, help="Only count what would be erased.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def erase_command(
    customer_id: str | None,
    external_identifier: str | None,
    conversation_id: int | None,
    dry_run: bool,
    yes: bool,
) -> None:
    """Erase one customer's conversations (give exactly one of --customer, --identifier,
    --conversation), with their messages, conversions, inbox links and tickets."""
    try:
        selection = erasure.erase_selection(
            customer_id=customer_id,
            external_identifier=external_identifier,
            conversation_id=conversation_id,
        )
    except InvalidRecord as error:
        raise click.UsageError(str(error)) from None
    total = erasure.count(selection)
    if dry_run or not total:
        verb = "would be erased" if dry_run else "to erase"
        click.echo(f"aiconvos: {total:,} conversations {verb}")
        return
    _confirm(f"Erase {total:,} conversations ({selection.description})?", yes)
    erased = erasure.remove(selection, action="erase")
    click.echo(f"aiconvos: erased {erased:,} conversations")


@aiconvos_cli.command("purge")
@click.option(
    "--before",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Erase conversations with no activity since this day (midnight, AICONVOS_TIMEZONE).",
)
@click.option(
    "--audit-before",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Delete access-log entries older than this day (midnight, AICONVOS_TIMEZONE).",
)
@click.option("--dry-run", is_flag=True, help="Only count what would go.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def purge_command(
    before: datetime | None, audit_before: datetime | None, dry_run: bool, yes: bool
) -> None:
    """Retention: erase conversations whose last activity is older than --before, and/or
    access-log entries older than --audit-before, in batches."""
    if before is None and audit_before is None:
        raise click.UsageError("give --before, --audit-before or both")
    conversations = entries = None
    selection = None
    if before is not None:
        selection = erasure.purge_selection(_midnight(before.date()))
        conversations = erasure.count(selection)
    audit_moment = _midnight(audit_before.date()) if audit_before is not None else None
    if audit_moment is not None:
        entries = erasure.purge_access_log(audit_moment, dry_run=True)
    going = []
    if conversations is not None:
        going.append(f"{conversations:,} conversations last active before {before:%Y-%m-%d}")
    if entries is not None:
        going.append(f"{entries:,} access-log entries before {audit_before:%Y-%m-%d}")
    if dry_run:
        click.echo("aiconvos: would purge " + " and ".join(going))
        return
    if not conversations and not entries:
        click.echo("aiconvos: nothing to purge")
        return
    _confirm("Purge " + " and ".join(going) + "?", yes)
    if selection is not None and conversations:
        with _progress("Purging", conversations) as advance:
            erased = erasure.remove(selection, action="purge", on_progress=advance)
        click.echo(f"aiconvos: purged {erased:,} conversations")
    if audit_moment is not None and entries:
        deleted = erasure.purge_access_log(audit_moment)
        click.echo(f"aiconvos: purged {deleted:,} access-log entries")


@aiconvos_cli.group("counters", help="The list's counters.")
def counters_group() -> None:
    pass


@counters_group.command("rebuild")
@with_appcontext
def rebuild_counters() -> None:
    """Recompute every count from the stored rows (after deleting or changing rows by hand)."""
    written = get_state().extension.rebuild_counters()
    click.echo(f"aiconvos: counters rebuilt ({written:,} rows)")
