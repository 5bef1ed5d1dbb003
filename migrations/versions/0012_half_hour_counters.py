"""Counters per half UTC hour

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08

``aiconvos_counter`` gains rows of grain ``"t"``: the same counts per thirty minutes from each
UTC hour and half-hour (the outcome counters, read only with outcome filters, have none). A
range whose bounds are local midnights of a zone whose offset is a whole number of half-hours
but not of hours (Asia/Kolkata, +5:30) reads the half-hour at each edge from them instead of
counting its conversations. They are filled here from the stored conversations, one month of
start times per statement, in time order, with a progress line per month on standard error.

Downgrading deletes the half-hour rows.
"""

from __future__ import annotations

from datetime import UTC, datetime

import click
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TABLE = "aiconvos_conversation"
KINDS = ("tour", "customer", "contract", "booking", "day_pass")
COLUMNS = {
    "tour": "tours",
    "customer": "customers",
    "contract": "contracts",
    "booking": "bookings",
    "day_pass": "day_passes",
}
COUNTER = "aiconvos_counter"


def _half_hour(dialect: str) -> str:
    """The start of ``started_at``'s half UTC hour as the column stores it (as of this
    revision)."""
    if dialect == "sqlite":  # naive UTC text, 'YYYY-MM-DD HH:MM:SS.ffffff'
        return (
            "substr(started_at, 1, 14) || "
            "CASE WHEN substr(started_at, 15, 2) < '30' THEN '00:00.000000' ELSE '30:00.000000' END"
        )
    utc = "started_at AT TIME ZONE 'UTC'"
    return (
        f"(date_trunc('hour', {utc}) + make_interval(mins => "
        f"CAST(extract(minute FROM {utc}) AS integer) / 30 * 30)) AT TIME ZONE 'UTC'"
    )


def _bound(dialect: str, moment: datetime) -> object:
    """A start time as the column compares (naive UTC text on SQLite)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f") if dialect == "sqlite" else moment


def _months(first: datetime, last: datetime) -> list[datetime]:
    """The UTC month starts from ``first``'s month to the month after ``last``'s."""
    month = first.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    starts = [month]
    while starts[-1] <= last:
        month = starts[-1]
        starts.append(
            month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)
        )
    return starts


def _as_utc(value: object) -> datetime:
    if isinstance(value, str):  # SQLite: naive UTC text
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    first, last, total = bind.execute(
        sa.text(f"SELECT MIN(started_at), MAX(started_at), COUNT(*) FROM {TABLE}")
    ).one()
    if not total:
        return
    half_hour = _half_hour(dialect)
    columns = ", ".join(COLUMNS[kind] for kind in KINDS)
    flags = ", ".join(f"SUM(CASE WHEN {kind}_count > 0 THEN 1 ELSE 0 END)" for kind in KINDS)
    months = _months(_as_utc(first), _as_utc(last))
    done = 0
    for low, high in zip(months, months[1:], strict=False):
        window = {"low": _bound(dialect, low), "high": _bound(dialect, high)}
        # In time order: on PostgreSQL an edge's half-hours then sit in a few heap pages, as the
        # recording API's rows do.
        bind.execute(
            sa.text(
                f"INSERT INTO {COUNTER} (grain, period_start, tenant, channel, conversations, "
                f"{columns}) "
                f"SELECT 't', {half_hour}, COALESCE(tenant, ''), channel, COUNT(*), {flags} "
                f"FROM {TABLE} WHERE started_at >= :low AND started_at < :high "
                f"GROUP BY {half_hour}, COALESCE(tenant, ''), channel "
                f"ORDER BY {half_hour}, COALESCE(tenant, ''), channel"
            ),
            window,
        )
        done += bind.execute(
            sa.text(
                f"SELECT COUNT(*) FROM {TABLE} WHERE started_at >= :low AND started_at < :high"
            ),
            window,
        ).scalar_one()
        click.echo(
            f"aiconvos: half-hour counters {low:%Y-%m}, {done:,} / {total:,} conversations",
            err=True,
        )


def downgrade() -> None:
    op.execute(f"DELETE FROM {COUNTER} WHERE grain = 't'")
