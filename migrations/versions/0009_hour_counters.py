"""Counters per UTC hour

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

``aiconvos_counter`` gains rows of grain ``"h"``: the same counts per UTC hour (the outcome
counters, read only with outcome filters, have none). A range whose bounds are local midnights
of a zone far from UTC (America/New_York: 4 or 5 hours) reads those hours instead of counting
the conversations at each edge. They are filled here from the stored conversations, one month
of start times per statement, in time order, with a progress line per month on standard error.

Downgrading deletes the hour rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from flask_aiconvos.backfill import fill_by_month

revision = "0009"
down_revision = "0008"
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


def _hour(dialect: str) -> str:
    """The start of ``started_at``'s UTC hour as the column stores it (as of this revision)."""
    if dialect == "sqlite":
        return "substr(started_at, 1, 13) || ':00:00.000000'"
    return "date_trunc('hour', started_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    first, last, total = bind.execute(
        sa.text(f"SELECT MIN(started_at), MAX(started_at), COUNT(*) FROM {TABLE}")
    ).one()
    if not total:
        return
    hour = _hour(dialect)
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
            f"SELECT 'h', {hour}, COALESCE(tenant, ''), channel, COUNT(*), {flags} "
            f"FROM {TABLE} WHERE {window} "
            f"GROUP BY {hour}, COALESCE(tenant, ''), channel "
            f"ORDER BY {hour}, COALESCE(tenant, ''), channel"
        ),
        count=f"SELECT COUNT(*) FROM {TABLE} WHERE {window}",
        label="hour counters",
    )


def downgrade() -> None:
    op.execute(f"DELETE FROM {COUNTER} WHERE grain = 'h'")
