"""Bulk import: conversation records (``record_format``) into the tables, whole or not at all.

Every record is validated by the recording API's own validators (the same rules and messages,
the field named by its path: ``messages[2].sender``), before anything is written. Valid records
are written in chunks, one transaction per chunk, with multi-row statements: the conversation rows
carry their list columns computed beforehand, the messages, conversions, inbox items and tickets
go in one ``executemany`` each, and the write-time counters get one upsert per counter row. The
search index follows the conversation rows (triggers on SQLite, the GIN index on PostgreSQL).
When the database refuses a chunk, it is rolled back and its records are written one at a time,
so a record is stored whole or not at all and the others go on.

Messages are stored unrendered (``render_version`` 0): the timeline renders a message whose
version is not the current policy's when it shows it, as it does after a policy change.

**Importing again stores nothing new.** A record with an ``external_id`` is the stored
conversation with that key in its tenant; one without is the stored conversation without a key
that has the same tenant, channel, origin, start time, subject and customer fields. A record that
matches a stored conversation adds only what the conversation lacks: messages whose
``external_id`` it does not hold (a message without one: when it holds no message with the same
sender, body and time), conversions it does not have, inbox items and tickets (whose status,
title or subject are updated, as ``link_inbox_item`` and ``escalate`` do).
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from sqlalchemy import and_, bindparam, case, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import bulk_write, counters, outcomes, subjects
from .errors import InvalidRecord, shown
from .message_search import message_text
from .models import (
    BIND_ARGUMENTS,
    EXTERNAL_ID_MAX,
    IDENTIFIER_MAX,
    NAME_MAX,
    PREVIEW_MAX,
    RECORD_ID_MAX,
    SUBJECT_MAX,
    TENANT_MAX,
    TITLE_MAX,
    Conversation,
    Conversion,
    EscalationTicket,
    InboxItem,
    Message,
    UTCDateTime,
)
from .record_format import CONVERSATION_FIELDS, PART_FIELDS
from .recording import (
    RecordingSettings,
    _body,
    _choice,
    _identifier,
    _line,
    _moment,
    _via,
    refresh_outcome_mask,
    stored_body_of,
)
from .search_text import build_search_text
from .state import get_state
from .vocab import (
    Channel,
    ContentFormat,
    ConversionKind,
    InboxStatus,
    Origin,
    Sender,
    count_column,
    values,
)

#: A chunk (one transaction) holds at most this many records, or this many messages.
CHUNK_RECORDS = 500
CHUNK_MESSAGES = 5_000
#: The longest line ``read_json_lines`` accepts, by default and at most (what a file's
#: ``readline`` can be asked for).
MAX_LINE_BYTES = 64 * 2**20
LARGEST_LINE_BYTES = sys.maxsize - 1
#: ``render_version`` of a message stored without its HTML: rendered when shown.
UNRENDERED = 0

KINDS = values(ConversionKind)
_CONVERSATIONS: Any = Conversation.__table__
_MESSAGES: Any = Message.__table__


@dataclass
class ImportReport:
    """What an import stored: ``conversations`` and ``messages`` newly stored, ``skipped``
    records already stored (nothing new written from them), and ``errors`` as ``(line,
    message)`` pairs, the message naming the field."""

    conversations: int = 0
    messages: int = 0
    skipped: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    #: Records read, failed ones included.
    records: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return (
            f"{self.records:,} records: {self.conversations:,} conversations and "
            f"{self.messages:,} messages stored, {self.skipped:,} already stored, "
            f"{len(self.errors):,} failed"
        )


@dataclass(frozen=True)
class Unreadable:
    """A line that is not a record (not UTF-8, not JSON, too long), with the reason."""

    message: str


# --- reading JSON Lines -----------------------------------------------------------------------


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _parse_line(text: str) -> object:
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        return Unreadable(f"record: not valid JSON: {error.msg} (column {error.colno})")
    except RecursionError:
        return Unreadable("record: not valid JSON: nested too deeply")
    except ValueError as error:
        return Unreadable(f"record: not valid JSON: {error}")


def read_json_lines(
    stream: IO[bytes] | IO[str], *, max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[tuple[int, object]]:
    """``(line number, record or Unreadable)`` for each non-blank line, in constant memory.

    Bytes are decoded as UTF-8 (a leading byte-order mark is dropped); a line longer than
    ``max_line_bytes`` is skipped unread and reported.
    """
    number = 0
    while True:
        raw: bytes | str = stream.readline(max_line_bytes + 1)
        if not raw:
            return
        number += 1
        newline = b"\n" if isinstance(raw, bytes) else "\n"
        if len(raw) > max_line_bytes and not raw.endswith(newline):  # type: ignore[arg-type]
            while raw and not raw.endswith(newline):  # type: ignore[arg-type]
                raw = stream.readline(2**20)
            yield number, Unreadable(f"record: the line is longer than {max_line_bytes:,} bytes")
            continue
        if isinstance(raw, bytes):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                yield (
                    number,
                    Unreadable(
                        f"record: not UTF-8 text (byte 0x{raw[error.start]:02x} at position "
                        f"{error.start + 1})"
                    ),
                )
                continue
        else:
            text = raw
        if number == 1:
            text = text.removeprefix("\ufeff")
        if text.strip():
            yield number, _parse_line(text)


# --- validation -------------------------------------------------------------------------------


@contextlib.contextmanager
def _within(prefix: str) -> Iterator[None]:
    """Name a part's fields by their path: ``sender`` becomes ``messages[2].sender``."""
    try:
        yield
    except InvalidRecord as error:
        message = str(error)[len(error.field) + 2 :]
        raise InvalidRecord(prefix + error.field, message) from None


def _known(value: object, allowed: tuple[str, ...], name: str) -> Mapping[str, Any]:
    """The record (or part) as a mapping, refusing any field the format does not have."""
    if not isinstance(value, Mapping):
        raise InvalidRecord(name, f"must be an object, got {type(value).__name__}")
    for key in value:
        if key not in allowed:
            key_text = key[:60] if isinstance(key, str) else shown(key)
            raise InvalidRecord(
                key_text if name == "record" else f"{name}.{key_text}",
                f"unknown field; allowed fields: {', '.join(allowed)}",
            )
    return value


def _time(name: str, value: object, now: datetime) -> datetime:
    """A time given as ISO 8601 text with an offset (or an aware datetime); absent: now."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidRecord(
                name, f"must be an ISO 8601 time with an offset, got {value[:40]!r}"
            ) from None
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            raise InvalidRecord(
                name, "must be timezone-aware: give an offset, e.g. 2026-11-18T15:30:00+00:00"
            )
        value = parsed
    elif value is not None and not isinstance(value, datetime):
        raise InvalidRecord(
            name, f"must be an ISO 8601 time with an offset, got {type(value).__name__}"
        )
    return _moment(name, value, lambda: now)


def _parts(record: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    value = record.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidRecord(name, f"must be a list, got {type(value).__name__}")
    return [_known(part, PART_FIELDS[name], f"{name}[{i}]") for i, part in enumerate(value)]


def _given(part: Mapping[str, Any], name: str, default: Any) -> Any:
    """A part's value; JSON ``null`` stands for an absent field."""
    value = part.get(name)
    return default if value is None else value


@dataclass(slots=True)
class _Message:
    sender: str
    via: str | None
    content_format: str
    body: str
    original_body: str | None
    original_format: str | None
    sent_at: datetime
    external_id: str | None
    #: What identifies a message without an ``external_id``: sender, body as given, time
    #: (``None`` when the record gave none).
    fingerprint: tuple[str, str, datetime | None]


@dataclass(slots=True)
class _Record:
    line: int
    columns: dict[str, Any]
    messages: list[_Message]
    #: (kind, target_id) → occurred_at
    conversions: dict[tuple[str, str], datetime]
    #: item_id → (status, title)
    inbox_items: dict[str, tuple[str, str | None]]
    #: ticket_id → (subject, escalated_at)
    tickets: dict[str, tuple[str, datetime]]
    key: tuple[Any, ...]


def conversation_key(columns: Mapping[str, Any]) -> tuple[Any, ...]:
    """Which stored conversation a record is: its key in its tenant, or, without a key, its
    tenant, channel, origin, start time, subject and customer fields."""
    if columns["external_id"] is not None:
        return ("key", columns["tenant"], columns["external_id"])
    return (
        "start",
        columns["tenant"],
        columns["channel"],
        columns["origin"],
        columns["started_at"],
        columns["subject"],
        columns["customer_id"],
        columns["customer_name"],
        columns["customer_company"],
        columns["external_identifier"],
    )


def validate(line: int, raw: object, settings: RecordingSettings) -> _Record:
    """One record, checked as the recording API checks each call; ``InvalidRecord`` names the
    first bad field by its path."""
    record = _known(raw, CONVERSATION_FIELDS, "record")
    now = settings.clock()
    channel = _choice("channel", record.get("channel"), values(Channel))
    columns = {
        "channel": channel,
        "origin": _choice("origin", record.get("origin"), values(Origin)),
        "subject": _line("subject", record.get("subject"), SUBJECT_MAX),
        "customer_id": _identifier("customer_id", record.get("customer_id"), RECORD_ID_MAX),
        "customer_name": _line("customer_name", record.get("customer_name"), NAME_MAX),
        "customer_company": _line("customer_company", record.get("customer_company"), NAME_MAX),
        "external_identifier": _line(
            "external_identifier", record.get("external_identifier"), IDENTIFIER_MAX
        ),
        "started_at": _time("started_at", record.get("started_at"), now),
        "tenant": _identifier("tenant", record.get("tenant"), TENANT_MAX),
        "external_id": _identifier("external_id", record.get("external_id"), EXTERNAL_ID_MAX),
    }
    messages: list[_Message] = []
    keyed: set[str] = set()
    for i, part in enumerate(_parts(record, "messages")):
        with _within(f"messages[{i}]."):
            sender = _choice("sender", part.get("sender"), values(Sender))
            content_format = _choice(
                "content_format", _given(part, "content_format", "text"), values(ContentFormat)
            )
            via = _via("via", part.get("via"), sender)
            body = _body(part.get("body"), settings.max_body_chars)
            given_time = part.get("sent_at")
            sent_at = _time("sent_at", given_time, now)
            external_id = _identifier("external_id", part.get("external_id"), EXTERNAL_ID_MAX)
        if external_id is not None:
            if external_id in keyed:  # the same message again: stored once
                continue
            keyed.add(external_id)
        stored = stored_body_of(settings, channel, body, content_format, None)
        messages.append(
            _Message(
                sender,
                via,
                stored[1],
                stored[0],
                stored[2],
                stored[3],
                sent_at,
                external_id,
                (sender, body, sent_at if given_time is not None else None),
            )
        )
    conversions: dict[tuple[str, str], datetime] = {}
    for i, part in enumerate(_parts(record, "conversions")):
        with _within(f"conversions[{i}]."):
            kind = _choice("kind", part.get("kind"), KINDS)
            target = _identifier("target_id", part.get("target_id"), RECORD_ID_MAX, required=True)
            occurred = _time("occurred_at", part.get("occurred_at"), now)
        conversions.setdefault((kind, str(target)), occurred)
    inbox_items: dict[str, tuple[str, str | None]] = {}
    for i, part in enumerate(_parts(record, "inbox_items")):
        with _within(f"inbox_items[{i}]."):
            item = _identifier("item_id", part.get("item_id"), RECORD_ID_MAX, required=True)
            status = _choice("status", part.get("status"), values(InboxStatus))
            title = _line("title", part.get("title"), TITLE_MAX)
        previous = inbox_items.get(str(item))
        if title is None and previous is not None:
            title = previous[1]
        inbox_items[str(item)] = (status, title)
    tickets: dict[str, tuple[str, datetime]] = {}
    for i, part in enumerate(_parts(record, "tickets")):
        with _within(f"tickets[{i}]."):
            ticket = _identifier("ticket_id", part.get("ticket_id"), RECORD_ID_MAX, required=True)
            subject = _line("subject", part.get("subject"), TITLE_MAX, required=True)
            escalated = _time("escalated_at", part.get("escalated_at"), now)
        first = tickets.get(str(ticket))
        tickets[str(ticket)] = (str(subject), first[1] if first else escalated)
    return _Record(
        line, columns, messages, conversions, inbox_items, tickets, conversation_key(columns)
    )


# --- writing ----------------------------------------------------------------------------------


def _first_and_last(messages: list[_Message]) -> tuple[_Message, datetime]:
    """The first message (earliest; of equal times, the first given) and the newest time."""
    return min(messages, key=lambda m: m.sent_at), max(m.sent_at for m in messages)


def _message_rows(conversation_id: int, messages: Iterable[_Message]) -> list[dict[str, Any]]:
    return [
        {
            "conversation_id": conversation_id,
            "sender": m.sender,
            "via": m.via,
            "content_format": m.content_format,
            "body": m.body,
            "original_body": m.original_body,
            "original_format": m.original_format,
            "sent_at": m.sent_at,
            "external_id": m.external_id,
            "rendered_html": "",
            "render_version": UNRENDERED,
            "search_text": message_text(m.body, m.content_format),
        }
        for m in messages
    ]


def _preview(message: _Message) -> str | None:
    return subjects.opening_preview(message.body, message.content_format, limit=PREVIEW_MAX) or None


_LOOKUP_COLUMNS = (
    _CONVERSATIONS.c.id,
    _CONVERSATIONS.c.tenant,
    _CONVERSATIONS.c.channel,
    _CONVERSATIONS.c.origin,
    _CONVERSATIONS.c.started_at,
    _CONVERSATIONS.c.subject,
    _CONVERSATIONS.c.customer_id,
    _CONVERSATIONS.c.customer_name,
    _CONVERSATIONS.c.customer_company,
    _CONVERSATIONS.c.external_identifier,
    _CONVERSATIONS.c.external_id,
    _CONVERSATIONS.c.outcome_mask,
)


class _Writer:
    """Writes validated records into the host's session, one transaction per chunk."""

    def __init__(self, session: Session, settings: RecordingSettings, report: ImportReport):
        self.session = session
        self.settings = settings
        self.report = report

    def store(self, chunk: list[_Record], *, retried: bool = False) -> None:
        """Store a chunk in one transaction; when the database refuses it, each record alone
        (a record refused alone is reported; another database error propagates)."""
        try:
            outcomes = self._write(chunk)
            self.session.commit()
        except IntegrityError as error:
            self.session.rollback()
            if len(chunk) > 1 or not retried:
                # A concurrent writer stored one of these keys first: alone, each record finds
                # it stored and adds only what it lacks.
                for record in chunk:
                    self.store([record], retried=True)
                return
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            self.report.errors.append((chunk[0].line, f"record: refused by the database: {reason}"))
            return
        except BaseException:
            self.session.rollback()
            raise
        for messages in outcomes:
            if messages is None:
                self.report.skipped += 1
            elif messages[0]:
                self.report.conversations += 1
                self.report.messages += messages[1]
            else:
                self.report.messages += messages[1]

    def _write(self, chunk: list[_Record]) -> list[tuple[bool, int] | None]:
        """Write a chunk; per record ``(new conversation?, messages stored)``, ``None`` when
        nothing was written from it."""
        stored = self._find(chunk)
        deltas: dict[counters.CounterKey, dict[str, int]] = {}
        fresh = [record for record in chunk if record.key not in stored]
        new_ids = iter(self._insert(fresh, deltas)) if fresh else iter(())
        outcomes: list[tuple[bool, int] | None] = []
        for record in chunk:
            if record.key in stored:
                outcomes.append(self._merge(record, stored[record.key], deltas))
            else:
                next(new_ids)
                outcomes.append((True, len(record.messages)))
        counters.apply(self.session, deltas)
        return outcomes

    def _find(self, chunk: list[_Record]) -> dict[tuple[Any, ...], Any]:
        """The stored conversations the chunk's records are, by key: one statement."""
        c = _CONVERSATIONS.c
        by_tenant: dict[str | None, list[str]] = {}
        starts: set[datetime] = set()
        for record in chunk:
            if record.key[0] == "key":
                by_tenant.setdefault(record.key[1], []).append(record.key[2])
            else:
                starts.add(record.columns["started_at"])
        where = [
            and_(
                c.tenant.is_(None) if tenant is None else c.tenant == tenant, c.external_id.in_(ids)
            )
            for tenant, ids in by_tenant.items()
        ]
        if starts:
            where.append(and_(c.started_at.in_(sorted(starts)), c.external_id.is_(None)))
        if not where:
            return {}
        found: dict[tuple[Any, ...], Any] = {}
        for row in self.session.execute(
            select(*_LOOKUP_COLUMNS).where(or_(*where)), bind_arguments=BIND_ARGUMENTS
        ):
            found.setdefault(conversation_key(row._mapping), row)
        return found

    def _insert(self, records: list[_Record], deltas: dict[Any, dict[str, int]]) -> list[int]:
        """New conversations with all their parts; returns their ids in order."""
        rows = []
        for record in records:
            columns = record.columns
            counts = Counter(kind for kind, _ in record.conversions)
            mask = outcomes.mask_of(
                tickets=len(record.tickets),
                kind_counts=counts,
                pending_items=sum(
                    1 for status, _ in record.inbox_items.values() if status == InboxStatus.PENDING
                ),
                customer_id=columns["customer_id"],
            )
            row = {
                **columns,
                "outcome_mask": mask,
                "last_activity_at": columns["started_at"],
                "first_message_at": None,
                "first_message_preview": None,
                "message_count": len(record.messages),
                **{count_column(kind): counts.get(kind, 0) for kind in KINDS},
                "inbox_item_count": len(record.inbox_items),
                "ticket_count": len(record.tickets),
            }
            if record.messages:
                first, last = _first_and_last(record.messages)
                row["last_activity_at"] = last
                row["first_message_at"] = first.sent_at
                row["first_message_preview"] = _preview(first)
            row["search_text"] = build_search_text(
                columns["subject"],
                row["first_message_preview"],
                columns["customer_name"],
                columns["customer_company"],
                columns["external_identifier"],
                columns["external_id"],
            )
            rows.append(row)
            counters.add_started(
                deltas,
                tenant=columns["tenant"],
                channel=columns["channel"],
                started_at=columns["started_at"],
                outcomes=mask,
            )
        ids = self._insert_conversations(rows)
        now = self.settings.clock()
        parts: dict[Any, list[dict[str, Any]]] = {
            _MESSAGES: [],
            Conversion.__table__: [],
            InboxItem.__table__: [],
            EscalationTicket.__table__: [],
        }
        for conversation_id, record in zip(ids, records, strict=True):
            self._part_rows(parts, conversation_id, record.messages, record, now)
        self._insert_parts(parts)
        return ids

    @staticmethod
    def _part_rows(
        parts: dict[Any, list[dict[str, Any]]],
        conversation_id: int,
        messages: Iterable[_Message],
        record: _Record,
        now: datetime,
        *,
        conversions: Iterable[tuple[str, str]] | None = None,
        inbox_items: Iterable[str] | None = None,
        tickets: Iterable[str] | None = None,
    ) -> None:
        parts[_MESSAGES] += _message_rows(conversation_id, messages)
        parts[Conversion.__table__] += [
            {
                "conversation_id": conversation_id,
                "kind": kind,
                "target_id": target,
                "occurred_at": record.conversions[(kind, target)],
            }
            for kind, target in (record.conversions if conversions is None else conversions)
        ]
        parts[InboxItem.__table__] += [
            {
                "conversation_id": conversation_id,
                "item_id": item,
                "status": record.inbox_items[item][0],
                "title": record.inbox_items[item][1],
                "linked_at": now,
                "updated_at": now,
            }
            for item in (record.inbox_items if inbox_items is None else inbox_items)
        ]
        parts[EscalationTicket.__table__] += [
            {
                "conversation_id": conversation_id,
                "ticket_id": ticket,
                "subject": record.tickets[ticket][0],
                "escalated_at": record.tickets[ticket][1],
            }
            for ticket in (record.tickets if tickets is None else tickets)
        ]

    def _insert_conversations(self, rows: list[dict[str, Any]]) -> list[int]:
        """Insert the conversation rows; their ids in order. Several rows get their ids first
        and go in together (``bulk_write``); one alone (a chunk's records retried one at a
        time) lets the database choose, so it never collides with another writer."""
        if len(rows) == 1:
            return list(
                self.session.execute(
                    insert(_CONVERSATIONS).returning(_CONVERSATIONS.c.id),
                    rows,
                    bind_arguments=BIND_ARGUMENTS,
                ).scalars()
            )
        ids = bulk_write.new_ids(self.session, _CONVERSATIONS, len(rows))
        for row, conversation_id in zip(rows, ids, strict=True):
            row["id"] = conversation_id
        bulk_write.insert_rows(self.session, _CONVERSATIONS, rows)
        return ids

    def _insert_parts(self, parts: dict[Any, list[dict[str, Any]]]) -> None:
        for table, rows in parts.items():
            bulk_write.insert_rows(self.session, table, rows)

    # --- a record whose conversation is stored already ------------------------------------

    def _merge(
        self, record: _Record, stored: Any, deltas: dict[Any, dict[str, int]]
    ) -> tuple[bool, int] | None:
        """Add to a stored conversation what it lacks; ``None`` when it lacks nothing."""
        session, conversation_id = self.session, stored.id
        messages = self._new_messages(record, conversation_id)
        have = {
            (kind, target)
            for kind, target in session.execute(
                select(Conversion.kind, Conversion.target_id).where(
                    Conversion.conversation_id == conversation_id
                ),
                bind_arguments=BIND_ARGUMENTS,
            )
        }
        conversions = [key for key in record.conversions if key not in have]
        items = {
            row.item_id: row
            for row in session.execute(
                select(InboxItem.id, InboxItem.item_id, InboxItem.status, InboxItem.title).where(
                    InboxItem.conversation_id == conversation_id
                ),
                bind_arguments=BIND_ARGUMENTS,
            )
        }
        new_items = [item for item in record.inbox_items if item not in items]
        changed_items = [
            (items[item].id, status, title)
            for item, (status, title) in record.inbox_items.items()
            if item in items
            and (items[item].status != status or (title is not None and items[item].title != title))
        ]
        known_tickets = {
            row.ticket_id: row
            for row in session.execute(
                select(
                    EscalationTicket.id, EscalationTicket.ticket_id, EscalationTicket.subject
                ).where(EscalationTicket.conversation_id == conversation_id),
                bind_arguments=BIND_ARGUMENTS,
            )
        }
        new_tickets = [ticket for ticket in record.tickets if ticket not in known_tickets]
        changed_tickets = [
            (known_tickets[ticket].id, subject)
            for ticket, (subject, _) in record.tickets.items()
            if ticket in known_tickets and known_tickets[ticket].subject != subject
        ]
        if not (messages or conversions or new_items or changed_items or new_tickets
                or changed_tickets):  # fmt: skip
            return None

        now = self.settings.clock()
        parts: dict[Any, list[dict[str, Any]]] = {
            _MESSAGES: [],
            Conversion.__table__: [],
            InboxItem.__table__: [],
            EscalationTicket.__table__: [],
        }
        self._part_rows(
            parts,
            conversation_id,
            messages,
            record,
            now,
            conversions=conversions,
            inbox_items=new_items,
            tickets=new_tickets,
        )
        self._insert_parts(parts)
        for item_id, status, title in changed_items:
            values_: dict[str, Any] = {"status": status, "updated_at": now}
            if title is not None:
                values_["title"] = title
            session.execute(
                update(InboxItem).where(InboxItem.id == item_id).values(values_),
                bind_arguments=BIND_ARGUMENTS,
            )
        for ticket_id, subject in changed_tickets:
            session.execute(
                update(EscalationTicket)
                .where(EscalationTicket.id == ticket_id)
                .values(subject=subject),
                bind_arguments=BIND_ARGUMENTS,
            )
        added = Counter(kind for kind, _ in conversions)
        self._update_columns(stored, messages, added, len(new_items), len(new_tickets))
        if conversions or new_items or changed_items or new_tickets:
            old, new = refresh_outcome_mask(session, conversation_id)
            counters.add_moved(
                deltas,
                tenant=stored.tenant,
                channel=stored.channel,
                started_at=stored.started_at,
                old=old,
                new=new,
            )
        return (False, len(messages))

    def _new_messages(self, record: _Record, conversation_id: int) -> list[_Message]:
        keyed = [m.external_id for m in record.messages if m.external_id is not None]
        held: set[str] = set()
        if keyed:
            held = set(
                self.session.scalars(
                    select(Message.external_id).where(
                        Message.conversation_id == conversation_id, Message.external_id.in_(keyed)
                    ),
                    bind_arguments=BIND_ARGUMENTS,
                )
            )
        timed: Counter[tuple[str, str, datetime | None]] = Counter()
        untimed: Counter[tuple[str, str]] = Counter()
        if any(m.external_id is None for m in record.messages):
            for sender, body, original, sent_at in self.session.execute(
                select(Message.sender, Message.body, Message.original_body, Message.sent_at).where(
                    Message.conversation_id == conversation_id, Message.external_id.is_(None)
                ),
                bind_arguments=BIND_ARGUMENTS,
            ):
                given = body if original is None else original
                timed[(sender, given, sent_at)] += 1
                untimed[(sender, given)] += 1
        new = []
        for message in record.messages:
            if message.external_id is not None:
                if message.external_id not in held:
                    new.append(message)
                continue
            sender, body, sent_at = message.fingerprint
            if sent_at is not None and timed[(sender, body, sent_at)] > 0:
                timed[(sender, body, sent_at)] -= 1
            elif sent_at is None and untimed[(sender, body)] > 0:
                untimed[(sender, body)] -= 1
            else:
                new.append(message)
        return new

    def _update_columns(
        self,
        stored: Any,
        messages: list[_Message],
        conversions: Counter[str],
        inbox_items: int,
        tickets: int,
    ) -> None:
        """The stored conversation's list columns moved by what was added (as the recording
        API moves them: single ``x = x + n`` and ``CASE`` statements)."""
        c = _CONVERSATIONS.c
        changes: dict[str, Any] = {
            count_column(kind): c[count_column(kind)] + n for kind, n in conversions.items()
        }
        if inbox_items:
            changes["inbox_item_count"] = c.inbox_item_count + inbox_items
        if tickets:
            changes["ticket_count"] = c.ticket_count + tickets
        if messages:
            first, last = _first_and_last(messages)
            moment = bindparam("last", last, type_=UTCDateTime())
            first_at = bindparam("first", first.sent_at, type_=UTCDateTime())
            is_first = c.first_message_at.is_(None) | (c.first_message_at > first_at)
            changes.update(
                message_count=c.message_count + len(messages),
                last_activity_at=case(
                    (c.message_count == 0, moment),
                    (c.last_activity_at < moment, moment),
                    else_=c.last_activity_at,
                ),
                first_message_preview=case(
                    (is_first, _preview(first)), else_=c.first_message_preview
                ),
                first_message_at=case((is_first, first_at), else_=c.first_message_at),
            )
        if not changes:  # only statuses, titles or subjects changed
            return
        row = self.session.execute(
            update(_CONVERSATIONS)
            .where(c.id == stored.id)
            .values(changes)
            .returning(
                c.subject,
                c.first_message_preview,
                c.customer_name,
                c.customer_company,
                c.external_identifier,
                c.external_id,
                c.search_text,
            ),
            bind_arguments=BIND_ARGUMENTS,
        ).one()
        search_text = build_search_text(*row[:6])
        if search_text != row[6]:
            self.session.execute(
                update(_CONVERSATIONS).where(c.id == stored.id).values(search_text=search_text),
                bind_arguments=BIND_ARGUMENTS,
            )


def import_items(
    items: Iterable[tuple[int, object]],
    *,
    on_progress: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Import ``(line, record or Unreadable)`` pairs into the current app's database."""
    state = get_state()
    report = ImportReport()
    writer = _Writer(state.db.session, state.recording, report)
    chunk: list[_Record] = []
    keys: set[tuple[Any, ...]] = set()
    messages = 0

    def flush() -> None:
        nonlocal chunk, keys, messages
        if chunk:
            writer.store(chunk)
            chunk, keys, messages = [], set(), 0
            if on_progress is not None:
                on_progress(report)

    for line, raw in items:
        report.records += 1
        if isinstance(raw, Unreadable):
            report.errors.append((line, raw.message))
            continue
        try:
            record = validate(line, raw, state.recording)
        except InvalidRecord as error:
            report.errors.append((line, str(error)))
            continue
        if (
            record.key in keys
            or len(chunk) >= CHUNK_RECORDS
            or (messages + len(record.messages) > CHUNK_MESSAGES)
        ):
            # A key twice in one chunk: the second record finds the first one stored.
            flush()
        chunk.append(record)
        keys.add(record.key)
        messages += len(record.messages)
    flush()
    report.errors.sort(key=lambda error: error[0])
    return report


class ImportAPI:
    """Bulk import, mixed into ``AIConversations``; acts on the current app's database."""

    def import_conversations(
        self,
        records: Iterable[Mapping[str, Any]],
        *,
        on_progress: Callable[[ImportReport], None] | None = None,
    ) -> ImportReport:
        """Import conversation records (mappings in the JSON Lines record format; times as
        ISO 8601 text with an offset, or aware datetimes). Records are counted from 1 in the
        report's errors. ``on_progress(report)`` runs after each chunk is committed."""
        if isinstance(records, str | bytes | Mapping) or not isinstance(records, Iterable):
            raise InvalidRecord("records", "must be an iterable of records (mappings)")
        if on_progress is not None and not callable(on_progress):
            raise InvalidRecord("on_progress", "must be callable(report) or None")
        return import_items(enumerate(records, start=1), on_progress=on_progress)

    def import_json_lines(
        self,
        stream: IO[bytes] | IO[str],
        *,
        on_progress: Callable[[ImportReport], None] | None = None,
        max_line_bytes: int = MAX_LINE_BYTES,
    ) -> ImportReport:
        """Import a JSON Lines stream (bytes are read as UTF-8), one record per line; errors
        name the line of the file."""
        if not hasattr(stream, "readline"):
            raise InvalidRecord("stream", "must be a file object opened for reading")
        if (
            isinstance(max_line_bytes, bool)
            or not isinstance(max_line_bytes, int)
            or not 0 < max_line_bytes <= LARGEST_LINE_BYTES
        ):
            raise InvalidRecord(
                "max_line_bytes", f"must be a whole number from 1 to {LARGEST_LINE_BYTES:,}"
            )
        if on_progress is not None and not callable(on_progress):
            raise InvalidRecord("on_progress", "must be callable(report) or None")
        return import_items(
            read_json_lines(stream, max_line_bytes=max_line_bytes), on_progress=on_progress
        )
