"""the access log

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

``aiconvos_access_log``: one row per list view, search, timeline view and "Show images" (when,
who, tenant, action, conversation, parameters), shown by the *Access log* view.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from flask_aiconvos.models import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "aiconvos_access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=True),
        sa.Column("user_display", sa.String(length=200), nullable=True),
        sa.Column("tenant", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("params", sa.String(length=1000), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_aiconvos_access_log"),
    )
    op.create_index("ix_aiconvos_access_log_at", "aiconvos_access_log", ["at", "id"])
    op.create_index("ix_aiconvos_access_log_tenant_at", "aiconvos_access_log", ["tenant", "at"])


def downgrade() -> None:
    op.drop_index("ix_aiconvos_access_log_tenant_at", table_name="aiconvos_access_log")
    op.drop_index("ix_aiconvos_access_log_at", table_name="aiconvos_access_log")
    op.drop_table("aiconvos_access_log")
