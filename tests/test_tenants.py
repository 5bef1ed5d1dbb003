"""Tenant scope: an operator sees only their tenant, everywhere; other tenants' ids answer 404."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from support.hosts import DATABASES, USERS, User, tenant_of_current_user
from support.http import as_user, soup
from support.security import host_factory, module_database

from flask_aiconvos import AIConversations, Conversation

LIST = "/admin/ai-conversations/"
DETAILS = "/admin/ai-conversations/details/"
T0 = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


@dataclass
class Seeded:
    ids: dict[str, list[int]]  # tenant ("a", "b", "none", "7", "70") -> conversation ids
    message_of: dict[str, int]  # tenant -> a message id in that tenant's first conversation


def seed(ext: AIConversations) -> Seeded:
    """Tenant a: chat + email; tenant b: whatsapp + chat + voice; no tenant: help desk; tenants
    given as integers 7 and 70: one chat each.

    Every value a tenant must not see carries its tenant's marker (``ALPHA``, ``BRAVO``, ``NULL``).
    """
    plan = {
        "a": [
            ("chat", "ALPHA chat desk", {"booking": 2, "tour": 1}),
            ("email", "ALPHA email office", {"customer": 1}),
        ],
        "b": [
            ("whatsapp", "BRAVO whatsapp desk", {"booking": 1, "contract": 1}),
            ("chat", "BRAVO chat desk", {"tour": 1, "day_pass": 1}),
            ("voice", "BRAVO voice call", {}),
        ],
        None: [("help_desk", "NULL help desk", {"contract": 1})],
        7: [("chat", "SEVEN chat", {})],
        70: [("chat", "SEVENTY chat", {})],
    }
    ids: dict[str, list[int]] = {}
    message_of: dict[str, int] = {}
    n = 0
    for tenant, conversations in plan.items():
        key = "none" if tenant is None else str(tenant)
        marker = {"a": "ALPHA", "b": "BRAVO", "none": "NULL"}.get(key, f"T{key}")
        ids[key] = []
        for channel, subject, conversions in conversations:
            n += 1
            started = T0 + timedelta(minutes=n)
            conv = ext.start_conversation(
                channel=channel,
                origin="customer_reply",
                subject=subject,
                customer_id=f"{marker}-CUST-{n}",
                customer_name=f"{marker} Customer {n}",
                customer_company=f"{marker} Company",
                external_identifier=f"{marker.lower()}{n}@example.com",
                started_at=started,
                tenant=tenant,
            )
            ids[key].append(conv.id)
            message = ext.add_message(
                conv.id, sender="customer", body=f"{marker} message {n}", sent_at=started
            )
            message_of.setdefault(key, message.id)
            for kind, count in conversions.items():
                for i in range(count):
                    ext.record_conversion(conv.id, kind=kind, target_id=f"{marker}-{kind}-{n}-{i}")
            ext.link_inbox_item(conv.id, item_id=f"{marker}-INB-{n}", status="pending")
            ext.escalate(conv.id, ticket_id=f"{marker}-T-{n}", subject=f"{marker} ticket {n}")
    return Seeded(ids, message_of)


@dataclass
class Hosts:
    scoped: Flask  # scope = the current user's tenant
    unscoped: Flask  # no scope, same database
    seeded: Seeded


@pytest.fixture(scope="module", params=DATABASES)
def hosts(request: pytest.FixtureRequest) -> Iterator[Hosts]:
    """Two host apps on one database seeded once: the tests here only read."""
    with module_database(request.param) as url, host_factory(url) as build:
        scoped_app, ext = build(scope=tenant_of_current_user)
        unscoped_app, _ = build()
        with scoped_app.app_context():
            seeded = seed(ext)
        yield Hosts(scoped_app, unscoped_app, seeded)


@pytest.fixture
def scoped(hosts: Hosts) -> tuple[Flask, Seeded]:
    return hosts.scoped, hosts.seeded


def page_of(app: Flask, user: str, path: str = LIST, **query: object):
    return soup(app.test_client().get(path, query_string=query, headers=as_user(user)))


def row_ids(page) -> set[int]:
    return {int(tr["data-conversation-id"]) for tr in page.select("tr[data-conversation-id]")}


def metrics(page) -> dict[str, int]:
    return {m["data-metric"]: int(m["data-count"]) for m in page.select("[data-metric]")}


def tab_counts(page) -> dict[str, int]:
    return {
        tab["data-channel-tab"]: int(tab.select_one(".badge").get_text(strip=True))
        for tab in page.select("[data-channel-tab]")
    }


def comparison(page) -> dict[str, int]:
    """Channel → conversations in the channel comparison table."""
    return {
        row["data-comparison-channel"]: int(row.find_all("td")[0].get_text(strip=True))
        for row in page.select("tr[data-comparison-channel]")
        if row["data-comparison-channel"] != "all"
    }


def test_tenant_a_sees_only_its_conversations_everywhere_on_the_list(scoped):
    app, seeded = scoped
    page = page_of(app, "tenant_a")
    text = page.get_text()
    assert row_ids(page) == set(seeded.ids["a"])
    assert "ALPHA" in text and "BRAVO" not in text and "NULL" not in text
    assert metrics(page) == {
        "total": 2,
        "bookings": 1,
        "customers": 1,
        "tours": 1,
        "contracts": 0,
        "day_passes": 0,
    }
    tabs = tab_counts(page)
    assert tabs["all"] == 2 and tabs["chat"] == 1 and tabs["email"] == 1
    assert tabs["whatsapp"] == 0
    # Tabs of channels only other tenants use are not shown at all.
    assert "voice" not in tabs and "help_desk" not in tabs
    assert comparison(page) == {"chat": 1, "email": 1}


def test_tenant_b_sees_its_own_figures(scoped):
    app, seeded = scoped
    page = page_of(app, "tenant_b")
    assert row_ids(page) == set(seeded.ids["b"])
    assert metrics(page)["total"] == 3
    assert metrics(page)["contracts"] == 1 and metrics(page)["day_passes"] == 1
    assert tab_counts(page) == {"all": 3, "chat": 1, "email": 0, "whatsapp": 1, "voice": 1}
    assert comparison(page) == {"chat": 1, "whatsapp": 1, "voice": 1}


SEARCHES = ["desk", "bravo", "BRAVO chat", "bravo3@example.com", "Customer", "Company", "ticket"]


def test_search_never_reaches_another_tenant(scoped):
    app, seeded = scoped
    for search in SEARCHES:
        page = page_of(app, "tenant_a", search=search)
        assert row_ids(page) <= set(seeded.ids["a"]), search
        assert metrics(page)["total"] == len(row_ids(page)), search
        text = page.get_text()
        leaked = [m for m in ("BRAVO Customer", "BRAVO Company", "NULL Customer") if m in text]
        assert not leaked, search


def test_search_finds_the_tenants_own_match(scoped):
    app, seeded = scoped
    page = page_of(app, "tenant_a", search="desk")
    assert row_ids(page) == {seeded.ids["a"][0]}
    assert page_of(app, "tenant_b", search="desk").select("tr[data-conversation-id]")


def test_a_channel_only_other_tenants_use_is_empty(scoped):
    app, _ = scoped
    for channel in ("whatsapp", "voice", "help_desk"):
        page = page_of(app, "tenant_a", channel=channel)
        assert row_ids(page) == set(), channel
        assert metrics(page)["total"] == 0, channel
        assert tab_counts(page)["all"] == 2, channel


def test_date_range_stays_inside_the_tenant(scoped):
    app, seeded = scoped
    page = page_of(app, "tenant_a", **{"from": "2026-11-10", "to": "2026-11-10"})
    assert row_ids(page) == set(seeded.ids["a"])


def test_own_timeline_opens(scoped):
    app, seeded = scoped
    page = page_of(app, "tenant_a", DETAILS, id=seeded.ids["a"][0])
    assert "ALPHA chat desk" in page.get_text()


def test_another_tenants_timeline_is_indistinguishable_from_a_missing_one(scoped):
    app, seeded = scoped
    client = app.test_client()
    headers = as_user("tenant_a")
    missing = max(i for ids in seeded.ids.values() for i in ids) + 1000
    reference = client.get(DETAILS, query_string={"id": missing}, headers=headers)
    assert reference.status_code == 404
    others = [i for key, ids in seeded.ids.items() if key != "a" for i in ids]
    assert len(others) == 6
    for other in others:
        response = client.get(DETAILS, query_string={"id": other}, headers=headers)
        assert response.status_code == 404
        assert response.get_data() == reference.get_data()
        assert response.headers.get("Content-Type") == reference.headers.get("Content-Type")
        assert b"BRAVO" not in response.get_data() and b"NULL" not in response.get_data()
    # The other tenant's operator opens it, so the 404 above was the scope, not the id.
    assert (
        client.get(
            DETAILS, query_string={"id": seeded.ids["b"][0]}, headers=as_user("tenant_b")
        ).status_code
        == 200
    )


def test_an_earlier_page_anchor_from_another_tenant_leaks_nothing(scoped):
    app, seeded = scoped
    response = app.test_client().get(
        DETAILS,
        query_string={"id": seeded.ids["a"][0], "before": seeded.message_of["b"]},
        headers=as_user("tenant_a"),
    )
    assert response.status_code in (200, 400, 404)
    assert b"BRAVO" not in response.get_data()


def test_conversations_without_a_tenant_are_hidden_from_scoped_users(scoped):
    app, seeded = scoped
    (none_id,) = seeded.ids["none"]
    for user in ("tenant_a", "tenant_b"):
        assert none_id not in row_ids(page_of(app, user))
        response = app.test_client().get(
            DETAILS, query_string={"id": none_id}, headers=as_user(user)
        )
        assert response.status_code == 404


def test_scope_none_means_every_tenant(scoped):
    """``viewer`` has no tenant, so this host's scope returns ``None`` for them: all tenants."""
    app, seeded = scoped
    page = page_of(app, "viewer")
    everything = {i for ids in seeded.ids.values() for i in ids}
    assert row_ids(page) == everything
    assert metrics(page)["total"] == len(everything)
    for conv_id in everything:
        assert (
            app.test_client()
            .get(DETAILS, query_string={"id": conv_id}, headers=as_user("viewer"))
            .status_code
            == 200
        )


def test_without_a_scope_every_operator_sees_every_tenant(hosts):
    everything = {i for ids in hosts.seeded.ids.values() for i in ids}
    assert row_ids(page_of(hosts.unscoped, "tenant_a")) == everything
    response = hosts.unscoped.test_client().get(
        DETAILS, query_string={"id": hosts.seeded.ids["b"][0]}, headers=as_user("tenant_a")
    )
    assert response.status_code == 200


def test_a_non_string_scope_value_matches_the_stored_tenant(scoped, monkeypatch):
    app, seeded = scoped
    monkeypatch.setitem(USERS, "tenant_7", User("tenant_7", {"aiChannelSession"}, tenant=7))
    assert row_ids(page_of(app, "tenant_7")) == set(seeded.ids["7"])
    client = app.test_client()
    for other in seeded.ids["70"] + seeded.ids["a"]:
        response = client.get(DETAILS, query_string={"id": other}, headers=as_user("tenant_7"))
        assert response.status_code == 404


def test_flask_admin_hooks_are_scoped_too(scoped):
    """``get_query``, ``get_count_query`` and ``get_one`` are what any later Flask-Admin feature
    (export, ajax, actions) would call: each must already be scoped."""
    app, seeded = scoped
    view = AIConversations.state(app).view
    db = app.extensions["test_db"]
    with app.test_request_context(headers=as_user("tenant_a")):
        assert {c.id for c in view.get_query().all()} == set(seeded.ids["a"])
        assert view.get_count_query().scalar() == len(seeded.ids["a"])
        assert view.get_one(str(seeded.ids["a"][0])) is not None
        assert view.get_one(str(seeded.ids["b"][0])) is None
        assert view.get_one(seeded.ids["none"][0]) is None
        db.session.remove()
    with app.test_request_context(headers=as_user("viewer")):
        assert view.get_count_query().scalar() == db.session.query(Conversation).count()
        db.session.remove()
