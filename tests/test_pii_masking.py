"""Masked e-mail addresses and phone numbers for operators without AICONVOS_PII_ROLE."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote_plus, urlsplit

import pytest
from support.http import as_user, soup
from support.listing import LIST_URL, record_contacts

from flask_aiconvos import masking

DETAILS = "/admin/ai-conversations/details/"
#: The role that sees identifiers in full; the test host's "admin" holds every link role, so
#: the tests give it this one through a role of its own ("customers").
PII_ROLE = "customers"

IDENTIFIERS = {
    "+44 7700 900123": "+44 •••• ••0123",
    "+1 415-555-0199": "+1 •••-•••-0199",
    "+49 30 12345678": "+49 •• ••••5678",
    "+34 612 345 678": "+34 ••• ••5 678",
    "nadia.haddad@example.com": "n•••@example.com",
}


@pytest.mark.parametrize(("identifier", "masked"), IDENTIFIERS.items())
def test_identifiers_keep_only_what_tells_them_apart(identifier, masked) -> None:
    assert masking.mask_identifier(identifier) == masked
    assert masking.mask_text(f"Reach me at {identifier} today") == f"Reach me at {masked} today"


@pytest.mark.parametrize(
    "text", ["Tour on 2026-11-18 at 10:30", "Invoice #1234, room 12", "18.11.2026"]
)
def test_dates_and_short_numbers_are_not_phone_numbers(text) -> None:
    assert masking.mask_text(text) == text


def test_links_to_an_address_become_text() -> None:
    html = '<p><a href="mailto:jo@acme.co.uk" title="jo@acme.co.uk">jo@acme.co.uk</a> or <a href="https://acme.co.uk/">site</a></p>'
    masked = str(masking.mask_html(html))
    assert "jo@acme" not in masked and "mailto:" not in masked
    assert 'href="https://acme.co.uk/"' in masked and "j•••@acme.co.uk" in masked


@pytest.fixture
def app_config() -> dict:
    return {"AICONVOS_PII_ROLE": PII_ROLE}


@pytest.fixture
def seeded(aiconvos):
    return record_contacts(aiconvos)


#: The seeded values, in the forms a page could carry them.
VALUES = ("7700 900123", "7700900123", "nadia.haddad@", "415-555")
#: ... and on a screen, no link to write to one either.
SECRETS = (*VALUES, "mailto:")


def responses(client, seeded, user):
    phone, email = seeded
    yield client.get(LIST_URL, headers=as_user(user))
    for conversation in (phone, email):
        yield client.get(DETAILS, query_string={"id": conversation.id}, headers=as_user(user))
    # A search for part of a value finds it without the page giving the rest away.
    yield client.get(LIST_URL, query_string={"search": "haddad"}, headers=as_user(user))


def test_a_viewer_without_the_role_never_receives_a_full_value(client, seeded) -> None:
    for response in responses(client, seeded, "viewer"):
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        for secret in SECRETS:
            assert secret not in body, secret
        assert "n•••@example.com" in body or "+44 •••• ••0123" in body


def test_searching_by_a_full_identifier_still_finds_it(client, seeded) -> None:
    _, email = seeded
    page = soup(
        client.get(
            LIST_URL, query_string={"search": "nadia.haddad@example.com"}, headers=as_user("viewer")
        )
    )
    assert [int(tr["data-conversation-id"]) for tr in page.select("tr[data-conversation-id]")] == [
        email.id
    ]
    # The rows hold the masked value; only the search the operator typed is echoed back.
    assert "n•••@example.com" in page.select_one("td.col-customer").get_text()
    rows = page.select_one("table.aiconvos-list tbody")
    for link in rows.select("a[data-timeline-link], [data-search-hit] a, a[data-search-hit]"):
        # Each row's timeline link carries the typed search on to the timeline (the list's
        # parameters), and nothing else of the identifier.
        assert parse_qs(urlsplit(link["href"]).query)["search"] == ["nadia.haddad@example.com"]
        del link["href"]
    assert "nadia.haddad" not in str(rows)


def test_an_operator_with_the_role_sees_everything(client, seeded) -> None:
    bodies = [r.get_data(as_text=True) for r in responses(client, seeded, "admin")]
    assert any("nadia.haddad@example.com" in body for body in bodies)
    assert any("+44 7700 900123" in body for body in bodies)
    assert not any("•••" in body for body in bodies)


@pytest.mark.parametrize("app_config", [{}])
def test_without_a_pii_role_nothing_is_masked(client, seeded) -> None:
    body = client.get(LIST_URL, headers=as_user("viewer")).get_data(as_text=True)
    assert "nadia.haddad@example.com" in body and "•••" not in body


def extension_routes(app) -> list[str]:
    """The URL of every rule of the extension's views (the endpoint matrix's columns)."""
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in ("aiconvos", "aiconvos_audit"):
            url = rule.rule
            for converter in ("<path:filename>", "<export_type>"):
                url = url.replace(converter, "csv")
            urls.append(url)
    return sorted(urls)


@pytest.mark.parametrize("user", ["viewer", "exporter", "auditor", "nobody", None])
def test_no_response_of_any_endpoint_holds_a_full_value(app, client, seeded, user) -> None:
    phone, email = seeded
    # An operator who may see everything searches and reads first: the access log now holds
    # full values in what it recorded.
    for query in ({"search": "nadia.haddad@example.com"}, {"search": "+44 7700 900123"}):
        assert client.get(LIST_URL, query_string=query, headers=as_user("admin")).status_code == 200
    queries = [
        {},
        {"id": str(phone.id)},
        {"id": str(email.id)},
        {"search": "haddad"},
        {"search": "7700"},
        {"id": str(email.id), "images": "1"},
    ]
    checked = 0
    for url in extension_routes(app):
        for query in queries:
            for method in ("GET", "POST"):
                response = client.open(
                    url, method=method, query_string=query, headers=as_user(user)
                )
                # Also as the text a query string or URL in the page would carry it.
                body = response.get_data(as_text=True)
                body += unquote_plus(body)
                # An export holds the message as stored, its masked mailto: link included.
                shown = SECRETS if response.mimetype == "text/html" else VALUES
                for secret in shown:
                    assert secret not in body, (method, url, query, user, secret)
                checked += response.status_code == 200
    assert checked if user in ("viewer", "exporter", "auditor") else not checked
