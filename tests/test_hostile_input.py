"""Hostile query strings get a normal page or a 4xx, never a 500; the API rejects bad values."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.hosts import DATABASES
from support.http import as_user
from support.security import host_factory, module_database, snapshot

from flask_aiconvos import AIConversations, ConversationNotFound, InvalidRecord

LIST = "/admin/ai-conversations/"
DETAILS = "/admin/ai-conversations/details/"


@pytest.fixture(scope="module", params=DATABASES)
def host(request: pytest.FixtureRequest) -> Iterator[tuple[Flask, AIConversations, int]]:
    with module_database(request.param) as url, host_factory(url) as build:
        app, ext = build()
        with app.app_context():
            conv = ext.start_conversation(
                channel="whatsapp", origin="customer_reply", subject="Desk"
            )
            ext.add_message(conv.id, sender="customer", body="Hi 50% off_now")
        yield app, ext, conv.id


HOSTILE = [
    "page=-1",
    "page=abc",
    f"page={10**30}",
    f"page_size={10**9}",
    "sort=999",
    "sort=-1",
    "desc=abc",
    "search=%00",
    "search=a%00b",
    "search=" + "x" * 5000,
    "search=%F0%9F%98%80",
    "search=' OR 1=1 --",
    "search=%25",
    "search=_",
    "search=\\",
    "search=a&search=b",
    "channel=chat&channel=email",
    "flt0_0=x",
    "flt1_99=%00",
    "channel=<script>",
    "channel=%00",
    "range=bogus",
    "from=2026-13-45",
    "from=2026-11-20&to=2026-11-01",
    "from=0001-01-01",
    "to=9999-12-31",
    "from=%00",
    "range=today&from=x",
    "page=1e9",
    "page=%00",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_list_never_fails(host, query):
    app, _, _ = host
    response = app.test_client().get(f"{LIST}?{query}", headers=as_user("viewer"))
    assert response.status_code in (200, 400), (query, response.status_code)


DETAIL_QUERIES = [
    "id=abc",
    "id=-1",
    f"id={10**30}",
    "id=%00",
    "id=1&id=2",
    "id=",
    "before=abc",
    "before=-5",
    f"before={10**30}",
]


@pytest.mark.parametrize("query", DETAIL_QUERIES)
def test_details_never_fails(host, query):
    app, _, conv_id = host
    if query.startswith("before"):
        query = f"id={conv_id}&{query}"
    response = app.test_client().get(f"{DETAILS}?{query}", headers=as_user("viewer"))
    assert response.status_code in (200, 400, 404), (query, response.status_code)


def test_long_search_is_cut(host):
    from flask_aiconvos.search_text import SEARCH_MAX_CHARS, clean_search

    assert len(clean_search("ab " * 5000)) <= SEARCH_MAX_CHARS
    assert clean_search("a\x00b") == "a b"


PARAMETERS = [
    "page",
    "page_size",
    "sort",
    "desc",
    "search",
    "channel",
    "range",
    "from",
    "to",
    "id",
    "before",
    "message",
    "flt0_0",
]
TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.dictionaries(st.sampled_from(PARAMETERS), TEXT, max_size=5), details=st.booleans())
def test_generated_query_strings(host, query, details):
    app, _, conv_id = host
    if details:
        query.setdefault("id", str(conv_id))
    response = app.test_client().get(
        DETAILS if details else LIST, query_string=query, headers=as_user("admin")
    )
    assert response.status_code < 500, (query, response.status_code)


VOCAB = st.sampled_from(
    [
        "chat",
        "email",
        "whatsapp",
        "ai",
        "customer",
        "operator",
        "text",
        "html",
        "markdown",
        "help_desk",
        "email_reply",
        "portal_chat",
        "",
    ]
)
MOMENTS = st.one_of(
    st.none(),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)),
    st.datetimes(
        min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    ),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    channel=VOCAB,
    origin=VOCAB,
    subject=st.one_of(st.none(), TEXT),
    name=st.one_of(st.none(), TEXT),
    started_at=MOMENTS,
    sender=VOCAB,
    fmt=VOCAB,
    via=st.one_of(st.none(), VOCAB),
    body=st.text(max_size=200),
    sent_at=MOMENTS,
    external_id=st.one_of(st.none(), TEXT, st.integers()),
)
def test_generated_recording_arguments(
    host, channel, origin, subject, name, started_at, sender, fmt, via, body, sent_at, external_id
):
    app, ext, conv_id = host
    with app.app_context():
        before = snapshot(app)
        try:
            ext.start_conversation(
                channel=channel,
                origin=origin,
                subject=subject,
                customer_name=name,
                started_at=started_at,
            )
        except InvalidRecord:
            assert snapshot(app) == before
        before = snapshot(app)
        try:
            ext.add_message(
                conv_id,
                sender=sender,
                body=body,
                content_format=fmt,
                via=via,
                sent_at=sent_at,
                external_id=external_id,
            )
        except (InvalidRecord, ConversationNotFound):
            assert snapshot(app) == before
