"""The list built the Flask-Admin way: columns, labels and formatters a host subclass changes."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask_admin.contrib.sqla import ModelView
from markupsafe import Markup
from support.hosts import make_host_app
from support.http import as_user, soup
from support.listing import LIST_URL, converted, list_page, row_ids, start
from support.readme import code_blocks
from support.security import host_factory

from flask_aiconvos import AIConversations, ConfigurationError, formatters
from flask_aiconvos.list_request import FILTER_PARAMETERS, ORDER_PARAMETERS, ListFilters
from flask_aiconvos.views import ConversationView

#: What the list page's own links may carry.
LIST_LINK_PARAMETERS = {*FILTER_PARAMETERS, *ORDER_PARAMETERS, "page"}


def readme_view_class() -> type[ConversationView]:
    """``SiteConversationView`` exactly as the README's "Customising the list" defines it."""
    namespace: dict[str, Any] = {"__name__": "readme_example"}
    exec(compile(code_blocks("Customising the list")[0], "README.md", "exec"), namespace)
    return namespace["SiteConversationView"]


def headers(page) -> list[str]:
    return [
        " ".join(th.get_text(" ", strip=True).split())
        for th in page.select("table.aiconvos-list thead th")
    ]


def cell_classes(page) -> list[str]:
    tr = page.select_one("tr[data-conversation-id]")
    return [td["class"][0] for td in tr.find_all("td", recursive=False)]


@pytest.fixture
def host(database_url):
    """``host(**config)``: a host app with the extension's tables; dropped afterwards."""
    with host_factory(database_url) as build:
        yield build


def test_default_columns_come_from_the_view_attributes(client, aiconvos: AIConversations) -> None:
    converted(aiconvos, "tour", subject="Tour please")
    page = list_page(client)
    assert headers(page) == [
        ConversationView.column_labels[c] for c in ConversationView.column_list
    ]
    assert cell_classes(page) == [f"col-{c}" for c in ConversationView.column_list]


def test_the_readme_subclass_adds_drops_reorders_and_relabels(host) -> None:
    view_class = readme_view_class()
    app, ext = host(view_class=view_class)
    with app.app_context():
        conversation = converted(ext, "booking", "tour", subject="Desk", tenant="north")
        ext.escalate(conversation.id, ticket_id="T-1", subject="Help")
        ext.add_message(conversation.id, sender="customer", body="Hello")
        ext.add_message(conversation.id, sender="ai", body="Hi!")
    page = soup(app.test_client().get(LIST_URL, headers=as_user("admin")))

    assert headers(page) == [
        "Subject",
        "Customer",
        "Site",
        "Outcome",
        "Messages",
        "Last activity",
        "Escalated",
    ]
    assert cell_classes(page) == [f"col-{c}" for c in view_class.column_list]
    tr = page.select_one(f'tr[data-conversation-id="{conversation.id}"]')
    assert tr.select_one("td.col-tenant").get_text(strip=True) == "north"
    assert tr.select_one("td.col-messages .badge").get_text(strip=True) == "2"
    assert tr.select_one("td.col-channel") is None and not tr.select("[data-channel]")
    # The page hooks survive on the columns that remain.
    assert {b["data-conversion"] for b in tr.select("[data-conversion]")} == {"booking", "tour"}
    assert tr.select_one("[data-escalated]") is not None
    assert tr.select_one("time[datetime]") is not None
    assert page.select_one('[data-metric="total"]')["data-count"] == "1"


def test_a_plain_str_from_a_formatter_is_escaped(host) -> None:
    class Shouting(ConversationView):
        column_list = ("subject", "shout")
        column_formatters = {
            **ConversationView.column_formatters,
            "shout": lambda view, context, model, name: "<b>" + (model.subject or "") + "</b>",
        }

    app, ext = host(view_class=Shouting)
    with app.app_context():
        start(ext, subject="<script>alert(1)</script>")
    page = soup(app.test_client().get(LIST_URL, headers=as_user("viewer")))
    shout = page.select_one("td.col-shout")
    assert shout.find("b") is None and shout.find("script") is None
    assert shout.get_text() == "<b><script>alert(1)</script></b>"


def test_formatters_are_public_and_return_markup(app, aiconvos: AIConversations) -> None:
    conversation = converted(
        aiconvos,
        "contract",
        subject="Office <b>",
        customer_id="C-1",
        customer_name="Zoë",
        external_identifier="z@example.com",
    )
    view = AIConversations.state(app).view
    with app.test_request_context(LIST_URL, headers=as_user("admin")):
        for name in ("subject", "conversions", "customer", "channel", "last_activity", "escalated"):
            html = getattr(formatters, name)(view, None, conversation, name)
            assert isinstance(html, Markup), name
        assert "Office &lt;b&gt;" in formatters.subject(view, None, conversation, "subject")
        # Outside the list page the badges are looked up for the one row.
        assert 'data-conversion="contract"' in formatters.conversions(
            view, None, conversation, "conversions"
        )


@pytest.mark.parametrize(
    "bad",
    [object(), ModelView, type("NotAView", (), {})],
    ids=["object", "plain-model-view", "class"],
)
def test_view_class_must_be_a_conversation_view(database_url, bad) -> None:
    with pytest.raises(ConfigurationError, match="view_class"):
        make_host_app(database_url, view_class=bad)


def test_pager_and_sort_links_carry_only_the_list_parameters(app, client, aiconvos) -> None:
    app.extensions["aiconvos"].view.page_size = 2
    for number in range(5):
        start(aiconvos, channel="whatsapp", subject=f"Desk {number}")
    page = list_page(
        client,
        channel="whatsapp",
        search="desk",
        range="this_month",
        page="1",
        page_size="100",
        sort="4",
        desc="1",
        endpoint="x",
        _external="1",
    )
    links = [a["href"] for a in page.select(".pagination a, thead a")]
    assert links, "no pager or sort links"
    for href in links:
        query = parse_qs(urlsplit(href).query)
        assert set(query) <= LIST_LINK_PARAMETERS, href
        assert query["channel"] == ["whatsapp"] and query["search"] == ["desk"], href
        assert query["range"] == ["this_month"], href
        assert urlsplit(href).netloc == "", href
    # page_size in the URL is ignored: two rows per page.
    assert len(row_ids(page)) == 2


def test_sort_header_toggles_the_direction(client, aiconvos) -> None:
    ids = [start(aiconvos, subject=f"S{n}").id for n in range(3)]
    for number, conversation_id in enumerate(ids):
        aiconvos.add_message(
            conversation_id,
            sender="customer",
            body="hi",
            sent_at=aiconvos.state().clock().replace(minute=number),
        )
    newest_first = list_page(client)
    assert row_ids(newest_first) == list(reversed(ids))
    header = newest_first.select_one("th.col-last_activity_at")
    assert header["aria-sort"] == "descending"
    oldest_first = soup(client.get(header.a["href"], headers=as_user("viewer")))
    assert row_ids(oldest_first) == ids
    back = oldest_first.select_one("th.col-last_activity_at")
    assert back["aria-sort"] == "ascending"
    assert row_ids(soup(client.get(back.a["href"], headers=as_user("viewer")))) == list(
        reversed(ids)
    )


def test_get_list_works_from_its_arguments(app, aiconvos) -> None:
    chat = start(aiconvos, channel="chat", subject="Meeting room", tenant="a")
    start(aiconvos, channel="email", subject="Meeting room", tenant="a")
    other_tenant = start(aiconvos, channel="chat", subject="Meeting room", tenant="b")
    view = AIConversations.state(app).view
    with app.test_request_context(LIST_URL, headers=as_user("viewer")):
        count, rows = view.get_list(0, None, None, "meeting", ListFilters(channel="chat"))
        assert (count, [r.id for r in rows]) == (2, [other_tenant.id, chat.id])
        count, rows = view.get_list(0, "last_activity_at", False, None, ListFilters(), page_size=1)
        assert count == 3 and [r.id for r in rows] == [chat.id]


@pytest.mark.parametrize("app_config", [{"scope": lambda: "a"}])
def test_get_list_always_applies_the_tenant_scope(app, aiconvos) -> None:
    mine = start(aiconvos, subject="Mine", tenant="a")
    start(aiconvos, subject="Theirs", tenant="b")
    view = AIConversations.state(app).view
    with app.test_request_context(LIST_URL, headers=as_user("viewer")):
        count, rows = view.get_list(0, None, None, None, ListFilters(tenant="b"))
    assert (count, [r.id for r in rows]) == (1, [mine.id])
