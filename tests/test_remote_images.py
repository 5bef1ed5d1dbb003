"""Remote images are held back until an operator asks for one message's images."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from support.http import as_user, soup
from support.listing import start
from support.security import host_factory

from flask_aiconvos import remote_images

DETAILS = "/admin/ai-conversations/details/"
TRACKER = '<p>Hi</p><img src="https://track.example.net/open.gif?u=7" alt="logo" width="1">'
PLAIN = '<p>See <a href="https://example.org/">our site</a></p>'


@pytest.fixture
def conversation(aiconvos):
    conversation = start(aiconvos, channel="email", subject="Newsletter")
    tracked = aiconvos.add_message(
        conversation.id, sender="ai", body=TRACKER, content_format="html"
    )
    inline = aiconvos.add_message(conversation.id, sender="ai", body=PLAIN, content_format="html")
    return conversation, tracked, inline


def message(page, message_id):
    return page.select_one(f'[data-message-id="{message_id}"]')


def test_remote_images_are_placeholders_naming_their_host(client, conversation) -> None:
    conv, tracked, inline = conversation
    response = client.get(DETAILS, query_string={"id": conv.id}, headers=as_user("viewer"))
    html = response.get_data(as_text=True)
    assert "track.example.net/open.gif" not in html  # no request can reach the tracker
    page = soup(response)
    body = message(page, tracked.id)
    assert body.find("img") is None
    assert body.select_one("[data-blocked-image]")["data-blocked-image"] == "track.example.net"
    assert body.select_one("[data-show-images]") is not None
    # A message without remote images offers nothing to show.
    assert message(page, inline.id).select_one("[data-show-images]") is None
    assert (
        "https:"
        not in response.headers["Content-Security-Policy"].split("img-src")[1].split(";")[0]
    )


def test_show_images_loads_that_message_only(client, aiconvos, conversation) -> None:
    conv, tracked, _ = conversation
    other = aiconvos.add_message(conv.id, sender="ai", body=TRACKER, content_format="html")
    page = soup(client.get(DETAILS, query_string={"id": conv.id}, headers=as_user("viewer")))
    link = message(page, tracked.id).select_one("[data-show-images]")["href"]
    shown = client.get(link.split("#")[0], headers=as_user("viewer"))
    page = soup(shown)
    assert message(page, tracked.id).find("img")["src"].startswith("https://track.example.net/")
    assert message(page, other.id).find("img") is None
    assert "https:" in shown.headers["Content-Security-Policy"]


@pytest.mark.parametrize("value", ["abc", "-1", "0", "9" * 40, ""])
def test_a_malformed_images_parameter_is_a_bad_request(client, conversation, value) -> None:
    conv, _, _ = conversation
    response = client.get(
        DETAILS, query_string={"id": conv.id, "images": value}, headers=as_user("viewer")
    )
    assert response.status_code == 400


def test_allow_loads_every_remote_image(database_url) -> None:
    with host_factory(database_url) as build:
        app, ext = build(AICONVOS_REMOTE_IMAGES="allow")
        with app.app_context():
            conv = start(ext, channel="email", subject="News")
            tracked = ext.add_message(conv.id, sender="ai", body=TRACKER, content_format="html")
        response = app.test_client().get(
            DETAILS, query_string={"id": conv.id}, headers=as_user("viewer")
        )
    assert message(soup(response), tracked.id).find("img") is not None
    assert "https:" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("html", "hosts"),
    [
        ('<img src="http://a.example/x.png">', ["a.example"]),
        ('<img src="//b.example/x.png"><img src="https://b.example/y.png">', ["b.example"]),
        ('<img src="/static/local.png">', []),
        ("<p>no images</p>", []),
    ],
)
def test_block_finds_every_remote_image(html, hosts) -> None:
    shown, found = remote_images.block(html)
    assert found == hosts
    remaining = [img["src"] for img in BeautifulSoup(shown, "html.parser").find_all("img")]
    assert all(not src.startswith(("http", "//")) for src in remaining)
