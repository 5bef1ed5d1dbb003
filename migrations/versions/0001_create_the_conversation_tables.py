"""create the conversation tables

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "aiconvos_conversation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("origin", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("customer_id", sa.String(length=128), nullable=True),
        sa.Column("customer_name", sa.String(length=200), nullable=True),
        sa.Column("customer_company", sa.String(length=200), nullable=True),
        sa.Column("external_identifier", sa.String(length=320), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_message_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_message_preview", sa.String(length=300), nullable=True),
        sa.Column("message_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("tour_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("customer_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("contract_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("booking_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("day_pass_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("inbox_item_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ticket_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aiconvos_conversation")),
    )
    with op.batch_alter_table("aiconvos_conversation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_aiconvos_conversation_activity", ["last_activity_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_aiconvos_conversation_channel_activity",
            ["channel", "last_activity_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_aiconvos_conversation_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_aiconvos_conversation_external_identifier"),
            ["external_identifier"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_aiconvos_conversation_started_at"), ["started_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_aiconvos_conversation_tenant"), ["tenant"], unique=False
        )
        batch_op.create_index(
            "ix_aiconvos_conversation_tenant_activity",
            ["tenant", "last_activity_at", "id"],
            unique=False,
        )

    op.create_table(
        "aiconvos_conversion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.String(length=128), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["aiconvos_conversation.id"],
            name=op.f("fk_aiconvos_conversion_conversation_id_aiconvos_conversation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aiconvos_conversion")),
        sa.UniqueConstraint(
            "conversation_id",
            "kind",
            "target_id",
            name=op.f("uq_aiconvos_conversion_conversation_id_kind_target_id"),
        ),
    )
    op.create_table(
        "aiconvos_inbox_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["aiconvos_conversation.id"],
            name=op.f("fk_aiconvos_inbox_item_conversation_id_aiconvos_conversation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aiconvos_inbox_item")),
        sa.UniqueConstraint(
            "conversation_id",
            "item_id",
            name=op.f("uq_aiconvos_inbox_item_conversation_id_item_id"),
        ),
    )
    op.create_table(
        "aiconvos_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(length=16), nullable=False),
        sa.Column("via", sa.String(length=32), nullable=True),
        sa.Column("content_format", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("original_body", sa.Text(), nullable=True),
        sa.Column("original_format", sa.String(length=16), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("rendered_html", sa.Text(), nullable=False),
        sa.Column("render_version", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["aiconvos_conversation.id"],
            name=op.f("fk_aiconvos_message_conversation_id_aiconvos_conversation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aiconvos_message")),
        sa.UniqueConstraint(
            "conversation_id",
            "external_id",
            name=op.f("uq_aiconvos_message_conversation_id_external_id"),
        ),
    )
    with op.batch_alter_table("aiconvos_message", schema=None) as batch_op:
        batch_op.create_index(
            "ix_aiconvos_message_timeline", ["conversation_id", "sent_at", "id"], unique=False
        )

    op.create_table(
        "aiconvos_ticket",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.String(length=128), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["aiconvos_conversation.id"],
            name=op.f("fk_aiconvos_ticket_conversation_id_aiconvos_conversation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aiconvos_ticket")),
        sa.UniqueConstraint(
            "conversation_id",
            "ticket_id",
            name=op.f("uq_aiconvos_ticket_conversation_id_ticket_id"),
        ),
    )


def downgrade() -> None:

    op.drop_table("aiconvos_ticket")
    with op.batch_alter_table("aiconvos_message", schema=None) as batch_op:
        batch_op.drop_index("ix_aiconvos_message_timeline")

    op.drop_table("aiconvos_message")
    op.drop_table("aiconvos_inbox_item")
    op.drop_table("aiconvos_conversion")
    with op.batch_alter_table("aiconvos_conversation", schema=None) as batch_op:
        batch_op.drop_index("ix_aiconvos_conversation_tenant_activity")
        batch_op.drop_index(batch_op.f("ix_aiconvos_conversation_tenant"))
        batch_op.drop_index(batch_op.f("ix_aiconvos_conversation_started_at"))
        batch_op.drop_index(batch_op.f("ix_aiconvos_conversation_external_identifier"))
        batch_op.drop_index(batch_op.f("ix_aiconvos_conversation_customer_id"))
        batch_op.drop_index("ix_aiconvos_conversation_channel_activity")
        batch_op.drop_index("ix_aiconvos_conversation_activity")

    op.drop_table("aiconvos_conversation")
