"""write-time counters, the trigram search index and list indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

- ``aiconvos_counter``: conversations per UTC day and month, channel and tenant (see
  ``flask_aiconvos.counters``), filled here from the existing conversations.
- The trigram search index (see ``flask_aiconvos.search_index``): on SQLite an FTS5 table kept in
  step by triggers, filled here; on PostgreSQL a ``pg_trgm`` GIN index, skipped with a warning when
  the extension cannot be created.
- List indexes for every combination of tenant scope, channel tab and date range: the activity
  indexes carry ``started_at``; two start-ordered indexes serve short date ranges; the
  single-column ``tenant`` and ``started_at`` indexes they make redundant are dropped.

On SQLite, a later migration that makes Alembic rebuild ``aiconvos_conversation`` (batch mode)
drops the index's triggers with the old table: it must call ``search_index.create`` again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from flask_aiconvos import search_index

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLE = "aiconvos_conversation"
KINDS = ("tour", "customer", "contract", "booking", "day_pass")
#: name: (columns in 0001, columns from here on); ``None``: no such index.
INDEXES = {
    "ix_aiconvos_conversation_activity": (
        ["last_activity_at", "id"],
        ["last_activity_at", "id", "started_at"],
    ),
    "ix_aiconvos_conversation_channel_activity": (
        ["channel", "last_activity_at", "id"],
        ["channel", "last_activity_at", "id", "started_at"],
    ),
    "ix_aiconvos_conversation_tenant_activity": (
        ["tenant", "last_activity_at", "id"],
        ["tenant", "last_activity_at", "id", "started_at"],
    ),
    "ix_aiconvos_conversation_tenant_channel_activity": (
        None,
        ["tenant", "channel", "last_activity_at", "id", "started_at"],
    ),
    "ix_aiconvos_conversation_started": (
        None,
        ["started_at", "last_activity_at", "channel", "tenant"],
    ),
    "ix_aiconvos_conversation_channel_started": (
        None,
        ["channel", "started_at", "last_activity_at", "tenant"],
    ),
    "ix_aiconvos_conversation_tenant": (["tenant"], None),
    "ix_aiconvos_conversation_started_at": (["started_at"], None),
}
COLUMNS = {
    "tour": "tours",
    "customer": "customers",
    "contract": "contracts",
    "booking": "bookings",
    "day_pass": "day_passes",
}


def _fill_counters(bind: sa.Connection) -> None:
    """The counters as the recording API would have kept them (``counters.rebuild`` as of
    this revision)."""
    if bind.dialect.name == "sqlite":
        periods = {
            "d": "substr(started_at, 1, 10) || ' 00:00:00.000000'",
            "m": "substr(started_at, 1, 7) || '-01 00:00:00.000000'",
        }
    else:
        periods = {
            grain: f"date_trunc('{unit}', started_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
            for grain, unit in (("d", "day"), ("m", "month"))
        }
    columns = ", ".join(COLUMNS[kind] for kind in KINDS)
    flags = ", ".join(f"SUM(CASE WHEN {kind}_count > 0 THEN 1 ELSE 0 END)" for kind in KINDS)
    for grain, period in periods.items():
        bind.execute(
            sa.text(
                "INSERT INTO aiconvos_counter (grain, period_start, tenant, channel, "
                f"conversations, {columns}) "
                f"SELECT :grain, {period}, COALESCE(tenant, ''), channel, COUNT(*), {flags} "
                "FROM aiconvos_conversation "
                f"GROUP BY {period}, COALESCE(tenant, ''), channel"
            ),
            {"grain": grain},
        )


def upgrade() -> None:
    op.create_table(
        "aiconvos_counter",
        sa.Column("grain", sa.String(length=1), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("conversations", sa.Integer(), server_default="0", nullable=False),
        sa.Column("bookings", sa.Integer(), server_default="0", nullable=False),
        sa.Column("customers", sa.Integer(), server_default="0", nullable=False),
        sa.Column("tours", sa.Integer(), server_default="0", nullable=False),
        sa.Column("contracts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("day_passes", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint(
            "grain", "period_start", "tenant", "channel", name=op.f("pk_aiconvos_counter")
        ),
    )
    bind = op.get_bind()
    _fill_counters(bind)
    _switch_indexes(old=0, new=1)
    search_index.create(bind)


def downgrade() -> None:
    search_index.drop(op.get_bind())
    _switch_indexes(old=1, new=0)
    op.drop_table("aiconvos_counter")


def _switch_indexes(*, old: int, new: int) -> None:
    for name, versions in INDEXES.items():
        if versions[old] is not None:
            op.drop_index(name, table_name=TABLE)
    for name, versions in INDEXES.items():
        if versions[new] is not None:
            op.create_index(name, TABLE, versions[new], unique=False)
