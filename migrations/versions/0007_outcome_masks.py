"""outcome masks on conversations, counters split by them

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

- ``aiconvos_conversation.outcome_mask``: the conversation's outcomes as bits (see
  ``flask_aiconvos.outcomes``: escalated 1, tour 2, customer 4, contract 8, booking 16, day pass
  32, a pending inbox item 64, no customer 128), filled here from the stored rows in batches of
  ids, with a progress line per batch on standard error.
- The list indexes carry ``outcome_mask`` last, so the outcome filters are checked in the index.
- ``aiconvos_outcome_counter``: ``aiconvos_counter``'s counts split by outcome mask, keyed
  ``(grain, outcomes, period_start, tenant, channel)``, filled from the conversations.
  ``aiconvos_counter`` itself is unchanged.

Downgrading drops the table and the column.
"""

from __future__ import annotations

import click
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
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
#: The bits as of this revision.
ESCALATED_BIT = 1
KIND_BITS = {kind: 2 << index for index, kind in enumerate(KINDS)}
INBOX_PENDING_BIT = 64
ANONYMOUS_BIT = 128
#: name: (columns in 0005, columns from here on).
INDEXES = {
    "ix_aiconvos_conversation_activity": ["last_activity_at", "id", "started_at"],
    "ix_aiconvos_conversation_channel_activity": [
        "channel",
        "last_activity_at",
        "id",
        "started_at",
    ],
    "ix_aiconvos_conversation_tenant_activity": ["tenant", "last_activity_at", "id", "started_at"],
    "ix_aiconvos_conversation_tenant_channel_activity": [
        "tenant",
        "channel",
        "last_activity_at",
        "id",
        "started_at",
    ],
    "ix_aiconvos_conversation_started": ["started_at", "last_activity_at", "channel", "tenant"],
    "ix_aiconvos_conversation_channel_started": [
        "channel",
        "started_at",
        "last_activity_at",
        "tenant",
    ],
}
#: Conversations whose mask one statement fills.
BATCH = 50_000

MASK_SQL = " + ".join(
    [
        f"(CASE WHEN ticket_count > 0 THEN {ESCALATED_BIT} ELSE 0 END)",
        *(f"(CASE WHEN {kind}_count > 0 THEN {bit} ELSE 0 END)" for kind, bit in KIND_BITS.items()),
        f"(CASE WHEN EXISTS (SELECT 1 FROM aiconvos_inbox_item AS item "
        f"WHERE item.conversation_id = {TABLE}.id AND item.status = 'pending') "
        f"THEN {INBOX_PENDING_BIT} ELSE 0 END)",
        f"(CASE WHEN customer_id IS NULL THEN {ANONYMOUS_BIT} ELSE 0 END)",
    ]
)


def _fill_outcome_counters(bind: sa.Connection) -> None:
    """The per-mask counters as the recording API keeps them (``counters.rebuild`` as of this
    revision)."""
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
                "INSERT INTO aiconvos_outcome_counter (grain, outcomes, period_start, tenant, "
                f"channel, conversations, {columns}) "
                f"SELECT :grain, outcome_mask, {period}, COALESCE(tenant, ''), channel, "
                f"COUNT(*), {flags} FROM {TABLE} "
                f"GROUP BY outcome_mask, {period}, COALESCE(tenant, ''), channel"
            ),
            {"grain": grain},
        )


def _fill_masks(bind: sa.Connection) -> None:
    low, high = bind.execute(sa.text(f"SELECT MIN(id), MAX(id) FROM {TABLE}")).one()
    if low is None:
        return
    total = bind.execute(sa.text(f"SELECT COUNT(*) FROM {TABLE}")).scalar_one()
    done = 0
    start = low - 1
    while start < high:
        end = start + BATCH
        result = bind.execute(
            sa.text(
                f"UPDATE {TABLE} SET outcome_mask = {MASK_SQL} WHERE id > :low AND id <= :high"
            ),
            {"low": start, "high": end},
        )
        done += max(result.rowcount or 0, 0)
        click.echo(f"aiconvos: outcome masks {done:,} / {total:,} conversations", err=True)
        start = end


def _switch_indexes(extra: list[str]) -> None:
    for name in INDEXES:
        op.drop_index(name, table_name=TABLE)
    for name, columns in INDEXES.items():
        op.create_index(name, TABLE, columns + extra, unique=False)


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column(
        TABLE, sa.Column("outcome_mask", sa.Integer(), server_default="0", nullable=False)
    )
    _fill_masks(bind)
    _switch_indexes(["outcome_mask"])
    op.create_table(
        "aiconvos_outcome_counter",
        sa.Column("grain", sa.String(length=1), nullable=False),
        sa.Column("outcomes", sa.Integer(), nullable=False),
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
            "grain",
            "outcomes",
            "period_start",
            "tenant",
            "channel",
            name=op.f("pk_aiconvos_outcome_counter"),
        ),
        sqlite_with_rowid=False,
    )
    _fill_outcome_counters(bind)


def downgrade() -> None:
    op.drop_table("aiconvos_outcome_counter")
    _switch_indexes([])
    # A plain ALTER (SQLite 3.35+ and PostgreSQL): no table rebuild, the search triggers stay.
    op.execute(f"ALTER TABLE {TABLE} DROP COLUMN outcome_mask")
