"""Who may see what: the role checker, per-kind link permissions and the tenant scope."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import flask_login
from flask import current_app, url_for
from werkzeug.routing import BuildError

from .errors import ConfigurationError
from .vocab import LinkKind, values

log = logging.getLogger(__name__)

RoleChecker = Callable[[Any, str], bool]
LinkTarget = str | Callable[[str], str]
Scope = Callable[[], Any]


def default_role_checker(user: Any, role: str) -> bool:
    """Whether ``user`` holds ``role``: never when anonymous (or not authenticated); else
    ``user.has_role(role)`` when the user has that method; else ``role in user.roles``, whose
    items are role names or objects with a ``.name``."""
    if user is None or getattr(user, "is_anonymous", False):
        return False
    if not getattr(user, "is_authenticated", True):
        return False
    has_role = getattr(user, "has_role", None)
    if callable(has_role):
        return bool(has_role(role))
    roles = getattr(user, "roles", None)
    if isinstance(roles, str):
        # One role name, not a collection: never a substring match.
        return roles == role
    if not isinstance(roles, Iterable):
        return False
    for held in roles:
        name = held if isinstance(held, str) else getattr(held, "name", None)
        if name == role:
            return True
    return False


def current_user() -> Any:
    """The Flask-Login user of this request, or ``None`` when the host does not use Flask-Login."""
    if getattr(current_app, "login_manager", None) is None:
        return None
    return flask_login.current_user._get_current_object()


def is_safe_link(url: object) -> bool:
    """Only a relative URL (same site) or an absolute http(s) URL may become an ``href``.

    Refused: any other scheme (``javascript:``, ``data:``, ``vbscript:``, ``mailto:``),
    protocol-relative ``//host`` (and ``\\host``, ``/\\host``, which browsers read the same way),
    control characters, surrounding white space and backslashes, which browsers strip or rewrite
    before they read the scheme.
    """
    if not isinstance(url, str) or not url or url != url.strip():
        return False
    if "\\" in url or any(ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return False
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:  # e.g. an unbalanced "[" in the host
        return False
    if parts.scheme:
        return parts.scheme in ("http", "https") and bool(hostname)
    if url.startswith("//") or parts.netloc:
        return False
    # A relative reference: a colon before the first "/", "?" or "#" would read as a scheme.
    first_segment = url.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    return ":" not in first_segment


def validate_links(links: Mapping[str, LinkTarget] | None) -> dict[str, LinkTarget]:
    if links is None:
        return {}
    if not isinstance(links, Mapping):
        raise ConfigurationError("links must be a mapping of record kind to endpoint or callable")
    allowed = values(LinkKind)
    checked: dict[str, LinkTarget] = {}
    for kind, target in links.items():
        if kind not in allowed:
            raise ConfigurationError(
                f"links: unknown kind {kind!r}; allowed kinds: {', '.join(allowed)}"
            )
        if not (isinstance(target, str) and target) and not callable(target):
            raise ConfigurationError(f"links[{kind!r}] must be an endpoint name or a callable")
        checked[kind] = target
    return checked


def validate_link_roles(link_roles: object) -> dict[str, str]:
    if not isinstance(link_roles, Mapping):
        raise ConfigurationError("AICONVOS_LINK_ROLES must be a mapping of record kind to role")
    allowed = values(LinkKind)
    for kind, role in link_roles.items():
        if kind not in allowed:
            raise ConfigurationError(
                f"AICONVOS_LINK_ROLES: unknown kind {kind!r}; allowed kinds: {', '.join(allowed)}"
            )
        if not isinstance(role, str) or not role:
            raise ConfigurationError(f"AICONVOS_LINK_ROLES[{kind!r}] must be a role name")
    return dict(link_roles)


@dataclass
class AccessPolicy:
    """One app's access settings, consulted on every request."""

    view_role: str
    role_checker: RoleChecker = default_role_checker
    link_roles: dict[str, str] = field(default_factory=dict)
    links: dict[str, LinkTarget] = field(default_factory=dict)
    scope: Scope | None = None
    #: ``AICONVOS_PII_ROLE``: who sees e-mail addresses and phone numbers unmasked (``None``:
    #: everyone who sees the screens).
    pii_role: str | None = None
    #: ``AICONVOS_EXPORT_ROLE``: who may download the list as CSV or JSON Lines (besides the
    #: view role).
    export_role: str = "aiChannelSessionExport"

    def can_view(self, user: Any) -> bool:
        return bool(self.role_checker(user, self.view_role))

    def can_export(self, user: Any) -> bool:
        """Whether ``user`` may export the list (the view role is checked by the view)."""
        return bool(self.role_checker(user, self.export_role))

    def masks_pii(self, user: Any) -> bool:
        """Whether ``user`` sees identifiers and the addresses and numbers in messages masked."""
        return self.pii_role is not None and not self.role_checker(user, self.pii_role)

    def may_link(self, user: Any, kind: str) -> bool:
        """Whether ``user`` may open host records of ``kind`` (no link role: the view role does)."""
        if kind not in self.links:
            return False
        role = self.link_roles.get(kind)
        return role is None or bool(self.role_checker(user, role))

    def link_for(self, user: Any, kind: str, target_id: str | None) -> str | None:
        """The URL of a host record, or ``None`` when it must be shown without a link."""
        if target_id is None or not self.may_link(user, kind):
            return None
        target = self.links[kind]
        try:
            url = target(target_id) if callable(target) else url_for(target, id=target_id)
        except BuildError:
            log.warning("aiconvos: cannot build a %s link with endpoint %r", kind, target)
            return None
        if not is_safe_link(url):
            log.warning("aiconvos: not linking %s to %r (not relative or http(s))", kind, url)
            return None
        # A plain ``str``: a ``Markup`` from a link builder would skip the template's escaping.
        return str(url)

    def tenant(self) -> str | None:
        """The tenant the current operator may see, ``None`` for every tenant."""
        if self.scope is None:
            return None
        value = self.scope()
        return None if value is None else str(value)
