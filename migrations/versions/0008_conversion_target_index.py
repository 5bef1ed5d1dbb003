"""An index for the conversations that led to a host record

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

``conversations_for(kind=..., target_id=...)`` (a visitor page showing the conversation that
booked the tour) looks conversions up by kind and record id; without this index every lookup
reads the whole conversions table.
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

INDEX = "ix_aiconvos_conversion_kind_target"


def upgrade() -> None:
    op.create_index(INDEX, "aiconvos_conversion", ["kind", "target_id"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="aiconvos_conversion")
