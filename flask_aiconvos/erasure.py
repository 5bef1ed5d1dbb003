"""Forgetting: erase one customer's conversations, purge old ones, trim the access log.

Conversations go in batches, each its own transaction: the batch's messages, conversions, inbox
links and tickets are deleted with it (explicitly, so SQLite without ``PRAGMA foreign_keys``
behaves like PostgreSQL's ``ON DELETE CASCADE``), and the counters are moved by exactly what the
batch counted, in the same transaction. A purge of half a million conversations therefore never
holds one huge transaction, nor all their ids in memory, and an interrupted run leaves the
counters exact for what is still stored. The search index follows the deleted rows by itself
(SQLite's triggers; PostgreSQL's GIN index).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.orm import Session

from . import audit, counters, outcomes
from .errors import InvalidRecord
from .masking import mask_identifier
from .models import (
    BIND_ARGUMENTS,
    ID_MAX,
    IDENTIFIER_MAX,
    RECORD_ID_MAX,
    AccessLogEntry,
    Conversation,
    Conversion,
    EscalationTicket,
    InboxItem,
    Message,
    tables_connection,
)
from .recording import (
    _commit_or_rollback,
    _conversation_id,
    _identifier,
    _moment,
    _usable_afterwards,
)
from .state import get_state
from .vocab import ConversionKind, count_column, values

#: Conversations deleted per transaction.
BATCH_SIZE = 500
#: Access-log entries deleted per transaction.
AUDIT_BATCH_SIZE = 5000

_CHILDREN = (Message, Conversion, InboxItem, EscalationTicket)

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Selection:
    """Which conversations an erasure or purge takes, and how it is described in the log."""

    where: ColumnElement[bool]
    description: str


def erase_selection(
    *,
    customer_id: object = None,
    external_identifier: object = None,
    conversation_id: object = None,
) -> Selection:
    """The conversations of exactly one selector, validated like the recording API's values."""
    given = [
        name
        for name, value in (
            ("customer_id", customer_id),
            ("external_identifier", external_identifier),
            ("conversation_id", conversation_id),
        )
        if value is not None
    ]
    if len(given) != 1:
        raise InvalidRecord(
            "selector",
            "give exactly one of customer_id, external_identifier or conversation_id"
            + (f" (got {', '.join(given)})" if given else ""),
        )
    if customer_id is not None:
        value = _identifier("customer_id", customer_id, RECORD_ID_MAX, required=True)
        return Selection(Conversation.customer_id == value, f"customer_id={value}")
    if external_identifier is not None:
        value = _identifier(
            "external_identifier", external_identifier, IDENTIFIER_MAX, required=True
        )
        # The log keeps that an identifier was erased, not the identifier itself.
        shown = mask_identifier(value)  # type: ignore[arg-type]
        return Selection(Conversation.external_identifier == value, f"external_identifier={shown}")
    if isinstance(conversation_id, int) and not 0 < conversation_id <= ID_MAX:
        # An id no conversation can have: nothing to erase, and nothing to ask the database.
        return Selection(Conversation.id.is_(None), "conversation_id=out-of-range")
    number = _conversation_id(conversation_id)
    return Selection(Conversation.id == number, f"conversation_id={number}")


def purge_selection(before: object) -> Selection:
    """Conversations whose last activity is older than ``before`` (an aware datetime)."""
    if before is None:
        raise InvalidRecord("before", "is required (an aware datetime)")
    moment = _moment("before", before, lambda: before)  # type: ignore[arg-type, return-value]
    return Selection(Conversation.last_activity_at < moment, f"before={moment.isoformat()}")


def _next_batch(session: Session, selection: Selection, size: int) -> list[Any]:
    """The first ``size`` selected conversations in id order, with what their counters hold
    (erased ones are gone on the next call, so neither all ids nor all rows are ever held)."""
    c = Conversation
    columns = (c.id, c.tenant, c.channel, c.started_at, c.outcome_mask)
    return list(
        session.execute(
            select(*columns).where(selection.where).order_by(c.id).limit(size),
            bind_arguments=BIND_ARGUMENTS,
        )
    )


def _delete_batch(session: Session, rows: list[Any]) -> None:
    ids = [row[0] for row in rows]
    deltas: dict[counters.CounterKey, dict[str, int]] = {}
    for row in rows:
        counters.add_started(
            deltas,
            tenant=row[1],
            channel=row[2],
            started_at=row[3],
            outcomes=row[4],
            sign=-1,
        )
    for model in _CHILDREN:
        session.execute(
            delete(model).where(model.conversation_id.in_(ids)), bind_arguments=BIND_ARGUMENTS
        )
    session.execute(
        delete(Conversation).where(Conversation.id.in_(ids)), bind_arguments=BIND_ARGUMENTS
    )
    counters.apply(session, deltas)


def count(selection: Selection) -> int:
    """How many conversations ``selection`` takes (a dry run)."""
    session = get_state().db.session
    with _usable_afterwards(session):
        total = session.scalar(
            select(func.count()).select_from(Conversation).where(selection.where),
            bind_arguments=BIND_ARGUMENTS,
        )
    return int(total or 0)


def remove(
    selection: Selection,
    *,
    action: str,
    batch_size: int = BATCH_SIZE,
    on_progress: Progress | None = None,
) -> int:
    """Delete the selected conversations batch by batch; the number deleted."""
    session = get_state().db.session
    deleted = 0
    with _usable_afterwards(session):
        while batch := _next_batch(session, selection, batch_size):
            _commit_or_rollback(session, lambda batch=batch: _delete_batch(session, batch))
            deleted += len(batch)
            if on_progress is not None:
                on_progress(deleted)
    audit.record_operation(action, f"{selection.description}&conversations={deleted}")
    return deleted


def purge_access_log(before: object, *, dry_run: bool = False) -> int:
    """Delete access-log entries older than ``before`` (an aware datetime), in batches."""
    if before is None:
        raise InvalidRecord("audit_before", "is required (an aware datetime)")
    moment = _moment("audit_before", before, lambda: before)  # type: ignore[arg-type, return-value]
    audit.flush()  # the entries of pages served so far are in the table first
    session = get_state().db.session
    log = AccessLogEntry
    with _usable_afterwards(session):
        if dry_run:
            return int(
                session.scalar(
                    select(func.count()).where(log.at < moment), bind_arguments=BIND_ARGUMENTS
                )
                or 0
            )
        deleted = 0
        query = select(log.id).where(log.at < moment).order_by(log.id).limit(AUDIT_BATCH_SIZE)
        while ids := session.scalars(query, bind_arguments=BIND_ARGUMENTS).all():
            _commit_or_rollback(
                session,
                lambda ids=ids: session.execute(
                    delete(log).where(log.id.in_(ids)), bind_arguments=BIND_ARGUMENTS
                ),
            )
            deleted += len(ids)
    return deleted


def _batch_size(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100_000:
        raise InvalidRecord("batch_size", "must be a whole number from 1 to 100000")
    return value


class ErasureAPI:
    """Erasure and retention, mixed into ``AIConversations``; acts on the current app's
    database, batch by batch, keeping the counters and search index exact."""

    def erase(
        self,
        *,
        customer_id: str | int | None = None,
        external_identifier: str | None = None,
        conversation_id: int | None = None,
        dry_run: bool = False,
        batch_size: int = BATCH_SIZE,
    ) -> int:
        """Erase the conversations of one customer, one contact identifier or one id, with
        their messages, conversions, inbox links and tickets; the number of conversations
        erased (or, with ``dry_run``, that would be)."""
        selection = erase_selection(
            customer_id=customer_id,
            external_identifier=external_identifier,
            conversation_id=conversation_id,
        )
        if dry_run:
            return count(selection)
        return remove(selection, action="erase", batch_size=_batch_size(batch_size))

    def purge(
        self,
        *,
        before: datetime,
        dry_run: bool = False,
        batch_size: int = BATCH_SIZE,
        on_progress: Progress | None = None,
    ) -> int:
        """Erase every conversation whose last activity is older than ``before`` (an aware
        datetime; conversions do not count as activity); the number erased (or, with
        ``dry_run``, that would be). ``on_progress(erased so far)`` runs after each batch."""
        selection = purge_selection(before)
        if on_progress is not None and not callable(on_progress):
            raise InvalidRecord("on_progress", "must be callable(erased) or None")
        if dry_run:
            return count(selection)
        return remove(
            selection, action="purge", batch_size=_batch_size(batch_size), on_progress=on_progress
        )

    def purge_access_log(self, *, before: datetime, dry_run: bool = False) -> int:
        """Delete access-log entries older than ``before`` (an aware datetime); the number
        deleted (or, with ``dry_run``, that would be)."""
        return purge_access_log(before, dry_run=dry_run)

    def rebuild_counters(self) -> int:
        """Recompute every count from the stored rows, for a host that deleted or changed rows
        itself: each conversation's message, conversion, inbox and ticket tallies, then the
        list's counters; the number of counter rows written."""
        session = get_state().db.session
        with _usable_afterwards(session):
            return _commit_or_rollback(session, lambda: rebuild_all(session))


def _tallies() -> dict[str, Any]:
    """Each conversation tally as a correlated count of the rows it counts."""
    c = Conversation

    def rows_of(model: Any, *where: Any) -> Any:
        return (
            select(func.count())
            .select_from(model)
            .where(model.conversation_id == c.id, *where)
            .scalar_subquery()
        )

    tallies = {
        "message_count": rows_of(Message),
        "inbox_item_count": rows_of(InboxItem),
        "ticket_count": rows_of(EscalationTicket),
    }
    for kind in values(ConversionKind):
        tallies[count_column(kind)] = rows_of(Conversion, Conversion.kind == kind)
    return tallies


def rebuild_all(session: Session) -> int:
    """Tallies first, then the outcome masks (built from them), then the counters (built from
    both); in the caller's transaction."""
    session.execute(
        update(Conversation).values(_tallies()).execution_options(synchronize_session=False),
        bind_arguments=BIND_ARGUMENTS,
    )
    mask = outcomes.stored_mask_expression(Conversation.__table__, InboxItem.__table__)
    session.execute(
        update(Conversation.__table__).values(outcome_mask=mask),
        execution_options={"synchronize_session": False},
        bind_arguments=BIND_ARGUMENTS,
    )
    return counters.rebuild(tables_connection(session))
