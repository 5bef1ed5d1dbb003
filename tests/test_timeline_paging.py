"""Long timelines: the newest page first, earlier pages by link, nothing lost or repeated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support.http import as_user, soup

DETAILS = "/admin/ai-conversations/details/"
T0 = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


def timeline(client, conversation_id: int, user: str = "viewer", **params):
    return soup(
        client.get(DETAILS, query_string={"id": conversation_id, **params}, headers=as_user(user))
    )


def message_ids(page) -> list[int]:
    return [int(li["data-message-id"]) for li in page.select("[data-message-id]")]


@pytest.fixture
def app_config():
    return {"AICONVOS_TIMELINE_PAGE_SIZE": 5}


def test_paging_walks_every_message_once(client, aiconvos):
    conv = aiconvos.start_conversation(channel="chat", origin="portal_chat")
    ids = [
        aiconvos.add_message(
            conv.id, sender="customer", body=f"m{n}", sent_at=T0 + timedelta(minutes=n // 2)
        ).id
        for n in range(13)
    ]
    page = timeline(client, conv.id)
    assert message_ids(page) == ids[-5:]
    assert page.select_one("[data-newest]") is None
    seen = message_ids(page)
    while (earlier := page.select_one("[data-earlier]")) is not None:
        page = soup(client.get(earlier["href"], headers=as_user("viewer")))
        assert page.select_one("[data-newest]") is not None
        seen = message_ids(page) + seen
    assert seen == ids


def test_bad_before_is_400(client, aiconvos):
    conv = aiconvos.start_conversation(channel="chat", origin="portal_chat")
    response = client.get(
        DETAILS, query_string={"id": conv.id, "before": "abc"}, headers=as_user("viewer")
    )
    assert response.status_code == 400
