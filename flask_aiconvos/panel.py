"""The conversations of one customer, or the ones that led to one host record, on host pages.

A host's customer page asks ``aiconvos.conversations_for(customer_id=...)``; its visitor page
asks ``conversations_for(kind="tour", target_id=...)`` for the conversation that booked the tour.
The Jinja global ``aiconvos_conversations_panel(...)`` renders the same list as a compact panel
(``aiconvos/panel.html``, which a host overrides by path): the current operator's tenant scope
applies, and an operator without the view role gets nothing at all. One query finds the
conversations and at most one more their badges, however many there are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask import render_template, url_for
from markupsafe import Markup
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from . import queries, rendering
from .access import current_user
from .errors import InvalidRecord, shown
from .formatters import BadgeView, badge_views, shown_customer, shown_title
from .models import BIND_ARGUMENTS, RECORD_ID_MAX, Conversation, Conversion
from .recording import _identifier, _usable_afterwards
from .state import get_state
from .vocab import CHANNEL_LABELS, CONVERSION_STYLES, ConversionKind, values

#: The Jinja global that renders the panel on any host page.
PANEL_GLOBAL = "aiconvos_conversations_panel"
#: The template of the panel (a host overrides it by putting a file at this path).
PANEL_TEMPLATE = "aiconvos/panel.html"
#: How many conversations a panel shows unless told otherwise, and at most.
PANEL_LIMIT = 20
PANEL_LIMIT_MAX = 200


@dataclass(frozen=True)
class PanelItem:
    """One conversation as the panel shows it; every text is plain (the template escapes it)."""

    conversation_id: int
    channel: str
    channel_label: str
    title: str
    is_fallback_title: bool
    customer: str
    escalated: bool
    badges: list[BadgeView]
    last_activity_at: datetime
    time_tag: Markup
    url: str


def _limit(limit: object) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= PANEL_LIMIT_MAX:
        raise InvalidRecord(
            "limit", f"must be a whole number from 1 to {PANEL_LIMIT_MAX}, got {shown(limit)}"
        )
    return limit


def _led_to(kind: str, target_id: str | None) -> Select[tuple[int]]:
    return select(Conversion.conversation_id).where(
        Conversion.kind == kind, Conversion.target_id == target_id
    )


def panel_query(
    *,
    customer_id: object = None,
    kind: object = None,
    target_id: object = None,
    limit: object = PANEL_LIMIT,
    tenant: str | None = None,
) -> Select[tuple[Conversation]]:
    """The statement behind ``conversations_for``, validated: newest activity first."""
    customer = _identifier("customer_id", customer_id, RECORD_ID_MAX)
    target = _identifier("target_id", target_id, RECORD_ID_MAX)
    if kind is not None and (not isinstance(kind, str) or kind not in values(ConversionKind)):
        raise InvalidRecord(
            "kind", f"must be one of {', '.join(values(ConversionKind))}, got {shown(kind)}"
        )
    if (kind is None) != (target is None):
        raise InvalidRecord(
            "kind", "kind and target_id go together (e.g. kind='tour', target_id=...)"
        )
    if (customer is None) == (kind is None):
        raise InvalidRecord(
            "customer_id", "give either customer_id, or kind and target_id (not both, not neither)"
        )
    stmt = select(Conversation)
    if customer is not None:
        # The conversation that created the customer belongs to their history too, even when
        # it was never linked to them (an anonymous visitor who signed up).
        stmt = stmt.where(
            or_(
                Conversation.customer_id == customer,
                Conversation.id.in_(_led_to(ConversionKind.CUSTOMER.value, customer)),
            )
        )
    else:
        stmt = stmt.where(Conversation.id.in_(_led_to(str(kind), target)))
    if tenant is not None:
        stmt = stmt.where(Conversation.tenant == tenant)
    return stmt.order_by(Conversation.last_activity_at.desc(), Conversation.id.desc()).limit(
        _limit(limit)
    )


def find_conversations(session: Session, stmt: Select[tuple[Conversation]]) -> list[Conversation]:
    """Run it; a database error leaves the host's session usable."""
    with _usable_afterwards(session):
        return list(session.scalars(stmt, bind_arguments=BIND_ARGUMENTS))


def panel_items(session: Session, conversations: Sequence[Conversation]) -> list[PanelItem]:
    """What the panel shows of each conversation (one query for all the badges)."""
    state = get_state()
    user = current_user()
    masked = state.access.masks_pii(user)
    now = state.clock()
    with _usable_afterwards(session):
        badges = queries.badges_for(session, conversations)
    items = []
    for conversation in conversations:
        who, _ = shown_customer(conversation, masked=masked)
        items.append(
            PanelItem(
                conversation_id=conversation.id,
                channel=conversation.channel,
                channel_label=CHANNEL_LABELS.get(conversation.channel, conversation.channel),
                title=shown_title(conversation, masked=masked),
                is_fallback_title=conversation.subject is None,
                customer=who,
                escalated=conversation.escalated,
                badges=badge_views(badges[conversation.id]),
                last_activity_at=conversation.last_activity_at,
                time_tag=rendering.time_tag(
                    conversation.last_activity_at, timezone=state.timezone, now=now
                ),
                url=url_for(f"{state.view.endpoint}.details_view", id=conversation.id),
            )
        )
    return items


class PanelAPI:
    """``conversations_for`` and the panel, mixed into ``AIConversations``."""

    def conversations_for(
        self,
        *,
        customer_id: str | int | None = None,
        kind: str | None = None,
        target_id: str | int | None = None,
        limit: int = PANEL_LIMIT,
    ) -> list[Conversation]:
        """The conversations of a customer (linked to them, or the one that created them), or
        the ones that led to a host record (``kind`` is a conversion kind, ``target_id`` the
        record's id), newest activity first, inside the current operator's tenant scope.
        ``InvalidRecord`` for arguments it cannot use."""
        state = get_state()
        stmt = panel_query(
            customer_id=customer_id,
            kind=kind,
            target_id=target_id,
            limit=limit,
            tenant=state.access.tenant(),
        )
        return find_conversations(state.db.session, stmt)


def conversations_panel(
    *,
    customer_id: str | int | None = None,
    kind: str | None = None,
    target_id: str | int | None = None,
    limit: int = PANEL_LIMIT,
) -> Markup:
    """The Jinja global ``aiconvos_conversations_panel``: the panel, or nothing for an operator
    without the view role."""
    state = get_state()
    stmt = panel_query(  # validated first: a mistake in a host template shows for every user
        customer_id=customer_id,
        kind=kind,
        target_id=target_id,
        limit=limit,
        tenant=state.access.tenant(),
    )
    if not state.access.can_view(current_user()):
        return Markup("")
    items = panel_items(state.db.session, find_conversations(state.db.session, stmt))
    return Markup(
        render_template(
            PANEL_TEMPLATE, items=items, conversion_styles=list(CONVERSION_STYLES.values())
        )
    )
