"""Serve the example app with demo data on 127.0.0.1 and drive it with Debian's Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.server import serving

CHROMIUM = os.environ.get("AICONVOS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]
#: Each payload would set ``window.__pwned`` if any of it ever ran.
HOSTILE = '"><img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>'
HOSTILE_BODIES = {
    "text": HOSTILE + "\n[x](javascript:window.__pwned=1)",
    "html": HOSTILE
    + '<a href="javascript:window.__pwned=1">click</a><svg onload="window.__pwned=1"></svg>',
    "markdown": HOSTILE
    + "\n\n[click](javascript:window.__pwned=1) <b onmouseover=window.__pwned=1>b</b>",
}


#: Stored as a message's rendered HTML directly, as if the sanitiser had missed it: only the
#: Content-Security-Policy stands between it and the operator.
PAST_THE_SANITISER = (
    '<p>Injected</p><script>window.__pwned = 1; alert("script ran")</script>'
    '<img src="/nothing.png" onerror="window.__pwned = 2">'
)


@dataclass
class Server:
    url: str
    hostile_id: int
    injected_id: int


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    import sqlalchemy as sa

    from example_app.app import create_app
    from flask_aiconvos import AIConversations, Message
    from flask_aiconvos.demo import seed_demo

    database = tmp_path_factory.mktemp("browser") / "demo.db"
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "SECRET_KEY": "browser-tests"}
    )
    with app.app_context():
        ext = AIConversations.state(app).extension
        ext.create_all()
        seed_demo(ext, 40, seed=7)
        conv = ext.start_conversation(
            channel="chat",
            origin="portal_chat",
            subject="Hostile " + HOSTILE[:200],
            customer_id="C-1001",
            customer_name="Mallory " + HOSTILE[:150],
            customer_company=HOSTILE[:150],
            started_at=datetime.now(UTC),
        )
        for fmt, body in HOSTILE_BODIES.items():
            ext.add_message(conv.id, sender="customer", body=body, content_format=fmt)
        ext.link_inbox_item(conv.id, item_id="INB-X", status="pending", title=HOSTILE[:250])
        ext.escalate(conv.id, ticket_id="T-X", subject=HOSTILE[:250])
        hostile_id = conv.id
        injected = ext.start_conversation(
            channel="chat", origin="portal_chat", subject="Injected", started_at=datetime.now(UTC)
        )
        message = ext.add_message(injected.id, sender="customer", body="placeholder")
        db = AIConversations.state(app).db
        db.session.execute(
            sa.update(Message)
            .where(Message.id == message.id)
            .values(rendered_html=PAST_THE_SANITISER)
        )
        db.session.commit()
        injected_id = injected.id
    with serving(app) as url:
        yield Server(url, hostile_id, injected_id)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: sudo apt-get install chromium fonts-dejavu-core "
            'fonts-noto-color-emoji (or leave these tests out: pytest -m "not browser")'
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page_as(browser, server):
    """``page_as(user)`` opens a fresh browser context, logged in through the login form."""
    contexts = []

    def open_as(user: str | None, width: int = 1280, *, bypass_csp: bool = False):
        # bypass_csp: for tools the test injects itself (axe-core), never for what is tested.
        context = browser.new_context(
            viewport={"width": width, "height": 900}, bypass_csp=bypass_csp
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        if user is not None:
            page.goto(server.url + "/login")
            page.fill("#username", user)
            page.fill("#password", user)
            page.click("form button[type=submit], form input[type=submit]")
            page.wait_for_load_state()
        return page

    yield open_as
    for context in contexts:
        context.close()
