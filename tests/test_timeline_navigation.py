"""From a list row to its timeline and on through the same list: previous, next and back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.hosts import DATABASES, FIXED_NOW, tenant_of_current_user
from support.http import as_user, soup
from support.listing import LIST_URL, start
from support.security import host_factory, module_database
from support.sql import count_queries

from flask_aiconvos import AIConversations
from flask_aiconvos.list_request import FILTER_PARAMETERS, ORDER_PARAMETERS
from flask_aiconvos.views import ConversationView

DETAILS = LIST_URL + "details/"
PAGE_SIZE = 3
#: The parameters a list page's links carry (and so the timeline's).
LIST_PARAMETERS = {*FILTER_PARAMETERS, *ORDER_PARAMETERS, "page"}


class StartedView(ConversationView):
    """The list with a sortable Started column, to walk both sort columns."""

    column_list = (*ConversationView.column_list, "started_at")
    column_sortable_list = ("last_activity_at", "started_at")


ACTIVITY = str(StartedView.column_list.index("last_activity_at"))
STARTED = str(StartedView.column_list.index("started_at"))

#: Lists to walk: every sort column in both directions, with and without each filter.
LISTS: list[tuple[str, dict[str, str]]] = [
    ("admin", {}),
    ("admin", {"sort": ACTIVITY}),
    ("admin", {"sort": STARTED, "desc": "1"}),
    ("admin", {"sort": STARTED}),
    ("admin", {"channel": "chat"}),
    ("admin", {"search": "alpha", "sort": STARTED}),
    ("admin", {"range": "7d", "sort": ACTIVITY}),
    ("admin", {"from": "2026-11-01", "to": "2026-11-17", "channel": "email"}),
    ("tenant_a", {}),
    ("tenant_a", {"search": "alpha", "sort": STARTED, "desc": "1"}),
]


def ago(days: float) -> Any:
    return FIXED_NOW - timedelta(days=days)


@pytest.fixture(scope="module", params=DATABASES)
def host(request: pytest.FixtureRequest) -> Iterator[tuple[Flask, AIConversations, dict]]:
    with module_database(request.param) as url, host_factory(url) as build:
        app, ext = build(
            view_class=StartedView,
            scope=tenant_of_current_user,
            AICONVOS_PAGE_SIZE=PAGE_SIZE,
            AICONVOS_TIMELINE_PAGE_SIZE=2,
        )
        named: dict[str, int] = {}
        with app.app_context():
            # Three conversations tied on both sort columns (no messages: activity = start).
            for n in range(3):
                tie = start(ext, channel="chat", subject=f"tie alpha {n}", started_at=ago(2))
                named[f"tie{n}"] = tie.id
            plan = [
                ("email", "alpha mail", 1, None, "a"),
                ("chat", "beta chat", 20, 0.5, "a"),
                ("whatsapp", "alpha wa", 3, 0.5, "b"),
                ("email", "gamma", 5, 4, None),
                ("chat", "alpha old", 40, 10, "a"),
                ("email", "delta", 9, 0.2, "b"),
                ("chat", "alpha new", 0.1, None, "a"),
                ("email", "alpha both", 12, 6, "a"),
            ]
            for channel, subject, started, active, tenant in plan:
                conversation = start(
                    ext, channel=channel, subject=subject, started_at=ago(started), tenant=tenant
                )
                if active is not None:
                    ext.add_message(
                        conversation.id, sender="customer", body="hi", sent_at=ago(active)
                    )
                named[subject] = conversation.id
            long = start(ext, channel="chat", subject="long alpha", started_at=ago(1.5))
            for n in range(3):
                ext.add_message(long.id, sender="customer", body=f"m{n}", sent_at=ago(1 - n / 10))
            named["long"] = long.id
        yield app, ext, named


@pytest.fixture
def client(host) -> FlaskClient:
    return host[0].test_client()


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def walk(client: FlaskClient, user: str, params: dict[str, str]) -> list[tuple[int, int, str]]:
    """Every row of the list, page after page: ``(conversation id, page, timeline link)``."""
    rows: list[tuple[int, int, str]] = []
    page = 0
    while True:
        response = client.get(
            LIST_URL, query_string={**params, "page": page}, headers=as_user(user)
        )
        found = soup(response).select("tr[data-conversation-id]")
        if not found:
            return rows
        for tr in found:
            link = tr.select_one("a[data-timeline-link]")
            rows.append((int(tr["data-conversation-id"]), page, link["href"]))
        page += 1


def nav(page: Any, name: str) -> str | None:
    link = page.select_one(f'[data-nav="{name}"]')
    return None if link is None else link["href"]


@pytest.mark.parametrize(("user", "params"), LISTS)
def test_previous_and_next_are_the_rows_above_and_below(client, user, params) -> None:
    rows = walk(client, user, params)
    assert len(rows) > PAGE_SIZE  # the walk crosses page boundaries
    for index, (conversation_id, page_number, href) in enumerate(rows):
        query = query_of(href)
        assert query["id"] == [str(conversation_id)]
        # The row link carries the list's parameters exactly, and its page.
        expected = {key: [value] for key, value in params.items()}
        if page_number:
            expected["page"] = [str(page_number)]
        assert {k: v for k, v in query.items() if k != "id"} == expected

        page = soup(client.get(href, headers=as_user(user)))
        assert page.select_one("[data-nav-position]")["data-nav-position"] == str(index)
        # The neighbours' links are the very links their own list rows carry.
        assert nav(page, "previous") == (rows[index - 1][2] if index > 0 else None)
        assert nav(page, "next") == (rows[index + 1][2] if index + 1 < len(rows) else None)
        back = urlsplit(nav(page, "list"))
        assert back.path == LIST_URL
        assert parse_qs(back.query) == expected
        assert back.fragment == f"conversation-{conversation_id}"


def test_the_walk_sees_the_list_in_its_order(client, host) -> None:
    """The lists walked above hold what they should: ties in id order, filters applied."""
    _, _, named = host
    ties = [named["tie0"], named["tie1"], named["tie2"]]
    newest_first = [row[0] for row in walk(client, "admin", {})]
    oldest_first = [row[0] for row in walk(client, "admin", {"sort": ACTIVITY})]
    assert newest_first == list(reversed(oldest_first))
    assert [i for i in newest_first if i in ties] == list(reversed(ties))
    chat = {row[0] for row in walk(client, "admin", {"channel": "chat"})}
    assert named["gamma"] not in chat and named["beta chat"] in chat
    tenant_a = {row[0] for row in walk(client, "tenant_a", {})}
    assert named["delta"] not in tenant_a and named["gamma"] not in tenant_a


def test_a_conversation_the_list_no_longer_holds_has_no_neighbours(client, host) -> None:
    _, _, named = host
    page = soup(
        client.get(
            DETAILS,
            query_string={"id": named["beta chat"], "channel": "email", "page": "2"},
            headers=as_user("admin"),
        )
    )
    assert nav(page, "previous") is None and nav(page, "next") is None
    assert page.select_one("[data-nav-missing]") is not None
    back = urlsplit(nav(page, "list"))
    assert parse_qs(back.query) == {"channel": ["email"], "page": ["2"]}


def test_a_stale_page_number_is_corrected(client, host) -> None:
    """The links follow where the conversation stands now, whatever page the link named."""
    _, _, named = host
    rows = walk(client, "admin", {})
    index = next(i for i, row in enumerate(rows) if row[0] == named["gamma"])
    page = soup(
        client.get(
            DETAILS, query_string={"id": named["gamma"], "page": "999"}, headers=as_user("admin")
        )
    )
    assert nav(page, "previous") == rows[index - 1][2]
    assert nav(page, "next") == rows[index + 1][2]
    assert query_of(nav(page, "list")).get("page", ["0"]) == [str(index // PAGE_SIZE)]


def test_the_timelines_own_links_keep_the_list(client, host) -> None:
    _, _, named = host
    params = {"search": "alpha", "sort": STARTED, "page": "1"}
    page = soup(
        client.get(DETAILS, query_string={"id": named["long"], **params}, headers=as_user("admin"))
    )
    earlier = page.select_one("[data-earlier]")["href"]
    assert {k: v for k, v in query_of(earlier).items() if k not in ("id", "before")} == {
        key: [value] for key, value in params.items()
    }
    older = soup(client.get(earlier, headers=as_user("admin")))
    newest = older.select_one("[data-newest]")["href"]
    assert {k: v for k, v in query_of(newest).items() if k != "id"} == {
        key: [value] for key, value in params.items()
    }
    # Paging the messages keeps the way through the list.
    assert nav(older, "next") == nav(page, "next") and nav(older, "list") == nav(page, "list")


def test_a_list_parameter_it_cannot_read_answers_400_like_the_list(client, host) -> None:
    _, _, named = host
    for bad in ({"channel": "bogus"}, {"range": "forever"}, {"from": "2026-13-45"}):
        listing = client.get(LIST_URL, query_string=bad, headers=as_user("admin"))
        timeline = client.get(
            DETAILS, query_string={"id": named["gamma"], **bad}, headers=as_user("admin")
        )
        assert listing.status_code == timeline.status_code == 400, bad


def test_neighbours_never_cross_the_tenant_scope(client, host) -> None:
    _, _, named = host
    rows = walk(client, "tenant_a", {})
    from_a = {row[0] for row in rows}
    for _, _, href in rows:
        page = soup(client.get(href, headers=as_user("tenant_a")))
        for name in ("previous", "next"):
            link = nav(page, name)
            if link is not None:
                assert int(query_of(link)["id"][0]) in from_a
    # Another tenant's conversation stays a 404, list parameters or not.
    other = client.get(
        DETAILS, query_string={"id": named["delta"], "sort": STARTED}, headers=as_user("tenant_a")
    )
    assert other.status_code == 404


def test_one_statement_finds_the_neighbours_wherever_the_row_is(client, host) -> None:
    app, _, _ = host
    rows = walk(client, "admin", {"sort": STARTED, "desc": "1"})
    with app.app_context():
        engine = app.extensions["test_db"].engine
    counts, navigating = [], []
    for index in (0, 1, len(rows) // 2, len(rows) - 1):
        with count_queries(engine) as statements:
            response = client.get(rows[index][2], headers=as_user("admin"))
            assert response.status_code == 200
        counts.append(len(statements))
        navigating.append(sum("anchor" in statement for statement in statements))
    assert len(set(counts)) == 1 and counts[0] <= 7, counts
    assert navigating == [1, 1, 1, 1]


def test_the_statement_count_does_not_grow_with_the_list(client, host) -> None:
    app, _, _ = host
    with app.app_context():
        engine = app.extensions["test_db"].engine
    counts = {}
    for params in ({"channel": "whatsapp"}, {}, {"sort": STARTED}):
        rows = walk(client, "admin", params)
        with count_queries(engine) as statements:
            assert client.get(rows[-1][2], headers=as_user("admin")).status_code == 200
        counts[len(rows)] = len(statements)
    assert min(counts) == 1 and max(counts) > 10
    assert len(set(counts.values())) == 1, counts


PARAMETER_NAMES = sorted(LIST_PARAMETERS | {"before", "images"})
ODD_VALUES = st.one_of(
    st.text(max_size=30),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.sampled_from(["", "0", "-1", "1e9", "０", "٣", "%00", "\x00", ",,,,", "&&", "==", "  "]),
    st.sampled_from(["7d", "today", "chat", "email", "2026-11-01", "alpha"]),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    params=st.lists(st.tuples(st.sampled_from(PARAMETER_NAMES), ODD_VALUES), max_size=6),
    which=st.sampled_from(["gamma", "tie1", "alpha new", "long"]),
)
def test_odd_query_strings_never_break_the_timeline(client, host, params, which) -> None:
    _, _, named = host
    query = [("id", str(named[which])), *params]
    response = client.get(DETAILS, query_string=query, headers=as_user("admin"))
    assert response.status_code in (200, 400), (query, response.status_code)
    if response.status_code == 200:
        page = soup(response)
        assert page.select_one('[data-nav="list"]') is not None
        for name in ("previous", "next"):
            link = nav(page, name)
            if link is not None:
                assert set(query_of(link)) <= LIST_PARAMETERS | {"id"}
