"""``conversations_for`` and the conversations panel a host puts on its own pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import render_template_string, request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.hosts import FIXED_NOW, tenant_of_current_user
from support.http import as_user, soup
from support.readme import code_blocks
from support.sql import count_queries

from flask_aiconvos import InvalidRecord
from flask_aiconvos.panel import PANEL_LIMIT_MAX

PAGE = "/host-page"
#: A host page that shows the panel for the record named in its query string.
HOST_TEMPLATE = """<h1>Host record</h1>
{%- if kind %}{{ aiconvos_conversations_panel(kind=kind, target_id=target_id) }}
{%- else %}{{ aiconvos_conversations_panel(customer_id=customer_id) }}{% endif %}"""


@pytest.fixture
def app_config() -> dict:
    return {"scope": tenant_of_current_user, "AICONVOS_PII_ROLE": "customers"}


@pytest.fixture
def app(app):
    def host_page() -> str:
        return render_template_string(
            HOST_TEMPLATE,
            kind=request.args.get("kind"),
            target_id=request.args.get("target_id"),
            customer_id=request.args.get("customer_id"),
        )

    app.add_url_rule(PAGE, "host_page", host_page)
    return app


def _start(aiconvos, minutes_ago: int, **fields):
    started = FIXED_NOW - timedelta(minutes=minutes_ago)
    conversation = aiconvos.start_conversation(
        channel=fields.pop("channel", "chat"), origin="portal_chat", started_at=started, **fields
    )
    aiconvos.add_message(
        conversation.id, sender="customer", body=f"Hello {minutes_ago}", sent_at=started
    )
    return conversation


@pytest.fixture
def records(aiconvos):
    """Three conversations of customer C-1 (one in tenant b), one of C-2; the middle one of
    C-1 booked tour T-9, and so did C-2's."""
    old = _start(aiconvos, 300, customer_id="C-1", customer_name="Chloé Martin", tenant="a")
    toured = _start(
        aiconvos,
        120,
        customer_id="C-1",
        customer_name="Chloé Martin",
        subject="Tour please",
        tenant="a",
    )
    aiconvos.record_conversion(toured.id, kind="tour", target_id="T-9")
    aiconvos.escalate(toured.id, ticket_id="HD-1", subject="Call back")
    other_tenant = _start(aiconvos, 60, customer_id="C-1", tenant="b")
    newest = _start(
        aiconvos, 15, customer_id="C-1", external_identifier="chloe@example.com", tenant="a"
    )
    stranger = _start(aiconvos, 30, customer_id="C-2", tenant="a", channel="whatsapp")
    aiconvos.record_conversion(stranger.id, kind="tour", target_id="T-9")
    return {"old": old, "toured": toured, "b": other_tenant, "newest": newest, "stranger": stranger}


def _ids(conversations) -> list[int]:
    return [conversation.id for conversation in conversations]


def test_a_customers_conversations_newest_activity_first(aiconvos, records) -> None:
    found = aiconvos.conversations_for(customer_id="C-1")
    expected = [records["newest"], records["b"], records["toured"], records["old"]]
    assert _ids(found) == _ids(expected)
    assert _ids(aiconvos.conversations_for(customer_id="C-1", limit=2)) == _ids(expected[:2])


def test_the_conversations_that_led_to_a_record(aiconvos, records) -> None:
    found = aiconvos.conversations_for(kind="tour", target_id="T-9")
    assert _ids(found) == _ids([records["stranger"], records["toured"]])
    assert aiconvos.conversations_for(kind="booking", target_id="T-9") == []
    assert aiconvos.conversations_for(kind="tour", target_id="T-10") == []


def test_the_conversation_that_created_a_customer_is_in_their_history(aiconvos, records) -> None:
    anonymous = _start(aiconvos, 400, external_identifier="+44 7700 900123", tenant="a")
    aiconvos.record_conversion(anonymous.id, kind="customer", target_id="C-2")
    found = aiconvos.conversations_for(customer_id="C-2")
    assert _ids(found) == _ids([records["stranger"], anonymous])


def test_an_integer_id_finds_what_was_recorded_as_one(aiconvos) -> None:
    conversation = _start(aiconvos, 5, customer_id=4711)
    assert _ids(aiconvos.conversations_for(customer_id=4711)) == [conversation.id]
    assert _ids(aiconvos.conversations_for(customer_id="4711")) == [conversation.id]


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({}, "customer_id"),
        ({"customer_id": "C-1", "kind": "tour", "target_id": "T-9"}, "customer_id"),
        ({"kind": "tour"}, "kind"),
        ({"target_id": "T-9"}, "kind"),
        ({"kind": "visit", "target_id": "T-9"}, "kind"),
        ({"kind": ["tour"], "target_id": "T-9"}, "kind"),
        ({"customer_id": "   "}, "customer_id"),
        ({"customer_id": "C\x00"}, "customer_id"),
        ({"customer_id": 2**4000}, "customer_id"),
        ({"customer_id": "x" * 129}, "customer_id"),
        ({"customer_id": 1.5}, "customer_id"),
        ({"customer_id": "C-1", "limit": 0}, "limit"),
        ({"customer_id": "C-1", "limit": PANEL_LIMIT_MAX + 1}, "limit"),
        ({"customer_id": "C-1", "limit": True}, "limit"),
        ({"customer_id": "C-1", "limit": "5"}, "limit"),
    ],
)
def test_bad_arguments_are_refused_before_any_query(app, aiconvos, db, arguments, field) -> None:
    with count_queries(db.engine) as statements, pytest.raises(InvalidRecord) as raised:
        aiconvos.conversations_for(**arguments)
    assert raised.value.field == field
    assert statements == []


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(customer_id=st.one_of(st.text(max_size=140), st.integers()))
def test_any_customer_id_is_found_or_refused(aiconvos, customer_id) -> None:
    try:
        found = aiconvos.conversations_for(customer_id=customer_id)
    except InvalidRecord as error:
        assert error.field == "customer_id"
    else:
        assert found == []


def test_a_database_error_leaves_the_hosts_session_usable(app, aiconvos, db, records) -> None:
    with db.engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE aiconvos_conversion RENAME TO aiconvos_gone"))
    try:
        with pytest.raises(sa.exc.DatabaseError):
            aiconvos.conversations_for(kind="tour", target_id="T-9")
        assert db.session.execute(sa.text("SELECT 1")).scalar_one() == 1
    finally:
        db.session.rollback()
        with db.engine.begin() as connection:
            connection.execute(sa.text("ALTER TABLE aiconvos_gone RENAME TO aiconvos_conversion"))


def test_the_panel_lists_each_conversation_linked_to_its_timeline(client, records) -> None:
    page = soup(client.get(PAGE, query_string={"customer_id": "C-1"}, headers=as_user("tenant_a")))
    panel = page.select_one("[data-aiconvos-panel]")
    items = panel.select("[data-conversation-id]")
    expected = [records["newest"], records["toured"], records["old"]]  # tenant b's left out
    assert [int(item["data-conversation-id"]) for item in items] == _ids(expected)
    for item, conversation in zip(items, expected, strict=True):
        link = item.select_one("a[href*='details']")
        assert link["href"] == f"/admin/ai-conversations/details/?id={conversation.id}"
        assert item.select_one("[data-channel]")["data-channel"] == "chat"
        assert item.select_one("time")["datetime"]
    toured = items[1]
    assert toured.select_one("a").get_text() == "Tour please"
    assert toured.select_one("[data-conversion]")["data-conversion"] == "tour"
    assert toured.select_one("[data-escalated]") is not None
    assert items[2].select_one("a").get_text() == "Hello 300"  # no subject: the opening message
    assert "15 minutes ago" in items[0].get_text()


def test_the_panel_masks_contact_details_without_the_pii_role(client, records) -> None:
    item = soup(
        client.get(PAGE, query_string={"customer_id": "C-1"}, headers=as_user("viewer"))
    ).select_one(f"[data-conversation-id='{records['newest'].id}']")
    assert "chloe@example.com" not in str(item)
    assert "c•••@example.com" in item.get_text()


def test_the_visitor_page_shows_the_conversation_that_booked_the_tour(client, records) -> None:
    page = soup(
        client.get(
            PAGE, query_string={"kind": "tour", "target_id": "T-9"}, headers=as_user("admin")
        )
    )
    ids = [int(item["data-conversation-id"]) for item in page.select("[data-conversation-id]")]
    assert ids == _ids([records["stranger"], records["toured"]])
    assert page.select_one("[data-channel='whatsapp']") is not None


def test_an_empty_panel_says_so(client, records) -> None:
    page = soup(client.get(PAGE, query_string={"customer_id": "C-404"}, headers=as_user("admin")))
    assert page.select_one("[data-aiconvos-panel] [data-aiconvos-panel-empty]") is not None
    assert page.select("[data-conversation-id]") == []


@pytest.mark.parametrize("user", ["nobody", "export_only", None])
def test_without_the_view_role_the_panel_renders_nothing(client, records, user) -> None:
    response = client.get(PAGE, query_string={"customer_id": "C-1"}, headers=as_user(user))
    page = soup(response)
    assert page.select_one("h1").get_text() == "Host record"
    assert page.select("[data-aiconvos-panel]") == []
    assert "Chlo" not in response.get_data(as_text=True)


def test_the_panel_costs_two_queries_however_many_conversations(app, client, db, aiconvos) -> None:
    for minutes in range(12):
        conversation = _start(aiconvos, minutes + 1, customer_id="C-7")
        aiconvos.record_conversion(conversation.id, kind="booking", target_id=f"B-{minutes}")
        aiconvos.record_conversion(conversation.id, kind="day_pass", target_id=f"D-{minutes}")
    with count_queries(db.engine) as statements:
        page = soup(client.get(PAGE, query_string={"customer_id": "C-7"}, headers=as_user("admin")))
    assert len(page.select("[data-conversation-id]")) == 12
    assert len(page.select("[data-conversion]")) == 24
    assert len(statements) == 2, statements


@pytest.mark.parametrize("user", ["admin", "nobody"])
def test_a_mistake_in_the_host_template_shows_for_every_user(client, records, user) -> None:
    with pytest.raises(InvalidRecord, match="kind and target_id go together"):
        client.get(PAGE, query_string={"kind": "tour"}, headers=as_user(user))


def test_the_readme_example_runs_as_written(app, client, aiconvos) -> None:
    namespace: dict = {}
    exec(compile(code_blocks("Conversations on host pages")[0], "README.md", "exec"), namespace)
    app.add_url_rule("/readme/<visitor_id>", "readme_visitor", namespace["visitor_detail"])
    toured = _start(aiconvos, 10, customer_id="C-5")
    aiconvos.record_conversion(toured.id, kind="tour", target_id="V-1")
    aiconvos.escalate(toured.id, ticket_id="HD-5", subject="Needs a call")
    page = soup(client.get("/readme/V-1", headers=as_user("admin")))
    assert [int(i["data-conversation-id"]) for i in page.select("[data-conversation-id]")] == [
        toured.id
    ]
    assert namespace["escalated_conversations"]("C-5") == 1
