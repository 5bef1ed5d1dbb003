"""Read-only lockdown: every route of the view × every kind of user; nothing ever changes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from support.hosts import DATABASES, tenant_of_current_user
from support.http import as_user
from support.security import host_factory, module_database, snapshot

SERVED = {
    "aiconvos.index_view",
    "aiconvos.details_view",
    "aiconvos.export_csv",
    "aiconvos.export_jsonl",
    "aiconvos.metrics_json",
}
EXPORTS = {"aiconvos.export_csv", "aiconvos.export_jsonl"}
USERS = [None, "nobody", "export_only", "viewer", "admin", "tenant_b", "exporter", "exporter_b"]
#: Who holds the export role besides the view role.
EXPORTERS = {"exporter", "exporter_b"}


@pytest.fixture(scope="module", params=DATABASES)
def host(request: pytest.FixtureRequest) -> Iterator[tuple[Flask, int]]:
    with module_database(request.param) as url, host_factory(url) as build:
        app, ext = build(scope=tenant_of_current_user)
        with app.app_context():
            conv = ext.start_conversation(channel="chat", origin="portal_chat", tenant="a")
            ext.add_message(conv.id, sender="customer", body="Hi")
            ext.record_conversion(conv.id, kind="booking", target_id="B-1")
        yield app, conv.id


def routes(app: Flask) -> list[tuple[str, str]]:
    """(endpoint, URL) of every rule the extension's view registered."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("aiconvos."):
            url = (
                rule.rule.replace("<export_type>", "csv")
                .replace("<path:", "<")
                .replace("<", "")
                .replace(">", "")
            )
            found.append((rule.endpoint, url))
    return sorted(found)


def test_the_view_registers_the_expected_routes(host):
    app, _ = host
    endpoints = {endpoint for endpoint, _ in routes(app)}
    assert endpoints >= SERVED
    assert {"aiconvos.action_view", "aiconvos.delete_view", "aiconvos.edit_view"} <= endpoints


@pytest.mark.parametrize("user", USERS, ids=[u or "anonymous" for u in USERS])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_every_route_for_every_user(host, user, method):
    app, conv_id = host
    before = snapshot(app)
    client = app.test_client()
    form = {"rowid": str(conv_id), "action": "delete", "id": str(conv_id), "url": "/", "name": "x"}
    for endpoint, url in routes(app):
        query = {"id": str(conv_id)}
        response = client.open(
            url,
            method=method,
            query_string=query,
            data=form if method == "POST" else None,
            headers=as_user(user),
        )
        status = response.status_code
        # A streamed export holds its request context until its body is read or closed.
        response.close()
        where = f"{method} {url} as {user}: {status}"
        if endpoint not in SERVED:
            assert status in (403, 404, 405), where
        elif method == "POST":
            assert status in (302, 401, 403, 404, 405), where
        elif user is None:
            assert status == 302 and "/login" in response.headers["Location"], where
        elif user in ("nobody", "export_only") or (endpoint in EXPORTS and user not in EXPORTERS):
            assert status == 403, where
        elif user in ("tenant_b", "exporter_b") and endpoint == "aiconvos.details_view":
            assert status == 404, where
        else:
            assert status == 200, where
    assert snapshot(app) == before
