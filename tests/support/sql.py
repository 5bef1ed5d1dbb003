"""Counting the SQL statements a block of code runs."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import sqlalchemy as sa

from flask_aiconvos import AIConversations
from flask_aiconvos.models import AccessLogEntry

#: Every page writes one access-log entry on a connection of its own (tests/test_access_log.py
#: counts it); the statement counts of the pages' own work leave it out unless asked.
ACCESS_LOG_TABLE = "aiconvos_access_log"


@contextlib.contextmanager
def count_queries(engine: sa.Engine, *, access_log: bool = False) -> Iterator[list[str]]:
    """Collect the SQL statements run on ``engine`` inside the block (the access-log write
    only with ``access_log``)."""
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if access_log or ACCESS_LOG_TABLE not in statement:
            statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


@contextlib.contextmanager
def captured_statements(engine: sa.Engine) -> Iterator[list[tuple[str, object]]]:
    """Collect each SQL statement run on ``engine`` inside the block with its parameters, to
    ask the database for its plan afterwards (``query_plan``)."""
    seen: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)


def query_plan(connection: sa.Connection, statement: str, parameters: object) -> str:
    """The database's plan of a captured statement, one line per step: SQLite's ``EXPLAIN
    QUERY PLAN`` details, PostgreSQL's ``EXPLAIN (VERBOSE)`` lines."""
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        return "\n".join(row[3] for row in rows)
    rows = connection.exec_driver_sql("EXPLAIN (VERBOSE) " + statement, parameters)
    return "\n".join(row[0] for row in rows)


def access_log(app) -> list[AccessLogEntry]:
    """Every access-log entry, oldest first, once the writer thread has written the pending
    ones."""
    with app.app_context():
        assert AIConversations.state(app).extension.flush_access_log()
        session = app.extensions["test_db"].session
        found = list(session.scalars(sa.select(AccessLogEntry).order_by(AccessLogEntry.id)))
        session.expunge_all()
        return found
