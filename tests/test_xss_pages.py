"""Hostile payloads in every displayed field never become live markup on the list or timeline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from support.hosts import DATABASES
from support.http import as_user
from support.security import host_factory, module_database

DATA = Path(__file__).parent / "data"
PAYLOADS = (
    json.loads((DATA / "dompurify_payloads.json").read_text())[::4]
    + json.loads((DATA / "html5lib_sanitizer_inputs.json").read_text())[::3]
    + [
        '"><script>alert(1)</script>',
        "<img src=x onerror=alert(1)>",
        "javascript:alert(1)",
        "[x](javascript:alert(1))",
        '" onmouseover="alert(1)',
        "</title><svg onload=alert(1)>",
    ]
)
FORBIDDEN = {
    "script",
    "iframe",
    "object",
    "embed",
    "base",
    "meta",
    "link",
    "textarea",
    "button",
    "svg",
    "math",
    "style",
    "frame",
    "frameset",
}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "background", "poster"}
#: The elements of the extension's own drawings (the activity chart, rate bars, legend swatches).
OWN_SVG_PARTS = {"title", "rect", "line", "polyline"}


def own_drawing(tag) -> bool:
    """An SVG the page draws itself: outside every row (where untrusted text is shown), made
    only of plain shapes and a title."""
    return (
        tag.name == "svg"
        and tag.find_parent(attrs={"data-conversation-id": True}) is None
        and all(part.name in OWN_SVG_PARTS for part in tag.find_all(True))
    )


def own_control(tag) -> bool:
    """The page's own button showing the keyboard shortcuts: outside every row and message
    (where untrusted content is shown)."""
    return (
        tag.name == "button"
        and tag.get("type") == "button"
        and tag.has_attr("data-shortcuts-toggle")
        and tag.find_parent(attrs={"data-conversation-id": True}) is None
        and tag.find_parent(attrs={"data-message-id": True}) is None
    )


def line(text: str, limit: int) -> str:
    """The payload as a single-line field accepts it: control characters become spaces."""
    printable = "".join(" " if ord(ch) < 32 or ord(ch) == 127 else ch for ch in text)
    return " ".join(printable.split())[:limit] or "x"


@pytest.fixture(scope="module", params=DATABASES)
def host(request: pytest.FixtureRequest) -> Iterator[tuple[Flask, list[int]]]:
    with module_database(request.param) as url, host_factory(url) as build:
        app, ext = build(AICONVOS_PAGE_SIZE=500)
        ids = []
        with app.app_context():
            for n, payload in enumerate(PAYLOADS):
                one_line = line(payload, 120)
                conv = ext.start_conversation(
                    channel="email",
                    origin="customer_reply",
                    subject=one_line if n % 2 else None,
                    customer_id=one_line if n % 3 == 0 else None,
                    customer_name=one_line,
                    customer_company=one_line,
                    external_identifier=one_line,
                )
                for fmt in ("text", "html", "markdown"):
                    ext.add_message(
                        conv.id,
                        sender="customer",
                        body=payload.replace("\x00", "") if payload.strip("\x00 \n\t") else "x",
                        content_format=fmt,
                    )
                ext.link_inbox_item(
                    conv.id, item_id=line(payload, 100), status="pending", title=one_line
                )
                ext.escalate(conv.id, ticket_id=line(payload, 100), subject=one_line)
                ext.record_conversion(conv.id, kind="booking", target_id=line(payload, 100))
                ids.append(conv.id)
        yield app, ids


def url_as_browser_reads_it(value: str) -> str:
    """WHATWG URL parsing: strip leading/trailing C0 controls and spaces, drop tabs and newlines."""
    trimmed = value.strip("".join(chr(c) for c in range(33)))
    return "".join(ch for ch in trimmed if ch not in "\t\n\r").lower()


def assert_inert(html: str, container_id: str, own_forms: int = 0) -> None:
    page = BeautifulSoup(html, "html.parser")
    container = page.find(id=container_id)
    assert container is not None
    # The list's own search, date-range and outcome forms (GET, back to the list) are the
    # only forms.
    forms = container.find_all("form")
    assert len(forms) == own_forms
    assert all(form.get("method") == "get" for form in forms)
    for tag in container.find_all(True):
        in_own_form = tag.find_parent("form") is not None
        allowed = (in_own_form and tag.name == "button") or own_drawing(tag) or own_control(tag)
        assert tag.name not in FORBIDDEN or allowed, str(tag)[:200]
        for attr, value in tag.attrs.items():
            assert not attr.lower().startswith("on"), str(tag)[:200]
            assert attr.lower() not in {"srcdoc", "style"}, str(tag)[:200]
            if attr.lower() in URL_ATTRIBUTES:
                scheme = url_as_browser_reads_it(str(value))
                assert not scheme.startswith(("javascript:", "vbscript:", "data:")), str(tag)[:200]


def test_list_is_inert(host):
    app, ids = host
    response = app.test_client().get("/admin/ai-conversations/", headers=as_user("admin"))
    assert response.status_code == 200
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert len(page.select("tr[data-conversation-id]")) == len(ids)
    assert_inert(response.get_data(as_text=True), "aiconvos-list-page", own_forms=3)


def test_every_timeline_is_inert(host):
    app, ids = host
    client = app.test_client()
    for conv_id in ids:
        response = client.get(
            "/admin/ai-conversations/details/",
            query_string={"id": conv_id},
            headers=as_user("admin"),
        )
        assert response.status_code == 200
        assert_inert(response.get_data(as_text=True), "aiconvos-timeline-page")


def test_the_checker_catches_live_markup():
    with pytest.raises(AssertionError):
        assert_inert('<div id="c"><a href=" \x01JaVa\tScript:alert(1)">x</a></div>', "c")
    with pytest.raises(AssertionError):
        assert_inert('<div id="c"><form action="/x"></form></div>', "c")
    with pytest.raises(AssertionError):
        assert_inert('<div id="c"><img src=x onerror=alert(1)></div>', "c")


@pytest.mark.parametrize("search", ["script", "alert", "onerror img", "javascript", '"><'])
def test_search_excerpts_are_inert(host, search):
    """Excerpts of hostile bodies, hits marked: escaped text and ``<mark>`` elements only."""
    app, ids = host
    response = app.test_client().get(
        "/admin/ai-conversations/", query_string={"search": search}, headers=as_user("admin")
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert_inert(html, "aiconvos-list-page", own_forms=3)
    hits = BeautifulSoup(html, "html.parser").select("[data-search-hit]")
    assert hits
    for hit in hits:
        assert {tag.name for tag in hit.find_all(True)} <= {"mark"}, str(hit)[:300]
        assert hit.find("mark") is not None
        assert all(not mark.attrs for mark in hit.find_all("mark"))
