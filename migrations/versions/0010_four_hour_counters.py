"""Counters per four UTC hours

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08

``aiconvos_counter`` gains rows of grain ``"4"``: the same counts per four UTC hours (0–4, 4–8,
… 20–24 h). A range whose bounds are local midnights four or more hours from UTC's reads one of
them where its edge used to read four or more hour rows (America/New_York: a four-hour row and
at most one hour row instead of four or five hour rows). They are summed here from the hour
rows, one month per statement, in time order, with a progress line per month on standard error.

Downgrading deletes the four-hour rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from flask_aiconvos.backfill import fill_by_month

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

COUNTER = "aiconvos_counter"
COUNTS = ("conversations", "bookings", "customers", "tours", "contracts", "day_passes")


def _four_hours(dialect: str) -> str:
    """The start of ``period_start``'s four UTC hours as the column stores it (as of this
    revision)."""
    if dialect == "sqlite":  # naive UTC text, 'YYYY-MM-DD HH:MM:SS.ffffff'
        return (
            "substr(period_start, 1, 11) || "
            "printf('%02d', CAST(substr(period_start, 12, 2) AS INTEGER) / 4 * 4) || "
            "':00:00.000000'"
        )
    utc = "period_start AT TIME ZONE 'UTC'"
    return (
        f"(date_trunc('hour', {utc}) - make_interval(hours => "
        f"CAST(extract(hour FROM {utc}) AS integer) % 4)) AT TIME ZONE 'UTC'"
    )


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    first, last, total = bind.execute(
        sa.text(
            f"SELECT MIN(period_start), MAX(period_start), SUM(conversations) FROM {COUNTER} "
            "WHERE grain = 'h'"
        )
    ).one()
    if not total:
        return
    block = _four_hours(dialect)
    columns = ", ".join(COUNTS)
    sums = ", ".join(f"SUM({column})" for column in COUNTS)
    hours = "grain = 'h' AND period_start >= :low AND period_start < :high"
    fill_by_month(
        bind,
        first=first,
        last=last,
        total=total,
        insert=(
            f"INSERT INTO {COUNTER} (grain, period_start, tenant, channel, {columns}) "
            f"SELECT '4', {block}, tenant, channel, {sums} FROM {COUNTER} WHERE {hours} "
            f"GROUP BY {block}, tenant, channel ORDER BY {block}, tenant, channel"
        ),
        count=f"SELECT COALESCE(SUM(conversations), 0) FROM {COUNTER} WHERE {hours}",
        label="four-hour counters",
    )


def downgrade() -> None:
    op.execute(f"DELETE FROM {COUNTER} WHERE grain = '4'")
