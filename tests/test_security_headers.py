"""Content-Security-Policy and the other headers on the extension's responses, and only there."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from support.hosts import make_host_app
from support.http import as_user
from support.listing import LIST_URL, start
from support.security import host_factory

from flask_aiconvos import ConfigurationError

DETAILS = "/admin/ai-conversations/details/"


def csp(response) -> dict[str, str]:
    """The policy's directives, name → sources."""
    header = response.headers.get("Content-Security-Policy", "")
    return {
        part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
        for part in (p.strip() for p in header.split(";"))
        if part
    }


def nonce_of(response) -> str:
    match = re.search(r"'nonce-([^']+)'", csp(response)["script-src"])
    assert match, csp(response)
    return match.group(1)


@pytest.fixture
def conversation_id(aiconvos) -> int:
    conversation = start(aiconvos, subject="Desk")
    aiconvos.add_message(conversation.id, sender="customer", body="Hello")
    return conversation.id


def extension_responses(client, conversation_id):
    """A response of every kind the extension gives: pages, errors, refusals, redirects."""
    return {
        "list": client.get(LIST_URL, headers=as_user("viewer")),
        "timeline": client.get(
            DETAILS, query_string={"id": conversation_id}, headers=as_user("viewer")
        ),
        "bad request": client.get(
            LIST_URL, query_string={"channel": "fax"}, headers=as_user("viewer")
        ),
        "not found": client.get(DETAILS, query_string={"id": 999_999}, headers=as_user("viewer")),
        "forbidden": client.get(LIST_URL, headers=as_user("nobody")),
        "to login": client.get(LIST_URL),
        "refused route": client.get(LIST_URL + "new/", headers=as_user("admin")),
        "metrics.json": client.get(LIST_URL + "metrics.json", headers=as_user("viewer")),
        "bad metrics.json": client.get(
            LIST_URL + "metrics.json", query_string={"range": "x"}, headers=as_user("viewer")
        ),
    }


def test_every_extension_response_carries_the_headers(client, conversation_id) -> None:
    responses = extension_responses(client, conversation_id)
    assert [r.status_code for r in responses.values()] == [
        200, 200, 400, 404, 403, 302, 404, 200, 400
    ]  # fmt: skip
    for kind, response in responses.items():
        policy = csp(response)
        assert "'unsafe-inline'" not in policy["script-src"], kind
        assert "'nonce-" in policy["script-src"], kind
        assert policy["object-src"] == "'none'", kind
        assert policy["base-uri"] == "'none'", kind
        assert policy["frame-ancestors"] == "'self'", kind
        assert policy["img-src"] == "'self' data:", kind
        assert response.headers["X-Content-Type-Options"] == "nosniff", kind
        assert response.headers["Referrer-Policy"] == "same-origin", kind
        assert response.headers["Cache-Control"] == "private, no-store", kind


def test_every_script_of_a_page_carries_the_policy_nonce(client, conversation_id) -> None:
    for url, query in ((LIST_URL, {}), (DETAILS, {"id": conversation_id})):
        response = client.get(url, query_string=query, headers=as_user("viewer"))
        nonce = nonce_of(response)
        page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
        scripts = page.find_all("script")
        assert scripts, url
        assert {script.get("nonce") for script in scripts} == {nonce}, url
        assert {style.get("nonce") for style in page.find_all("style")} == {nonce}, url


def test_each_request_gets_its_own_nonce(client, conversation_id) -> None:
    first = nonce_of(client.get(LIST_URL, headers=as_user("viewer")))
    second = nonce_of(client.get(LIST_URL, headers=as_user("viewer")))
    assert first != second and len(first) >= 16


def test_the_hosts_own_pages_are_left_alone(client) -> None:
    for path in ("/whoami", "/admin/"):
        response = client.get(path, headers=as_user("viewer"))
        assert "Content-Security-Policy" not in response.headers, path
        assert response.headers.get("Cache-Control") != "private, no-store", path


def test_a_host_nonce_generator_names_the_policy_nonce(database_url) -> None:
    calls = []

    def generator() -> str:
        calls.append(1)
        return f"host{len(calls)}"

    with host_factory(database_url) as build:
        app, _ = build()
        app.extensions["aiconvos"].view.admin.csp_nonce_generator = generator
        response = app.test_client().get(LIST_URL, headers=as_user("viewer"))
    # Its first nonce of the request is the one the policy and every script carry.
    assert nonce_of(response) == "host1"
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert {s.get("nonce") for s in page.find_all("script")} == {"host1"}


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (None, None),
        (False, None),
        (
            "default-src 'self'; script-src 'nonce-{nonce}'",
            "default-src 'self'; script-src 'nonce-",
        ),
    ],
    ids=["none", "false", "own-policy"],
)
def test_a_host_replaces_or_turns_off_the_policy(database_url, setting, expected) -> None:
    with host_factory(database_url) as build:
        app, _ = build(AICONVOS_CSP=setting)
        response = app.test_client().get(LIST_URL, headers=as_user("viewer"))
    header = response.headers.get("Content-Security-Policy")
    if expected is None:
        assert header is None
    else:
        assert header.startswith(expected) and "{nonce}" not in header
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("key", "value"),
    [("AICONVOS_CSP", ""), ("AICONVOS_CSP", 3), ("AICONVOS_REMOTE_IMAGES", "sometimes")],
)
def test_bad_settings_are_refused_at_start(database_url, key, value) -> None:
    with pytest.raises(ConfigurationError, match=key):
        make_host_app(database_url, **{key: value})
