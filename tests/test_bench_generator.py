"""The benchmark's bulk generator leaves exactly the state the recording API leaves.

The same seeded plans are written twice into the same database: once with ``bench.generate.load``
(bulk inserts), once through the public recording API (``bench.generate.replay``). Every table and
the screens built from them (list pages, metrics, tabs, a search, a date range, timelines) must be
identical.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from support.hosts import FIXED_NOW, reset_tables
from support.http import as_user, soup

from flask_aiconvos.models import metadata

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import import_speed
from bench.generate import Generator, load, replay

CONVERSATIONS = 60
LONG = 40
PAGES = (
    "/admin/ai-conversations/",
    "/admin/ai-conversations/?page=1",
    "/admin/ai-conversations/?page=2",
    "/admin/ai-conversations/?channel=whatsapp&range=this_month",
    "/admin/ai-conversations/?channel=email",
    "/admin/ai-conversations/?range=last_month",
    "/admin/ai-conversations/?search=hot+desk",
    "/admin/ai-conversations/?search=7700",
    "/admin/ai-conversations/?from=2026-01-01&to=2026-06-30",
)


@pytest.fixture
def app_config() -> dict:
    return {"AICONVOS_PAGE_SIZE": 10}


def _plans():
    return Generator(CONVERSATIONS, seed=7, now=FIXED_NOW, years=1.0, long_conversation=LONG)


def _tables(engine: sa.Engine) -> dict[str, list[tuple]]:
    with engine.connect() as connection:
        return {
            table.name: [
                tuple(row)
                for row in connection.execute(sa.select(table).order_by(*table.primary_key))
            ]
            for table in metadata.sorted_tables
        }


def _screens(client, conversation_ids: list[int]) -> dict[str, list[str]]:
    screens: dict[str, list[str]] = {}
    for url in PAGES:
        page = soup(client.get(url, headers=as_user("admin")))
        screens[url] = [str(el) for el in page.select("[data-metric], [data-channel-tab]")]
        screens[url] += [str(row) for row in page.select("tr[data-conversation-id]")]
    for conversation_id in conversation_ids:
        url = f"/admin/ai-conversations/details/?id={conversation_id}"
        page = soup(client.get(url, headers=as_user("admin")))
        screens[url] = [
            str(el) for el in page.select("[data-message-id], [data-inbox-item], [data-ticket]")
        ]
    return screens


def _index_names(engine: sa.Engine) -> set[str]:
    inspector = sa.inspect(engine)
    return {
        index["name"]
        for table in metadata.sorted_tables
        for index in inspector.get_indexes(table.name)
    }


def test_bulk_load_matches_the_recording_api(app, aiconvos, db):
    engine = db.engine
    indexes = _index_names(engine)
    stats = load(engine, _plans())
    assert stats.conversations == CONVERSATIONS
    assert stats.messages > 2 * CONVERSATIONS + LONG
    assert stats.conversions and stats.inbox_items and stats.tickets
    assert _index_names(engine) == indexes
    bulk_tables = _tables(engine)
    client = app.test_client()
    with engine.connect() as connection:
        long_id = connection.execute(
            sa.text("SELECT id FROM aiconvos_conversation ORDER BY message_count DESC LIMIT 1")
        ).scalar_one()
    shown = [1, 2, 3, long_id, CONVERSATIONS]
    bulk_screens = _screens(client, shown)
    assert any("tr data-conversation-id" in part for part in bulk_screens[PAGES[0]])

    db.session.remove()
    reset_tables(engine)
    aiconvos.create_all()
    with app.app_context():
        assert replay(aiconvos, _plans()) == CONVERSATIONS
        db.session.remove()

    assert _tables(engine) == bulk_tables
    assert _screens(client, shown) == bulk_screens


def test_generator_is_deterministic_and_varied():
    first, second = list(_plans()), list(_plans())
    assert first == second
    assert {plan.channel for plan in first} >= {"chat", "email", "whatsapp"}
    assert any(plan.tenant is None for plan in Generator(400, seed=1, now=FIXED_NOW))
    names = " ".join(plan.customer_name or "" for plan in Generator(400, seed=1, now=FIXED_NOW))
    assert not names.isascii()
    starts = [plan.started_at for plan in first]
    assert starts == sorted(starts) and starts[-1] < FIXED_NOW
    assert max(len(plan.messages) for plan in first) == LONG
    for plan in first:
        times = [message.sent_at for message in plan.messages]
        assert times == sorted(times) and (not times or times[-1] <= FIXED_NOW)


def test_the_import_benchmark_leaves_the_database_as_it_was(app, db, database_url):
    load(db.engine, Generator(30, seed=5, now=FIXED_NOW, years=0.5))
    before = _tables(db.engine)
    result = import_speed.measure(database_url, new=12, seed=3)
    assert result["stored_before"] == 30 and result["conversations"] == 12
    assert result["messages"] > 12 and result["floor_s"] > 0 and result["import_s"] > 0
    db.session.remove()
    assert _tables(db.engine) == before
