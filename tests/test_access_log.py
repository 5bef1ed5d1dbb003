"""The access log: every list view, search, timeline view and shown image is recorded, and the
Access log view shows it to auditors only, locked down like the main view."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from support.hosts import tenant_of_current_user
from support.http import as_user, soup
from support.listing import LIST_URL, start
from support.security import host_factory
from support.sql import access_log, count_queries

from flask_aiconvos import AIConversations, ConfigurationError
from flask_aiconvos.models import AccessLogEntry

DETAILS = LIST_URL + "details/"
AUDIT_URL = "/admin/ai-conversations-audit/"


@pytest.fixture
def conversation(aiconvos):
    conversation = start(aiconvos, subject="Desk", tenant="a")
    aiconvos.add_message(
        conversation.id,
        sender="ai",
        body='<img src="https://x.example/p.gif">',
        content_format="html",
    )
    return conversation


def test_views_searches_and_timelines_are_recorded(app, client, conversation) -> None:
    client.get(LIST_URL, query_string={"channel": "chat"}, headers=as_user("viewer"))
    client.get(LIST_URL, query_string={"search": "desk"}, headers=as_user("admin"))
    client.get(DETAILS, query_string={"id": conversation.id}, headers=as_user("viewer"))
    message_id = int(
        soup(
            client.get(DETAILS, query_string={"id": conversation.id}, headers=as_user("viewer"))
        ).select_one("[data-message-id]")["data-message-id"]
    )
    client.get(
        DETAILS,
        query_string={"id": conversation.id, "images": message_id},
        headers=as_user("viewer"),
    )
    logged = access_log(app)
    assert [(e.action, e.user_id, e.conversation_id) for e in logged] == [
        ("list", "viewer", None),
        ("search", "admin", None),
        ("timeline", "viewer", conversation.id),
        ("timeline", "viewer", conversation.id),
        ("show_images", "viewer", conversation.id),
    ]
    assert logged[0].params == "channel=chat" and logged[1].params == "search=desk"
    assert logged[0].user_display == "viewer"
    assert all(e.at is not None for e in logged)


def test_each_page_writes_exactly_one_entry(app, client, db, conversation) -> None:
    for path, query in ((LIST_URL, {}), (DETAILS, {"id": conversation.id})):
        with count_queries(db.engine, access_log=True) as statements:
            client.get(path, query_string=query, headers=as_user("viewer"))
            assert AIConversations.state(app).extension.flush_access_log()
        writes = [s for s in statements if "aiconvos_access_log" in s]
        assert len(writes) == 1 and writes[0].startswith("INSERT"), writes


def test_refused_and_bad_requests_record_nothing(app, client, conversation) -> None:
    client.get(LIST_URL, headers=as_user("nobody"))
    client.get(LIST_URL, query_string={"channel": "fax"}, headers=as_user("viewer"))
    client.get(DETAILS, query_string={"id": 99999}, headers=as_user("viewer"))
    assert access_log(app) == []


def test_parameters_are_bounded(app, client) -> None:
    client.get(
        LIST_URL, query_string={"search": "x" * 5000, "range": "all"}, headers=as_user("viewer")
    )
    assert len(access_log(app)[0].params) <= 1000


@pytest.mark.parametrize("app_config", [{"AICONVOS_AUDIT": False}])
def test_audit_off_records_nothing(app, client, conversation) -> None:
    client.get(LIST_URL, headers=as_user("viewer"))
    client.get(DETAILS, query_string={"id": conversation.id}, headers=as_user("viewer"))
    assert access_log(app) == []


@pytest.mark.parametrize(
    "app_config",
    [{"AICONVOS_AUDIT_USER_DISPLAY": lambda user: f"Operator {user.id.upper()}"}],
)
def test_the_host_names_its_users(app, client) -> None:
    client.get(LIST_URL, headers=as_user("viewer"))
    assert access_log(app)[0].user_display == "Operator VIEWER"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("AICONVOS_AUDIT", "yes"),
        ("AICONVOS_AUDIT_USER_DISPLAY", "name"),
        ("AICONVOS_AUDIT_WRITE", "later"),
    ],
)
def test_bad_settings_are_refused(database_url, key, value) -> None:
    from support.hosts import make_host_app

    with pytest.raises(ConfigurationError, match=key):
        make_host_app(database_url, **{key: value})


def test_a_failed_write_never_fails_the_page(app, client, caplog) -> None:
    with app.app_context():
        AccessLogEntry.__table__.drop(app.extensions["test_db"].engine)
    with caplog.at_level(logging.WARNING, logger="flask_aiconvos.audit"):
        response = client.get(LIST_URL, headers=as_user("viewer"))
        assert AIConversations.state(app).extension.flush_access_log()
    assert response.status_code == 200
    assert "could not write 1 access-log entries" in caplog.text
    with app.app_context():
        AccessLogEntry.__table__.create(app.extensions["test_db"].engine)
    # The writer goes on with the next pages.
    client.get(LIST_URL, query_string={"search": "after"}, headers=as_user("viewer"))
    assert [entry.params for entry in access_log(app)] == ["search=after"]


def test_entries_are_written_off_the_request_and_in_order(app, client, conversation) -> None:
    searches = [f"word{n}" for n in range(30)]
    for word in searches:
        response = client.get(LIST_URL, query_string={"search": word}, headers=as_user("viewer"))
        assert response.status_code == 200
    assert [entry.params for entry in access_log(app)] == [f"search={word}" for word in searches]


@pytest.mark.parametrize("app_config", [{"AICONVOS_AUDIT_WRITE": "request"}])
def test_request_mode_writes_before_the_page_answers(app, client, conversation) -> None:
    client.get(LIST_URL, query_string={"search": "now"}, headers=as_user("viewer"))
    with app.app_context():  # read straight away, without waiting for the writer
        session = app.extensions["test_db"].session
        assert session.scalars(sa.select(AccessLogEntry.params)).all() == ["search=now"]


@pytest.mark.parametrize(
    ("user", "status"),
    [(None, 302), ("nobody", 403), ("viewer", 403), ("admin", 403), ("auditor", 200)],
)
def test_only_auditors_open_the_access_log(client, user, status) -> None:
    assert client.get(AUDIT_URL, headers=as_user(user)).status_code == status


@pytest.mark.parametrize(
    "path",
    ["new/", "edit/?id=1", "delete/", "details/?id=1", "action/", "export/csv/", "ajax/lookup/"],
)
def test_every_other_route_of_the_access_log_is_refused(client, path) -> None:
    # 404 from the view, or 405 where Flask's routing refuses the method first.
    for method in (client.get, client.post):
        assert method(AUDIT_URL + path, headers=as_user("auditor")).status_code in (404, 405)


def test_the_log_lists_newest_first_with_the_headers(app, client, conversation) -> None:
    client.get(LIST_URL, headers=as_user("viewer"))
    client.get(DETAILS, query_string={"id": conversation.id}, headers=as_user("admin"))
    response = client.get(AUDIT_URL, headers=as_user("auditor"))
    page = soup(response)
    rows = [tr for tr in page.select("table.model-list tr") if tr.find("td")]
    assert len(rows) == 2
    assert "timeline" in rows[0].get_text() and "list" in rows[1].get_text()
    assert "Content-Security-Policy" in response.headers
    assert response.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    "query",
    [
        {"page": "-1"},
        {"page": "9" * 30},
        {"search": "a\x00b"},
        {"search": "%_\\"},
        {"sort": "999"},
        {"flt0_0": "not a date"},
        {"flt0_3": "99999-01-01 00:00:00"},
        {"flt0_3": "2026-11-18 10:00:00"},
        {"flt1_4": "0001-01-01 00:00:00"},
        {"page_size": "100000"},
    ],
)
def test_hostile_query_strings_never_fail(client, query) -> None:
    response = client.get(AUDIT_URL, query_string=query, headers=as_user("auditor"))
    assert response.status_code < 500, query


def test_the_log_is_tenant_scoped(database_url) -> None:
    with host_factory(database_url) as build:
        app, ext = build(scope=tenant_of_current_user)
        with app.app_context():
            mine = start(ext, tenant="a")
            theirs = start(ext, tenant="b")
        client = app.test_client()
        client.get(DETAILS, query_string={"id": mine.id}, headers=as_user("tenant_a"))
        client.get(DETAILS, query_string={"id": theirs.id}, headers=as_user("tenant_b"))
        page = soup(client.get(AUDIT_URL, headers=as_user("auditor_a")))
    rows = [tr for tr in page.select("table.model-list tr") if tr.find("td")]
    assert len(rows) == 1 and "tenant_a" in rows[0].get_text()
