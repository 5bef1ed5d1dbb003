"""The write API: validate everything first, then write in one transaction.

Validation runs before the session is touched, so a bad argument never leaves anything behind.
The conversation's list columns (activity, counts, preview, search text) are updated with
single SQL statements (``x = x + 1``, ``CASE`` on the stored value) inside the same transaction as
the row they summarise, so concurrent writers into one conversation serialise on its row and never
lose an increment. The per-day and per-month counters behind the list's metrics (``counters``)
are upserted in the same transaction when a conversation starts and whenever its outcome mask
changes (``outcomes``: a first conversion of a kind, a first escalation, an inbox item linked or
its status changed), with the conversation's row locked so concurrent writers agree on it.

``RecordingAPI`` holds the public calls; ``AIConversations`` inherits them and they act on the
app of the current app context.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, String, bindparam, case, insert, select, true, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.orm.util import identity_key

from . import counters, outcomes, rendering, subjects
from .errors import ConversationNotFound, InvalidRecord, shown
from .message_search import message_text
from .models import (
    BIND_ARGUMENTS,
    EXTERNAL_ID_MAX,
    ID_MAX,
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
    tables_connection,
)
from .search_text import build_search_text
from .state import Clock, get_state, utcnow
from .vocab import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    VIA_LABELS,
    Channel,
    ContentFormat,
    ConversionKind,
    InboxStatus,
    Origin,
    Sender,
    Via,
    count_column,
    values,
)

T = TypeVar("T")

DEFAULT_MAX_BODY_CHARS = 1_000_000


@dataclass(frozen=True)
class RecordingSettings:
    """What the recording API takes from the app's ``AICONVOS_*`` config."""

    sanitizer: str = "nh3"
    markdownify_channels: frozenset[str] = field(default_factory=frozenset)
    max_body_chars: int = DEFAULT_MAX_BODY_CHARS
    clock: Clock = utcnow


# --- validation -----------------------------------------------------------------------------


def _check_encodable(name: str, value: str) -> None:
    if "\x00" in value:
        raise InvalidRecord(name, "must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidRecord(name, "must be valid Unicode text (no lone surrogates)") from None


def _choice(name: str, value: object, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise InvalidRecord(name, f"got {shown(value)}; allowed values: {', '.join(allowed)}")
    return value


#: What a single line of display text must not hold: a character below U+0020, or DEL.
_CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f]")


def _line(name: str, value: object, max_chars: int, *, required: bool = False) -> str | None:
    """A single line of display text (subject, name, title): trimmed, blank means absent."""
    if value is None:
        if required:
            raise InvalidRecord(name, "is required")
        return None
    if not isinstance(value, str):
        raise InvalidRecord(name, f"must be a string, got {type(value).__name__}")
    _check_encodable(name, value)
    value = value.strip()
    if _CONTROL_CHARACTER.search(value):
        raise InvalidRecord(name, "must be a single line without control characters")
    if not value:
        if required:
            raise InvalidRecord(name, "must not be blank")
        return None
    if len(value) > max_chars:
        raise InvalidRecord(name, f"is {len(value)} characters long; the limit is {max_chars}")
    return value


def _identifier(name: str, value: object, max_chars: int, *, required: bool = False) -> str | None:
    """An id of a host record: a non-blank string or an integer, stored as text."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > 4 * max_chars:  # more digits than fit (and than str() allows)
            raise InvalidRecord(name, f"is longer than the limit of {max_chars} characters")
        value = str(value)
    elif value is not None and not isinstance(value, str):
        raise InvalidRecord(name, f"must be a string or an integer, got {type(value).__name__}")
    return _line(name, value, max_chars, required=required)


def _moment(name: str, value: object, default: Callable[[], datetime]) -> datetime:
    if value is None:
        return default()
    if not isinstance(value, datetime):
        raise InvalidRecord(name, f"must be a datetime, got {type(value).__name__}")
    try:
        offset = value.utcoffset()
    except Exception:  # a tzinfo whose offset is a day or more, or that fails
        raise InvalidRecord(name, "has a time zone whose UTC offset cannot be read") from None
    if value.tzinfo is None or offset is None:
        raise InvalidRecord(name, "must be timezone-aware (for example datetime.now(UTC))")
    try:
        moment = value.astimezone(UTC)
    except OverflowError:  # an offset pushes it past year 1 or 9999
        moment = None
    if moment is None or not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise InvalidRecord(name, f"must be between the years {EARLIEST_YEAR} and {LATEST_YEAR}")
    return moment


def _via(name: str, value: object, sender: str) -> str | None:
    """How a message of ``sender`` travelled: a ``Via`` value that sender uses, or ``None``."""
    if value is None:
        return None
    via = _choice(name, value, values(Via))
    if (sender, via) not in VIA_LABELS:
        allowed = sorted(v for s, v in VIA_LABELS if s == sender and v is not None)
        raise InvalidRecord(
            name,
            f"{via!r} is not used by sender {sender!r}; allowed for {sender!r}: "
            + (", ".join(["None", *allowed])),
        )
    return via


def _conversation_id(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRecord("conversation_id", f"must be an integer, got {type(value).__name__}")
    if not 0 < value <= ID_MAX:  # no conversation has such an id: never ask the database
        raise ConversationNotFound(value)
    return value


def _body(value: object, max_chars: int) -> str:
    if not isinstance(value, str):
        raise InvalidRecord("body", f"must be a string, got {type(value).__name__}")
    _check_encodable("body", value)
    if not value.strip():
        raise InvalidRecord("body", "must not be blank")
    if len(value) > max_chars:
        raise InvalidRecord("body", f"is {len(value)} characters long; the limit is {max_chars}")
    return value


def _bool_or_none(name: str, value: object) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise InvalidRecord(name, "must be True, False or None")
    return value


# --- writing --------------------------------------------------------------------------------


def _commit_or_rollback(session: Session, work: Callable[[], T]) -> T:
    """Run ``work`` and commit, or roll back everything on any error.

    The commit does not expire loaded objects: the returned object is complete already, and
    reloading it would leave a new transaction open on the host's session.
    """
    real = session() if callable(session) else session  # a scoped_session proxy or a Session
    expire_on_commit = real.expire_on_commit
    try:
        result = work()
        real.expire_on_commit = False
        real.commit()
    except BaseException:  # roll back whatever interrupted the work, then let it go on
        real.rollback()
        raise
    finally:
        real.expire_on_commit = expire_on_commit
    return result


@contextlib.contextmanager
def _usable_afterwards(session: Session) -> Iterator[None]:
    """A database error inside the API rolls the session back before it reaches the host, so
    the host's next statement does not fail on an aborted transaction."""
    try:
        yield
    except SQLAlchemyError:
        session.rollback()
        raise


def _find_or_insert(
    session: Session,
    find: Callable[[], T | None],
    insert: Callable[[], T],
    existing: Callable[[T], T] = lambda found: found,
) -> T:
    """The stored record when ``find`` has one, else ``insert`` it and commit.

    When a concurrent writer inserted the same key first, the unique constraint refuses ours:
    theirs is the record. ``existing`` is applied to a record that was already there.
    """
    found = find()
    if found is not None:
        return existing(found)
    try:
        return _commit_or_rollback(session, insert)
    except IntegrityError:
        found = find()
        if found is None:
            raise
        return existing(found)


def keyed_conversation(tenant: str | None, external_id: str) -> Any:
    """The statement finding a conversation by its key (within a tenant, or without one)."""
    tenant_matches = (
        Conversation.tenant.is_(None) if tenant is None else Conversation.tenant == tenant
    )
    return select(Conversation).where(tenant_matches, Conversation.external_id == external_id)


def _load_conversation(session: Session, conversation_id: int) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise ConversationNotFound(conversation_id)
    return conversation


_CHANNEL_OF = select(Conversation.__table__.c.channel).where(
    Conversation.__table__.c.id == bindparam("conversation_id")
)


def _loaded_conversation(session: Session, conversation_id: int) -> Conversation | None:
    """The session's own object for this conversation, if it holds one: kept current by the
    writes below, so a host's ``Conversation`` never goes stale; no SQL."""
    found = session.identity_map.get(identity_key(Conversation, conversation_id))
    return found if isinstance(found, Conversation) else None


def _channel_of(connection: Connection, conversation_id: int, loaded: Conversation | None) -> str:
    """The conversation's channel (which decides how its HTML is stored), read alone: a
    message does not need the whole conversation row loaded as an object. An expired object's
    channel is read again, so a conversation deleted meanwhile is not found."""
    known = instance_state(loaded).dict.get("channel") if loaded is not None else None
    if known is not None:
        return str(known)
    channel = connection.execute(_CHANNEL_OF, {"conversation_id": conversation_id}).scalar()
    if channel is None:
        raise ConversationNotFound(conversation_id)
    return str(channel)


def _touch_statement() -> Any:
    """The one statement that records a message on its conversation's row (built once)."""
    c = Conversation.__table__.c
    moment = bindparam("moment", type_=UTCDateTime())
    is_first = c.first_message_at.is_(None) | (c.first_message_at > moment)
    return (
        update(Conversation.__table__)
        .where(c.id == bindparam("conversation_id"))
        .values(
            message_count=c.message_count + 1,
            last_activity_at=case(
                (c.message_count == 0, moment),
                (c.last_activity_at < moment, moment),
                else_=c.last_activity_at,
            ),
            first_message_preview=case(
                (is_first, bindparam("preview", type_=String())),
                else_=c.first_message_preview,
            ),
            first_message_at=case((is_first, moment), else_=c.first_message_at),
        )
        .returning(
            c.subject,
            c.first_message_preview,
            c.customer_name,
            c.customer_company,
            c.external_identifier,
            c.external_id,
            c.search_text,
            c.message_count,
            c.last_activity_at,
            c.first_message_at,
        )
    )


_TOUCH = _touch_statement()
_INSERT_MESSAGE = insert(Message.__table__)
_SET_SEARCH_TEXT = (
    update(Conversation.__table__)
    .where(Conversation.__table__.c.id == bindparam("conversation_id"))
    .values(search_text=bindparam("search_text"))
)


def _touch_and_insert_statement() -> Any:
    """PostgreSQL: the conversation's update and the message's insert as one statement (a
    data-modifying ``WITH``), one round trip instead of two. The message is inserted once per
    row the update found: none for an unknown conversation."""
    touched = _TOUCH.cte("touched")
    table = Message.__table__
    names = [column.name for column in table.c if column.name != "id"]
    row = select(*(bindparam(f"message_{name}", type_=table.c[name].type) for name in names))
    added = (
        insert(table)
        .from_select(names, row.select_from(touched))
        .returning(table.c.id)
        .cte("added")
    )
    return select(*touched.c, added.c.id.label("message_id")).select_from(
        touched.join(added, true())
    )


_TOUCH_AND_INSERT = _touch_and_insert_statement()


def _touch_and_insert(
    connection: Connection,
    conversation_id: int,
    loaded: Conversation | None,
    moment: datetime,
    preview: str | None,
    values: dict[str, Any],
) -> int:
    """Move the conversation's activity forward, keep its first-message preview and search
    text current, and insert the message; the message's id.

    The conversation's row is updated first: its lock orders concurrent writers, and a
    conversation deleted since it was loaded is found missing there. The new values come back
    with ``RETURNING`` and are set on the session's object when it holds one (``loaded``), so a
    caller's ``Conversation`` stays current without another query. The statements are built
    once: this runs for every message.
    """
    params = {"conversation_id": conversation_id, "moment": moment, "preview": preview}
    if connection.dialect.name == "postgresql":
        params.update({f"message_{name}": value for name, value in values.items()})
        row = connection.execute(_TOUCH_AND_INSERT, params).one_or_none()
        if row is None:
            raise ConversationNotFound(conversation_id)
        message_id = row.message_id
    else:
        row = connection.execute(_TOUCH, params).one_or_none()
        if row is None:
            raise ConversationNotFound(conversation_id)
        message_id = connection.execute(_INSERT_MESSAGE, values).inserted_primary_key[0]
    search_text = build_search_text(*row[:6])
    if search_text != row.search_text:
        connection.execute(
            _SET_SEARCH_TEXT, {"conversation_id": conversation_id, "search_text": search_text}
        )
    if loaded is not None:
        for name in (
            "first_message_preview",
            "message_count",
            "last_activity_at",
            "first_message_at",
        ):
            set_committed_value(loaded, name, getattr(row, name))
        set_committed_value(loaded, "search_text", search_text)
    return int(message_id)


def _increment(session: Session, conversation: Conversation, column: str) -> int:
    """``column = column + 1`` in SQL, the new value set on the loaded object and returned.

    The row lock the update takes makes the returned value exact under concurrent writers:
    exactly one of them sees 1.
    """
    counter: Any = getattr(Conversation, column)
    value = session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id)
        .values({column: counter + 1})
        .returning(counter)
        .execution_options(synchronize_session=False),
        bind_arguments=BIND_ARGUMENTS,
    ).scalar_one()
    set_committed_value(conversation, column, value)
    return int(value)


_LOCK = (
    select(Conversation.__table__.c.id)
    .where(Conversation.__table__.c.id == bindparam("conversation_id"))
    # FOR NO KEY UPDATE, the lock an UPDATE takes: it waits for other writers of the row but not
    # for the key-share locks that inserting its conversions and inbox items hold.
    .with_for_update(key_share=True)
)
_STORED_MASK = select(
    Conversation.__table__.c.outcome_mask,
    outcomes.stored_mask_expression(Conversation.__table__, InboxItem.__table__),
).where(Conversation.__table__.c.id == bindparam("conversation_id"))
_SET_MASK = (
    update(Conversation.__table__)
    .where(Conversation.__table__.c.id == bindparam("conversation_id"))
    .values(outcome_mask=bindparam("mask"))
)


def refresh_outcome_mask(session: Session, conversation_id: int) -> tuple[int, int]:
    """Recompute a conversation's ``outcome_mask`` from its stored columns and inbox items;
    ``(old, new)``. Call inside the transaction that changed them: the row is locked first, so
    the mask is computed from what every earlier writer committed."""
    params = {"conversation_id": conversation_id}
    session.execute(_LOCK, params, bind_arguments=BIND_ARGUMENTS)
    old, new = session.execute(_STORED_MASK, params, bind_arguments=BIND_ARGUMENTS).one()
    if old != new:
        session.execute(_SET_MASK, {**params, "mask": new}, bind_arguments=BIND_ARGUMENTS)
    return int(old), int(new)


def _outcomes_changed(session: Session, conversation: Conversation) -> None:
    """Bring the conversation's outcome mask and its counters up to date after a change."""
    old, new = refresh_outcome_mask(session, conversation.id)
    counters.record_moved(session, conversation, old, new)
    set_committed_value(conversation, "outcome_mask", new)


def _first(session: Session, model: type[T], **key: Any) -> T | None:
    """The record of ``model`` with these column values, if stored."""
    conditions = [getattr(model, name) == value for name, value in key.items()]
    return session.scalars(select(model).where(*conditions), bind_arguments=BIND_ARGUMENTS).first()


def _record_once(
    session: Session,
    conversation_id: int,
    model: type[T],
    *,
    key: dict[str, Any],
    fields: dict[str, Any],
    counted_in: str,
    changes: dict[str, Any] | None = None,
    first: Callable[[Conversation], None] | None = None,
    changed: Callable[[Conversation], None] | None = None,
) -> T:
    """Store a conversation's record of ``model`` once per ``key`` and count it in the
    conversation's ``counted_in`` column (``first`` runs when that count becomes 1,
    ``changed`` after every record stored or changed).

    A record stored already is returned with ``changes`` applied (committed only when one
    differs), so repeating a call is harmless.
    """

    def find() -> T | None:
        return _first(session, model, conversation_id=conversation_id, **key)

    def apply_changes(existing: T) -> T:
        differing = {
            name: value
            for name, value in (changes or {}).items()
            if getattr(existing, name) != value
        }
        if not differing:
            return existing

        def change() -> T:
            for name, value in differing.items():
                setattr(existing, name, value)
            if changed is not None:
                session.flush()
                changed(conversation)
            return existing

        return _commit_or_rollback(session, change)

    with _usable_afterwards(session):
        conversation = _load_conversation(session, conversation_id)

        def insert() -> T:
            record = model(conversation_id=conversation_id, **key, **fields)
            session.add(record)
            session.flush()
            if _increment(session, conversation, counted_in) == 1 and first is not None:
                first(conversation)
            if changed is not None:
                changed(conversation)
            return record

        return _find_or_insert(session, find, insert, apply_changes)


class RecordingAPI:
    """The calls a host makes wherever its assistant sends or receives a message.

    Each validates all its arguments before touching the database, writes in one transaction
    on the host's ``db.session``, commits and returns the stored object; a bad value raises
    ``InvalidRecord``, an unknown conversation ``ConversationNotFound``, and nothing is written.
    """

    @staticmethod
    def _writer() -> tuple[Session, RecordingSettings]:
        state = get_state()
        return state.db.session, state.recording

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
        external_id: str | int | None = None,
    ) -> Conversation:
        """Start a conversation and return it (with ``.id``); the same ``external_id`` again,
        within a tenant, returns the stored conversation and writes nothing."""
        session, settings = self._writer()
        channel = _choice("channel", channel, values(Channel))
        origin = _choice("origin", origin, values(Origin))
        subject = _line("subject", subject, SUBJECT_MAX)
        customer_id = _identifier("customer_id", customer_id, RECORD_ID_MAX)
        customer_name = _line("customer_name", customer_name, NAME_MAX)
        customer_company = _line("customer_company", customer_company, NAME_MAX)
        external_identifier = _line("external_identifier", external_identifier, IDENTIFIER_MAX)
        started = _moment("started_at", started_at, settings.clock)
        tenant = _identifier("tenant", tenant, TENANT_MAX)
        external_id = _identifier("external_id", external_id, EXTERNAL_ID_MAX)

        def find() -> Conversation | None:
            if external_id is None:
                return None
            return session.scalars(
                keyed_conversation(tenant, external_id), bind_arguments=BIND_ARGUMENTS
            ).first()

        conversation = Conversation(
            channel=channel,
            origin=origin,
            subject=subject,
            customer_id=customer_id,
            customer_name=customer_name,
            customer_company=customer_company,
            external_identifier=external_identifier,
            started_at=started,
            last_activity_at=started,
            tenant=tenant,
            external_id=external_id,
            outcome_mask=outcomes.mask_of(
                tickets=0, kind_counts={}, pending_items=0, customer_id=customer_id
            ),
            search_text=build_search_text(
                subject, None, customer_name, customer_company, external_identifier, external_id
            ),
        )

        def insert() -> Conversation:
            session.add(conversation)
            session.flush()
            counters.record_started(session, conversation)
            return conversation

        with _usable_afterwards(session):
            return _find_or_insert(session, find, insert)

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
        """Add a message; the same ``external_id`` twice returns the stored message.

        ``convert_to_markdown`` stores an HTML body as Markdown (``None``: as the channel's
        config says), keeping the original HTML.
        """
        session, settings = self._writer()
        conversation_id = _conversation_id(conversation_id)
        sender = _choice("sender", sender, values(Sender))
        content_format = _choice("content_format", content_format, values(ContentFormat))
        via = _via("via", via, sender)
        body = _body(body, settings.max_body_chars)
        moment = _moment("sent_at", sent_at, settings.clock)
        external_id = _identifier("external_id", external_id, EXTERNAL_ID_MAX)
        convert_to_markdown = _bool_or_none("convert_to_markdown", convert_to_markdown)

        def find() -> Message | None:
            if external_id is None:
                return None
            return _first(
                session, Message, conversation_id=conversation_id, external_id=external_id
            )

        with _usable_afterwards(session):
            # Core statements on the session's own connection (its transaction): a message
            # costs the conversation's update and its insert (one statement on PostgreSQL), and
            # a read of the channel when that decides how HTML is stored.
            loaded = _loaded_conversation(session, conversation_id)

            def insert() -> Message:
                connection = tables_connection(session)
                channel = (
                    _channel_of(connection, conversation_id, loaded)
                    if _channel_decides(settings, content_format, convert_to_markdown)
                    else None
                )
                values = _message_values(
                    settings, channel, sender, body, content_format, convert_to_markdown
                )
                values.update(
                    conversation_id=conversation_id,
                    via=via,
                    sent_at=moment,
                    external_id=external_id,
                )
                preview = subjects.opening_preview(
                    values["body"], values["content_format"], limit=PREVIEW_MAX
                )
                message_id = _touch_and_insert(
                    connection, conversation_id, loaded, moment, preview or None, values
                )
                return _persistent_message(session, message_id, values)

            return _find_or_insert(session, find, insert)

    def record_conversion(
        self,
        conversation_id: int,
        *,
        kind: str,
        target_id: str | int,
        occurred_at: datetime | None = None,
    ) -> Conversion:
        """Record a tour, new customer, contract, booking or day pass the conversation led to;
        the same kind and target twice is stored once."""
        session, settings = self._writer()
        conversation_id = _conversation_id(conversation_id)
        kind = _choice("kind", kind, values(ConversionKind))
        target = _identifier("target_id", target_id, RECORD_ID_MAX, required=True)
        moment = _moment("occurred_at", occurred_at, settings.clock)

        return _record_once(
            session,
            conversation_id,
            Conversion,
            key={"kind": kind, "target_id": target},
            fields={"occurred_at": moment},
            counted_in=count_column(kind),
            first=lambda conversation: _outcomes_changed(session, conversation),
        )

    def link_inbox_item(
        self,
        conversation_id: int,
        *,
        item_id: str | int,
        status: str,
        title: str | None = None,
    ) -> InboxItem:
        """Link an AI Inbox item; linking a known item again updates its status (and title)."""
        session, settings = self._writer()
        conversation_id = _conversation_id(conversation_id)
        item = _identifier("item_id", item_id, RECORD_ID_MAX, required=True)
        status = _choice("status", status, values(InboxStatus))
        title = _line("title", title, TITLE_MAX)
        now = settings.clock()

        changes = {"status": status, "updated_at": now}
        if title is not None:
            changes["title"] = title
        return _record_once(
            session,
            conversation_id,
            InboxItem,
            key={"item_id": item},
            fields={"status": status, "title": title, "linked_at": now, "updated_at": now},
            counted_in="inbox_item_count",
            changes=changes,
            changed=lambda conversation: _outcomes_changed(session, conversation),
        )

    def escalate(
        self,
        conversation_id: int,
        *,
        ticket_id: str | int,
        subject: str,
        escalated_at: datetime | None = None,
    ) -> EscalationTicket:
        """Record a help-desk escalation; the same ticket twice is stored once (its subject
        updated)."""
        session, settings = self._writer()
        conversation_id = _conversation_id(conversation_id)
        ticket = _identifier("ticket_id", ticket_id, RECORD_ID_MAX, required=True)
        subject_line = _line("subject", subject, TITLE_MAX, required=True)
        moment = _moment("escalated_at", escalated_at, settings.clock)

        return _record_once(
            session,
            conversation_id,
            EscalationTicket,
            key={"ticket_id": ticket},
            fields={"subject": subject_line, "escalated_at": moment},
            counted_in="ticket_count",
            changes={"subject": subject_line},
            first=lambda conversation: _outcomes_changed(session, conversation),
        )


def _message_values(
    settings: RecordingSettings,
    channel: str | None,
    sender: str,
    body: str,
    content_format: str,
    convert_to_markdown: bool | None,
) -> dict[str, Any]:
    """A message's stored columns, rendered once under the current policy, its HTML stored as
    Markdown when the call or the channel's config asks for it (keeping the original)."""
    stored_body, stored_format, original_body, original_format = stored_body_of(
        settings, channel, body, content_format, convert_to_markdown
    )
    return {
        "sender": sender,
        "content_format": stored_format,
        "body": stored_body,
        "original_body": original_body,
        "original_format": original_format,
        "rendered_html": rendering.render_body(
            stored_body, stored_format, engine=settings.sanitizer
        ),
        "render_version": rendering.POLICY_VERSION,
        "search_text": message_text(stored_body, stored_format),
    }


def _persistent_message(session: Session, message_id: int, values: dict[str, Any]) -> Message:
    """The inserted message as the session's persistent object, every column set: written
    with Core statements, without the unit of work's bookkeeping for one object on every
    call."""
    message = Message(id=message_id, **values)
    make_transient_to_detached(message)
    session.add(message)
    return message


def _channel_decides(
    settings: RecordingSettings, content_format: str, convert_to_markdown: bool | None
) -> bool:
    """Whether the conversation's channel decides how this body is stored: only an HTML body,
    with no choice in the call, when some channels store HTML as Markdown."""
    return (
        convert_to_markdown is None
        and content_format == ContentFormat.HTML
        and bool(settings.markdownify_channels)
    )


def stored_body_of(
    settings: RecordingSettings,
    channel: str | None,
    body: str,
    content_format: str,
    convert_to_markdown: bool | None,
) -> tuple[str, str, str | None, str | None]:
    """``(body, format, original body, original format)`` as stored: an HTML body as Markdown
    when the call or the channel's config asks for it, the HTML kept as the original.
    ``channel`` may be ``None`` where it cannot decide (``_channel_decides``)."""
    if convert_to_markdown is None:
        convert_to_markdown = channel is not None and channel in settings.markdownify_channels
    if convert_to_markdown and content_format == ContentFormat.HTML:
        markdown = rendering.html_to_markdown(body)
        if markdown is not None and markdown.strip():
            return markdown, ContentFormat.MARKDOWN.value, body, content_format
    return body, content_format, None, None


def channel_set(name: str, value: object) -> frozenset[str]:
    """Validate a collection of channel values from config."""
    if isinstance(value, str) or not isinstance(value, Collection):
        raise InvalidRecord(name, "must be a list of channel values")
    allowed = values(Channel)
    for item in value:
        _choice(name, item, allowed)
    return frozenset(value)
