"""One app's registration, and where the package keeps its resources.

A leaf module: every other module that needs the current app's settings or the shipped
``templates``/``migrations`` folders imports it, and it imports none of them at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

if TYPE_CHECKING:
    from flask_sqlalchemy import SQLAlchemy
    from sqlalchemy import Engine

    from .access import AccessPolicy
    from .extension import AIConversations
    from .recording import RecordingSettings
    from .views import ConversationView

#: The key of ``app.extensions`` that holds an app's ``ExtensionState``.
EXTENSION_KEY = "aiconvos"
PACKAGE_DIR = Path(__file__).resolve().parent

#: Returns the current time, timezone-aware. ``init_app(clock=...)`` replaces the real one.
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


def resource_dir(name: str) -> Path:
    """Where ``templates`` or ``migrations`` live: inside the installed package, else the checkout.

    The wheel maps the top-level ``templates/`` and ``migrations/`` folders into the package;
    a source checkout keeps them beside it.
    """
    for candidate in (PACKAGE_DIR / name, PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"flask_aiconvos: no {name!r} folder beside {PACKAGE_DIR}")


@dataclass
class ExtensionState:
    """Everything one app's registration holds, kept in ``app.extensions["aiconvos"]``."""

    extension: AIConversations
    db: SQLAlchemy
    access: AccessPolicy
    recording: RecordingSettings
    timezone: str
    page_size: int
    timeline_page_size: int
    clock: Clock
    view: ConversationView
    #: ``AICONVOS_CSP``: ``"default"``, the host's own policy, or ``None`` for no policy.
    csp: str | None = "default"
    #: ``AICONVOS_REMOTE_IMAGES == "allow"``: messages load their remote images.
    remote_images: bool = False
    #: ``AICONVOS_AUDIT``: the access log records page views.
    audit: bool = True
    #: ``AICONVOS_AUDIT_WRITE``: ``"background"`` (a writer thread) or ``"request"``.
    audit_write: str = "background"
    #: ``AICONVOS_AUDIT_ROLE``: who may read the access log.
    audit_role: str = "aiChannelSessionAudit"
    #: ``AICONVOS_AUDIT_USER_DISPLAY``: how an access-log entry names its user.
    audit_user_display: Callable[[Any], str | None] = lambda user: None
    #: ``AICONVOS_BIND_KEY``: the host's Flask-SQLAlchemy bind holding the extension's tables
    #: (``None``: the default database).
    bind_key: str | None = None

    @property
    def engine(self) -> Engine:
        """The engine of the database that holds the extension's tables (app context)."""
        return self.db.engines[self.bind_key]


def get_state(app: Flask | None = None) -> ExtensionState:
    """This app's registration (the current app when none is given)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        return app.extensions[EXTENSION_KEY]
    except KeyError:
        raise RuntimeError(
            "flask-aiconvos is not registered on this app: call aiconvos.init_app(app, ...)"
        ) from None
