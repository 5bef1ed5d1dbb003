"""Conversation keys: ``start_conversation(external_id=...)`` is idempotent per tenant, unique in
the database, searchable and shown in the timeline's context header."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from support.hosts import reset_tables
from support.http import as_user, soup
from support.listing import list_page, row_ids

from flask_aiconvos import Conversation, InvalidRecord, counters, migration
from flask_aiconvos.models import ConversationCounter


def count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Conversation))


def test_the_same_key_returns_the_stored_conversation(aiconvos, db):
    first = aiconvos.start_conversation(
        channel="chat", origin="portal_chat", external_id="sess-123456", tenant="a"
    )
    again = aiconvos.start_conversation(
        channel="email", origin="customer_reply", external_id="sess-123456", tenant="a"
    )
    assert again.id == first.id and again.channel == "chat"
    assert count(db) == 1
    counted = db.session.scalars(sa.select(ConversationCounter.conversations)).all()
    assert counted == [1] * len(counters.GRAINS)  # its hour, day and month, once


def test_keys_are_per_tenant_and_untenanted_keys_are_unique_too(aiconvos, db):
    ids = {
        aiconvos.start_conversation(
            channel="chat", origin="portal_chat", external_id=7, tenant=t
        ).id
        for t in ("a", "b", None, None, "a")
    }
    assert len(ids) == 3 and count(db) == 3
    stored = db.session.scalars(sa.select(Conversation.external_id)).all()
    assert stored == ["7", "7", "7"]
    keyless = {aiconvos.start_conversation(channel="chat", origin="portal_chat").id for _ in "ab"}
    assert len(keyless) == 2


@pytest.mark.parametrize("tenant", [None, "a"])
def test_the_database_refuses_a_second_conversation_with_the_same_key(aiconvos, db, tenant):
    aiconvos.start_conversation(
        channel="chat", origin="portal_chat", external_id="k", tenant=tenant
    )
    table = Conversation.__table__
    row = {
        "channel": "chat",
        "origin": "portal_chat",
        "tenant": tenant,
        "external_id": "k",
        "started_at": sa.func.current_timestamp(),
        "last_activity_at": sa.func.current_timestamp(),
        "search_text": "",
    }
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(sa.insert(table).values(row))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", None),
        ("x" * 256, "external_id: is 256 characters long; the limit is 255"),
        ("a\nb", "external_id: must be a single line without control characters"),
        (1.5, "external_id: must be a string or an integer, got float"),
        ("a\x00b", "external_id: must not contain NUL characters"),
    ],
)
def test_a_bad_key_is_refused_before_anything_is_written(aiconvos, db, value, message):
    if message is None:  # blank: no key
        assert (
            aiconvos.start_conversation(
                channel="chat", origin="portal_chat", external_id=value
            ).external_id
            is None
        )
        return
    with pytest.raises(InvalidRecord) as error:
        aiconvos.start_conversation(channel="chat", origin="portal_chat", external_id=value)
    assert str(error.value) == message
    assert count(db) == 0


def test_the_key_is_searchable_whole_and_by_a_fragment(app, aiconvos, client):
    wanted = aiconvos.start_conversation(
        channel="chat", origin="portal_chat", external_id="Thread-8F3A2C91D", subject="Desk"
    )
    aiconvos.start_conversation(channel="chat", origin="portal_chat", external_id="other-1")
    for term in ("Thread-8F3A2C91D", "thread-8f3a2c91d", "8f3a2c", "a2c91d"):
        assert row_ids(list_page(client, search=term)) == [wanted.id], term
    # A message added later keeps the key in the search text.
    aiconvos.add_message(wanted.id, sender="customer", body="Hello")
    assert row_ids(list_page(client, search="8f3a2c91")) == [wanted.id]


def test_the_timeline_header_shows_the_key(aiconvos, client):
    keyed = aiconvos.start_conversation(
        channel="chat", origin="portal_chat", external_id="<abc@mail.example.com>"
    )
    plain = aiconvos.start_conversation(channel="chat", origin="portal_chat")
    url = "/admin/ai-conversations/details/"
    page = soup(client.get(url, query_string={"id": keyed.id}, headers=as_user("viewer")))
    key = page.select_one(".aiconvos-context [data-conversation-key]")
    assert key is not None and key.get_text() == "<abc@mail.example.com>"
    page = soup(client.get(url, query_string={"id": plain.id}, headers=as_user("viewer")))
    assert page.select_one("[data-conversation-key]") is None


def test_the_migration_adds_the_key_and_removes_it_again(app, db):
    engine = db.engine
    reset_tables(engine)
    migration.upgrade("0002", engine=engine)
    migration.upgrade("0004", engine=engine)
    columns = {c["name"] for c in sa.inspect(engine).get_columns("aiconvos_conversation")}
    assert "external_id" in columns
    indexes = {i["name"]: i for i in sa.inspect(engine).get_indexes("aiconvos_conversation")}
    assert indexes["ix_aiconvos_conversation_tenant_external_id"]["unique"]
    assert indexes["ix_aiconvos_conversation_external_id_no_tenant"]["unique"]
    migration.downgrade("0002", engine=engine)
    columns = {c["name"] for c in sa.inspect(engine).get_columns("aiconvos_conversation")}
    assert "external_id" not in columns
