"""64-bit ids: row ids and the columns referring to them as BIGINT on PostgreSQL

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

- On PostgreSQL, the ``id`` of every table with one (conversations, messages, conversions, inbox
  links, tickets, access log) and every ``conversation_id`` become ``BIGINT``, and the sequences
  behind the ids count as ``bigint`` (a sequence created for a 32-bit column stops at
  2,147,483,647 whatever the column's type).
- On SQLite nothing changes: ``INTEGER`` is 64-bit already, and an ``INTEGER PRIMARY KEY`` stays
  the table's rowid (which the search index's triggers use).

PostgreSQL rewrites each table (and its indexes) under an exclusive lock: on large tables, run
it when the screens and the recording API can wait. Downgrading refuses once an id no longer
fits 32 bits.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: table: its id columns, the primary key first.
ID_COLUMNS = {
    "aiconvos_conversation": ("id",),
    "aiconvos_message": ("id", "conversation_id"),
    "aiconvos_conversion": ("id", "conversation_id"),
    "aiconvos_inbox_item": ("id", "conversation_id"),
    "aiconvos_ticket": ("id", "conversation_id"),
    "aiconvos_access_log": ("id", "conversation_id"),
}


def _change(old: sa.types.TypeEngine, new: sa.types.TypeEngine, sequence_type: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        return
    for table, columns in ID_COLUMNS.items():
        for column in columns:
            op.alter_column(table, column, type_=new, existing_type=old)
        sequence = bind.execute(
            sa.text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table}
        ).scalar()
        if sequence is not None:
            op.execute(f"ALTER SEQUENCE {sequence} AS {sequence_type}")


def upgrade() -> None:
    _change(sa.Integer(), sa.BigInteger(), "bigint")


def downgrade() -> None:
    _change(sa.BigInteger(), sa.Integer(), "integer")
