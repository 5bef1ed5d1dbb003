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

import sqlalchemy as sa
from alembic import op

from flask_aiconvos.backfill import fill_by_month

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
    window = "started_at >= :low AND started_at < :high"
    fill_by_month(
        bind,
        first=first,
        last=last,
        total=total,
        insert=(
            f"INSERT INTO {COUNTER} (grain, period_start, tenant, channel, conversations, "
            f"{columns}) "
            f"SELECT 't', {half_hour}, COALESCE(tenant, ''), channel, COUNT(*), {flags} "
            f"FROM {TABLE} WHERE {window} "
            f"GROUP BY {half_hour}, COALESCE(tenant, ''), channel "
            f"ORDER BY {half_hour}, COALESCE(tenant, ''), channel"
        ),
        count=f"SELECT COUNT(*) FROM {TABLE} WHERE {window}",
        label="half-hour counters",
    )


def downgrade() -> None:
    op.execute(f"DELETE FROM {COUNTER} WHERE grain = 't'")
