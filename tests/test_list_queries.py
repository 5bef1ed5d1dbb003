"""The list page runs a small, fixed number of SQL statements, whatever the page size or data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from support.hosts import FIXED_NOW
from support.http import soup
from support.listing import get_list, row_ids, start
from support.sql import count_queries

from flask_aiconvos import AIConversations

#: The grouped overview (metrics, tabs, comparison, total), the trends (chart and previous
#: period), the page of rows, the page's badges.
MAX_STATEMENTS = 4


def search_statements(engine) -> int:
    """A search adds the lookup of its one word's matches, which the others reuse
    (``queries.search_matches``), and the best-matching message of each row, for its excerpt."""
    return MAX_STATEMENTS + 2


def seed(aiconvos: AIConversations, count: int, offset: int = 0) -> None:
    """Conversations with everything a row can show: messages, conversions of every kind (some
    several times), inbox items and escalations, over several channels."""
    channels = ["chat", "email", "whatsapp", "voice", "email_message", "help_desk"]
    kinds = ["tour", "customer", "contract", "booking", "day_pass"]
    for n in range(offset, offset + count):
        conversation = start(
            aiconvos,
            channel=channels[n % len(channels)],
            customer_id=f"C-{n}" if n % 2 else None,
            customer_name=f"Customer {n}" if n % 2 else None,
            external_identifier=f"person{n}@example.com",
            started_at=FIXED_NOW - timedelta(hours=n + 1),
        )
        for m in range(2):
            aiconvos.add_message(
                conversation.id,
                sender="customer" if m == 0 else "ai",
                body=f"Message {m} of {n}",
                sent_at=FIXED_NOW - timedelta(hours=n + 1) + timedelta(minutes=m),
            )
        for k, kind in enumerate(kinds[: 1 + n % len(kinds)]):
            for copy in range(1 + k % 2):
                aiconvos.record_conversion(
                    conversation.id, kind=kind, target_id=f"{kind}-{n}-{copy}"
                )
        aiconvos.link_inbox_item(conversation.id, item_id=f"INB-{n}", status="approved")
        if n % 3 == 0:
            aiconvos.escalate(conversation.id, ticket_id=f"T-{n}", subject="Help")


def statements_for(client, engine, user: str = "admin", **params) -> tuple[list[str], int]:
    with count_queries(engine) as statements:
        response = get_list(client, user, **params)
    return list(statements), len(row_ids(soup(response)))


VIEWS = [
    {},
    {"channel": "whatsapp"},
    {"search": "example.com"},
    {"range": "this_month", "channel": "chat"},
    {"page": "1"},
]


def test_the_statement_count_does_not_grow_with_page_size_or_data(
    client, app, aiconvos: AIConversations, db
) -> None:
    view = app.extensions["aiconvos"].view
    counts: dict[tuple[int, int, str], int] = {}

    def measure(data_size: int) -> None:
        for page_size in (5, 50):
            view.page_size = page_size
            for params in VIEWS:
                statements, rows = statements_for(client, db.engine, **params)
                if rows:
                    counts[(data_size, page_size, repr(params))] = len(statements)
                else:  # a page past the end needs only the overview and the trends
                    assert params == {"page": "1"} and data_size <= page_size
                    assert len(statements) == 2

    seed(aiconvos, 5)
    measure(5)
    seed(aiconvos, 55, offset=5)
    measure(60)

    assert len(counts) == 2 * 2 * len(VIEWS) - 2
    expected = {
        key: search_statements(db.engine) if "'search'" in key[2] else MAX_STATEMENTS
        for key in counts
    }
    assert counts == expected
    # The big page really listed 50 rows: the count did not stay flat by listing less.
    view.page_size = 50
    assert statements_for(client, db.engine)[1] == 50


def test_the_viewer_without_link_roles_runs_the_same_statements(
    client, aiconvos: AIConversations, db
) -> None:
    seed(aiconvos, 8)

    admin, _ = statements_for(client, db.engine, "admin")
    viewer, _ = statements_for(client, db.engine, "viewer")

    assert len(viewer) == len(admin) == MAX_STATEMENTS


def test_a_page_without_conversions_skips_the_badge_query(
    client, aiconvos: AIConversations, db
) -> None:
    for n in range(4):
        start(aiconvos, started_at=FIXED_NOW - timedelta(hours=n))

    statements, rows = statements_for(client, db.engine)

    assert rows == 4
    assert len(statements) == 3
    assert not any("aiconvos_conversion" in s for s in statements)


def test_only_a_search_reads_the_messages(client, aiconvos: AIConversations, db) -> None:
    seed(aiconvos, 6)

    statements, _ = statements_for(client, db.engine)
    assert not any("aiconvos_message" in s for s in statements)
    # A search looks in every message (0.2), and reads each row's best message for its excerpt.
    statements, _ = statements_for(client, db.engine, search="message")
    assert any("aiconvos_message" in s for s in statements)
    assert len(statements) == search_statements(db.engine)
    assert all(s.lstrip().upper().startswith("SELECT") for s in statements)


@pytest.mark.parametrize("params", [{}, {"range": "this_month"}], ids=["all-time", "this-month"])
def test_a_search_counts_its_conversations_once(client, aiconvos: AIConversations, db, params):
    """Its metrics, tabs, comparison, previous period and chart come from one reading of the
    matching conversations (``trends.overview_and_trends``), not one for each."""
    seed(aiconvos, 12)

    statements, rows = statements_for(client, db.engine, search="message", **params)

    counting = [
        s for s in statements if "count(*)" in s.lower() and "FROM aiconvos_conversation" in s
    ]
    assert rows and len(counting) == 1, statements
