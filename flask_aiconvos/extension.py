"""``AIConversations``: config defaults, registration of the admin view, templates and CLI."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, Flask, current_app

from . import recording
from .access import (
    AccessPolicy,
    LinkTarget,
    RoleChecker,
    Scope,
    default_role_checker,
    validate_link_roles,
    validate_links,
)
from .errors import ConfigurationError, InvalidRecord
from .models import Conversation, Conversion, EscalationTicket, InboxItem, Message, metadata
from .rendering import SANITIZER_ENGINES

if TYPE_CHECKING:
    from flask_admin import Admin
    from flask_sqlalchemy import SQLAlchemy

    from .views import ConversationView

EXTENSION_KEY = "aiconvos"
PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """Where ``templates`` or ``migrations`` live: inside the installed package, else the checkout.

    The wheel maps the top-level ``templates/`` and ``migrations/`` folders into the package;
    a source checkout keeps them beside it.
    """
    for candidate in (PACKAGE_DIR / name, PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"flask_aiconvos: no {name!r} folder beside {PACKAGE_DIR}")


CONFIG_DEFAULTS: dict[str, Any] = {
    "AICONVOS_VIEW_ROLE": "aiChannelSession",
    "AICONVOS_LINK_ROLES": {},
    "AICONVOS_URL": "ai-conversations",
    "AICONVOS_ENDPOINT": "aiconvos",
    "AICONVOS_NAME": "AI Conversations",
    "AICONVOS_CATEGORY": "AI Assistant",
    "AICONVOS_PAGE_SIZE": 25,
    "AICONVOS_TIMELINE_PAGE_SIZE": 100,
    "AICONVOS_TIMEZONE": "UTC",
    "AICONVOS_SANITIZER": "nh3",
    "AICONVOS_MARKDOWNIFY_CHANNELS": (),
    "AICONVOS_MAX_BODY_CHARS": recording.DEFAULT_MAX_BODY_CHARS,
}


@dataclass
class _State:
    """Everything one app's registration holds, kept in ``app.extensions["aiconvos"]``."""

    extension: AIConversations
    db: SQLAlchemy
    admin: Admin
    access: AccessPolicy
    recording: recording.RecordingSettings
    timezone: str
    page_size: int
    timeline_page_size: int
    view: ConversationView


def _positive_int(config: Mapping[str, Any], key: str, upper: int) -> int:
    value = config[key]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= upper:
        raise ConfigurationError(f"{key} must be a whole number from 1 to {upper}, got {value!r}")
    return value


def _non_empty_str(config: Mapping[str, Any], key: str) -> str:
    value = config[key]
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{key} must be a non-empty string, got {value!r}")
    return value


class AIConversations:
    """The flask-aiconvos extension: an *AI Conversations* workspace in the host's Flask-Admin.

    Create it once, then ``init_app(app, db=..., admin=...)`` (or pass ``app`` to the
    constructor). The recording methods act on the app of the current app context.
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        db: SQLAlchemy | None = None,
        admin: Admin | None = None,
        role_checker: RoleChecker | None = None,
        links: Mapping[str, LinkTarget] | None = None,
        scope: Scope | None = None,
    ) -> None:
        if app is not None:
            self.init_app(
                app, db=db, admin=admin, role_checker=role_checker, links=links, scope=scope
            )

    def init_app(
        self,
        app: Flask,
        *,
        db: SQLAlchemy | None = None,
        admin: Admin | None = None,
        role_checker: RoleChecker | None = None,
        links: Mapping[str, LinkTarget] | None = None,
        scope: Scope | None = None,
    ) -> None:
        """Register the extension on ``app``: config defaults, the admin view, templates, CLI."""
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError(
                "flask-aiconvos is already registered on this app. Call init_app once per app; "
                "to change options, create the app again."
            )
        if db is None or not hasattr(type(db), "engine") or not hasattr(db, "session"):
            raise ConfigurationError("init_app needs db=<the host's flask_sqlalchemy.SQLAlchemy>")
        if admin is None or not hasattr(admin, "add_view"):
            raise ConfigurationError("init_app needs admin=<the host's flask_admin.Admin>")
        if role_checker is not None and not callable(role_checker):
            raise ConfigurationError("role_checker must be callable(user, role) -> bool")
        if scope is not None and not callable(scope):
            raise ConfigurationError("scope must be callable() -> tenant value or None")

        for key, value in CONFIG_DEFAULTS.items():
            app.config.setdefault(key, value.copy() if isinstance(value, dict) else value)
        config = app.config

        timezone = _non_empty_str(config, "AICONVOS_TIMEZONE")
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigurationError(f"AICONVOS_TIMEZONE: unknown time zone {timezone!r}") from None
        sanitizer = config["AICONVOS_SANITIZER"]
        if sanitizer not in SANITIZER_ENGINES:
            raise ConfigurationError(
                f"AICONVOS_SANITIZER must be one of {', '.join(SANITIZER_ENGINES)}, "
                f"got {sanitizer!r}"
            )
        try:
            markdownify_channels = recording.channel_set(
                "AICONVOS_MARKDOWNIFY_CHANNELS", config["AICONVOS_MARKDOWNIFY_CHANNELS"]
            )
        except InvalidRecord as error:
            raise ConfigurationError(str(error)) from None

        access = AccessPolicy(
            view_role=_non_empty_str(config, "AICONVOS_VIEW_ROLE"),
            role_checker=role_checker or default_role_checker,
            link_roles=validate_link_roles(config["AICONVOS_LINK_ROLES"]),
            links=validate_links(links),
            scope=scope,
        )
        settings = recording.RecordingSettings(
            sanitizer=sanitizer,
            markdownify_channels=markdownify_channels,
            max_body_chars=_positive_int(config, "AICONVOS_MAX_BODY_CHARS", 50_000_000),
        )

        from .views import ConversationView

        view = ConversationView(
            Conversation,
            db,
            name=_non_empty_str(config, "AICONVOS_NAME"),
            category=config["AICONVOS_CATEGORY"] or None,
            endpoint=_non_empty_str(config, "AICONVOS_ENDPOINT"),
            url=_non_empty_str(config, "AICONVOS_URL"),
        )
        state = _State(
            extension=self,
            db=db,
            admin=admin,
            access=access,
            recording=settings,
            timezone=timezone,
            page_size=_positive_int(config, "AICONVOS_PAGE_SIZE", 500),
            timeline_page_size=_positive_int(config, "AICONVOS_TIMELINE_PAGE_SIZE", 2000),
            view=view,
        )
        app.extensions[EXTENSION_KEY] = state
        view.page_size = state.page_size

        # A route-less blueprint: its templates sit behind the host's own, so a host overrides
        # ``aiconvos/list.html`` by putting a file of that name in its templates folder.
        app.register_blueprint(
            Blueprint(
                "aiconvos_templates", __name__, template_folder=str(resource_dir("templates"))
            )
        )
        admin.add_view(view)

        from .cli import aiconvos_cli

        app.cli.add_command(aiconvos_cli)

    # --- state ----------------------------------------------------------------------------

    @staticmethod
    def state(app: Flask | None = None) -> _State:
        """This app's registration (the current app when none is given)."""
        app = app or current_app._get_current_object()  # type: ignore[attr-defined]
        try:
            return app.extensions[EXTENSION_KEY]
        except KeyError:
            raise RuntimeError(
                "flask-aiconvos is not registered on this app: call aiconvos.init_app(app, ...)"
            ) from None

    @property
    def models(self) -> dict[str, type]:
        return {
            "Conversation": Conversation,
            "Message": Message,
            "Conversion": Conversion,
            "InboxItem": InboxItem,
            "EscalationTicket": EscalationTicket,
        }

    def create_all(self) -> None:
        """Create the extension's tables directly (tests, demos); production uses migrations."""
        metadata.create_all(self.state().db.engine)

    def drop_all(self) -> None:
        """Drop the extension's tables (tests)."""
        metadata.drop_all(self.state().db.engine)

    # --- recording API (PRODUCT.md §6) ----------------------------------------------------

    def start_conversation(
        self,
        *,
        channel: str,
        origin: str,
        subject: str | None = None,
        customer_id: str | int | None = None,
        customer_name: str | None = None,
        customer_company: str | None = None,
        external_identifier: str | None = None,
        started_at: datetime | None = None,
        tenant: str | int | None = None,
    ) -> Conversation:
        """Start a conversation and return it (with ``.id``)."""
        state = self.state()
        return recording.start_conversation(
            state.db.session,
            state.recording,
            channel=channel,
            origin=origin,
            subject=subject,
            customer_id=customer_id,
            customer_name=customer_name,
            customer_company=customer_company,
            external_identifier=external_identifier,
            started_at=started_at,
            tenant=tenant,
        )

    def add_message(
        self,
        conversation_id: int,
        *,
        sender: str,
        body: str,
        content_format: str = "text",
        via: str | None = None,
        sent_at: datetime | None = None,
        external_id: str | None = None,
        convert_to_markdown: bool | None = None,
    ) -> Message:
        """Add a message; the same ``external_id`` twice returns the stored message."""
        state = self.state()
        return recording.add_message(
            state.db.session,
            state.recording,
            conversation_id,
            sender=sender,
            body=body,
            content_format=content_format,
            via=via,
            sent_at=sent_at,
            external_id=external_id,
            convert_to_markdown=convert_to_markdown,
        )

    def record_conversion(
        self,
        conversation_id: int,
        *,
        kind: str,
        target_id: str | int,
        occurred_at: datetime | None = None,
    ) -> Conversion:
        """Record a tour, new customer, contract, booking or day pass the conversation led to."""
        state = self.state()
        return recording.record_conversion(
            state.db.session,
            state.recording,
            conversation_id,
            kind=kind,
            target_id=target_id,
            occurred_at=occurred_at,
        )

    def link_inbox_item(
        self,
        conversation_id: int,
        *,
        item_id: str | int,
        status: str,
        title: str | None = None,
    ) -> InboxItem:
        """Link an AI Inbox item; linking it again updates its status."""
        state = self.state()
        return recording.link_inbox_item(
            state.db.session,
            state.recording,
            conversation_id,
            item_id=item_id,
            status=status,
            title=title,
        )

    def escalate(
        self,
        conversation_id: int,
        *,
        ticket_id: str | int,
        subject: str,
        escalated_at: datetime | None = None,
    ) -> EscalationTicket:
        """Record that the conversation was escalated to a help-desk ticket."""
        state = self.state()
        return recording.escalate(
            state.db.session,
            state.recording,
            conversation_id,
            ticket_id=ticket_id,
            subject=subject,
            escalated_at=escalated_at,
        )
