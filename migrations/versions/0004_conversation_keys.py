"""conversation keys: the host's external_id, unique per tenant

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

- ``aiconvos_conversation.external_id``: the host's key for a conversation (a chat session id,
  an email thread id), as ``start_conversation(external_id=...)`` and the importer store it.
- A unique index on ``(tenant, external_id)``, and a partial unique index on ``external_id`` for
  the conversations without a tenant (NULLs are distinct in the first one).

The column is added with ``ALTER TABLE … ADD COLUMN`` (no batch rebuild of the table on SQLite),
so the search index's triggers stay in place. Existing conversations have no key.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLE = "aiconvos_conversation"
TENANT_INDEX = "ix_aiconvos_conversation_tenant_external_id"
NO_TENANT_INDEX = "ix_aiconvos_conversation_external_id_no_tenant"


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("external_id", sa.String(length=255), nullable=True))
    op.create_index(TENANT_INDEX, TABLE, ["tenant", "external_id"], unique=True)
    op.create_index(
        NO_TENANT_INDEX,
        TABLE,
        ["external_id"],
        unique=True,
        sqlite_where=sa.text("tenant IS NULL"),
        postgresql_where=sa.text("tenant IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(NO_TENANT_INDEX, table_name=TABLE)
    op.drop_index(TENANT_INDEX, table_name=TABLE)
    # SQLite 3.35+ drops a column in place; the search index's triggers do not name it.
    op.drop_column(TABLE, "external_id")
