"""The recording API: stored values, list columns, idempotency, every error path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from support.hosts import FIXED_NOW
from support.sql import count_queries

from flask_aiconvos import (
    AIConversationsError,
    Conversation,
    ConversationNotFound,
    Conversion,
    EscalationTicket,
    InboxItem,
    InvalidRecord,
    Message,
)

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def row_counts(db) -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Conversation, Message, Conversion, InboxItem, EscalationTicket)
    }


def test_start_conversation_stores_every_field(aiconvos, db):
    conv = aiconvos.start_conversation(
        channel="whatsapp",
        origin="customer_reply",
        subject="Desk for March",
        customer_id=42,
        customer_name="Zoë Müller",
        customer_company="Acme Ltd",
        external_identifier="+44 7700 900123",
        started_at=T0,
        tenant="london",
    )
    assert isinstance(conv.id, int)
    stored = db.session.get(Conversation, conv.id)
    assert (stored.channel, stored.origin, stored.subject) == (
        "whatsapp",
        "customer_reply",
        "Desk for March",
    )
    assert stored.customer_id == "42"
    assert stored.tenant == "london"
    assert stored.started_at == T0 and stored.started_at.tzinfo is not None
    assert stored.last_activity_at == T0
    assert stored.message_count == 0
    assert "zoe muller" in stored.search_text  # folded: case and accents away
    assert "447700900123" in stored.search_text


def test_start_conversation_defaults_to_now(aiconvos):
    # The test host's clock is fixed at FIXED_NOW; the real clock is the default elsewhere.
    conv = aiconvos.start_conversation(channel="chat", origin="portal_chat")
    assert conv.started_at == FIXED_NOW
    assert conv.subject is None and conv.tenant is None


def test_add_message_updates_list_columns(aiconvos, db):
    conv = aiconvos.start_conversation(channel="chat", origin="portal_chat", started_at=T0)
    second = aiconvos.add_message(
        conv.id, sender="ai", body="Second", sent_at=T0 + timedelta(minutes=5)
    )
    first = aiconvos.add_message(
        conv.id,
        sender="customer",
        body="\n  Hello there\nI need a desk",
        sent_at=T0 + timedelta(minutes=1),
    )
    assert first.id != second.id
    stored = db.session.get(Conversation, conv.id)
    assert stored.message_count == 2
    assert stored.last_activity_at == T0 + timedelta(minutes=5)
    assert stored.first_message_at == T0 + timedelta(minutes=1)
    # The opening message on one line, a bare greeting line skipped (``subjects``).
    assert stored.first_message_preview == "I need a desk"
    assert "i need a desk" in stored.search_text
    assert "second" not in stored.search_text


def stored_columns(db, model, record_id: int) -> dict[str, object]:
    row = db.session.execute(sa.select(model.__table__).where(model.__table__.c.id == record_id))
    return dict(row.mappings().one())


def test_add_message_is_one_or_two_statements_and_returns_the_stored_row(aiconvos, db):
    conv = aiconvos.start_conversation(channel="chat", origin="portal_chat", started_at=T0)
    aiconvos.add_message(conv.id, sender="customer", body="Hello, a desk please", sent_at=T0)
    db.session.remove()  # the conversation is not loaded in the session that records

    with count_queries(db.engine) as statements:
        message = aiconvos.add_message(
            conv.id,
            sender="ai",
            body="A **desk** is free",
            content_format="markdown",
            sent_at=T0 + timedelta(minutes=2),
        )
    # the conversation's update and the insert: one statement on PostgreSQL
    expected = 1 if db.engine.dialect.name == "postgresql" else 2
    assert len(statements) == expected, statements
    with count_queries(db.engine) as keyed:
        aiconvos.add_message(conv.id, sender="ai", body="Booked", external_id="m-3", sent_at=T0)
    assert len(keyed) == expected + 1, keyed  # and the lookup of the message's key

    with count_queries(db.engine) as reading:
        returned = {
            attribute.key: getattr(message, attribute.key)
            for attribute in sa.inspect(Message).column_attrs
        }
    assert reading == [] and not db.session().in_transaction()
    assert returned == stored_columns(db, Message, message.id)
    assert "<strong>desk</strong>" in returned["rendered_html"]
    conversation = db.session.get(Conversation, conv.id)
    assert (conversation.message_count, conversation.last_activity_at) == (
        3,
        T0 + timedelta(minutes=2),
    )


def test_add_message_keeps_a_loaded_conversation_current(aiconvos, db):
    conv = aiconvos.start_conversation(channel="chat", origin="portal_chat", started_at=T0)
    aiconvos.add_message(conv.id, sender="customer", body="Can I book a room?", sent_at=T0)
    assert (conv.message_count, conv.first_message_preview) == (1, "Can I book a room?")
    assert "can i book a room" in conv.search_text
    assert conv.last_activity_at == T0
    assert {
        name: getattr(conv, name)
        for name in ("message_count", "last_activity_at", "first_message_at", "search_text")
    } == {
        name: value
        for name, value in stored_columns(db, Conversation, conv.id).items()
        if name in ("message_count", "last_activity_at", "first_message_at", "search_text")
    }


def test_activity_is_newest_message_even_before_start(aiconvos, db):
    conv = aiconvos.start_conversation(channel="email", origin="proactive_outbound", started_at=T0)
    aiconvos.add_message(conv.id, sender="ai", body="Earlier", sent_at=T0 - timedelta(hours=1))
    assert db.session.get(Conversation, conv.id).last_activity_at == T0 - timedelta(hours=1)


def test_conversion_inbox_escalation_do_not_move_activity(aiconvos, db):
    conv = aiconvos.start_conversation(channel="chat", origin="portal_chat", started_at=T0)
    aiconvos.add_message(conv.id, sender="customer", body="Hi", sent_at=T0)
    aiconvos.record_conversion(
        conv.id, kind="booking", target_id="B-1", occurred_at=T0 + timedelta(days=1)
    )
    aiconvos.link_inbox_item(conv.id, item_id="INB-1", status="pending")
    aiconvos.escalate(conv.id, ticket_id="T-1", subject="Refund")
    stored = db.session.get(Conversation, conv.id)
    assert stored.last_activity_at == T0
    assert (stored.booking_count, stored.inbox_item_count, stored.ticket_count) == (1, 1, 1)
    assert stored.escalated


def test_message_formats_are_rendered_once_at_recording(aiconvos):
    conv = aiconvos.start_conversation(channel="email", origin="proactive_outbound")
    html = aiconvos.add_message(
        conv.id,
        sender="ai",
        body="<p>Hi <script>alert(1)</script><b>there</b></p>",
        content_format="html",
    )
    assert "<script" not in html.rendered_html and "<b>there</b>" in html.rendered_html
    assert html.render_version > 0
    text = aiconvos.add_message(conv.id, sender="customer", body="a < b\nnext")
    assert "&lt;" in text.rendered_html and "<br" in text.rendered_html


def test_html_converted_to_markdown_keeps_original(aiconvos):
    conv = aiconvos.start_conversation(channel="email", origin="proactive_outbound")
    body = "<ul><li><strong>Desk</strong></li><li>Office</li></ul>"
    msg = aiconvos.add_message(
        conv.id, sender="ai", body=body, content_format="html", convert_to_markdown=True
    )
    assert msg.content_format == "markdown"
    assert "**Desk**" in msg.body
    assert msg.original_body == body and msg.original_format == "html"


def test_markdownify_channels_config(app, aiconvos, database_url):
    from support.hosts import make_host_app

    host, ext = make_host_app(
        f"sqlite:///{app.instance_path}-x.db" if database_url == "sqlite" else database_url,
        AICONVOS_MARKDOWNIFY_CHANNELS=["whatsapp"],
    )
    with host.app_context():
        ext.create_all()
        try:
            wa = ext.start_conversation(channel="whatsapp", origin="customer_reply")
            em = ext.start_conversation(channel="email", origin="customer_reply")
            body = "<p><em>Hi</em></p>"
            assert (
                ext.add_message(wa.id, sender="ai", body=body, content_format="html").content_format
                == "markdown"
            )
            assert (
                ext.add_message(em.id, sender="ai", body=body, content_format="html").content_format
                == "html"
            )
            kept = ext.add_message(
                wa.id, sender="ai", body=body, content_format="html", convert_to_markdown=False
            )
            assert kept.content_format == "html"
            wa_id, em_id = wa.id, em.id
            host.extensions["test_db"].session.remove()  # the channel read from the database
            assert [
                ext.add_message(cid, sender="ai", body=body, content_format="html").content_format
                for cid in (wa_id, em_id)
            ] == ["markdown", "html"]
            with pytest.raises(ConversationNotFound):
                ext.add_message(em_id + 1, sender="ai", body=body, content_format="html")
            assert not host.extensions["test_db"].session().in_transaction()
        finally:
            ext.drop_all()
            host.extensions["test_db"].engine.dispose()


def test_same_external_id_is_stored_once(aiconvos, db):
    conv = aiconvos.start_conversation(channel="whatsapp", origin="customer_reply")
    first = aiconvos.add_message(conv.id, sender="customer", body="Hi", external_id="wamid.1")
    again = aiconvos.add_message(conv.id, sender="customer", body="Hi", external_id="wamid.1")
    assert again.id == first.id
    assert db.session.get(Conversation, conv.id).message_count == 1
    other = aiconvos.start_conversation(channel="whatsapp", origin="customer_reply")
    elsewhere = aiconvos.add_message(other.id, sender="customer", body="Hi", external_id="wamid.1")
    assert elsewhere.id != first.id


def test_conversion_recorded_twice_is_stored_once(aiconvos, db):
    conv = aiconvos.start_conversation(channel="chat", origin="portal_chat")
    one = aiconvos.record_conversion(conv.id, kind="booking", target_id="B-1")
    two = aiconvos.record_conversion(conv.id, kind="booking", target_id="B-1")
    three = aiconvos.record_conversion(conv.id, kind="booking", target_id="B-2")
    assert one.id == two.id != three.id
    assert db.session.get(Conversation, conv.id).booking_count == 2


def test_link_inbox_item_again_updates_status(aiconvos, db):
    conv = aiconvos.start_conversation(channel="voice", origin="proactive_outbound")
    item = aiconvos.link_inbox_item(conv.id, item_id="INB-7", status="pending", title="Call back")
    again = aiconvos.link_inbox_item(conv.id, item_id="INB-7", status="deferred")
    assert again.id == item.id
    assert again.status == "deferred" and again.title == "Call back"
    assert db.session.get(Conversation, conv.id).inbox_item_count == 1


def test_escalate_again_updates_subject(aiconvos, db):
    conv = aiconvos.start_conversation(channel="chat", origin="portal_chat")
    ticket = aiconvos.escalate(
        conv.id, ticket_id="T-99", subject="Payment inquiry for invoice #1234"
    )
    again = aiconvos.escalate(conv.id, ticket_id="T-99", subject="Payment inquiry (updated)")
    assert again.id == ticket.id and again.subject == "Payment inquiry (updated)"
    assert db.session.get(Conversation, conv.id).ticket_count == 1


def test_aware_times_in_other_zones_are_stored_as_utc(aiconvos):
    plus_two = timezone(timedelta(hours=2))
    conv = aiconvos.start_conversation(
        channel="chat", origin="portal_chat", started_at=datetime(2026, 5, 1, 12, tzinfo=plus_two)
    )
    assert conv.started_at == datetime(2026, 5, 1, 10, tzinfo=UTC)
    assert conv.started_at.utcoffset() == timedelta(0)


# --- errors: a clear message naming the field, and nothing written -----------------------------

START_ERRORS = [
    ({"channel": "sms"}, "channel", "chat, email, whatsapp"),
    ({"channel": None}, "channel", "allowed values"),
    ({"origin": "inbound"}, "origin", "portal_chat"),
    ({"subject": 12}, "subject", "must be a string"),
    ({"subject": "x" * 301}, "subject", "limit is 300"),
    ({"subject": "two\nlines"}, "subject", "single line"),
    ({"subject": "nul\x00"}, "subject", "NUL"),
    ({"subject": "\ud800"}, "subject", "surrogates"),
    ({"customer_id": 1.5}, "customer_id", "string or an integer"),
    ({"customer_id": True}, "customer_id", "string or an integer"),
    ({"customer_name": ["x"]}, "customer_name", "must be a string"),
    ({"customer_company": "c" * 201}, "customer_company", "limit is 200"),
    ({"external_identifier": "e" * 321}, "external_identifier", "limit is 320"),
    ({"started_at": datetime(2026, 1, 1)}, "started_at", "timezone-aware"),
    ({"started_at": "2026-01-01"}, "started_at", "must be a datetime"),
    ({"started_at": datetime(1900, 1, 1, tzinfo=UTC)}, "started_at", "between the years"),
    ({"tenant": "t" * 65}, "tenant", "limit is 64"),
]


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    START_ERRORS,
    ids=[e[1] + str(i) for i, e in enumerate(START_ERRORS)],
)
def test_start_conversation_rejects(aiconvos, db, changes, field, says):
    kwargs = {"channel": "chat", "origin": "portal_chat", **changes}
    with pytest.raises(InvalidRecord) as raised:
        aiconvos.start_conversation(**kwargs)
    assert raised.value.field == field
    assert str(raised.value).startswith(field + ":") and says in str(raised.value)
    assert isinstance(raised.value, ValueError) and isinstance(raised.value, AIConversationsError)
    assert row_counts(db)["Conversation"] == 0


MESSAGE_ERRORS = [
    ({"sender": "bot"}, "sender", "ai, operator, customer"),
    ({"content_format": "rtf"}, "content_format", "text, html, markdown"),
    ({"via": "sms"}, "via", "coworker_message"),
    ({"via": "email_reply", "sender": "ai"}, "via", "not used by sender"),
    ({"via": "coworker_message", "sender": "customer"}, "via", "not used by sender"),
    ({"body": ""}, "body", "blank"),
    ({"body": "   \n"}, "body", "blank"),
    ({"body": None}, "body", "must be a string"),
    ({"body": "x\x00y"}, "body", "NUL"),
    ({"body": "x" * 1_000_001}, "body", "limit is 1000000"),
    ({"sent_at": datetime(2026, 1, 1)}, "sent_at", "timezone-aware"),
    ({"external_id": "e" * 256}, "external_id", "limit is 255"),
    ({"external_id": 3.2}, "external_id", "string or an integer"),
    ({"convert_to_markdown": "yes"}, "convert_to_markdown", "True, False or None"),
]


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    MESSAGE_ERRORS,
    ids=[e[1] + str(i) for i, e in enumerate(MESSAGE_ERRORS)],
)
def test_add_message_rejects(aiconvos, db, changes, field, says):
    conv = aiconvos.start_conversation(channel="chat", origin="portal_chat", started_at=T0)
    kwargs = {"sender": "customer", "body": "Hi", **changes}
    with pytest.raises(InvalidRecord) as raised:
        aiconvos.add_message(conv.id, **kwargs)
    assert raised.value.field == field and says in str(raised.value)
    counts = row_counts(db)
    assert counts["Message"] == 0
    stored = db.session.get(Conversation, conv.id)
    assert stored.message_count == 0 and stored.last_activity_at == T0


OTHER_ERRORS = [
    ("record_conversion", {"kind": "invoice", "target_id": "1"}, "kind", "tour, customer"),
    ("record_conversion", {"kind": "tour", "target_id": ""}, "target_id", "blank"),
    ("record_conversion", {"kind": "tour", "target_id": None}, "target_id", "required"),
    (
        "record_conversion",
        {"kind": "tour", "target_id": "1", "occurred_at": datetime(2026, 1, 1)},
        "occurred_at",
        "timezone-aware",
    ),
    ("link_inbox_item", {"item_id": "I", "status": "done"}, "status", "auto_executed"),
    ("link_inbox_item", {"item_id": None, "status": "pending"}, "item_id", "required"),
    (
        "link_inbox_item",
        {"item_id": "I", "status": "pending", "title": "t" * 301},
        "title",
        "limit is 300",
    ),
    ("escalate", {"ticket_id": "T", "subject": ""}, "subject", "blank"),
    ("escalate", {"ticket_id": "T", "subject": None}, "subject", "required"),
    ("escalate", {"ticket_id": " ", "subject": "x"}, "ticket_id", "blank"),
]


@pytest.mark.parametrize(
    ("method", "kwargs", "field", "says"),
    OTHER_ERRORS,
    ids=[f"{e[0]}-{e[2]}{i}" for i, e in enumerate(OTHER_ERRORS)],
)
def test_other_writes_reject(aiconvos, db, method, kwargs, field, says):
    conv = aiconvos.start_conversation(channel="chat", origin="portal_chat")
    with pytest.raises(InvalidRecord) as raised:
        getattr(aiconvos, method)(conv.id, **kwargs)
    assert raised.value.field == field and says in str(raised.value)
    counts = row_counts(db)
    assert counts["Conversion"] == counts["InboxItem"] == counts["EscalationTicket"] == 0


@pytest.mark.parametrize(
    ("method", "kwargs"),
    [
        ("add_message", {"sender": "ai", "body": "x"}),
        ("record_conversion", {"kind": "tour", "target_id": "V-1"}),
        ("link_inbox_item", {"item_id": "I-1", "status": "pending"}),
        ("escalate", {"ticket_id": "T-1", "subject": "Help"}),
    ],
)
@pytest.mark.parametrize("conversation_id", [999_999, 0, -3, 2**70])
def test_unknown_conversation(aiconvos, db, method, kwargs, conversation_id):
    with pytest.raises(ConversationNotFound) as raised:
        getattr(aiconvos, method)(conversation_id, **kwargs)
    assert isinstance(raised.value, LookupError)
    assert sum(row_counts(db).values()) == 0


@pytest.mark.parametrize("conversation_id", ["1", None, 1.0, True])
def test_conversation_id_must_be_an_integer(aiconvos, conversation_id):
    with pytest.raises(InvalidRecord) as raised:
        aiconvos.add_message(conversation_id, sender="ai", body="x")
    assert raised.value.field == "conversation_id"


def test_recording_needs_the_extension_registered():
    from flask import Flask

    from flask_aiconvos import AIConversations

    with Flask("bare").app_context(), pytest.raises(RuntimeError, match="init_app"):
        AIConversations().start_conversation(channel="chat", origin="portal_chat")


def test_add_message_to_a_conversation_deleted_after_it_was_loaded(aiconvos, db):
    conv = aiconvos.start_conversation(channel="chat", origin="portal_chat", started_at=T0)
    conv_id = conv.id
    assert conv in db.session and conv.channel == "chat"  # loaded, then deleted elsewhere
    with db.engine.begin() as other:
        other.execute(
            sa.delete(Conversation.__table__).where(Conversation.__table__.c.id == conv_id)
        )
    with pytest.raises(ConversationNotFound):
        aiconvos.add_message(conv_id, sender="customer", body="Still there?")
    db.session.expire(conv)
    with pytest.raises(ConversationNotFound):  # and once its loaded values are expired
        aiconvos.add_message(conv_id, sender="customer", body="Still there?")
    assert row_counts(db)["Message"] == 0
