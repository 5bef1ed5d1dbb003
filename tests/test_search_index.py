"""The trigram search index finds exactly what a scan finds, and stays in step with the data."""

from __future__ import annotations

import random
import warnings
from datetime import timedelta

import pytest
import sqlalchemy as sa
from support.hosts import FIXED_NOW, make_host_app, reset_tables
from support.sql import count_queries

from flask_aiconvos import migration, queries, search_index
from flask_aiconvos.list_request import parse_list_args
from flask_aiconvos.models import Conversation, Message
from flask_aiconvos.search_text import word_alternatives

PEOPLE = [
    ("Zoë Müller", "Lumen Studio", "zoe@example.com"),
    ("Łukasz Wiśniewski", None, "+48 601 234 567"),
    ("José Álvarez", "100% Design_Co", "+34 611 222 333"),
    ("Ελένη Παπαδοπούλου", 'Quote "Works"', "eleni@example.org"),
    (None, None, "+44 7700 900123"),
    ("Ann O'Neil", "A*B (Labs)", "ann@example.net"),
]
SUBJECTS = [None, "Invoice #1234 query", "Meeting room for 6", "Tour of Kraków", "Day pass"]
BODIES = [
    "Hi, is there parking?",
    "Czy jest parking rowerowy?",
    "Can I book the boardroom?",
    "<p>Hello <b>team</b></p>",
    "Ok",
]
TERMS = [
    "wiśniew", "WIŚNIEW", "müller", "zoë", "7700", "900123", "+447700900123", "7700 900",
    "parking", "park", "pa", "p", "invoice #12", "100%", "design_co", "_", "%", '"works"',
    "a*b", "(labs)", "o'neil", "kraków", "krakow", "ελένη", "room 6", "example.com", "ok",
    "nothing-like-this", "ar ki", "***", "AND", "OR x", "NEAR(a b)", "^x", "a:b",
]  # fmt: skip


def record(aiconvos, rng: random.Random, count: int) -> None:
    for n in range(count):
        name, company, identifier = rng.choice(PEOPLE)
        conversation = aiconvos.start_conversation(
            channel=rng.choice(["chat", "email", "whatsapp"]),
            origin="customer_reply",
            subject=rng.choice(SUBJECTS),
            customer_id=f"C-{n}" if name else None,
            customer_name=name,
            customer_company=company,
            external_identifier=identifier,
            started_at=FIXED_NOW - timedelta(hours=n + 1),
        )
        if rng.random() < 0.8:
            aiconvos.add_message(
                conversation.id,
                sender="customer",
                body=rng.choice(BODIES),
                content_format="html" if rng.random() < 0.3 else "text",
                sent_at=FIXED_NOW - timedelta(hours=n),
            )


def ids_for(session, term: str, *, indexed: bool) -> set[int]:
    filters = parse_list_args({"search": term}, timezone="UTC", now=FIXED_NOW, tenant=None)
    where = queries.conditions(filters, indexed=indexed and search_index.enabled(session))
    return set(session.scalars(sa.select(Conversation.id).where(*where)))


def expected_ids(session, term: str) -> set[int]:
    """Every word (or, for a phone-like word, its digits) is a substring of the search text or
    of one of the conversation's messages' search text."""
    filters = parse_list_args({"search": term}, timezone="UTC", now=FIXED_NOW, tenant=None)
    found = set()
    for conversation in session.scalars(sa.select(Conversation)):
        texts = [conversation.search_text] + list(
            session.scalars(
                sa.select(Message.search_text).where(Message.conversation_id == conversation.id)
            )
        )
        if all(
            any(alt in text for text in texts for alt in word_alternatives(word))
            for word in filters.search_words
        ):
            found.add(conversation.id)
    return found


def test_the_index_finds_exactly_what_a_scan_finds(app, aiconvos, db) -> None:
    record(aiconvos, random.Random(1), 80)
    session = db.session
    assert search_index.enabled(session) == (db.engine.dialect.name == "sqlite")
    for term in TERMS:
        expected = expected_ids(session, term)
        assert ids_for(session, term, indexed=False) == expected, term
        assert ids_for(session, term, indexed=True) == expected, term


def test_the_index_follows_updates_and_deletes(app, aiconvos, db) -> None:
    conversation = aiconvos.start_conversation(
        channel="chat", origin="portal_chat", started_at=FIXED_NOW - timedelta(hours=1)
    )
    session = db.session
    assert ids_for(session, "zanzibar", indexed=True) == set()
    aiconvos.add_message(conversation.id, sender="customer", body="Flights to Zanzibar?")
    assert ids_for(session, "zanzibar", indexed=True) == {conversation.id}
    # An earlier message becomes the first one: the preview (and the search text) change.
    aiconvos.add_message(
        conversation.id,
        sender="customer",
        body="Hello from Reykjavík",
        sent_at=FIXED_NOW - timedelta(hours=2),
    )
    # Zanzibar is no longer in the first message, still in a message (0.2 searches them all).
    assert ids_for(session, "zanzibar", indexed=True) == {conversation.id}
    assert ids_for(session, "reykjavík", indexed=True) == {conversation.id}
    with db.engine.begin() as connection:
        connection.execute(
            sa.delete(Conversation.__table__).where(Conversation.id == conversation.id)
        )
    assert ids_for(session, "reykjavík", indexed=True) == set()


def test_search_pages_use_the_index_on_sqlite(app, aiconvos, db, client) -> None:
    record(aiconvos, random.Random(2), 30)
    with count_queries(db.engine) as statements:
        response = client.get(
            "/admin/ai-conversations/?search=wi%C5%9Bniew", headers={"X-Test-User": "admin"}
        )
    assert response.status_code == 200
    uses_index = [s for s in statements if search_index.FTS_TABLE in s]
    if db.engine.dialect.name == "sqlite":
        # The matches are found once (queries.search_matches); the metrics, the chart's figures
        # and the page of rows reuse them.
        assert len(uses_index) == 1
    else:
        assert uses_index == []
    with count_queries(db.engine) as statements:
        client.get("/admin/ai-conversations/?search=wi", headers={"X-Test-User": "admin"})
    assert not [s for s in statements if search_index.FTS_TABLE in s]


def test_match_query() -> None:
    # A word is one phrase of its trigrams (exact, since 0006), any alternative, all words.
    assert search_index.match_query([["ab"]]) is None
    assert search_index.match_query([["abc"]]) == '"abc"'
    assert search_index.match_query([["abcd"], ["x"]]) == '"abcd"'
    assert search_index.match_query([['a"bc']]) == '"a""bc"'
    assert search_index.match_query([["+4477", "4477"]]) == '("+4477" OR "4477")'
    assert search_index.match_query([["abc"], ["def"]]) == '"abc" AND "def"'
    assert search_index.match_query([["+44", "44"]]) is None


def test_schema_objects_are_kept_out_of_autogenerate() -> None:
    assert search_index.managed_elsewhere("aiconvos_search", "table")
    assert search_index.managed_elsewhere("aiconvos_search_data", "table")
    assert search_index.managed_elsewhere(search_index.TRIGRAM_INDEX, "index")
    assert not search_index.managed_elsewhere("aiconvos_conversation", "table")
    assert not search_index.managed_elsewhere("ix_aiconvos_conversation_activity", "index")


def test_the_migration_indexes_existing_conversations(app, aiconvos, db) -> None:
    """Conversations recorded before 0002 are searchable through the index and counted."""
    engine = db.engine
    record(aiconvos, random.Random(3), 25)
    terms = ("müller", "parking", "7700", "tour")
    before = {term: expected_ids(db.session, term) for term in terms}
    table = Conversation.__table__
    with engine.connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(sa.select(table))]
    # Columns added after 0001 (conversation keys, 0004; outcome masks, 0007, filled by their
    # migration) are left out.
    later = {"external_id", "outcome_mask"}
    rows = [{key: value for key, value in row.items() if key not in later} for row in rows]
    everything = parse_list_args({}, timezone="UTC", now=FIXED_NOW, tenant=None)
    metrics = [(m.key, m.count) for m in queries.overview(db.session, everything).metrics]
    db.session.remove()
    reset_tables(engine)
    migration.upgrade("0001", engine=engine)
    at_0001 = sa.table(table.name, *(sa.column(name, table.c[name].type) for name in rows[0]))
    with engine.begin() as connection:
        connection.execute(sa.insert(at_0001), rows)
    migration.upgrade("head", engine=engine)
    session = db.session
    assert search_index.enabled(session) == (engine.dialect.name == "sqlite")
    for term, expected in before.items():
        assert ids_for(session, term, indexed=True) == expected, term
    assert [(m.key, m.count) for m in queries.overview(session, everything).metrics] == metrics
    assert metrics[0] == ("total", 25)


def test_without_trigram_support_search_scans_with_a_warning(database_url, monkeypatch) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the SQLite fallback")
    monkeypatch.setattr(search_index, "_sqlite_has_trigram", lambda connection: False)
    app, aiconvos = make_host_app(database_url)
    with app.app_context():
        engine = app.extensions["test_db"].engine
        reset_tables(engine)
        with pytest.warns(search_index.SearchIndexWarning, match="trigram"):
            aiconvos.create_all()
        names = set(sa.inspect(engine).get_table_names())
        assert search_index.FTS_TABLE not in names
        record(aiconvos, random.Random(4), 10)
        session = app.extensions["test_db"].session
        assert not search_index.enabled(session)
        expected = expected_ids(session, "müller")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            response = app.test_client().get(
                "/admin/ai-conversations/?search=m%C3%BCller", headers={"X-Test-User": "admin"}
            )
        assert response.status_code == 200
        assert response.get_data(as_text=True).count("data-conversation-id=") == len(expected)
        session.remove()
        engine.dispose()


def test_create_all_builds_the_index_for_the_backend(app, db) -> None:
    inspector = sa.inspect(db.engine)
    if db.engine.dialect.name == "sqlite":
        assert search_index.FTS_TABLE in inspector.get_table_names()
    else:
        indexes = {index["name"] for index in inspector.get_indexes("aiconvos_conversation")}
        assert search_index.TRIGRAM_INDEX in indexes
    db.session.remove()
    reset_tables(db.engine)
    inspector = sa.inspect(db.engine)
    assert not [n for n in inspector.get_table_names() if n.startswith("aiconvos_")]


def test_without_pg_trgm_search_scans_with_a_warning(database_url, monkeypatch) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("the PostgreSQL fallback")
    monkeypatch.setattr(search_index, "TRIGRAM_EXTENSION", "aiconvos_no_such_extension")
    app, aiconvos = make_host_app(database_url)
    with app.app_context():
        db = app.extensions["test_db"]
        reset_tables(db.engine)
        with pytest.warns(search_index.SearchIndexWarning, match="scan"):
            aiconvos.create_all()
        indexes = {i["name"] for i in sa.inspect(db.engine).get_indexes("aiconvos_conversation")}
        assert search_index.TRIGRAM_INDEX not in indexes
        record(aiconvos, random.Random(5), 10)
        assert ids_for(db.session, "müller", indexed=True) == expected_ids(db.session, "müller")
        db.session.remove()
        reset_tables(db.engine)
        db.engine.dispose()
