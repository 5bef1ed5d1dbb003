"""The access log: who viewed, searched or opened which conversations, and when.

Entries are written on a connection of their own, after the page's work and outside the host's
session, so a failed write never fails the page or the host's transaction: it is logged as a
warning and the page answers as usual. ``AICONVOS_AUDIT = False`` records nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from flask import request
from sqlalchemy import insert
from sqlalchemy.exc import SQLAlchemyError

from .access import current_user
from .models import ACCESS_PARAMS_MAX, NAME_MAX, RECORD_ID_MAX, AccessLogEntry
from .state import get_state

log = logging.getLogger(__name__)

#: The actions an entry records.
LIST, SEARCH, TIMELINE, SHOW_IMAGES = "list", "search", "timeline", "show_images"
EXPORT = "export"
ACTIONS = (LIST, SEARCH, TIMELINE, SHOW_IMAGES, EXPORT, "erase", "purge")

UserDisplay = Callable[[Any], str | None]


def default_user_display(user: Any) -> str | None:
    """How an entry names its user: ``display_name``, ``name``, ``email`` or the id."""
    for attribute in ("display_name", "name", "email"):
        value = getattr(user, attribute, None)
        if isinstance(value, str) and value.strip():
            return value
    get_id = getattr(user, "get_id", None)
    return str(get_id()) if callable(get_id) and get_id() is not None else None


def _user_id(user: Any) -> str | None:
    get_id = getattr(user, "get_id", None)
    value = get_id() if callable(get_id) else None
    return None if value is None else str(value)[:RECORD_ID_MAX]


def record(
    action: str, *, conversation_id: int | None = None, extra: Mapping[str, str] | None = None
) -> None:
    """Log this request as ``action`` (``extra`` parameters, then its query string, kept
    bounded), if auditing is on."""
    state = get_state()
    if not state.audit:
        return
    user = current_user()
    display = state.audit_user_display(user) if user is not None else None
    row = {
        "at": state.clock(),
        "user_id": _user_id(user),
        "user_display": None if display is None else str(display)[:NAME_MAX],
        "tenant": state.access.tenant(),
        "action": action,
        "conversation_id": conversation_id,
        "params": urlencode([*(extra or {}).items(), *request.args.items(multi=True)])[
            :ACCESS_PARAMS_MAX
        ],
    }
    try:
        with state.db.engine.begin() as connection:
            connection.execute(insert(AccessLogEntry), row)
    except SQLAlchemyError as error:
        log.warning("aiconvos: could not write the access log (%s); the page was served", error)
