"""Where a conversation stands in the list it was opened from: its neighbours and its page.

A row's link carries the list's parameters to the timeline (``ListRequest.details_url``). From
them the timeline finds the rows just above and below its conversation in that same filtered,
sorted list, and how many rows come before it, so that each link opens the conversation it names
with the list page that holds it. One statement answers all of it: a keyset over the list's own
order (the sort column, then the id, both in the list's direction; the sort columns are never
NULL), reading only the neighbouring entries and counting the rows before, never an OFFSET.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, literal, select, tuple_
from sqlalchemy.orm import Session, aliased

from .list_request import ListRequest
from .models import BIND_ARGUMENTS, Conversation
from .queries import SORTABLE_COLUMNS, list_conditions
from .shortcuts import ROW_FRAGMENT_PREFIX

#: The fragment a "back to the list" link ends with: the list highlights that row.
ROW_FRAGMENT = ROW_FRAGMENT_PREFIX + "{id}"


@dataclass(frozen=True)
class Neighbours:
    """A conversation's place in a list: ``position`` is 0-based, ``None`` when the list does
    not hold it (then it has no neighbours)."""

    position: int | None
    previous_id: int | None = None
    next_id: int | None = None


def neighbours(
    session: Session,
    list_request: ListRequest,
    conversation_id: int,
    *,
    sort: str,
    descending: bool,
) -> Neighbours:
    """The rows above and below ``conversation_id`` in the list of ``list_request`` (its
    filters and tenant scope) sorted by ``sort``, and its position: one statement."""
    c = Conversation
    column = SORTABLE_COLUMNS[sort]
    anchor = aliased(Conversation, name="anchor")
    anchor_value = (
        select(getattr(anchor, column.key)).where(anchor.id == conversation_id).scalar_subquery()
    )
    key = tuple_(column, c.id)
    anchor_key = tuple_(anchor_value, literal(conversation_id, c.id.type))
    above, below = (key > anchor_key, key < anchor_key)
    order = (column.desc(), c.id.desc())
    reverse = (column.asc(), c.id.asc())
    if not descending:
        above, below = below, above
        order, reverse = reverse, order
    where = list_conditions(session, list_request.filters)
    held = select(c.id).where(*where, c.id == conversation_id).exists()
    previous = select(c.id).where(*where, above).order_by(*reverse).limit(1).scalar_subquery()
    following = select(c.id).where(*where, below).order_by(*order).limit(1).scalar_subquery()
    before = select(func.count()).select_from(c).where(*where, above).scalar_subquery()
    row = session.execute(
        select(
            held.label("held"),
            previous.label("previous_id"),
            following.label("next_id"),
            before.label("before"),
        ),
        bind_arguments=BIND_ARGUMENTS,
    ).one()
    if not row.held:
        return Neighbours(position=None)
    return Neighbours(position=int(row.before), previous_id=row.previous_id, next_id=row.next_id)


@dataclass(frozen=True)
class ListNavigation:
    """The timeline's links through its list: back to the page holding the conversation, and
    to the conversations above and below it (``None`` at the ends of the list)."""

    back_url: str
    previous_url: str | None = None
    next_url: str | None = None
    #: 0-based position in the list; ``None`` when the list no longer holds the conversation.
    position: int | None = None


def list_navigation(
    session: Session,
    list_request: ListRequest,
    conversation_id: int,
    *,
    sort: str,
    descending: bool,
    page_size: int,
) -> ListNavigation:
    """Where the timeline of ``conversation_id`` leads, within the list it was opened from.

    A conversation the list does not hold (the filters no longer select it) has no neighbours;
    its back link opens the list page the request named.
    """
    found = neighbours(session, list_request, conversation_id, sort=sort, descending=descending)
    fragment = "#" + ROW_FRAGMENT.format(id=conversation_id)
    if found.position is None:
        return ListNavigation(back_url=list_request.url(page=list_request.page) + fragment)
    position = found.position
    previous_url = next_url = None
    if found.previous_id is not None:
        previous_url = list_request.details_url(found.previous_id, page=(position - 1) // page_size)
    if found.next_id is not None:
        next_url = list_request.details_url(found.next_id, page=(position + 1) // page_size)
    return ListNavigation(
        back_url=list_request.url(page=position // page_size) + fragment,
        previous_url=previous_url,
        next_url=next_url,
        position=position,
    )
