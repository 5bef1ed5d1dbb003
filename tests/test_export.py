"""Export: exactly the list (tab, search, date range, scope, order) as CSV or JSON Lines, streamed
a chunk at a time, for the export role only, masked and logged like the screens."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from support.hosts import FIXED_NOW, USERS, User, reset_tables, tenant_of_current_user
from support.http import as_user, soup
from support.listing import (
    LIST_URL,
    converted,
    list_page,
    metrics,
    query_of,
    record_contacts,
    row_ids,
    start,
)
from support.security import host_factory
from support.sql import access_log, count_queries

from bench.generate import Generator, replay
from flask_aiconvos import exporting, queries
from flask_aiconvos.list_request import ListFilters
from flask_aiconvos.models import Conversation, Message
from flask_aiconvos.record_format import CONVERSATION_FIELDS, PART_FIELDS, format_time

CSV_URL = LIST_URL + "export.csv"
JSONL_URL = LIST_URL + "export.jsonl"
DETAILS = LIST_URL + "details/"
#: The columns the CSV promises at least.
REQUIRED_COLUMNS = (
    "id",
    "started_at",
    "last_activity_at",
    "channel",
    "subject",
    "customer_name",
    "customer_company",
    "external_identifier",
    "tours",
    "customers",
    "contracts",
    "bookings",
    "day_passes",
    "escalated",
)
#: The Last activity column's index in the list's ``column_list`` (for ``sort=``).
ACTIVITY_COLUMN = 4
PAGE_SIZE = 5


@pytest.fixture
def app_config() -> dict:
    return {"AICONVOS_PAGE_SIZE": PAGE_SIZE}


@pytest.fixture
def client(app):
    return app.test_client()


def export(client, extension: str, user: str = "exporter", **params):
    query = {("from" if key == "from_" else key): value for key, value in params.items()}
    url = CSV_URL if extension == "csv" else JSONL_URL
    return read(client.get(url, query_string=query, headers=as_user(user)))


def read(response):
    """The response, its streamed body read (a streamed response holds its request context
    until its body is read or it is closed)."""
    response.get_data()
    return response


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.status_code
    text = response.get_data().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def jsonl_records(response) -> list[dict]:
    assert response.status_code == 200, response.status_code
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines()]


def every_list_id(client, user: str = "exporter", **params) -> list[int]:
    """The ids of every row of the list, page after page."""
    ids: list[int] = []
    for page in range(1000):
        found = row_ids(list_page(client, user, page=page, **params))
        if not found:
            return ids
        ids += found
    raise AssertionError("the list never ended")


@pytest.fixture
def seeded(aiconvos):
    """Conversations over channels, days and tenants, with conversions and escalations."""
    made = []
    for n in range(14):
        channel = ("chat", "email", "whatsapp", "voice")[n % 4]
        started = FIXED_NOW - timedelta(days=n * 3, hours=n)
        conversation = start(
            aiconvos,
            channel=channel,
            started_at=started,
            subject=f"Desk enquiry {n}" if n % 3 else None,
            customer_name=f"Customer {n}",
            customer_company="Acme" if n % 2 else None,
            external_identifier=f"person{n}@example.com",
            tenant=("a", "b")[n % 2],
        )
        if n % 5:
            aiconvos.add_message(
                conversation.id,
                sender="customer",
                body=f"Hello, about a desk ({n})",
                sent_at=started + timedelta(minutes=n),
            )
        if n % 4 == 1:
            aiconvos.record_conversion(conversation.id, kind="tour", target_id=f"T-{n}")
            aiconvos.record_conversion(conversation.id, kind="tour", target_id=f"T-{n}-b")
        if n % 3 == 0:
            aiconvos.record_conversion(conversation.id, kind="booking", target_id=f"B-{n}")
        if n % 6 == 2:
            aiconvos.escalate(conversation.id, ticket_id=f"H-{n}", subject="Payment")
        made.append(conversation)
    return made


# --- who may export, and the button ----------------------------------------------------------


def test_only_the_export_role_sees_the_links_and_gets_the_files(client, seeded):
    for user in ("viewer", "admin"):
        assert not list_page(client, user).select("[data-export]")
        for extension in ("csv", "jsonl"):
            response = export(client, extension, user)
            assert response.status_code == 403
            assert b"Desk" not in response.get_data()
    assert export(client, "csv", "export_only").status_code == 403
    assert export(client, "csv", "nobody").status_code == 403
    anonymous = client.get(CSV_URL)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    page = list_page(client, "exporter")
    assert {a["data-export"] for a in page.select("a[data-export]")} == {"csv", "jsonl"}
    assert export(client, "csv").status_code == 200
    assert export(client, "jsonl").status_code == 200


def test_the_links_carry_the_lists_parameters(client, seeded):
    params = {
        "channel": "whatsapp",
        "search": "desk",
        "range": "this_month",
        "sort": str(ACTIVITY_COLUMN),
        "page": "1",
    }
    page = list_page(client, "exporter", **params)
    form = page.select_one('form[role="search"]')
    assert form.select_one("a[data-export]") is not None, "the links sit beside the search box"
    links = {a["data-export"]: a["href"] for a in page.select("a[data-export]")}
    assert links["csv"].startswith(CSV_URL + "?") and links["jsonl"].startswith(JSONL_URL + "?")
    expected = {key: [value] for key, value in params.items() if key != "page"}
    assert query_of(links["csv"]) == query_of(links["jsonl"]) == expected
    custom = list_page(client, "exporter", from_="2026-11-01", to="2026-11-10")
    link = custom.select_one('a[data-export="csv"]')["href"]
    assert query_of(link) == {"from": ["2026-11-01"], "to": ["2026-11-10"]}


def test_the_role_is_configurable(build):
    app, _ = build(AICONVOS_EXPORT_ROLE="helpDesk")
    client = app.test_client()
    assert client.get(CSV_URL, headers=as_user("exporter")).status_code == 403
    assert read(client.get(CSV_URL, headers=as_user("admin"))).status_code == 200
    assert soup(client.get(LIST_URL, headers=as_user("admin"))).select("a[data-export]")


@pytest.fixture
def build(database_url):
    with host_factory(database_url) as factory:
        yield factory


def test_only_get_is_served(client, seeded):
    for url in (CSV_URL, JSONL_URL):
        assert client.post(url, headers=as_user("exporter")).status_code == 405


# --- exactly what the list shows ------------------------------------------------------------

LIST_VIEWS = [
    {},
    {"channel": "whatsapp"},
    {"channel": "email", "range": "this_month"},
    {"search": "desk"},
    {"search": "acme", "range": "last_month"},
    {"from_": "2026-10-01", "to": "2026-11-05"},
    {"sort": str(ACTIVITY_COLUMN)},
    {"sort": str(ACTIVITY_COLUMN), "desc": "1", "channel": "chat"},
    {"range": "today"},
]


@pytest.mark.parametrize(
    "params", LIST_VIEWS, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()) or "all"
)
def test_both_files_hold_the_lists_rows_in_its_order(client, seeded, params):
    shown = every_list_id(client, **params)
    rows = csv_rows(export(client, "csv", **params))
    assert [int(row["id"]) for row in rows] == shown
    records = jsonl_records(export(client, "jsonl", **params))
    assert len(records) == len(shown)
    with client.application.app_context():
        session = client.application.extensions["test_db"].session
        started = {c.id: c.started_at for c in session.scalars(sa.select(Conversation))}
    assert [r["started_at"] for r in records] == [
        started[i].isoformat().replace("+00:00", "Z") for i in shown
    ]


def test_the_csv_columns_and_values(client, aiconvos):
    conversation = converted(
        aiconvos,
        "tour",
        "tour",
        "booking",
        "day_pass",
        subject="Two tours",
        customer_id="C-9",
        customer_name="Chloé Durand",
        customer_company="Café Ltd",
        external_identifier="chloe@example.com",
        tenant="a",
        external_id="chat-1",
    )
    aiconvos.add_message(conversation.id, sender="customer", body="Bonjour, une visite ?")
    aiconvos.link_inbox_item(conversation.id, item_id="INB-1", status="pending")
    aiconvos.escalate(conversation.id, ticket_id="T-1", subject="Help")
    plain = start(aiconvos, channel="voice", origin="customer_reply")
    response = export(client, "csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff") and "\r\n" in text
    header = next(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert header == list(exporting.CSV_COLUMNS)
    assert set(REQUIRED_COLUMNS) <= set(header)
    first, second = csv_rows(response)
    assert first == {
        "id": str(conversation.id),
        "external_id": "chat-1",
        "started_at": "2026-11-18T14:30:00Z",
        "last_activity_at": "2026-11-18T15:30:00Z",
        "channel": "chat",
        "origin": "portal_chat",
        "tenant": "a",
        "subject": "Two tours",
        "first_message": "Bonjour, une visite ?",
        "customer_id": "C-9",
        "customer_name": "Chloé Durand",
        "customer_company": "Café Ltd",
        "external_identifier": "chloe@example.com",
        "messages": "1",
        "tours": "2",
        "customers": "0",
        "contracts": "0",
        "bookings": "1",
        "day_passes": "1",
        "inbox_items": "1",
        "escalated": "true",
    }
    assert second["id"] == str(plain.id)
    assert (second["subject"], second["escalated"], second["tours"]) == ("", "false", "0")


#: Values a spreadsheet would run (the recording API trims leading spaces and refuses tabs and
#: line breaks in these fields; ``test_neutralise`` covers those).
HOSTILE = [
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\uff1d1+1",
    "\uff20SUM(A1)",
]
QUOTED = "\"quoted\", with, commas; and 'quotes'"


def test_no_cell_starts_a_formula(client, aiconvos):
    for n, value in enumerate([*HOSTILE, QUOTED]):
        conversation = start(
            aiconvos,
            subject=value,
            customer_id=value,
            customer_name=value,
            customer_company=value,
            external_identifier=value,
            external_id=f"{value}-{n}",
        )
        aiconvos.add_message(conversation.id, sender="customer", body=f"{value}\nsecond line")
    rows = csv_rows(export(client, "csv"))
    assert len(rows) == len(HOSTILE) + 1
    for row in rows:
        for name, cell in row.items():
            assert cell[:1] not in exporting.FORMULA_START, (name, cell)
    by_subject = {row["subject"]: row for row in rows}
    for value in HOSTILE:
        row = by_subject["'" + value]
        for name in ("customer_id", "customer_name", "customer_company", "external_identifier"):
            assert row[name] == "'" + value, name
        assert row["first_message"] == "'" + value + " second line"
        assert row["external_id"].startswith("'" + value)
    # Quotes, commas and semicolons survive as text, and every field is quoted.
    assert by_subject[QUOTED]["customer_name"] == QUOTED
    body = export(client, "csv").get_data().decode("utf-8-sig")
    assert all(line.startswith('"') for line in body.splitlines())


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+44 7700 900123", "'+44 7700 900123"),
        ("-", "'-"),
        ("@user", "'@user"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        (" =x", "' =x"),
        ("\uff20x", "'\uff20x"),
        ("a=b", "a=b"),
        ("2026-11-18T15:30:00Z", "2026-11-18T15:30:00Z"),
        ("", ""),
        ("Café", "Café"),
    ],
)
def test_neutralise(cell, shown):
    assert exporting.neutralise(cell) == shown


# --- JSON Lines: the import format, and back ----------------------------------------------------


def test_records_have_the_import_formats_fields(client, seeded):
    response = export(client, "jsonl")
    assert response.headers["Content-Type"].startswith("application/x-ndjson")
    records = jsonl_records(response)
    assert records
    for record in records:
        assert tuple(record) == CONVERSATION_FIELDS
        for name, fields in PART_FIELDS.items():
            assert all(tuple(part) == fields for part in record[name])
    assert any(record["tickets"] for record in records)
    assert any(len(record["conversions"]) == 2 for record in records)


ROUND_TRIP_CONVERSATIONS = 40
ROUND_TRIP_VIEWS = [
    {},
    {"page": "1"},
    {"channel": "whatsapp"},
    {"range": "last_month"},
    {"search": "desk"},
    {"search": "7700"},
]


def screens(client) -> dict[str, list]:
    """The metrics, tabs and rows of some list views (without ids), and every timeline in the
    order of the list (without ids)."""
    found: dict[str, list] = {}
    for params in ROUND_TRIP_VIEWS:
        page = list_page(client, "exporter", **params)
        key = repr(params)
        found[key + " metrics"] = [metrics(page)]
        found[key + " tabs"] = [
            el.get_text(" ", strip=True) for el in page.select("[data-channel-tab]")
        ]
        found[key + " rows"] = [
            [td.get_text(" ", strip=True) for td in tr.select("td")]
            for tr in page.select("tr[data-conversation-id]")
        ]
    for position, conversation_id in enumerate(every_list_id(client)):
        page = soup(
            client.get(DETAILS, query_string={"id": conversation_id}, headers=as_user("exporter"))
        )
        found[f"timeline {position}"] = [
            (
                el.get("data-sender"),
                el.get("data-inbox-item"),
                el.get("data-status"),
                el.get("data-ticket"),
                el.get("data-conversion"),
                [time["datetime"] for time in el.select("time")],
                el.get_text(" ", strip=True),
            )
            for el in page.select(
                "[data-message-id], [data-inbox-item], [data-ticket], [data-conversion], "
                ".aiconvos-context"
            )
        ]
    return found


def test_export_then_import_gives_the_same_list_metrics_and_timelines(app, aiconvos, db, client):
    plans = list(
        Generator(ROUND_TRIP_CONVERSATIONS, seed=23, now=FIXED_NOW, years=0.5, long_conversation=30)
    )
    assert replay(aiconvos, plans) == ROUND_TRIP_CONVERSATIONS
    db.session.remove()
    exported = export(client, "jsonl").get_data()
    before = screens(client)

    reset_tables(db.engine)
    aiconvos.create_all()
    report = aiconvos.import_json_lines(io.BytesIO(exported))
    assert report.ok, report.errors
    assert report.conversations == ROUND_TRIP_CONVERSATIONS
    db.session.remove()
    assert report.messages == db.session.scalar(sa.select(sa.func.count()).select_from(Message))
    after = screens(client)
    assert after.keys() == before.keys()
    for key in before:
        assert after[key] == before[key], key
    # The imported database exports the same file, and importing it again stores nothing.
    assert export(client, "jsonl").get_data() == exported
    again = aiconvos.import_json_lines(io.BytesIO(exported))
    assert (again.conversations, again.messages, again.skipped) == (
        0,
        0,
        ROUND_TRIP_CONVERSATIONS,
    )


def test_a_converted_message_is_exported_as_received(build):
    app, ext = build(AICONVOS_MARKDOWNIFY_CHANNELS=["chat"])
    html = "<p>Hello <b>there</b></p><table><tr><th>Desk</th></tr><tr><td>£200</td></tr></table>"
    with app.app_context():
        conversation = ext.start_conversation(
            channel="chat", origin="portal_chat", started_at=FIXED_NOW, external_id="c-1"
        )
        ext.add_message(
            conversation.id, sender="ai", body=html, content_format="html", sent_at=FIXED_NOW
        )
    client = app.test_client()
    (record,) = jsonl_records(client.get(JSONL_URL, headers=as_user("exporter")))
    (message,) = record["messages"]
    assert (message["body"], message["content_format"]) == (html, "html")
    with app.app_context():
        report = ext.import_conversations([record])
    assert (report.skipped, report.messages) == (1, 0)


#: Text every JSON encoder must agree on: quotes, backslashes, each control character,
#: non-ASCII, a character outside the BMP, the line separators JSON leaves alone, DEL.
AWKWARD = (
    'q"uo\\te \\u0041 ' + "".join(map(chr, range(1, 32))) + " żółw 😀 \u2028\u2029 \x7f </script>"
)


def test_the_database_spells_the_same_json_lines_as_the_encoder(build, monkeypatch):
    """Unmasked, the database writes each record's JSON text; it is byte for byte what
    ``record`` and the encoder write (the masked export's way), whatever the text holds."""
    app, ext = build(AICONVOS_MARKDOWNIFY_CHANNELS=["email"])
    with app.app_context():
        plain = ext.start_conversation(
            channel="chat",
            origin="portal_chat",
            started_at=FIXED_NOW,
            external_id="k-1",
            subject="Plain",
            tenant="t",
        )
        ext.add_message(plain.id, sender="customer", body="Hi", sent_at=FIXED_NOW)
        ext.add_message(
            plain.id,
            sender="ai",
            body="**Yes**",
            content_format="markdown",
            sent_at=FIXED_NOW + timedelta(microseconds=120),
            external_id="m-1",
        )
        ext.record_conversion(plain.id, kind="tour", target_id="T-1", occurred_at=FIXED_NOW)
        ext.link_inbox_item(plain.id, item_id="I-1", status="pending", title="Call back")
        ext.escalate(plain.id, ticket_id="H-1", subject="Payment")
        mail = ext.start_conversation(
            channel="email", origin="customer_reply", started_at=FIXED_NOW - timedelta(days=1)
        )
        ext.add_message(
            mail.id,
            sender="customer",
            body="<p>Hello <b>there</b></p>",
            content_format="html",
            sent_at=FIXED_NOW - timedelta(days=1),
        )
        ext.start_conversation(channel="whatsapp", origin="portal_chat")
        session = app.extensions["aiconvos"].db.session
        session.execute(
            sa.update(Conversation)
            .where(Conversation.id == plain.id)
            .values(subject=AWKWARD, customer_name=AWKWARD, external_identifier="\\")
        )
        session.execute(
            sa.update(Message)
            .where(Message.conversation_id == plain.id)
            .values(body=AWKWARD, via=AWKWARD[:32])
        )
        session.commit()

        def lines() -> str:
            text = b"".join(exporting.jsonl_chunks(session, ListFilters())).decode()
            session.rollback()
            return text

        spelled = lines()
        monkeypatch.setattr(exporting.json_sql, "JSON_DIALECTS", frozenset())
        encoded = lines()
    assert spelled == encoded
    records = [json.loads(line) for line in spelled.split("\n")[:-1]]
    by_channel = {record["channel"]: record for record in records}
    assert [len(by_channel[c]["messages"]) for c in ("chat", "email", "whatsapp")] == [2, 1, 0]
    assert by_channel["chat"]["subject"] == AWKWARD
    assert by_channel["chat"]["messages"][1]["body"] == AWKWARD
    assert by_channel["email"]["messages"][0]["content_format"] == "html"


def test_a_conversation_with_a_64_bit_id_is_exported(build):
    """Ids go to the database as one array or JSON parameter: one past 32 bits is found."""
    app, ext = build()
    big = 2**40
    with app.app_context():
        conversation = ext.start_conversation(channel="chat", origin="portal_chat")
        session = app.extensions["aiconvos"].db.session
        session.execute(
            sa.update(Conversation).where(Conversation.id == conversation.id).values(id=big)
        )
        session.commit()
        ext.add_message(big, sender="customer", body="Hello", sent_at=FIXED_NOW)
    client = app.test_client()
    (record,) = jsonl_records(client.get(JSONL_URL, headers=as_user("exporter")))
    assert [message["body"] for message in record["messages"]] == ["Hello"]
    assert [row["id"] for row in csv_rows(client.get(CSV_URL, headers=as_user("exporter")))] == [
        str(big)
    ]


# --- streamed in chunks ---------------------------------------------------------------------


def test_streamed_a_chunk_at_a_time_in_a_fixed_number_of_statements(
    app, client, db, seeded, monkeypatch
):
    monkeypatch.setattr(exporting, "CHUNK_ROWS", 3)
    conversations = len(seeded)
    chunks = math.ceil(conversations / 3)

    response = client.get(CSV_URL, headers=as_user("exporter"))
    assert response.is_streamed
    assert len(list(response.response)) == 1 + chunks  # the header, then a block per chunk
    with count_queries(db.engine) as statements:
        assert len(csv_rows(export(client, "csv"))) == conversations
    selects = [s for s in statements if "FROM aiconvos_conversation" in s]
    assert len(selects) == chunks and all("LIMIT" in s for s in selects)

    with count_queries(db.engine) as statements:
        assert len(jsonl_records(export(client, "jsonl"))) == conversations
    parts = [s for s in statements if "FROM aiconvos_conversation" not in s]
    assert len(parts) <= 4 * chunks

    # Many more messages take no more statements.
    for conversation in seeded:
        for n in range(6):
            aiconvos_add = app.extensions["aiconvos"].extension.add_message
            aiconvos_add(conversation.id, sender="ai", body=f"Reply {n}")
    db.session.remove()
    with count_queries(db.engine) as more:
        assert len(jsonl_records(export(client, "jsonl"))) == conversations
    assert len(more) == len(statements)


@pytest.mark.parametrize(
    "params",
    [{"search": "desk"}, {"search": "desk", "sort": str(ACTIVITY_COLUMN), "channel": "chat"}],
)
def test_a_search_with_many_matches_is_read_by_its_ids_in_order(
    client, db, seeded, monkeypatch, params
):
    """Past ``ORDER_MATCHES_ABOVE`` chunks of matches the rows are read by id, the ids in the
    list's order found once: the same export, in fewer statements than a chunk each testing
    every match."""
    monkeypatch.setattr(exporting, "CHUNK_ROWS", 2)
    keyset = {kind: export(client, kind, **params).get_data() for kind in ("csv", "jsonl")}
    monkeypatch.setattr(queries, "ORDER_MATCHES_ABOVE", 1)
    with count_queries(db.engine) as statements:
        by_ids = {kind: export(client, kind, **params).get_data() for kind in ("csv", "jsonl")}
    assert by_ids == keyset
    assert len(csv_rows(export(client, "csv", **params))) >= 3
    assert not [s for s in statements if "FROM aiconvos_conversation" in s and "LIMIT" in s]


def test_a_chunk_is_cut_where_its_messages_get_too_many(app, client, db, aiconvos, monkeypatch):
    monkeypatch.setattr(exporting, "CHUNK_MESSAGES", 4)
    for n in range(5):
        conversation = start(aiconvos, started_at=FIXED_NOW - timedelta(hours=n + 1))
        for m in range(3):
            aiconvos.add_message(
                conversation.id,
                sender="customer",
                body=f"{n}.{m}",
                sent_at=FIXED_NOW - timedelta(hours=n + 1) + timedelta(minutes=m),
            )
    db.session.remove()
    with count_queries(db.engine) as statements:
        records = jsonl_records(export(client, "jsonl"))
    assert [[m["body"] for m in r["messages"]] for r in records] == [
        [f"{n}.{m}" for m in range(3)] for n in range(5)
    ]
    messages = [s for s in statements if "FROM aiconvos_message" in s]
    assert len(messages) == 5  # 3 messages each: one conversation per batch of at most 4


# --- tenants, masking, the access log -------------------------------------------------------


def test_an_operator_exports_only_their_tenant(build):
    app, ext = build(scope=tenant_of_current_user)
    with app.app_context():
        ours = ext.start_conversation(channel="chat", origin="portal_chat", tenant="b", subject="B")
        ext.start_conversation(channel="chat", origin="portal_chat", tenant="a", subject="A")
        ext.start_conversation(channel="chat", origin="portal_chat", subject="none")
    client = app.test_client()
    rows = csv_rows(client.get(CSV_URL, headers=as_user("exporter_b")))
    assert [row["id"] for row in rows] == [str(ours.id)]
    records = jsonl_records(client.get(JSONL_URL, headers=as_user("exporter_b")))
    assert [record["subject"] for record in records] == ["B"]
    assert len(csv_rows(client.get(CSV_URL, headers=as_user("exporter")))) == 3


SECRETS = ("7700 900123", "7700900123", "nadia.haddad@", "415-555", "mailto:nadia")


def test_an_operator_without_the_pii_role_gets_every_contact_masked(build, monkeypatch):
    monkeypatch.setitem(
        USERS,
        "exporter_pii",
        User("exporter_pii", {"aiChannelSession", "aiChannelSessionExport", "pii"}),
    )
    app, ext = build(AICONVOS_PII_ROLE="pii")
    with app.app_context():
        record_contacts(ext)
    client = app.test_client()
    for extension in ("csv", "jsonl"):
        url = CSV_URL if extension == "csv" else JSONL_URL
        masked = client.get(url, headers=as_user("exporter")).get_data(as_text=True)
        for secret in SECRETS:
            assert secret not in masked, (extension, secret)
        assert "+44 •••• ••0123" in masked and "n•••@example.com" in masked
        full = client.get(url, headers=as_user("exporter_pii")).get_data(as_text=True)
        assert "+44 7700 900123" in full and "nadia.haddad@example.com" in full
    # Searching by the full identifier still finds it, and the export names nothing more.
    found = client.get(
        CSV_URL, query_string={"search": "nadia.haddad@example.com"}, headers=as_user("exporter")
    )
    (row,) = csv_rows(found)
    assert row["external_identifier"] == "n•••@example.com"


def test_each_export_is_logged_with_its_parameters(app, client, seeded):
    export(client, "csv", channel="whatsapp", range="this_month").get_data()
    export(client, "jsonl", search="desk").get_data()
    logged = access_log(app)
    assert [(e.action, e.user_id, e.params) for e in logged] == [
        ("export", "exporter", "format=csv&channel=whatsapp&range=this_month"),
        ("export", "exporter", "format=jsonl&search=desk"),
    ]


def test_refused_and_malformed_exports_are_not_logged(app, client, seeded):
    assert export(client, "csv", "viewer").status_code == 403
    assert export(client, "csv", range="someday").status_code == 400
    assert access_log(app) == []


@pytest.mark.parametrize(
    "query",
    [
        {"range": "someday"},
        {"channel": "fax"},
        {"from": "2026-13-01"},
        {"to": "yesterday"},
        {"from": "2026-11-01\x00"},
    ],
    ids=repr,
)
def test_a_malformed_query_answers_400_like_the_list(client, seeded, query):
    for url in (CSV_URL, JSONL_URL):
        response = client.get(url, query_string=query, headers=as_user("exporter"))
        assert response.status_code == 400, url
        assert (
            client.get(LIST_URL, query_string=query, headers=as_user("exporter")).status_code == 400
        )


@pytest.mark.parametrize(
    "query",
    [
        {"search": "desk\x00"},
        {"search": "%_\\'\""},
        {"search": "x" * 5000},
        {"page": "-1"},
        {"sort": "abc", "desc": "yes"},
        {"sort": "99"},
        {"page_size": "100000"},
        {"from": "0001-01-01", "to": "9999-12-31"},
    ],
    ids=repr,
)
def test_odd_but_readable_queries_export_what_the_list_shows(client, seeded, query):
    shown = every_list_id(client, **{k: v for k, v in query.items() if k != "page"})
    for url in (CSV_URL, JSONL_URL):
        response = read(client.get(url, query_string=query, headers=as_user("exporter")))
        assert response.status_code == 200, url
    rows = csv_rows(client.get(CSV_URL, query_string=query, headers=as_user("exporter")))
    assert [int(row["id"]) for row in rows] == shown


# --- the response ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ({}, "ai-conversations-all"),
        ({"channel": "whatsapp", "range": "this_month"}, "ai-conversations-whatsapp-2026-11"),
        ({"range": "last_month"}, "ai-conversations-all-2026-10"),
        ({"range": "today", "channel": "chat"}, "ai-conversations-chat-2026-11-18"),
        ({"range": "7d"}, "ai-conversations-all-2026-11-12-to-2026-11-18"),
        ({"from": "2026-02-01", "to": "2026-02-28"}, "ai-conversations-all-2026-02"),
        ({"from": "2026-11-05"}, "ai-conversations-all-from-2026-11-05"),
        ({"to": "2026-11-05", "search": "desk"}, "ai-conversations-all-to-2026-11-05-search"),
        ({"search": "=cmd"}, "ai-conversations-all-search"),
    ],
    ids=repr,
)
def test_the_file_name_says_what_it_holds(client, query, name):
    for extension, url in (("csv", CSV_URL), ("jsonl", JSONL_URL)):
        response = read(client.get(url, query_string=query, headers=as_user("exporter")))
        assert (
            response.headers["Content-Disposition"] == f'attachment; filename="{name}.{extension}"'
        )


def test_file_names_at_the_ends_of_the_calendar():
    whole = ListFilters(range="custom", date_from=date(9999, 12, 1), date_to=date.max)
    assert exporting.file_name(whole, "csv") == "ai-conversations-all-9999-12.csv"
    span = ListFilters(range="custom", date_from=date.min, date_to=date(2026, 1, 31))
    assert exporting.file_name(span, "csv") == "ai-conversations-all-0001-01-01-to-2026-01-31.csv"


def test_the_response_is_private_and_carries_the_security_headers(client, seeded):
    for url in (CSV_URL, JSONL_URL):
        response = read(client.get(url, headers=as_user("exporter")))
        assert response.headers["Cache-Control"] == "private, no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "object-src 'none'" in response.headers["Content-Security-Policy"]


def test_times_are_written_as_the_records_write_them(client, aiconvos):
    exact = FIXED_NOW - timedelta(days=40, microseconds=-120)
    whole = FIXED_NOW - timedelta(days=41)
    for moment in (exact, whole):
        conversation = start(aiconvos, started_at=moment)
        aiconvos.add_message(conversation.id, sender="customer", body="Hi", sent_at=moment)
    expected = [format_time(exact), format_time(whole)]
    assert expected[0].endswith(".000120Z") and expected[1].endswith(":00Z")
    rows = csv_rows(export(client, "csv"))
    assert [row["started_at"] for row in rows] == expected
    assert [row["last_activity_at"] for row in rows] == expected
    records = jsonl_records(export(client, "jsonl"))
    assert [r["started_at"] for r in records] == expected
    assert [r["messages"][0]["sent_at"] for r in records] == expected
