"""The list's column formatters, with Flask-Admin's signature ``(view, context, model, name)``.

``ConversationView.column_formatters`` maps its columns to these; a host subclass reuses them
for its own column list, or adds formatters of its own. Each returns ``Markup`` rendered by a
macro of ``aiconvos/_macros.html`` (so a host that overrides that template restyles the cells
everywhere), with every value escaped there; none builds HTML from strings.

The list page puts a ``list_page`` object in the template context with what costs one query for
the whole page (the conversion badges) and the page's clock; a formatter called outside the list
page (another template, an export) works it out for its one row instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from jinja2.runtime import Context
from markupsafe import Markup

from . import masking, queries, rendering, subjects
from .access import current_user
from .i18n import N_, gettext
from .models import Conversation
from .state import get_state
from .vocab import CHANNEL_LABELS, CONVERSION_STYLES

__all__ = [
    "BadgeView",
    "channel",
    "conversions",
    "customer",
    "customer_display",
    "escalated",
    "last_activity",
    "shown_customer",
    "shown_title",
    "subject",
]

#: The template whose macros render the cells.
MACROS_TEMPLATE = "aiconvos/_macros.html"
#: What the subject cell says when a conversation has neither a subject nor a message.
NO_MESSAGES_TITLE = N_("(no messages yet)")


@dataclass(frozen=True)
class BadgeView:
    """A conversion badge as shown: ``url`` is ``None`` when the operator may not open it."""

    kind: str
    label: str
    css_class: str
    count: int
    url: str | None
    #: The kind's icon (``vocab.CONVERSION_STYLES``), shown as decoration beside the label.
    icon: str = ""


_CURRENT = object()


def badge_views(badges: list[queries.Badge], *, user: Any = _CURRENT) -> list[BadgeView]:
    """The badges of one row, each linked when the operator (default: the current one) may
    open that kind."""
    access = get_state().access
    user = current_user() if user is _CURRENT else user
    return [
        BadgeView(
            kind=badge.kind,
            label=CONVERSION_STYLES[badge.kind].label,
            css_class=CONVERSION_STYLES[badge.kind].css_class,
            count=badge.count,
            url=access.link_for(user, badge.kind, badge.newest_target_id),
            icon=CONVERSION_STYLES[badge.kind].icon,
        )
        for badge in badges
    ]


def customer_display(conversation: Conversation) -> tuple[str, bool]:
    """``Name • Company`` when linked to a customer, else the external identifier.

    Returns the text and whether it is an identifier rather than a name. A linked customer
    without a stored name shows the identifier, then ``Customer <id>``; a conversation with no
    identifier shows the name it was given, if any.
    """
    named = " • ".join(
        part for part in (conversation.customer_name, conversation.customer_company) if part
    )
    if conversation.customer_id is not None and named:
        return named, False
    if conversation.external_identifier:
        return conversation.external_identifier, True
    if conversation.customer_id is not None:
        return gettext("Customer %(id)s", id=conversation.customer_id), False
    if named:
        return named, False
    return gettext("Unknown"), True


def shown_title(conversation: Conversation, *, masked: bool) -> str:
    """The title a conversation is shown under: its subject, else its opening message on one
    line (``subjects``), else ``NO_MESSAGES_TITLE``; masked for an operator without the PII
    role."""
    title = conversation.subject or subjects.display_subject(conversation.first_message_preview)
    title = title or gettext(NO_MESSAGES_TITLE)
    return masking.mask_text(title) if masked else title


def shown_customer(conversation: Conversation, *, masked: bool) -> tuple[str, bool]:
    """``customer_display``, its identifier masked for an operator without the PII role."""
    text, is_identifier = customer_display(conversation)
    if is_identifier and masked:
        text = masking.mask_identifier(text)
    return text, is_identifier


def _macro(context: Context | None, name: str) -> Any:
    environment = context.environment if context is not None else current_app.jinja_env
    return getattr(environment.get_template(MACROS_TEMPLATE).module, name)


def _list_page(context: Context | None) -> Any:
    return context.get("list_page") if context is not None else None


def _masked(context: Context | None) -> bool:
    """Whether this operator sees identifiers masked (``AICONVOS_PII_ROLE``)."""
    page = _list_page(context)
    if page is not None:
        return bool(page.masked)
    return get_state().access.masks_pii(current_user())


def _now(context: Context | None) -> datetime:
    page = _list_page(context)
    return page.now if page is not None else get_state().clock()


def subject(view: Any, context: Context | None, model: Conversation, name: str) -> Markup:
    """The subject, or the opening message on one line (in italics, ``subjects``), linking to
    the timeline with the list's parameters; under it, for a row found through a message, that
    message's search excerpt linking to the timeline at the message."""
    title = shown_title(model, masked=_masked(context))
    page = _list_page(context)
    if page is not None:  # the timeline leads on through this same list
        url = page.request.details_url(model.id)
    else:
        url = view.get_url(".details_view", id=model.id)
    link: Markup = _macro(context, "subject_link")(url, title, model.subject is None)
    hit = page.excerpts.get(model.id) if page is not None else None
    if hit is None:
        return link
    hit_url = page.request.details_url(model.id, message=hit.message_id)
    return link + _macro(context, "search_hit")(hit_url, hit.message_id, hit.html)


def conversions(view: Any, context: Context | None, model: Conversation, name: str) -> Markup:
    """One badge per conversion kind, linked to the newest record by the operator's role."""
    page = _list_page(context)
    if page is not None:
        badges = page.badges.get(model.id, [])
    else:
        badges = badge_views(queries.badges_for(get_state().db.session, [model])[model.id])
    return _macro(context, "badges")(badges)


def customer(view: Any, context: Context | None, model: Conversation, name: str) -> Markup:
    """``Name • Company``, or the email address or phone number, linked to the customer's
    profile when the operator may open it."""
    text, is_identifier = shown_customer(model, masked=_masked(context))
    page = _list_page(context)
    user = page.user if page is not None else current_user()
    url = get_state().access.link_for(user, "customer", model.customer_id)
    return _macro(context, "customer")(text, is_identifier, url)


def channel(view: Any, context: Context | None, model: Conversation, name: str) -> Markup:
    """The channel's label (``data-channel`` holds its stored value)."""
    return _macro(context, "channel")(
        model.channel, CHANNEL_LABELS.get(model.channel, model.channel)
    )


def last_activity(view: Any, context: Context | None, model: Conversation, name: str) -> Markup:
    """The newest message's time, relative, with the exact time on hover."""
    return rendering.time_tag(
        model.last_activity_at, timezone=get_state().timezone, now=_now(context)
    )


def escalated(view: Any, context: Context | None, model: Conversation, name: str) -> Markup:
    """The warning badge when the conversation was escalated to the help desk."""
    return _macro(context, "escalated_badge")() if model.escalated else Markup("")
