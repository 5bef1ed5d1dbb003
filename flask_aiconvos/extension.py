"""``AIConversations``: config defaults, registration of the admin view, templates and CLI."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict, Unpack
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, Flask

# search_index and message_search create their indexes with the tables.
from . import (  # noqa: F401
    audit,
    erasure,
    i18n,
    importing,
    message_search,
    panel,
    recording,
    remote_images,
    search_index,
    security_headers,
)
from .access import (
    AccessPolicy,
    LinkTarget,
    RoleChecker,
    Scope,
    default_role_checker,
    validate_link_roles,
    validate_links,
)
from .cli import aiconvos_cli
from .errors import ConfigurationError, InvalidRecord
from .models import ENGINE_KEY, AccessLogEntry, Conversation, metadata
from .rendering import SANITIZER_ENGINES
from .state import EXTENSION_KEY, Clock, ExtensionState, get_state, resource_dir, utcnow
from .views import AccessLogView, ConversationView

if TYPE_CHECKING:
    from flask_admin import Admin
    from flask_sqlalchemy import SQLAlchemy


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
    "AICONVOS_CSP": security_headers.DEFAULT_POLICY,
    "AICONVOS_REMOTE_IMAGES": remote_images.BLOCK,
    "AICONVOS_PII_ROLE": None,
    "AICONVOS_EXPORT_ROLE": "aiChannelSessionExport",
    "AICONVOS_AUDIT": True,
    "AICONVOS_AUDIT_WRITE": audit.BACKGROUND,
    "AICONVOS_AUDIT_ROLE": "aiChannelSessionAudit",
    "AICONVOS_AUDIT_URL": "ai-conversations-audit",
    "AICONVOS_AUDIT_USER_DISPLAY": None,
    "AICONVOS_BIND_KEY": None,
}


#: The menu's default labels, translated when shown; a host's own labels are shown as given.
DEFAULT_MENU_LABELS: dict[str, Any] = {
    "AICONVOS_NAME": i18n.lazy_gettext("AI Conversations"),
    "AICONVOS_CATEGORY": i18n.lazy_gettext("AI Assistant"),
}
ACCESS_LOG_NAME = i18n.lazy_gettext("Access log")


def _menu_label(config: Mapping[str, Any], key: str) -> Any:
    value = _non_empty_str(config, key)
    return DEFAULT_MENU_LABELS[key] if value == CONFIG_DEFAULTS[key] else value


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


def _route_tables(app: Flask, db: SQLAlchemy, bind_key: str | None) -> None:
    """Send the extension's tables to the engine of ``bind_key`` in this app.

    Flask-SQLAlchemy picks a table's engine by its metadata's bind key, looked up in the app's
    engines; the extension's key (``ENGINE_KEY``) is the same in every app, so each app maps it
    to its own choice, and two apps in one process may choose differently.
    """
    with app.app_context():
        try:
            engines = db.engines
        except RuntimeError:
            raise ConfigurationError(
                "call db.init_app(app) before aiconvos.init_app(app, db=db, ...)"
            ) from None
        if bind_key not in engines:
            known = ", ".join(repr(key) for key in engines if key not in (None, ENGINE_KEY))
            raise ConfigurationError(
                f"AICONVOS_BIND_KEY {bind_key!r} is not a key of SQLALCHEMY_BINDS "
                f"(its keys: {known or 'none'})"
            )
        if not isinstance(engines, dict):
            raise ConfigurationError("AICONVOS_BIND_KEY needs Flask-SQLAlchemy 3.0 or later")
        engines[ENGINE_KEY] = engines[bind_key]


class InitOptions(TypedDict, total=False):
    """The options of ``init_app``, which ``AIConversations(app, ...)`` passes on."""

    db: SQLAlchemy
    admin: Admin
    role_checker: RoleChecker | None
    links: Mapping[str, LinkTarget] | None
    scope: Scope | None
    view_class: type[ConversationView]
    clock: Clock | None


class AIConversations(
    recording.RecordingAPI, importing.ImportAPI, erasure.ErasureAPI, panel.PanelAPI
):
    """The flask-aiconvos extension: an *AI Conversations* workspace in the host's Flask-Admin.

    Create it once, then ``init_app(app, db=..., admin=...)`` (or pass ``app`` to the
    constructor). The recording methods (``start_conversation``, ``add_message``, …) act on the
    app of the current app context.
    """

    def __init__(self, app: Flask | None = None, **options: Unpack[InitOptions]) -> None:
        if app is not None:
            self.init_app(app, **options)

    def flush_access_log(self, timeout: float = 10.0) -> bool:
        """Wait until the access-log entries of every page served so far are written (they
        are written by a background thread); ``False`` if ``timeout`` seconds were not enough.
        Runs at interpreter exit by itself."""
        return audit.flush(timeout)

    def init_app(
        self,
        app: Flask,
        *,
        db: SQLAlchemy | None = None,
        admin: Admin | None = None,
        role_checker: RoleChecker | None = None,
        links: Mapping[str, LinkTarget] | None = None,
        scope: Scope | None = None,
        view_class: type[ConversationView] = ConversationView,
        clock: Clock | None = None,
    ) -> None:
        """Register the extension on ``app``: config defaults, the admin view, templates, CLI.

        ``view_class`` is the list and timeline view (a ``ConversationView`` subclass that
        customises its columns); ``clock`` returns the current aware time, for every default
        time the recording API fills in and every date the screens compute (tests, replays).
        """
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
        if not (isinstance(view_class, type) and issubclass(view_class, ConversationView)):
            raise ConfigurationError(
                "view_class must be a subclass of flask_aiconvos.views.ConversationView, "
                f"got {view_class!r}"
            )
        if clock is not None and not callable(clock):
            raise ConfigurationError("clock must be callable() -> timezone-aware datetime")
        clock = clock or utcnow

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

        csp = config["AICONVOS_CSP"]
        if csp is False:
            csp = None
        if csp is not None and not (isinstance(csp, str) and csp.strip()):
            raise ConfigurationError(
                'AICONVOS_CSP must be "default", a policy string, or None/False for no policy, '
                f"got {csp!r}"
            )
        images = config["AICONVOS_REMOTE_IMAGES"]
        if images not in remote_images.MODES:
            raise ConfigurationError(
                f"AICONVOS_REMOTE_IMAGES must be one of {', '.join(remote_images.MODES)}, "
                f"got {images!r}"
            )

        if not isinstance(config["AICONVOS_AUDIT"], bool):
            raise ConfigurationError(
                f"AICONVOS_AUDIT must be True or False, got {config['AICONVOS_AUDIT']!r}"
            )
        if config["AICONVOS_AUDIT_WRITE"] not in audit.WRITE_MODES:
            raise ConfigurationError(
                f"AICONVOS_AUDIT_WRITE must be one of {', '.join(audit.WRITE_MODES)}, "
                f"got {config['AICONVOS_AUDIT_WRITE']!r}"
            )
        user_display = config["AICONVOS_AUDIT_USER_DISPLAY"] or audit.default_user_display
        if not callable(user_display):
            raise ConfigurationError("AICONVOS_AUDIT_USER_DISPLAY must be callable(user) -> str")
        pii_role = config["AICONVOS_PII_ROLE"]
        if pii_role is not None:
            pii_role = _non_empty_str(config, "AICONVOS_PII_ROLE")

        bind_key = config["AICONVOS_BIND_KEY"]
        if bind_key is not None:
            bind_key = _non_empty_str(config, "AICONVOS_BIND_KEY")
        _route_tables(app, db, bind_key)

        category = _menu_label(config, "AICONVOS_CATEGORY") if config["AICONVOS_CATEGORY"] else None
        view = view_class(
            Conversation,
            db,
            name=_menu_label(config, "AICONVOS_NAME"),
            category=category,
            endpoint=_non_empty_str(config, "AICONVOS_ENDPOINT"),
            url=_non_empty_str(config, "AICONVOS_URL"),
        )
        state = ExtensionState(
            extension=self,
            db=db,
            access=AccessPolicy(
                view_role=_non_empty_str(config, "AICONVOS_VIEW_ROLE"),
                role_checker=role_checker or default_role_checker,
                link_roles=validate_link_roles(config["AICONVOS_LINK_ROLES"]),
                links=validate_links(links),
                scope=scope,
                pii_role=pii_role,
                export_role=_non_empty_str(config, "AICONVOS_EXPORT_ROLE"),
            ),
            recording=recording.RecordingSettings(
                sanitizer=sanitizer,
                markdownify_channels=markdownify_channels,
                max_body_chars=_positive_int(config, "AICONVOS_MAX_BODY_CHARS", 50_000_000),
                clock=clock,
            ),
            timezone=timezone,
            page_size=_positive_int(config, "AICONVOS_PAGE_SIZE", 500),
            timeline_page_size=_positive_int(config, "AICONVOS_TIMELINE_PAGE_SIZE", 2000),
            clock=clock,
            view=view,
            csp=csp,
            remote_images=images == remote_images.ALLOW,
            audit=config["AICONVOS_AUDIT"],
            audit_write=config["AICONVOS_AUDIT_WRITE"],
            audit_role=_non_empty_str(config, "AICONVOS_AUDIT_ROLE"),
            audit_user_display=user_display,
            bind_key=bind_key,
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
        admin.add_view(
            AccessLogView(
                AccessLogEntry,
                db,
                name=ACCESS_LOG_NAME,
                category=category,
                endpoint=_non_empty_str(config, "AICONVOS_ENDPOINT") + "_audit",
                url=_non_empty_str(config, "AICONVOS_AUDIT_URL"),
            )
        )
        app.add_template_global(panel.conversations_panel, panel.PANEL_GLOBAL)
        app.add_template_global(i18n, i18n.TEMPLATE_GLOBAL)
        i18n.check_babel(app)
        app.cli.add_command(aiconvos_cli)

    @staticmethod
    def state(app: Flask | None = None) -> ExtensionState:
        """This app's registration (the current app when none is given)."""
        return get_state(app)

    def create_all(self) -> None:
        """Create the extension's tables directly (tests, demos); production uses migrations."""
        metadata.create_all(get_state().engine)

    def drop_all(self) -> None:
        """Drop the extension's tables (tests), once pending access-log entries are written."""
        audit.flush()
        metadata.drop_all(get_state().engine)
