"""The demo data and the example host app: what an operator trying the product first sees."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from support.hosts import FIXED_NOW

from flask_aiconvos import (
    AIConversations,
    Conversation,
    Conversion,
    EscalationTicket,
    InboxItem,
    Message,
)
from flask_aiconvos.demo import DEMO_CUSTOMERS, SHOWCASE_SIZE, demo_customer, seed_demo
from flask_aiconvos.vocab import (
    VIA_LABELS,
    Channel,
    ContentFormat,
    ConversionKind,
    InboxStatus,
    Origin,
    values,
)

PHONE = re.compile(r"^\+44 7700 900\d{3}$")


def rows(db: SQLAlchemy, *columns: Any) -> list[Any]:
    return list(db.session.execute(sa.select(*columns)).all())


def distinct(db: SQLAlchemy, *columns: Any) -> set[Any]:
    found = {tuple(row) for row in db.session.execute(sa.select(*columns).distinct()).all()}
    return {row[0] for row in found} if len(columns) == 1 else found


def fingerprint(db: SQLAlchemy, tenant: str | None = None) -> list[tuple]:
    """Everything seed_demo recorded for one tenant, without database ids."""
    query = sa.select(Conversation).order_by(Conversation.id)
    if tenant is not None:
        query = query.where(Conversation.tenant == tenant)
    result = []
    for c in db.session.scalars(query):
        messages = db.session.execute(
            sa.select(Message.sender, Message.via, Message.content_format, Message.body)
            .add_columns(Message.sent_at)
            .where(Message.conversation_id == c.id)
            .order_by(Message.id)
        ).all()
        conversions = rows_for(db, c.id, Conversion.kind, Conversion.target_id)
        inbox = rows_for(db, c.id, InboxItem.item_id, InboxItem.status, InboxItem.title)
        tickets = rows_for(db, c.id, EscalationTicket.ticket_id, EscalationTicket.subject)
        result.append(
            (
                c.channel,
                c.origin,
                c.subject,
                c.customer_id,
                c.customer_name,
                c.external_identifier,
                c.started_at,
                tuple(map(tuple, messages)),
                conversions,
                inbox,
                tickets,
            )
        )
    return result


def rows_for(db: SQLAlchemy, conversation_id: int, *columns: Any) -> tuple:
    table_column = columns[0]
    query = sa.select(*columns).where(table_column.class_.conversation_id == conversation_id)
    return tuple(sorted(map(tuple, db.session.execute(query).all())))


# --- seed_demo ------------------------------------------------------------------------------


def test_showcase_covers_the_whole_vocabulary(aiconvos: AIConversations, db: SQLAlchemy) -> None:
    assert seed_demo(aiconvos, SHOWCASE_SIZE, now=FIXED_NOW) == SHOWCASE_SIZE

    assert db.session.scalar(sa.select(sa.func.count()).select_from(Conversation)) == SHOWCASE_SIZE
    assert distinct(db, Conversation.channel) == set(values(Channel))
    assert distinct(db, Conversation.origin) == set(values(Origin))
    assert distinct(db, Message.sender, Message.via) == set(VIA_LABELS)
    assert distinct(db, Message.content_format) == set(values(ContentFormat))
    assert distinct(db, Conversion.kind) == set(values(ConversionKind))
    assert distinct(db, InboxItem.status) == set(values(InboxStatus))

    converted = db.session.scalars(
        sa.select(Message).where(Message.original_format == "html")
    ).all()
    assert converted and all(m.content_format == "markdown" for m in converted)
    html_bodies = db.session.scalars(
        sa.select(Message.body).where(Message.content_format == "html")
    ).all()
    assert any('role="presentation"' in body for body in html_bodies)
    assert any("<table" in body and "<ul>" in body and "<ol>" in body for body in html_bodies)
    markdown = db.session.scalars(
        sa.select(Message.body).where(Message.content_format == "markdown")
    ).all()
    assert any("| Hot desk |" in body for body in markdown)
    assert any("\n- " in body for body in markdown)
    assert any(
        "\n" in body
        for body in db.session.scalars(
            sa.select(Message.body).where(Message.sender == "customer", Message.body.like("%\n%"))
        )
    )

    conversations = db.session.scalars(sa.select(Conversation)).all()
    assert any(c.booking_count >= 2 for c in conversations)
    assert any(c.message_count >= 40 for c in conversations)
    assert any(c.subject is None for c in conversations)
    assert any(c.subject is not None for c in conversations)
    anonymous = [c for c in conversations if c.customer_id is None]
    assert any("@" in (c.external_identifier or "") for c in anonymous)
    assert any(PHONE.match(c.external_identifier or "") for c in anonymous)
    linked = [c for c in conversations if c.customer_id is not None]
    assert any(c.customer_company is None for c in linked)
    assert any(c.customer_company for c in linked)
    assert any(not (c.customer_name or "").isascii() for c in linked)
    for c in linked:
        assert demo_customer(c.customer_id) == (c.customer_id, c.customer_name, c.customer_company)

    assert ("T-99", "Payment inquiry for invoice #1234") in rows(
        db, EscalationTicket.ticket_id, EscalationTicket.subject
    )
    assert ("booking", "B-1042") in rows(db, Conversion.kind, Conversion.target_id)
    deferred = db.session.scalars(sa.select(InboxItem).where(InboxItem.status == "deferred")).one()
    assert "business hours" in (deferred.title or "")


def test_timestamps_increase_and_cluster_near_now(
    aiconvos: AIConversations, db: SQLAlchemy
) -> None:
    seed_demo(aiconvos, 60, now=FIXED_NOW)
    today = FIXED_NOW.replace(hour=0, minute=0, second=0, microsecond=0)
    month = today.replace(day=1)
    conversations = db.session.scalars(sa.select(Conversation)).all()
    starts = [c.started_at for c in conversations]
    assert all(s.tzinfo is not None for s in starts)
    assert min(starts) >= FIXED_NOW - timedelta(days=183)
    assert max(c.last_activity_at for c in conversations) <= FIXED_NOW
    assert any(s >= today for s in starts)
    assert sum(s >= month for s in starts) >= 5
    assert any(s < month - timedelta(days=90) for s in starts)
    for c in conversations:
        times = db.session.scalars(
            sa.select(Message.sent_at).where(Message.conversation_id == c.id).order_by(Message.id)
        ).all()
        assert len(times) >= 1 and times == sorted(times) and len(set(times)) == len(times)
        assert times[0] >= c.started_at and c.last_activity_at == times[-1]


def test_no_sentence_names_the_same_time_twice(aiconvos: AIConversations, db: SQLAlchemy) -> None:
    """An offer of times lists different ones ("10:00, 14:30 and 16:30", never "10:00, 10:00")."""
    seed_demo(aiconvos, 200, seed=11, now=FIXED_NOW)
    offers = 0
    for (body,) in rows(db, Message.body):
        for sentence in re.split(r"(?<=[.!?])\s+|\n", body):
            times = re.findall(r"\b\d{1,2}:\d{2}\b", sentence)
            assert len(times) == len(set(times)), sentence
            offers += len(times) >= 3
    assert offers, "no message offers a choice of times"


def test_same_seed_same_data_other_seed_other_data(
    aiconvos: AIConversations, db: SQLAlchemy
) -> None:
    seed_demo(aiconvos, 20, seed=3, now=FIXED_NOW, tenants=("first",))
    seed_demo(aiconvos, 20, seed=3, now=FIXED_NOW, tenants=("second",))
    seed_demo(aiconvos, 20, seed=4, now=FIXED_NOW, tenants=("other",))
    first = fingerprint(db, "first")
    assert len(first) == 20
    assert first == fingerprint(db, "second")
    assert first[:SHOWCASE_SIZE] != fingerprint(db, "other")[:SHOWCASE_SIZE]


def test_tenants_take_turns(aiconvos: AIConversations, db: SQLAlchemy) -> None:
    seed_demo(aiconvos, 7, now=FIXED_NOW, tenants=("a", "b", None))
    counts = dict(
        db.session.execute(
            sa.select(Conversation.tenant, sa.func.count()).group_by(Conversation.tenant)
        ).all()
    )
    assert counts == {"a": 3, "b": 2, None: 2}


@pytest.mark.parametrize(
    "arguments",
    [
        {"conversations": 0},
        {"conversations": -5},
        {"conversations": 100_001},
        {"conversations": 2.0},
        {"conversations": "10"},
        {"conversations": True},
        {"conversations": None},
        {"conversations": 3, "now": datetime(2026, 1, 1)},
        {"conversations": 3, "now": "2026-01-01"},
        {"conversations": 3, "tenants": "ab"},
        {"conversations": 3, "tenants": ()},
        {"conversations": 3, "tenants": (1,)},
        {"conversations": 3, "seed": "7"},
    ],
)
def test_bad_arguments_raise_and_write_nothing(
    aiconvos: AIConversations, db: SQLAlchemy, arguments: dict[str, Any]
) -> None:
    options = dict(arguments)
    conversations = options.pop("conversations")
    with pytest.raises(ValueError):
        seed_demo(aiconvos, conversations, **options)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Conversation)) == 0


def test_demo_customers_are_unique_and_varied() -> None:
    ids = [c.id for c in DEMO_CUSTOMERS]
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"C-\d{4}", i) for i in ids)
    names = {c.name for c in DEMO_CUSTOMERS}
    assert {"Zoë Müller", "José Álvarez"} <= names
    assert any(c.company is None for c in DEMO_CUSTOMERS)
    assert demo_customer("C-1001") == DEMO_CUSTOMERS[0]
    assert demo_customer("C-0000") is None


# --- the example app ------------------------------------------------------------------------


def build_example_app(url: str) -> Flask:
    from example_app.app import aiconvos, create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        aiconvos.create_all()
        seed_demo(aiconvos, SHOWCASE_SIZE)
    return app


@pytest.fixture
def example_app(database_url: str) -> Iterator[Flask]:
    """The example app on each test database (SQLite as a file, so in WAL mode)."""
    from example_app.app import aiconvos, db

    app = build_example_app(database_url)
    yield app
    with app.app_context():
        aiconvos.drop_all()
        db.session.remove()
        db.engine.dispose()


def page(response: Any) -> BeautifulSoup:
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def csrf(client: FlaskClient, path: str = "/login") -> str:
    field = page(client.get(path)).find("input", {"name": "csrf_token"})
    assert field is not None
    return str(field["value"])


def log_in(app: Flask, username: str, password: str | None = None) -> FlaskClient:
    client = app.test_client()
    response = client.post(
        "/login",
        data={
            "username": username,
            "password": username if password is None else password,
            "csrf_token": csrf(client),
            "next": "/admin/ai-conversations/",
        },
    )
    assert response.status_code == 302, response.status_code
    assert response.location == "/admin/ai-conversations/"
    return client


def test_example_app_on_in_memory_sqlite() -> None:
    app = build_example_app("sqlite://")
    admin = log_in(app, "admin")
    assert len(page(admin.get("/admin/ai-conversations/")).select("tr[data-conversation-id]"))
    assert "Zoë Müller" in page(admin.get("/customers/C-1001")).get_text()
    assert log_in(app, "nobody").get("/admin/ai-conversations/").status_code == 403


def test_example_app_admin_sees_everything_and_follows_links(example_app: Flask) -> None:
    anonymous = example_app.test_client()
    response = anonymous.get("/admin/ai-conversations/")
    assert response.status_code == 302 and response.location.startswith("/login?next=")

    client = log_in(example_app, "admin")
    listing = page(client.get("/admin/ai-conversations/"))
    assert listing.select_one('[data-metric="total"]')["data-count"] == str(SHOWCASE_SIZE)
    assert len(listing.select("tr[data-conversation-id]")) == SHOWCASE_SIZE
    badges = listing.select("a[data-conversion]")
    assert {a["data-conversion"] for a in badges} == set(values(ConversionKind))
    for badge in badges:
        record_page = page(client.get(badge["href"]))
        record = record_page.select_one("[data-host-record]")
        assert record is not None and record["data-host-record"] == badge["data-conversion"]
        # The record's page shows the conversation that led to it, linked to its timeline.
        row = badge.find_parent("tr")["data-conversation-id"]
        item = record_page.select_one(f"[data-aiconvos-panel] [data-conversation-id='{row}']")
        assert item is not None, (badge["href"], row)
        assert item.select_one("a")["href"] == f"/admin/ai-conversations/details/?id={row}"

    profile = page(client.get("/customers/C-1001"))
    assert profile.select_one("[data-customer-name]").get_text(strip=True) == "Zoë Müller"
    with example_app.app_context():
        extension = AIConversations.state(example_app).extension
        of_customer = [c.id for c in extension.conversations_for(customer_id="C-1001")]
    assert of_customer
    assert [
        int(item["data-conversation-id"])
        for item in profile.select("[data-aiconvos-panel] [data-conversation-id]")
    ] == of_customer
    assert "Lumen Studio" in profile.get_text()
    for path in ("/help-desk/T-99", "/ai-inbox/INB-1", "/visitors/T-4001", "/customers/C-2001"):
        assert page(client.get(path)).select_one("[data-record-id]") is not None

    conversation_id = listing.select_one("tr[data-conversation-id]")["data-conversation-id"]
    timeline = page(client.get(f"/admin/ai-conversations/details/?id={conversation_id}"))
    assert timeline.select("[data-message-id]")


def test_example_app_roles(example_app: Flask) -> None:
    viewer = log_in(example_app, "viewer")
    listing = page(viewer.get("/admin/ai-conversations/"))
    assert listing.select("[data-conversion]") and not listing.select("a[data-conversion]")
    assert not listing.select("[data-export]")
    assert viewer.get("/admin/ai-conversations-audit/").status_code == 403
    admin = log_in(example_app, "admin")
    assert {
        a["data-export"]
        for a in page(admin.get("/admin/ai-conversations/")).select("a[data-export]")
    } == {"csv", "jsonl"}
    assert admin.get("/admin/ai-conversations-audit/").status_code == 200
    export = admin.get("/admin/ai-conversations/export.csv")
    assert export.status_code == 200 and export.get_data(as_text=True).count("\n") > 1
    assert viewer.get("/bookings/B-1042").status_code == 403

    nobody = log_in(example_app, "nobody")
    assert nobody.get("/admin/ai-conversations/").status_code == 403
    assert nobody.get("/customers/C-1001").status_code == 403

    anonymous = example_app.test_client()
    response = anonymous.get("/bookings/B-1042")
    assert response.status_code == 302 and response.location.startswith("/login")


def test_example_app_login_form(example_app: Flask) -> None:
    client = example_app.test_client()
    token = csrf(client)
    wrong = client.post("/login", data={"username": "admin", "password": "x", "csrf_token": token})
    assert "wrong password" in page(wrong).get_text()
    missing = client.post("/login", data={"username": "admin", "password": "admin"})
    assert missing.status_code == 400
    outside = client.post(
        "/login",
        data={
            "username": "admin",
            "password": "admin",
            "csrf_token": csrf(client),
            "next": "//evil.example/",
        },
    )
    assert outside.status_code == 302 and outside.location == "/"
    home = page(client.get("/"))
    assert home.select_one('[data-current-user="admin"]') is not None

    logged_out = client.post("/logout", data={"csrf_token": csrf(client, "/")})
    assert logged_out.status_code == 302
    assert client.get("/admin/ai-conversations/").status_code == 302


def test_example_app_switches_language(example_app: Flask) -> None:
    client = log_in(example_app, "admin")
    listing = page(client.get("/admin/ai-conversations/"))
    switch = listing.select_one("form[data-language-switch]")
    assert [o["value"] for o in switch.select("option")] == ["en", "fr", "es", "de"]
    assert switch.select_one("option[selected]")["value"] == "en"
    search_label = 'label[for="aiconvos-search"]'
    assert listing.select_one(search_label).get_text() == "Search conversations"

    chosen = client.post(
        "/language",
        data={
            "language": "fr",
            "next": "/admin/ai-conversations/?channel=chat",
            "csrf_token": switch.select_one('input[name="csrf_token"]')["value"],
        },
    )
    assert chosen.status_code == 302 and chosen.location == "/admin/ai-conversations/?channel=chat"
    french = page(client.get("/admin/ai-conversations/"))
    assert french.select_one(search_label).get_text() == "Rechercher des conversations"
    assert french.select_one("form[data-language-switch] option[selected]")["value"] == "fr"
    first = french.select_one("tr[data-conversation-id] a[data-timeline-link]")["href"]
    timeline = page(client.get(first))
    assert timeline.select_one('[data-nav="list"]').get_text(strip=True) == "Retour à la liste"
    assert timeline.select_one("[data-message-id] time").get_text().startswith("il y a")

    assert client.post("/language", data={"language": "fr"}).status_code == 400
    unknown = client.post("/language", data={"language": "xx", "csrf_token": csrf(client, "/")})
    assert unknown.status_code == 400


def test_example_app_cli_seeds_through_the_extension(example_app: Flask) -> None:
    result = example_app.test_cli_runner().invoke(
        args=["aiconvos", "seed-demo", "--conversations", "5"]
    )
    assert result.exit_code == 0, result.output
    with example_app.app_context():
        total = example_app.extensions["sqlalchemy"].session.scalar(
            sa.select(sa.func.count()).select_from(Conversation)
        )
    assert total == SHOWCASE_SIZE + 5


def test_example_app_database_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from example_app.app import create_app

    monkeypatch.setenv("DATABASE_URL", "postgres://demo@db.invalid/coworking")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://demo@db.invalid/coworking"
    assert app.config["AICONVOS_TIMEZONE"] == "Europe/London"
    assert app.config["AICONVOS_LINK_ROLES"]["day_pass"] == "bookings"


def test_example_app_keeps_conversations_in_a_second_sqlite_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    from example_app.app import create_app, db

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'backoffice.db'}")
    monkeypatch.setenv("CONVERSATIONS_DATABASE_URL", f"sqlite:///{tmp_path / 'conversations.db'}")
    app = create_app({"TESTING": True})
    runner = app.test_cli_runner()
    for args in (["aiconvos", "db", "upgrade"], ["aiconvos", "seed-demo", "--conversations", "30"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output

    host_tables = sa.inspect(sa.create_engine(f"sqlite:///{tmp_path / 'backoffice.db'}"))
    own_tables = sa.inspect(sa.create_engine(f"sqlite:///{tmp_path / 'conversations.db'}"))
    assert not [t for t in host_tables.get_table_names() if t.startswith("aiconvos_")]
    assert "aiconvos_conversation" in own_tables.get_table_names()
    admin = log_in(app, "admin")
    rows = page(admin.get("/admin/ai-conversations/")).select("tr[data-conversation-id]")
    assert len(rows) == 25
    timeline = admin.get(rows[0].select_one("a[data-timeline-link]")["href"])
    assert page(timeline).select("[data-message-id]")
    with app.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
