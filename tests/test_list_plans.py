"""Every way of reading a page (sorting a range, walking an index, probing the search index)
gives the same rows, in the same order, as a brute-force sort of the matching conversations."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa
from support.hosts import FIXED_NOW
from support.sql import captured_statements, count_queries, query_plan

from flask_aiconvos import counters, plans, queries, trends
from flask_aiconvos.list_request import ListFilters, parse_list_args
from flask_aiconvos.models import Conversation, Message
from flask_aiconvos.search_text import word_alternatives

PAGE_SIZE = 7
WORDS = ["parking", "invoice", "tour", "desk", "wiśniewski", "müller"]
VIEWS = [
    {},
    {"channel": "whatsapp"},
    {"range": "this_month"},
    {"range": "last_month", "channel": "chat"},
    {"from": "2026-09-01", "to": "2026-10-15"},
    {"search": "parking"},
    {"search": "desk", "channel": "email"},
    {"search": "tour", "range": "this_month"},
    {"search": "7700"},
    {"search": "wi"},
]


def record(aiconvos, count: int) -> None:
    rng = random.Random(11)
    for n in range(count):
        started = FIXED_NOW - timedelta(days=rng.randint(0, 90), minutes=rng.randint(0, 1440))
        conversation = aiconvos.start_conversation(
            channel=rng.choice(["chat", "email", "whatsapp"]),
            origin="customer_reply",
            subject=" ".join(rng.sample(WORDS, 2)) if rng.random() < 0.7 else None,
            external_identifier=f"+44 7700 9{n:05d}",
            started_at=started,
            tenant=rng.choice(["a", "b"]),
        )
        for m in range(rng.randint(0, 2)):
            aiconvos.add_message(
                conversation.id,
                sender="customer",
                body=f"Message {m} about {rng.choice(WORDS)}",
                # Some activity ties, some activity before the start.
                sent_at=min(started + timedelta(hours=rng.choice([-1, 1, 1, 5])), FIXED_NOW),
            )


def brute_force(session, filters: ListFilters) -> list[int]:
    rows = []
    texts: dict[int, list[str]] = {}
    for owner, text in session.execute(sa.select(Message.conversation_id, Message.search_text)):
        texts.setdefault(owner, []).append(text)
    for c in session.scalars(sa.select(Conversation)):
        if filters.tenant is not None and c.tenant != filters.tenant:
            continue
        if filters.channel is not None and c.channel != filters.channel:
            continue
        if filters.started_from is not None and c.started_at < filters.started_from:
            continue
        if filters.started_to is not None and c.started_at >= filters.started_to:
            continue
        searched = [c.search_text, *texts.get(c.id, [])]
        if not all(
            any(alt in text for text in searched for alt in word_alternatives(word))
            for word in filters.search_words
        ):
            continue
        rows.append(c)
    rows.sort(key=lambda c: (c.last_activity_at, c.id), reverse=True)
    return [c.id for c in rows]


@pytest.mark.parametrize("walk_search", [True, False])
@pytest.mark.parametrize("sort_ranges", [True, False])
def test_every_plan_gives_the_brute_force_page(
    app, aiconvos, db, monkeypatch, walk_search, sort_ranges
) -> None:
    record(aiconvos, 80)
    monkeypatch.setattr(plans, "walk_for_search", lambda *args: walk_search)
    monkeypatch.setattr(plans, "RANGE_SORT_LIMIT", 10**9 if sort_ranges else 0)
    session = db.session
    for tenant in (None, "a"):
        for args in VIEWS:
            filters = parse_list_args(args, timezone="Europe/Berlin", now=FIXED_NOW, tenant=tenant)
            expected = brute_force(session, filters)
            total = queries.overview(session, filters).total
            assert total == len(expected), (args, tenant)
            for page in range(0, total // PAGE_SIZE + 2):
                rows = queries.page_of_rows(
                    session, filters, page=page, page_size=PAGE_SIZE, total=total, now=FIXED_NOW
                )
                want = expected[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
                assert [row.id for row in rows] == want, (args, tenant, page)


def test_sqlite_plans_are_the_intended_ones(app, aiconvos, db, monkeypatch) -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("plans are steered on SQLite only")
    record(aiconvos, 30)
    session = db.session

    def statement_for(args: dict, total: int) -> str:
        filters = parse_list_args(args, timezone="UTC", now=FIXED_NOW, tenant=None)
        with count_queries(db.engine) as statements:
            queries.page_of_rows(
                session, filters, page=0, page_size=PAGE_SIZE, total=total, now=FIXED_NOW
            )
        return statements[-1]  # a search's matches are found first (queries.search_matches)

    monkeypatch.setattr(plans, "walk_for_search", lambda *args: True)
    assert "+aiconvos_conversation.id IN" in statement_for({"search": "parking"}, 10)
    monkeypatch.setattr(plans, "walk_for_search", lambda *args: False)
    assert "+aiconvos_conversation.id" not in statement_for({"search": "parking"}, 10)
    old = {"from": "2026-09-01", "to": "2026-09-30"}
    assert "ORDER BY +aiconvos_conversation.last_activity_at" in statement_for(old, 10)
    walked = statement_for(old, plans.RANGE_SORT_LIMIT + 1)
    assert "+aiconvos_conversation.started_at >=" in walked
    assert "ORDER BY aiconvos_conversation.last_activity_at" in walked
    monkeypatch.undo()
    assert plans.walk_for_search(25, 5_000, "last_activity_at")
    assert not plans.walk_for_search(25, 50, "last_activity_at")
    assert not plans.walk_for_search(5_025, 8_000, "last_activity_at")


def test_sqlite_counts_a_cut_range_from_the_start_ordered_index(app, aiconvos, db) -> None:
    """The conversations of a range's part-days are counted from the start-ordered index (the
    counts are in it), not by scanning the channel-ordered one for its group order."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("plans are steered on SQLite only")
    record(aiconvos, 30)
    with captured_statements(db.engine) as seen:
        totals = counters.channel_totals(
            db.session,
            tenant=None,
            started_from=FIXED_NOW - timedelta(days=20, hours=5, minutes=7),
            started_to=FIXED_NOW - timedelta(days=3, hours=7, minutes=11),
        )
    assert totals
    [(statement, parameters)] = seen
    plan = query_plan(db.session.connection(), statement, parameters)
    assert "ix_aiconvos_conversation_started" in plan, plan
    assert "SCAN aiconvos_conversation" not in plan, plan


@pytest.mark.parametrize("scope", [{"channel": "whatsapp"}, {"tenant": "a"}])
def test_sqlite_counts_a_zones_part_hours_by_start_in_a_tab_or_tenant(
    app, aiconvos, db, scope
) -> None:
    """In a zone whose offset is not a whole number of half-hours (+5:45) the trends count
    what is left at each edge from the conversations: through the start-ordered index, not by
    scanning every conversation of the tab's channel or the operator's tenant in their
    activity-ordered ones."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("plans are steered on SQLite only")
    record(aiconvos, 30)
    zone = "Asia/Kathmandu"
    filters = parse_list_args(
        {"range": "this_month", **{k: v for k, v in scope.items() if k == "channel"}},
        timezone=zone,
        now=FIXED_NOW,
        tenant=scope.get("tenant"),
    )
    with captured_statements(db.engine) as seen:
        trends.overview_and_trends(db.session, filters, timezone=zone, now=FIXED_NOW)
    [counted] = [(sql, params) for sql, params in seen if "AS piece" in sql]
    plan = query_plan(db.session.connection(), *counted)
    assert "ix_aiconvos_conversation_started" in plan, plan
    assert "_activity" not in plan, plan


def test_postgresql_gets_a_searchs_matches_as_one_constant_array(app, aiconvos, db) -> None:
    """Sent as text without a type, the ids are parsed once, as the statement is: a constant
    array the planner can count and hash. Cast from ``varchar`` they would be parsed again for
    each row they filter."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the ids are an array on PostgreSQL only")
    record(aiconvos, 30)
    filters = parse_list_args({"search": "parking"}, timezone="UTC", now=FIXED_NOW, tenant=None)
    with captured_statements(db.engine) as seen:
        rows = queries.page_of_rows(
            db.session, filters, page=0, page_size=PAGE_SIZE, total=30, now=FIXED_NOW
        )
    assert rows
    statement, parameters = seen[-1]
    assert "::VARCHAR" not in statement
    plan = query_plan(db.session.connection(), statement, parameters)
    assert "'::bigint[]" in plan, plan
    assert "::text)::bigint[]" not in plan and "character varying)::bigint[]" not in plan, plan
