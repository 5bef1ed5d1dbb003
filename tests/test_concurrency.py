"""Concurrent writers into one conversation lose nothing and keep the list columns exact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from support.writers import WRITERS, run_writers

from flask_aiconvos import Conversation, Conversion, Message

PER_WRITER = 20
T0 = datetime(2026, 10, 1, tzinfo=UTC)


def test_concurrent_messages_and_conversions(app, aiconvos, db, database_url):
    conv = aiconvos.start_conversation(channel="whatsapp", origin="customer_reply", started_at=T0)
    conv_id = conv.id

    def write(ext, index: int) -> None:
        for n in range(PER_WRITER):
            moment = T0 + timedelta(seconds=index * 1000 + n + 1)
            ext.add_message(
                conv_id, sender="customer", body=f"writer {index} message {n}", sent_at=moment
            )
            ext.record_conversion(conv_id, kind="booking", target_id=f"B-{n % 5}")

    assert run_writers(database_url, write) == []
    db.session.expire_all()
    stored = db.session.get(Conversation, conv_id)
    messages = db.session.scalar(
        sa.select(sa.func.count()).select_from(Message).where(Message.conversation_id == conv_id)
    )
    conversions = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Conversion)
        .where(Conversion.conversation_id == conv_id)
    )
    assert messages == stored.message_count == WRITERS * PER_WRITER
    assert conversions == stored.booking_count == 5
    assert stored.last_activity_at == T0 + timedelta(seconds=(WRITERS - 1) * 1000 + PER_WRITER)
    assert stored.first_message_at == T0 + timedelta(seconds=1)
    assert stored.first_message_preview == "writer 0 message 0"


def test_racing_duplicates_of_one_external_id_store_one_message(app, aiconvos, db, database_url):
    conv = aiconvos.start_conversation(channel="whatsapp", origin="customer_reply", started_at=T0)
    conv_id = conv.id
    returned: list[int] = []

    def write(ext, index: int) -> None:
        for n in range(PER_WRITER):
            msg = ext.add_message(conv_id, sender="customer", body="dup", external_id=f"wamid.{n}")
            returned.append(msg.id)

    assert run_writers(database_url, write) == []
    db.session.expire_all()
    stored = db.session.get(Conversation, conv_id)
    assert stored.message_count == PER_WRITER
    assert len(set(returned)) == PER_WRITER
