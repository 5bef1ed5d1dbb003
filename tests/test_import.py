"""Import: records are validated like recording calls, stored whole or not at all, stored once
however often they are imported, and leave the list, counters and search index exact."""

from __future__ import annotations

import copy
import io
import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from support.hosts import FIXED_NOW, reset_tables
from support.http import as_user, soup
from support.records import counter_rows, plan_record, rebuilt_counter_rows, tables

from bench.generate import Generator, replay
from flask_aiconvos import Conversation, InvalidRecord, Message, importing
from flask_aiconvos.models import metadata

CONVERSATIONS = 40
PAGES = (
    "/admin/ai-conversations/",
    "/admin/ai-conversations/?page=1",
    "/admin/ai-conversations/?channel=whatsapp",
    "/admin/ai-conversations/?range=last_month",
    "/admin/ai-conversations/?search=desk",
    "/admin/ai-conversations/?search=7700",
)


@pytest.fixture
def app_config() -> dict:
    return {"AICONVOS_PAGE_SIZE": 10}


def plans():
    return list(Generator(CONVERSATIONS, seed=11, now=FIXED_NOW, years=0.5, long_conversation=30))


def records() -> list[dict]:
    return [plan_record(plan) for plan in plans()]


def screens(client, ids) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for url in PAGES:
        page = soup(client.get(url, headers=as_user("admin")))
        found[url] = [str(el) for el in page.select("[data-metric], [data-channel-tab]")]
        # A search hit names its message by id, which depends on the order messages were stored.
        found[url] += [
            re.sub(r'(data-search-hit="|message=)\d+', r"\1<id>", str(row))
            for row in page.select("tr[data-conversation-id]")
        ]
    for conversation_id in ids:
        url = f"/admin/ai-conversations/details/?id={conversation_id}"
        page = soup(client.get(url, headers=as_user("admin")))
        found[url] = [
            str(el)
            for el in page.select(
                "[data-message-id], [data-inbox-item], [data-ticket], .aiconvos-context"
            )
        ]
    return found


def count(db, model=Conversation) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_an_import_leaves_what_the_recording_api_leaves(app, aiconvos, db, client):
    engine = db.engine
    report = aiconvos.import_conversations(records())
    assert report.ok, report.errors
    assert (report.conversations, report.skipped) == (CONVERSATIONS, 0)
    assert report.messages == count(db, Message)
    imported = tables(engine)
    shown = screens(client, range(1, CONVERSATIONS + 1))
    assert counter_rows(engine) == rebuilt_counter_rows(engine)

    db.session.remove()
    reset_tables(engine)
    aiconvos.create_all()
    with app.app_context():
        assert replay(aiconvos, plans()) == CONVERSATIONS
        db.session.remove()
    assert tables(engine) == imported
    assert screens(client, range(1, CONVERSATIONS + 1)) == shown


def test_importing_again_stores_nothing_new(aiconvos, db):
    engine = db.engine
    first = aiconvos.import_conversations(records())
    before = tables(engine, all_columns=True)
    again = aiconvos.import_conversations(records())
    assert (again.conversations, again.messages, again.skipped) == (0, 0, CONVERSATIONS)
    assert again.ok and first.ok
    assert tables(engine, all_columns=True) == before
    stream = io.StringIO("".join(json.dumps(record) + "\n" for record in records()))
    assert aiconvos.import_json_lines(stream).skipped == CONVERSATIONS
    assert tables(engine, all_columns=True) == before


def test_a_grown_record_adds_only_what_is_new(aiconvos, db, client):
    """Half of every conversation first, then the whole: the same conversations, counters and
    list as importing the whole at once."""
    engine = db.engine
    halves = []
    for record in records():
        half = copy.deepcopy(record)
        half["messages"] = half["messages"][: len(half["messages"]) // 2]
        half["conversions"] = half["conversions"][:1]
        half["tickets"] = []
        halves.append(half)
    aiconvos.import_conversations(halves)
    grown = aiconvos.import_conversations(records())
    assert grown.conversations == 0 and grown.ok
    assert grown.messages == count(db, Message) - sum(len(h["messages"]) for h in halves)
    conversations = tables(engine)["aiconvos_conversation"]
    stored_messages = messages_by_conversation(db)
    list_html = screens(client, [])
    assert counter_rows(engine) == rebuilt_counter_rows(engine)

    db.session.remove()
    reset_tables(engine)
    aiconvos.create_all()
    aiconvos.import_conversations(records())
    assert tables(engine)["aiconvos_conversation"] == conversations
    assert messages_by_conversation(db) == stored_messages
    assert screens(client, []) == list_html


def messages_by_conversation(db) -> dict[int, list[tuple]]:
    found: dict[int, list[tuple]] = {}
    rows = db.session.execute(
        sa.select(
            Message.conversation_id,
            Message.sender,
            Message.body,
            Message.sent_at,
            Message.external_id,
        )
    )
    for conversation_id, *rest in rows:
        found.setdefault(conversation_id, []).append(tuple(rest))
    return {key: sorted(value, key=repr) for key, value in found.items()}


def test_keys_decide_which_conversation_a_record_is(aiconvos, db):
    base = {"channel": "chat", "origin": "portal_chat", "started_at": "2026-11-01T09:00:00Z"}
    stored = aiconvos.start_conversation(
        channel="chat",
        origin="portal_chat",
        external_id="sess-1",
        tenant="a",
        started_at=FIXED_NOW - timedelta(days=3),
    )
    report = aiconvos.import_conversations(
        [
            {
                **base,
                "external_id": "sess-1",
                "tenant": "a",
                "messages": [{"sender": "customer", "body": "Hello", "external_id": "m1"}],
            },
            {**base, "external_id": "sess-1", "tenant": "b"},
            {**base, "external_id": "sess-1"},
            {
                **base,
                "external_id": "sess-1",
                "tenant": "a",
                "messages": [
                    {"sender": "customer", "body": "Hello", "external_id": "m1"},
                    {"sender": "ai", "body": "Hi!", "external_id": "m2"},
                ],
            },
        ]
    )
    assert report.ok, report.errors
    assert (report.conversations, report.messages, report.skipped) == (2, 2, 0)
    assert count(db) == 3
    db.session.expire_all()
    merged = db.session.get(Conversation, stored.id)
    assert merged.message_count == 2 and merged.started_at == FIXED_NOW - timedelta(days=3)


BAD_RECORDS = [
    (
        {"origin": "portal_chat"},
        "channel: got None; allowed values: chat, email, whatsapp, voice, email_message, help_desk",
    ),
    (
        {"channel": "sms", "origin": "portal_chat"},
        "channel: got 'sms'; allowed values: chat, email, whatsapp, voice, email_message, help_desk",
    ),
    (
        {"channel": "chat", "origin": "portal_chat", "colour": "red"},
        "colour: unknown field; allowed fields: external_id, channel, origin, subject, customer_id, customer_name, customer_company, external_identifier, started_at, tenant, messages, conversions, inbox_items, tickets",
    ),
    (
        {"channel": "chat", "origin": "portal_chat", "started_at": "2026-11-01 09:00"},
        "started_at: must be timezone-aware: give an offset, e.g. 2026-11-18T15:30:00+00:00",
    ),
    (
        {"channel": "chat", "origin": "portal_chat", "started_at": "yesterday"},
        "started_at: must be an ISO 8601 time with an offset, got 'yesterday'",
    ),
    (
        {"channel": "chat", "origin": "portal_chat", "started_at": 1700000000},
        "started_at: must be an ISO 8601 time with an offset, got int",
    ),
    (
        {"channel": "chat", "origin": "portal_chat", "started_at": "0001-01-01T00:00:00+00:00"},
        "started_at: must be between the years 1970 and 9998",
    ),
    (
        {"channel": "chat", "origin": "portal_chat", "subject": "a\u0000b"},
        "subject: must not contain NUL characters",
    ),
    (
        {"channel": "chat", "origin": "portal_chat", "subject": ["x"]},
        "subject: must be a string, got list",
    ),
    (
        {"channel": "chat", "origin": "portal_chat", "customer_id": True},
        "customer_id: must be a string or an integer, got bool",
    ),
    (
        {"channel": "chat", "origin": "portal_chat", "tenant": "t" * 65},
        "tenant: is 65 characters long; the limit is 64",
    ),
    (
        {"channel": "chat", "origin": "portal_chat", "messages": {"sender": "ai"}},
        "messages: must be a list, got dict",
    ),
    (
        {"channel": "chat", "origin": "portal_chat", "messages": ["hi"]},
        "messages[0]: must be an object, got str",
    ),
    (
        {
            "channel": "chat",
            "origin": "portal_chat",
            "messages": [{"sender": "ai", "body": "ok"}, {"sender": "bot", "body": "x"}],
        },
        "messages[1].sender: got 'bot'; allowed values: ai, operator, customer",
    ),
    (
        {"channel": "chat", "origin": "portal_chat", "messages": [{"sender": "ai", "body": "  "}]},
        "messages[0].body: must not be blank",
    ),
    (
        {"channel": "chat", "origin": "portal_chat", "messages": [{"sender": "ai", "body": 5}]},
        "messages[0].body: must be a string, got int",
    ),
    (
        {
            "channel": "chat",
            "origin": "portal_chat",
            "messages": [{"sender": "ai", "body": "x", "via": "help_desk"}],
        },
        "messages[0].via: 'help_desk' is not used by sender 'ai'; allowed for 'ai': None",
    ),
    (
        {
            "channel": "chat",
            "origin": "portal_chat",
            "messages": [{"sender": "ai", "body": "x", "content_format": "rtf"}],
        },
        "messages[0].content_format: got 'rtf'; allowed values: text, html, markdown",
    ),
    (
        {
            "channel": "chat",
            "origin": "portal_chat",
            "messages": [{"sender": "ai", "body": "x", "sent_at": "2026-11-01T09:00:00"}],
        },
        "messages[0].sent_at: must be timezone-aware: give an offset, e.g. 2026-11-18T15:30:00+00:00",
    ),
    (
        {
            "channel": "chat",
            "origin": "portal_chat",
            "messages": [{"sender": "ai", "body": "x", "seen": True}],
        },
        "messages[0].seen: unknown field; allowed fields: sender, body, content_format, via, sent_at, external_id",
    ),
    (
        {
            "channel": "chat",
            "origin": "portal_chat",
            "messages": [{"sender": "ai", "body": "\ud800"}],
        },
        "messages[0].body: must be valid Unicode text (no lone surrogates)",
    ),
    (
        {
            "channel": "chat",
            "origin": "portal_chat",
            "conversions": [{"kind": "sale", "target_id": "1"}],
        },
        "conversions[0].kind: got 'sale'; allowed values: tour, customer, contract, booking, day_pass",
    ),
    (
        {"channel": "chat", "origin": "portal_chat", "conversions": [{"kind": "tour"}]},
        "conversions[0].target_id: is required",
    ),
    (
        {
            "channel": "chat",
            "origin": "portal_chat",
            "inbox_items": [{"item_id": "I", "status": "done"}],
        },
        "inbox_items[0].status: got 'done'; allowed values: pending, approved, rejected, expired, auto_executed, snoozed, deferred",
    ),
    (
        {"channel": "chat", "origin": "portal_chat", "tickets": [{"ticket_id": "T"}]},
        "tickets[0].subject: is required",
    ),
    (["not", "an", "object"], "record: must be an object, got list"),
]


@pytest.mark.parametrize(("record", "message"), BAD_RECORDS)
def test_a_bad_record_is_reported_by_line_and_field_and_the_rest_go_on(
    aiconvos, db, record, message
):
    good = {
        "channel": "chat",
        "origin": "portal_chat",
        "messages": [{"sender": "customer", "body": "Hi"}],
    }
    report = aiconvos.import_conversations([good, record, {**good, "external_id": "k"}])
    assert report.errors == [(2, message)]
    assert (report.conversations, report.messages) == (2, 2)
    assert count(db) == 2 and count(db, Message) == 2
    assert counter_rows(db.engine) == rebuilt_counter_rows(db.engine)


def test_a_record_the_database_refuses_is_stored_not_at_all(aiconvos, db, monkeypatch):
    write_parts = importing._Writer._insert_parts

    def refuse_poison(self, parts):
        for rows in parts.values():
            if any(row.get("body") == "poison" for row in rows):
                raise sa.exc.IntegrityError("INSERT", {}, Exception("refused"))
        write_parts(self, parts)

    monkeypatch.setattr(importing._Writer, "_insert_parts", refuse_poison)
    batch = [
        {
            "channel": "chat",
            "origin": "portal_chat",
            "external_id": f"c{i}",
            "messages": [{"sender": "customer", "body": "poison" if i == 3 else f"hello {i}"}],
            "conversions": [{"kind": "tour", "target_id": f"V-{i}"}],
        }
        for i in range(6)
    ]
    report = aiconvos.import_conversations(batch)
    assert report.errors == [(4, "record: refused by the database: refused")]
    assert report.conversations == 5 and count(db) == 5 and count(db, Message) == 5
    assert sorted(db.session.scalars(sa.select(Conversation.external_id))) == [
        "c0",
        "c1",
        "c2",
        "c4",
        "c5",
    ]
    assert counter_rows(db.engine) == rebuilt_counter_rows(db.engine)


def test_a_chunk_whose_ids_another_writer_took_is_stored_one_record_at_a_time(
    aiconvos, db, monkeypatch
):
    """The ids a chunk takes before writing (``bulk_write.new_ids``) can be taken by another
    writer first on SQLite: the insert is refused, and each record alone gets its own id."""
    taken = aiconvos.start_conversation(channel="chat", origin="portal_chat")
    db.session.commit()
    monkeypatch.setattr(
        importing.bulk_write,
        "new_ids",
        lambda session, table, n: list(range(taken.id, taken.id + n)),
    )
    report = aiconvos.import_conversations(records())
    assert report.ok, report.errors
    assert report.conversations == CONVERSATIONS and count(db) == CONVERSATIONS + 1
    assert report.messages == count(db, Message)
    assert counter_rows(db.engine) == rebuilt_counter_rows(db.engine)


LINES = [
    (
        b"{bad json\n",
        "record: not valid JSON: Expecting property name enclosed in double quotes (column 2)",
    ),
    (
        b'{"channel": "chat", "origin": "portal_chat", "subject": "caf\xe9"}\n',
        "record: not UTF-8 text (byte 0xe9 at position 61)",
    ),
    (
        b'{"channel": "chat", "origin": "portal\x00chat"}\n',
        "record: not valid JSON: Invalid control character at (column 38)",
    ),
    (
        b'{"channel": "chat", "origin": "portal_chat", "subject": NaN}\n',
        "record: not valid JSON: NaN is not a JSON number",
    ),
    (b'"just a string"\n', "record: must be an object, got str"),
    (b"[" * 100_000 + b"\n", "record: not valid JSON: nested too deeply"),
    (
        b'{"channel": "chat", "origin": "portal_chat", "subject": "' + b"x" * 300_000 + b'"}\n',
        "record: the line is longer than 200,000 bytes",
    ),
]


@pytest.mark.parametrize(("line", "message"), LINES)
def test_a_line_that_is_not_a_record_is_reported(aiconvos, db, line, message):
    good = b'{"channel": "chat", "origin": "portal_chat"}\n'
    other = b'{"channel": "chat", "origin": "portal_chat", "subject": "Another"}\n'
    stream = io.BytesIO(b"\xef\xbb\xbf" + good + b"\n" + line + other)
    report = aiconvos.import_json_lines(stream, max_line_bytes=200_000)
    assert report.errors == [(3, message)]
    assert report.conversations == 2 and count(db) == 2


def test_the_api_refuses_what_is_not_records(aiconvos):
    for bad in ("a file name", {"channel": "chat"}, 42):
        with pytest.raises(InvalidRecord, match="records: must be an iterable"):
            aiconvos.import_conversations(bad)
    with pytest.raises(InvalidRecord, match="stream: must be a file object"):
        aiconvos.import_json_lines("not a stream")
    with pytest.raises(InvalidRecord, match="max_line_bytes"):
        aiconvos.import_json_lines(io.BytesIO(b""), max_line_bytes=0)


def test_the_import_command(app, aiconvos, db, tmp_path):
    path = tmp_path / "history.jsonl"
    lines = [json.dumps(record) for record in records()[:10]]
    lines.insert(3, '{"channel": "chat", "origin": "nowhere"}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["aiconvos", "import", str(path)])
    assert result.exit_code == 1
    assert "10 conversations" in result.output and "1 failed" in result.output
    assert "line 4: origin: got 'nowhere'; allowed values:" in result.output
    assert count(db) == 10
    good = tmp_path / "good.jsonl"
    good.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    again = runner.invoke(args=["aiconvos", "import", "-"], input=good.read_bytes())
    assert again.exit_code == 0, again.output
    assert "0 conversations and 0 messages stored, 3 already stored, 0 failed" in again.output
    missing = runner.invoke(args=["aiconvos", "import", str(tmp_path / "missing.jsonl")])
    assert missing.exit_code == 2 and "missing.jsonl" in missing.output
    assert not any(name.startswith("Traceback") for name in result.output.splitlines())


def test_the_tables_have_the_record_format_fields():
    """Every field of the record format is a column (the format and the tables do not drift)."""
    from flask_aiconvos.record_format import CONVERSATION_FIELDS, PART_FIELDS

    columns = {table.name: set(table.columns.keys()) for table in metadata.sorted_tables}
    assert set(CONVERSATION_FIELDS) - set(PART_FIELDS) <= columns["aiconvos_conversation"]
    tables_of = {
        "messages": "aiconvos_message",
        "conversions": "aiconvos_conversion",
        "inbox_items": "aiconvos_inbox_item",
        "tickets": "aiconvos_ticket",
    }
    for part, fields in PART_FIELDS.items():
        assert set(fields) <= columns[tables_of[part]], part
