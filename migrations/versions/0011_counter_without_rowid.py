"""The counters stored in key order on SQLite

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08

On SQLite ``aiconvos_counter`` becomes a ``WITHOUT ROWID`` table, as ``aiconvos_outcome_counter``
is: its rows are stored in its key's order, so the list's figures read each counter row from the
key's B-tree in one pass instead of finding it in the key's index and then in the table. SQLite
cannot change that on an existing table: the rows are copied into a new one (in key order, one
statement), the old one is dropped and the new one takes its name. At 1M conversations that is
about 785,000 rows and a few seconds. PostgreSQL has no such option, and nothing changes there.

Downgrading copies the rows back into a table with rowids.
"""

from __future__ import annotations

import click
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COUNTER = "aiconvos_counter"
COPY = "aiconvos_counter_copy"
KEY = ("grain", "period_start", "tenant", "channel")
COUNTS = ("conversations", "bookings", "customers", "tours", "contracts", "day_passes")


def _recreate(*, with_rowid: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    op.create_table(
        COPY,
        sa.Column("grain", sa.String(length=1), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        *(sa.Column(name, sa.Integer(), server_default="0", nullable=False) for name in COUNTS),
        sa.PrimaryKeyConstraint(*KEY, name=op.f("pk_aiconvos_counter")),
        sqlite_with_rowid=with_rowid,
    )
    columns = ", ".join((*KEY, *COUNTS))
    copied = bind.execute(
        sa.text(
            f"INSERT INTO {COPY} ({columns}) SELECT {columns} FROM {COUNTER} "
            f"ORDER BY {', '.join(KEY)}"
        )
    ).rowcount
    op.drop_table(COUNTER)
    op.rename_table(COPY, COUNTER)
    if copied and copied > 0:  # a new database has nothing to report
        layout = "with rowids" if with_rowid else "in key order"
        click.echo(f"aiconvos: counters {layout}, {copied:,} rows", err=True)


def upgrade() -> None:
    _recreate(with_rowid=False)


def downgrade() -> None:
    _recreate(with_rowid=True)
