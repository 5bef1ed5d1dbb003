"""Who may open what: the role checker, the view role, login redirects, link roles and link URLs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from flask_admin import Admin
from flask_babel import Babel
from flask_login import AnonymousUserMixin, UserMixin
from flask_sqlalchemy import SQLAlchemy
from markupsafe import Markup
from support.hosts import HOST_ENDPOINTS, USERS, FreshContextClient
from support.http import as_user, soup
from support.security import host_factory

from flask_aiconvos import AIConversations
from flask_aiconvos.access import AccessPolicy, default_role_checker, is_safe_link

LIST = "/admin/ai-conversations/"
DETAILS = "/admin/ai-conversations/details/"
EXPORTS = ("/admin/ai-conversations/export.csv", "/admin/ai-conversations/export.jsonl")
METRICS_JSON = "/admin/ai-conversations/metrics.json"
T0 = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
CONVERSION_KINDS = ("tour", "customer", "contract", "booking", "day_pass")


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A plain test client: pytest-flask's ``client`` preserves request contexts, which cannot
    nest with the per-request app context of ``support.hosts.FreshContextClient``."""
    return app.test_client()


@pytest.fixture
def build(database_url):
    """``build(**config)``: a host app (tables created) for this test's database."""
    with host_factory(database_url) as factory:
        yield factory


# --- the default role checker ----------------------------------------------------------------


@dataclass
class Role:
    name: str


@dataclass
class StringRolesUser(UserMixin):
    id: str
    roles: list[str] = field(default_factory=list)


@dataclass
class ObjectRolesUser(UserMixin):
    id: str
    roles: list[Role] = field(default_factory=list)


@dataclass
class HasRoleUser(UserMixin):
    id: str
    granted: set[str] = field(default_factory=set)
    roles: list[str] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)

    def has_role(self, role: str) -> bool:
        self.asked.append(role)
        return role in self.granted


@dataclass
class PlainUser(UserMixin):
    id: str


@dataclass
class SingleRoleUser(UserMixin):
    id: str
    roles: str = ""


class LoggedOutUser(StringRolesUser):
    """Holds the role but is not authenticated (a disabled or half-logged-in session)."""

    @property
    def is_authenticated(self) -> bool:
        return False


def test_anonymous_has_no_role():
    assert default_role_checker(None, "aiChannelSession") is False
    assert default_role_checker(AnonymousUserMixin(), "aiChannelSession") is False


def test_unauthenticated_user_has_no_role():
    user = LoggedOutUser("x", ["aiChannelSession"])
    assert default_role_checker(user, "aiChannelSession") is False


def test_has_role_is_asked_first_and_wins_over_roles():
    user = HasRoleUser("x", granted={"bookings"}, roles=["aiChannelSession"])
    assert default_role_checker(user, "bookings") is True
    assert default_role_checker(user, "aiChannelSession") is False
    assert user.asked == ["bookings", "aiChannelSession"]


def test_roles_as_strings():
    user = StringRolesUser("x", ["bookings", "aiChannelSession"])
    assert default_role_checker(user, "aiChannelSession") is True
    assert default_role_checker(user, "customers") is False


def test_roles_as_objects_with_a_name():
    user = ObjectRolesUser("x", [Role("bookings"), Role("aiChannelSession")])
    assert default_role_checker(user, "aiChannelSession") is True
    assert default_role_checker(user, "customers") is False


def test_roles_as_a_single_string_is_never_a_substring_match():
    user = SingleRoleUser("x", "aiChannelSessionAdmin")
    assert default_role_checker(user, "aiChannelSession") is False
    assert default_role_checker(user, "Session") is False
    assert default_role_checker(SingleRoleUser("y", "aiChannelSession"), "aiChannelSession")


def test_user_without_has_role_or_roles_has_no_role():
    assert default_role_checker(PlainUser("x"), "aiChannelSession") is False
    assert default_role_checker(object(), "aiChannelSession") is False


@pytest.mark.parametrize(
    ("name", "user", "status"),
    [
        ("strings", StringRolesUser("strings", ["aiChannelSession"]), 200),
        ("objects", ObjectRolesUser("objects", [Role("aiChannelSession")]), 200),
        ("other-objects", ObjectRolesUser("other-objects", [Role("bookings")]), 403),
        ("plain", PlainUser("plain"), 403),
    ],
)
def test_default_checker_gates_the_pages(build, monkeypatch, name, user, status):
    monkeypatch.setitem(USERS, name, user)
    app, _ = build()
    client = app.test_client()
    assert client.get(LIST, headers=as_user(name)).status_code == status
    assert client.get(METRICS_JSON, headers=as_user(name)).status_code == status
    assert client.get(DETAILS, query_string={"id": 1}, headers=as_user(name)).status_code == (
        404 if status == 200 else status
    )


# --- custom role checker and view role -------------------------------------------------------


def test_custom_role_checker_decides(build):
    calls: list[tuple[str | None, str]] = []

    def only_nobody(user, role: str) -> bool:
        calls.append((getattr(user, "id", None), role))
        return getattr(user, "id", None) == "nobody"

    app, _ = build(role_checker=only_nobody)
    client = app.test_client()
    assert client.get(LIST, headers=as_user("nobody")).status_code == 200
    assert client.get(LIST, headers=as_user("admin")).status_code == 403
    assert ("nobody", "aiChannelSession") in calls
    assert ("admin", "aiChannelSession") in calls


def test_view_role_is_configurable(build):
    app, _ = build(AICONVOS_VIEW_ROLE="helpDesk")
    client = app.test_client()
    assert client.get(LIST, headers=as_user("viewer")).status_code == 403
    assert client.get(LIST, headers=as_user("admin")).status_code == 200
    assert client.get(DETAILS, query_string={"id": 1}, headers=as_user("viewer")).status_code == 403
    for path in EXPORTS:
        # The export role alone does not replace the view role.
        assert client.get(path, headers=as_user("exporter")).status_code == 403


# --- unauthenticated and unauthorised answers -----------------------------------------------


def test_anonymous_is_redirected_to_the_login_view_with_next(app, client):
    cases = [(LIST, "channel=chat&search=acme"), (DETAILS, "id=7")]
    cases += [(path, "channel=chat&range=this_month") for path in EXPORTS]
    for path, query in cases:
        response = client.get(f"{path}?{query}")
        assert response.status_code == 302
        location = urlsplit(response.location)
        assert location.path == "/login"
        (next_url,) = parse_qs(location.query)["next"]
        assert urlsplit(next_url).path == path
        assert parse_qs(urlsplit(next_url).query) == parse_qs(query)
        assert not urlsplit(next_url).netloc


def test_anonymous_gets_401_when_the_host_has_no_login_view(build):
    app, _ = build()
    app.login_manager.login_view = None
    client = app.test_client()
    assert client.get(LIST).status_code == 401
    assert client.get(DETAILS, query_string={"id": 1}).status_code == 401
    assert client.get(LIST, headers=as_user("viewer")).status_code == 200


def test_the_hosts_unauthorized_handler_answers_for_anonymous(build):
    app, _ = build()

    @app.login_manager.unauthorized_handler
    def unauthorized():
        return "please sign in", 401

    response = app.test_client().get(LIST)
    assert response.status_code == 401
    assert response.get_data(as_text=True) == "please sign in"


def test_per_blueprint_login_view_is_used(build):
    app, _ = build()
    app.add_url_rule("/staff-login", "staff_login", lambda: "staff login")
    app.login_manager.blueprint_login_views = {"aiconvos": "staff_login"}
    response = app.test_client().get(LIST)
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/staff-login"


def test_host_without_flask_login_gets_401_unless_its_checker_says_yes():
    app = Flask("no_login_host")
    app.config.update(SQLALCHEMY_DATABASE_URI="sqlite://", SECRET_KEY="x", TESTING=True)
    app.test_client_class = FreshContextClient
    db = SQLAlchemy(app)
    Babel(app)  # installed with the test dependencies, so set up (Flask-Admin needs it then)
    admin = Admin(app, url="/admin")
    seen: list[object] = []

    def header_checker(user, role: str) -> bool:
        seen.append(user)
        return request.headers.get("X-Role") == role

    ext = AIConversations(app, db=db, admin=admin, role_checker=header_checker)
    with app.app_context():
        ext.create_all()
    client = app.test_client()
    assert client.get(LIST).status_code == 401
    assert client.get(LIST, headers={"X-Role": "bookings"}).status_code == 401
    assert client.get(LIST, headers={"X-Role": "aiChannelSession"}).status_code == 200
    assert seen and all(user is None for user in seen)


def test_no_role_is_403_everywhere_and_reveals_nothing(app, client, aiconvos):
    user = "nobody"
    conv = aiconvos.start_conversation(channel="chat", origin="portal_chat", subject="Secret")
    answers = [
        client.get(LIST, headers=as_user(user)),
        client.get(METRICS_JSON, headers=as_user(user)),
        client.get(METRICS_JSON, headers=as_user("export_only")),
        client.get(METRICS_JSON, query_string={"range": "bad"}, headers=as_user(user)),
        client.get(DETAILS, query_string={"id": conv.id}, headers=as_user(user)),
        client.get(DETAILS, query_string={"id": conv.id + 1000}, headers=as_user(user)),
        client.get(DETAILS, query_string={"id": "abc"}, headers=as_user(user)),
        *(client.get(path, headers=as_user(user)) for path in EXPORTS),
        *(client.get(path, headers=as_user("export_only")) for path in EXPORTS),
        *(
            client.get(path, query_string={"range": "bad"}, headers=as_user(user))
            for path in EXPORTS
        ),
    ]
    assert [a.status_code for a in answers] == [403] * 13
    assert len({a.get_data() for a in answers}) == 1
    assert b"Secret" not in answers[4].get_data()


# --- the menu ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("user", "shown"), [(None, False), ("nobody", False), ("viewer", True)])
def test_menu_entry_only_for_the_view_role(app, client, user, shown):
    page = soup(client.get("/admin/", headers=as_user(user)))
    links = [a.get("href") for a in page.find_all("a")]
    assert (LIST in links) is shown
    texts = {a.get_text(strip=True) for a in page.find_all("a")}
    assert ("AI Conversations" in texts) is shown
    assert ("AI Assistant" in texts) is shown


# --- link roles per kind ----------------------------------------------------------------------


def seed_linked(aiconvos: AIConversations) -> int:
    """One conversation linked to every kind of host record."""
    conv = aiconvos.start_conversation(
        channel="chat",
        origin="portal_chat",
        subject="Linked everywhere",
        customer_id="C-1",
        customer_name="Ada Lovelace",
        customer_company="Engines Ltd",
        started_at=T0,
    )
    aiconvos.add_message(conv.id, sender="customer", body="Hello", sent_at=T0)
    for kind in CONVERSION_KINDS:
        aiconvos.record_conversion(conv.id, kind=kind, target_id=f"{kind}-1", occurred_at=T0)
    aiconvos.link_inbox_item(conv.id, item_id="INB-1", status="pending", title="Proposed tour")
    aiconvos.escalate(conv.id, ticket_id="T-1", subject="Payment inquiry")
    return conv.id


@dataclass
class Links:
    """What one user sees as links on the list row and the timeline of a conversation."""

    list_badges: dict[str, str | None]
    timeline_badges: dict[str, str | None]
    avatar: str | None
    inbox_item: str | None
    ticket: str | None

    @property
    def all_kinds(self) -> dict[str, str | None]:
        return {
            **{f"list:{k}": v for k, v in self.list_badges.items()},
            **{f"timeline:{k}": v for k, v in self.timeline_badges.items()},
            "avatar": self.avatar,
            "inbox_item": self.inbox_item,
            "ticket": self.ticket,
        }


def href_of(element) -> str | None:
    """The ``href`` when ``element`` is a link (or holds exactly one), else ``None``."""
    if element.name == "a":
        return element.get("href")
    links = element.find_all("a")
    assert len(links) <= 1, element
    return links[0].get("href") if links else None


def links_seen(client, conv_id: int, user: str) -> Links:
    listing = soup(client.get(LIST, headers=as_user(user)))
    row = listing.select_one(f'tr[data-conversation-id="{conv_id}"]')
    assert row is not None
    list_badges = {b["data-conversion"]: href_of(b) for b in row.select("[data-conversion]")}
    timeline = soup(client.get(DETAILS, query_string={"id": conv_id}, headers=as_user(user)))
    container = timeline.select_one("#aiconvos-timeline-page")
    timeline_badges = {
        b["data-conversion"]: href_of(b) for b in container.select("[data-conversion]")
    }
    avatar = container.select_one(".aiconvos-customer")
    inbox = container.select_one('[data-inbox-item="INB-1"]')
    ticket = container.select_one('[data-ticket="T-1"]')
    assert avatar is not None and inbox is not None and ticket is not None
    assert "Ada Lovelace" in avatar.get_text()
    assert "Proposed tour" in inbox.get_text()
    assert "Payment inquiry" in ticket.get_text()
    assert set(list_badges) == set(timeline_badges) == set(CONVERSION_KINDS)
    return Links(list_badges, timeline_badges, href_of(avatar), href_of(inbox), href_of(ticket))


EXPECTED_HREFS = {
    **{f"list:{kind}": f"/host/{kind}/{kind}-1" for kind in CONVERSION_KINDS},
    **{f"timeline:{kind}": f"/host/{kind}/{kind}-1" for kind in CONVERSION_KINDS},
    "avatar": "/host/customer/C-1",
    "inbox_item": "/host/inbox_item/INB-1",
    "ticket": "/host/ticket/T-1",
}


def test_every_link_for_a_user_with_every_link_role(app, client, aiconvos):
    conv_id = seed_linked(aiconvos)
    assert links_seen(client, conv_id, "admin").all_kinds == EXPECTED_HREFS


def test_no_link_without_the_link_roles_but_everything_is_shown(app, client, aiconvos):
    conv_id = seed_linked(aiconvos)
    seen = links_seen(client, conv_id, "viewer").all_kinds
    assert seen == dict.fromkeys(EXPECTED_HREFS)


def test_each_link_role_opens_only_its_kinds(build, monkeypatch):
    monkeypatch.setitem(
        USERS, "booker", USERS["viewer"].__class__("booker", {"aiChannelSession", "bookings"})
    )
    app, ext = build()
    with app.app_context():
        conv_id = seed_linked(ext)
    seen = links_seen(app.test_client(), conv_id, "booker").all_kinds
    linked = {key for key, href in seen.items() if href}
    # The test host's AICONVOS_LINK_ROLES gives booking and day_pass the "bookings" role.
    assert linked == {"list:booking", "list:day_pass", "timeline:booking", "timeline:day_pass"}
    for key in linked:
        assert seen[key] == EXPECTED_HREFS[key]


def test_a_kind_without_a_link_role_needs_only_the_view_role(build):
    app, ext = build(AICONVOS_LINK_ROLES={"booking": "bookings"})
    with app.app_context():
        conv_id = seed_linked(ext)
    seen = links_seen(app.test_client(), conv_id, "viewer").all_kinds
    expected = dict(EXPECTED_HREFS)
    expected["list:booking"] = expected["timeline:booking"] = None
    assert seen == expected


def test_a_kind_without_a_links_entry_is_never_a_link(build):
    app, ext = build(links={"ticket": "ticket_detail"})
    with app.app_context():
        conv_id = seed_linked(ext)
    seen = links_seen(app.test_client(), conv_id, "admin").all_kinds
    assert {k: v for k, v in seen.items() if v} == {"ticket": "/host/ticket/T-1"}


def test_callables_in_links(build):
    links = {
        kind: (lambda target, kind=kind: f"https://crm.example/{kind}/{target}")
        for kind in HOST_ENDPOINTS
    }
    app, ext = build(links=links)
    with app.app_context():
        conv_id = seed_linked(ext)
    seen = links_seen(app.test_client(), conv_id, "admin").all_kinds
    assert seen == {
        key: href.replace("/host/", "https://crm.example/") for key, href in EXPECTED_HREFS.items()
    }


def test_an_endpoint_that_cannot_be_built_is_not_a_link(build, caplog):
    app, ext = build(links={**HOST_ENDPOINTS, "tour": "no_such_endpoint"})
    with app.app_context():
        conv_id = seed_linked(ext)
    seen = links_seen(app.test_client(), conv_id, "admin").all_kinds
    assert seen["list:tour"] is None and seen["timeline:tour"] is None
    assert seen["list:booking"] == EXPECTED_HREFS["list:booking"]
    assert "no_such_endpoint" in caplog.text


HOSTILE_LINKS = [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "\x00javascript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "//evil.example",
    "//evil.example/path",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "https:evil.example",
    "http://",
    "mailto:x@evil.example",
    "",
    None,
    42,
]


@pytest.mark.parametrize("hostile", HOSTILE_LINKS, ids=repr)
def test_a_link_builder_returning_an_unsafe_url_is_not_a_link(build, hostile):
    links = dict.fromkeys(HOST_ENDPOINTS, lambda target: hostile)
    app, ext = build(links=links)
    with app.app_context():
        conv_id = seed_linked(ext)
    seen = links_seen(app.test_client(), conv_id, "admin").all_kinds
    assert seen == dict.fromkeys(EXPECTED_HREFS)


def test_a_markup_url_from_a_link_builder_is_still_escaped(build):
    trick = Markup('/crm/x" onclick="alert(1)')
    app, ext = build(links=dict.fromkeys(HOST_ENDPOINTS, lambda t: trick))
    with app.app_context():
        conv_id = seed_linked(ext)
    client = app.test_client()
    seen = links_seen(client, conv_id, "admin").all_kinds
    assert set(seen.values()) == {str(trick)}
    for path, query in ((LIST, {}), (DETAILS, {"id": conv_id})):
        page = soup(client.get(path, query_string=query, headers=as_user("admin")))
        assert not page.find_all(attrs={"onclick": True})


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("/host/customer/1", True),
        ("/", True),
        ("customers/1", True),
        ("?id=1", True),
        ("#top", True),
        ("https://crm.example/c/1", True),
        ("HTTP://crm.example", True),
        ("http://[::1]:8080/x", True),
        ("http://[::1", False),
        ("./a:b", True),
        ("a:b/c", False),
        ("1javascript:alert(1)", False),
        ("/x\x7f", False),
        ("/x ", False),
        *[(url, False) for url in HOSTILE_LINKS],
    ],
    ids=repr,
)
def test_is_safe_link(url, safe):
    assert is_safe_link(url) is safe


def test_link_for_needs_the_kind_role_and_an_id():
    policy = AccessPolicy(
        view_role="aiChannelSession",
        link_roles={"booking": "bookings"},
        links={"booking": lambda t: f"/b/{t}", "tour": lambda t: f"/t/{t}"},
    )
    viewer = StringRolesUser("v", ["aiChannelSession"])
    booker = StringRolesUser("b", ["aiChannelSession", "bookings"])
    assert policy.link_for(viewer, "booking", "1") is None
    assert policy.link_for(booker, "booking", "1") == "/b/1"
    assert policy.link_for(viewer, "tour", "1") == "/t/1"
    assert policy.link_for(viewer, "tour", None) is None
    assert policy.link_for(booker, "contract", "1") is None
