"""``AICONVOS_BIND_KEY``: the extension's tables in a database of their own, the host's untouched."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from support.hosts import FIXED_NOW, make_host_app, postgres_database, reset_tables
from support.http import as_user, soup
from support.readme import code_blocks
from support.sql import access_log

from flask_aiconvos import AIConversations, ConfigurationError, migration

BIND = "conversations"
LIST = "/admin/ai-conversations/"


@pytest.fixture
def bind_url(database_url: str, tmp_path) -> Iterator[str]:
    """A second database beside the host's default one (a file, or a PostgreSQL database)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'conversations.db'}"
        return
    url = postgres_database(database_url, f"{sa.make_url(database_url).database}_bind")
    engine = sa.create_engine(url)
    reset_tables(engine)
    yield url
    reset_tables(engine)
    engine.dispose()


@pytest.fixture
def app_config(bind_url: str) -> dict:
    return {"SQLALCHEMY_BINDS": {BIND: bind_url}, "AICONVOS_BIND_KEY": BIND}


def extension_tables(engine: sa.Engine) -> set[str]:
    return {name for name in sa.inspect(engine).get_table_names() if name.startswith("aiconvos")}


@pytest.fixture(autouse=True)
def engines(app, db) -> Iterator[tuple[sa.Engine, sa.Engine]]:
    """The host's default engine and the bind's (closed after the test: the app fixture
    closes only the default one)."""
    with app.app_context():
        default, bound = db.engines[None], db.engines[BIND]
    yield default, bound
    with app.app_context():
        AIConversations.state(app).extension.flush_access_log()  # written on the bind
    bound.dispose()


def test_create_all_puts_every_table_on_the_bind(engines) -> None:
    default, bound = engines
    assert extension_tables(default) == set()
    assert {"aiconvos_conversation", "aiconvos_message", "aiconvos_counter"} <= extension_tables(
        bound
    )


def test_the_migrations_follow_the_bind(app, aiconvos, engines) -> None:
    default, bound = engines
    with app.app_context():
        aiconvos.drop_all()
    assert extension_tables(bound) == set()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["aiconvos", "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert migration.VERSION_TABLE in extension_tables(bound)
    assert "aiconvos_conversation" in extension_tables(bound)
    assert extension_tables(default) == set()
    current = runner.invoke(args=["aiconvos", "db", "current"])
    assert current.exit_code == 0 and current.output.strip()


def _record(aiconvos: AIConversations) -> int:
    conversation = aiconvos.start_conversation(
        channel="email",
        origin="customer_reply",
        subject="Meeting room with a screen",
        customer_id="C-1",
        customer_name="Chloé Martin",
        external_identifier="chloe@example.com",
        started_at=FIXED_NOW - timedelta(hours=2),
    )
    aiconvos.add_message(
        conversation.id,
        sender="customer",
        body="<p>Do you have a <b>meeting room</b> for six?</p>",
        content_format="html",
        sent_at=FIXED_NOW - timedelta(hours=2),
    )
    aiconvos.add_message(conversation.id, sender="ai", body="We do: the Loft.")
    aiconvos.record_conversion(conversation.id, kind="tour", target_id="T-1")
    aiconvos.link_inbox_item(conversation.id, item_id="INB-1", status="pending", title="Quote")
    aiconvos.escalate(conversation.id, ticket_id="HD-1", subject="Wants a discount")
    return conversation.id


def test_every_screen_and_call_uses_the_bind(app, aiconvos, client, engines) -> None:
    default, bound = engines
    conversation_id = _record(aiconvos)

    listing = soup(client.get(LIST, headers=as_user("admin")))
    assert listing.select_one('[data-metric="total"]')["data-count"] == "1"
    assert listing.select_one('[data-metric="tours"]')["data-count"] == "1"
    escalated = soup(
        client.get(LIST, query_string={"outcome": "escalated"}, headers=as_user("admin"))
    )
    assert escalated.select_one('[data-metric="total"]')["data-count"] == "1"
    found = soup(client.get(LIST, query_string={"search": "screen"}, headers=as_user("admin")))
    assert [row["data-conversation-id"] for row in found.select("tr[data-conversation-id]")] == [
        str(conversation_id)
    ]
    timeline = soup(
        client.get(
            f"{LIST}details/", query_string={"id": conversation_id}, headers=as_user("admin")
        )
    )
    assert len(timeline.select("[data-message-id]")) == 2
    opened_from_search = soup(
        client.get(
            f"{LIST}details/",
            query_string={"id": conversation_id, "search": "screen"},
            headers=as_user("admin"),
        )
    )
    assert opened_from_search.select_one('[data-nav="list"]') is not None
    assert opened_from_search.select_one("[data-nav-position]") is not None
    metrics = client.get(f"{LIST}metrics.json", headers=as_user("admin")).get_json()
    assert metrics["total"] == 1
    export = client.get(f"{LIST}export.csv", headers=as_user("exporter"))
    assert export.status_code == 200 and "Meeting room with a screen" in export.get_data(True)
    lines = client.get(f"{LIST}export.jsonl", headers=as_user("exporter")).get_data(True)
    record = json.loads(lines.splitlines()[0])
    assert [message["body"] for message in record["messages"]][1] == "We do: the Loft."
    assert [e.action for e in access_log(app)][:3] == ["list", "list", "search"]

    with app.app_context():
        assert [c.id for c in aiconvos.conversations_for(customer_id="C-1")] == [conversation_id]
        record["external_id"] = "copy-1"
        report = aiconvos.import_json_lines(io.StringIO(json.dumps(record) + "\n"))
        assert (report.conversations, report.messages, report.errors) == (1, 2, []), report
        assert aiconvos.rebuild_counters() >= 1
        assert aiconvos.erase(customer_id="C-1") == 2
        assert aiconvos.purge(before=FIXED_NOW + timedelta(days=1)) == 0
        assert aiconvos.purge_access_log(before=FIXED_NOW + timedelta(days=3650)) >= 1
    after = soup(client.get(LIST, headers=as_user("admin")))
    assert after.select_one('[data-metric="total"]')["data-count"] == "0"
    assert extension_tables(default) == set()


def test_a_bind_key_that_is_not_a_bind_is_refused(database_url: str) -> None:
    with pytest.raises(
        ConfigurationError, match="'other' is not a key of SQLALCHEMY_BINDS"
    ) as error:
        make_host_app(
            database_url, SQLALCHEMY_BINDS={"archive": "sqlite://"}, AICONVOS_BIND_KEY="other"
        )
    assert "'archive'" in str(error.value)
    with pytest.raises(ConfigurationError, match="AICONVOS_BIND_KEY must be a non-empty string"):
        make_host_app(database_url, AICONVOS_BIND_KEY="  ")


def test_apps_in_one_process_each_use_their_own_choice(app, aiconvos, client, tmp_path) -> None:
    _record(aiconvos)
    plain, plain_aiconvos = make_host_app(f"sqlite:///{tmp_path / 'plain.db'}")
    with plain.app_context():
        plain_aiconvos.create_all()
        assert "aiconvos_conversation" in extension_tables(plain.extensions["test_db"].engine)
    plain_list = soup(plain.test_client().get(LIST, headers=as_user("admin")))
    assert plain_list.select_one('[data-metric="total"]')["data-count"] == "0"
    bound_list = soup(client.get(LIST, headers=as_user("admin")))
    assert bound_list.select_one('[data-metric="total"]')["data-count"] == "1"
    with plain.app_context():
        plain.extensions["test_db"].engine.dispose()


def test_the_readme_example_keeps_the_host_database_clean(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "readme_host"}
    exec(compile(code_blocks("A database of its own")[0], "README.md", "exec"), namespace)
    app, db, aiconvos = namespace["app"], namespace["db"], namespace["aiconvos"]
    with app.app_context():
        aiconvos.create_all()
        aiconvos.start_conversation(channel="chat", origin="portal_chat", subject="Hello")
        assert extension_tables(db.engines[None]) == set()
        assert "aiconvos_conversation" in extension_tables(db.engines["conversations"])
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
