"""Helpers shared by the list page test modules (``test_list_*.py``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bs4 import BeautifulSoup, Tag
from flask.testing import FlaskClient

from flask_aiconvos import AIConversations
from flask_aiconvos.models import Conversation
from support.hosts import FIXED_NOW
from support.http import as_user, soup

LIST_URL = "/admin/ai-conversations/"


def get_list(client: FlaskClient, user: str = "viewer", **params: Any) -> Any:
    """The raw response of the list page; ``from_`` stands for the ``from`` parameter."""
    query = {("from" if key == "from_" else key): value for key, value in params.items()}
    return client.get(LIST_URL, query_string=query, headers=as_user(user))


def list_page(client: FlaskClient, user: str = "viewer", **params: Any) -> BeautifulSoup:
    """The list page, parsed (asserting it answered 200)."""
    return soup(get_list(client, user, **params))


def row_ids(page: BeautifulSoup) -> list[int]:
    """The conversation ids of the list rows, in page order."""
    return [int(tr["data-conversation-id"]) for tr in page.select("tr[data-conversation-id]")]


def row(page: BeautifulSoup, conversation_id: int) -> Tag:
    found = page.select_one(f'tr[data-conversation-id="{conversation_id}"]')
    assert found is not None, f"no row for conversation {conversation_id}"
    return found


def metric(page: BeautifulSoup, key: str) -> tuple[int, float | None]:
    """``(count, percent)`` of one metric from its stable hooks (percent ``None`` when absent)."""
    element = page.select_one(f'[data-metric="{key}"]')
    assert element is not None, f"no metric {key}"
    percent = element.get("data-percent")
    return int(element["data-count"]), None if percent is None else float(percent)


def metrics(page: BeautifulSoup) -> dict[str, tuple[int, float | None]]:
    return {
        el["data-metric"]: metric(page, el["data-metric"]) for el in page.select("[data-metric]")
    }


def tabs(page: BeautifulSoup) -> list[str]:
    return [a["data-channel-tab"] for a in page.select("[data-channel-tab]")]


def tab(page: BeautifulSoup, channel: str) -> Tag:
    found = page.select_one(f'[data-channel-tab="{channel}"]')
    assert found is not None, f"no tab {channel}"
    return found


def tab_count(page: BeautifulSoup, channel: str) -> int:
    return int(tab(page, channel).select_one(".badge").get_text(strip=True))


def active_tabs(page: BeautifulSoup) -> list[str]:
    return [a["data-channel-tab"] for a in page.select('[data-channel-tab][aria-current="page"]')]


def query_of(url: str) -> dict[str, list[str]]:
    """The query parameters of a link."""
    return parse_qs(urlsplit(url).query)


def start(
    aiconvos: AIConversations,
    *,
    channel: str = "chat",
    origin: str = "portal_chat",
    started_at: datetime | None = None,
    **fields: Any,
) -> Conversation:
    """A conversation with sensible defaults, started an hour before the fixed clock."""
    return aiconvos.start_conversation(
        channel=channel,
        origin=origin,
        started_at=started_at or FIXED_NOW - timedelta(hours=1),
        **fields,
    )


def converted(
    aiconvos: AIConversations, *kinds: str, started_at: datetime | None = None, **fields: Any
) -> Conversation:
    """A conversation with one conversion of each of ``kinds`` (a kind twice: two records)."""
    conversation = start(aiconvos, started_at=started_at, **fields)
    for number, kind in enumerate(kinds):
        aiconvos.record_conversion(
            conversation.id,
            kind=kind,
            target_id=f"{kind}-{conversation.id}-{number}",
            occurred_at=FIXED_NOW - timedelta(minutes=30 - number),
        )
    return conversation


def record_contacts(aiconvos: AIConversations) -> tuple[Conversation, Conversation]:
    """A WhatsApp and an e-mail conversation whose contact details stand in every field that
    can hold one (identifier, key, subject, body, inbox title, ticket subject)."""
    phone = start(
        aiconvos,
        channel="whatsapp",
        external_identifier="+44 7700 900123",
        external_id="wa:+447700900123",
        subject="Call +44 7700 900123",
    )
    aiconvos.add_message(phone.id, sender="customer", body="Call me on +44 7700 900123 please")
    email = start(aiconvos, channel="email", external_identifier="nadia.haddad@example.com")
    aiconvos.add_message(
        email.id,
        sender="customer",
        body='<p>Write to <a href="mailto:nadia.haddad@example.com">nadia.haddad@example.com</a> or +1 415-555-0199</p>',
        content_format="html",
    )
    aiconvos.link_inbox_item(
        email.id, item_id="INB-1", status="pending", title="Reply to nadia.haddad@example.com"
    )
    aiconvos.escalate(email.id, ticket_id="T-1", subject="Call back +44 7700 900123")
    return phone, email
