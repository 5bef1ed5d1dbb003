"""Use case 3 in Chromium: type what the customer said, see the excerpt, open the message."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from support.server import serving

LIST = "/admin/ai-conversations/"
ASKED = "Do you have a meeting room for eight people with a big screen on Thursday?"


@dataclass
class Server:
    url: str
    conversation_id: int


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The example app with one long conversation: what the customer asked is on an earlier
    timeline page, far down it."""
    from example_app.app import create_app
    from flask_aiconvos import AIConversations

    database = tmp_path_factory.mktemp("browser-search") / "search.db"
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "SECRET_KEY": "browser-tests"}
    )
    start = datetime.now(UTC) - timedelta(days=1)
    with app.app_context():
        ext = AIConversations.state(app).extension
        ext.create_all()
        conv = ext.start_conversation(
            channel="chat", origin="portal_chat", subject="Booking enquiry", started_at=start
        )
        for n in range(160):
            body = ASKED if n == 40 else f"Message number {n}: still talking about the desks."
            ext.add_message(
                conv.id,
                sender="customer" if n % 2 else "ai",
                body=body,
                sent_at=start + timedelta(minutes=n),
            )
    with serving(app) as url:
        yield Server(url, conv.id)


def test_type_what_was_said_and_open_the_message(server, page_as):
    page = page_as("viewer")
    page.goto(server.url + LIST)
    page.fill("#aiconvos-search", "screen meeting")
    page.press("#aiconvos-search", "Enter")
    page.wait_for_url(re.compile(r"search="))

    hit = page.locator("[data-search-hit]")
    assert hit.count() == 1
    assert hit.locator("mark").all_inner_texts() == ["meeting", "screen"]
    message_id = hit.get_attribute("data-search-hit")
    hit.click()
    page.wait_for_url(re.compile(rf"message={message_id}"))

    focused = page.locator("[data-focused]")
    assert focused.get_attribute("data-message-id") == message_id
    assert ASKED in focused.inner_text()
    in_view = focused.evaluate(
        "el => { const r = el.getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= window.innerHeight; }"
    )
    assert in_view
    assert page.evaluate("window.scrollY") > 0
