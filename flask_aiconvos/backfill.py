"""Filling rows from what a database already stores, a UTC month at a time, for the shipped
migrations (0009, 0010 and 0012 fill counter rows this way).

One statement per month keeps each short on a large database and writes its rows in time order
(on PostgreSQL a range's edge then sits in a few heap pages, as the recording API's rows do);
a line per month on standard error says how far it has got.
"""

from __future__ import annotations

from datetime import UTC, datetime

import click
import sqlalchemy as sa
from sqlalchemy import Connection

from .counters import month_start, next_month
from .models import sqlite_text


def as_utc(value: object) -> datetime:
    """A stored start time as an aware UTC datetime (SQLite gives naive UTC text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"not a stored time: {value!r}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def fill_by_month(
    bind: Connection,
    *,
    first: object,
    last: object,
    total: int,
    insert: str,
    count: str,
    label: str,
) -> None:
    """Run ``insert`` once per UTC month from ``first``'s to ``last``'s, its bounds given as
    ``:low`` and ``:high`` (as the column compares them: naive UTC text on SQLite); after each,
    print how many of ``total`` conversations ``count`` (the same bounds) has found so far:
    ``aiconvos: <label> 2026-11, 3 / 4 conversations``."""
    sqlite = bind.dialect.name == "sqlite"
    month = month_start(as_utc(first))
    end = as_utc(last)
    done = 0
    while month <= end:
        following = next_month(month)
        window = {
            "low": sqlite_text(month) if sqlite else month,
            "high": sqlite_text(following) if sqlite else following,
        }
        bind.execute(sa.text(insert), window)
        done += bind.execute(sa.text(count), window).scalar_one() or 0
        click.echo(f"aiconvos: {label} {month:%Y-%m}, {done:,} / {total:,} conversations", err=True)
        month = following
