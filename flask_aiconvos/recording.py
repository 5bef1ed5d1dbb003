"""The write API of PRODUCT.md §6: validate everything first, then write in one transaction.

Validation runs before the session is touched, so a bad argument never leaves anything behind.
The conversation's list columns (activity, counts, preview, search text) are updated with
single SQL statements (``x = x + 1``, ``CASE`` on the stored value) inside the same transaction as
the row they summarise, so concurrent writers into one conversation serialise on its row and never
lose an increment. The per-day and per-month counters behind the list's metrics (``counters``)
are upserted in the same transaction when a conversation starts and when it gets its first
conversion of a kind.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import String, bindparam, case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from . import counters, rendering
from .errors import ConversationNotFound, InvalidRecord
from .models import (
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
from .vocab import (
    VIA_LABELS,
    Channel,
    ContentFormat,
    ConversionKind,
    InboxStatus,
    Origin,
    Sender,
    Via,
    values,
)

T = TypeVar("T")

DEFAULT_MAX_BODY_CHARS = 1_000_000


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RecordingSettings:
    """What the recording API takes from the app's ``AICONVOS_*`` config."""

    sanitizer: str = "nh3"
    markdownify_channels: frozenset[str] = field(default_factory=frozenset)
    max_body_chars: int = DEFAULT_MAX_BODY_CHARS
    clock: Callable[[], datetime] = utcnow


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
        raise InvalidRecord(name, f"got {value!r}; allowed values: {', '.join(allowed)}")
    return value


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
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
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
        value = str(value)
    elif value is not None and not isinstance(value, str):
        raise InvalidRecord(name, f"must be a string or an integer, got {type(value).__name__}")
    return _line(name, value, max_chars, required=required)


def _moment(name: str, value: object, default: Callable[[], datetime]) -> datetime:
    if value is None:
        return default()
    if not isinstance(value, datetime):
        raise InvalidRecord(name, f"must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidRecord(name, "must be timezone-aware (for example datetime.now(UTC))")
    moment = value.astimezone(UTC)
    if not 1970 <= moment.year <= 9998:
        raise InvalidRecord(name, "must be between the years 1970 and 9998")
    return moment


def _conversation_id(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRecord("conversation_id", f"must be an integer, got {type(value).__name__}")
    if not 0 < value < 2**63:
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


def build_search_text(
    subject: str | None,
    first_message: str | None,
    customer_name: str | None,
    customer_company: str | None,
    external_identifier: str | None,
) -> str:
    """The lower-cased text search matches against; fields are kept apart by newlines.

    A phone number is also stored as bare digits, so "7700900123" finds "+44 7700 900123".
    """
    parts = [subject, first_message, customer_name, customer_company, external_identifier]
    if external_identifier and "@" not in external_identifier:
        digits = "".join(ch for ch in external_identifier if ch.isdigit())
        if digits and digits != external_identifier:
            parts.append(digits)
    return "\n".join(part for part in parts if part).lower()


def search_term(text: str) -> str:
    """Normalise a typed search term the same way ``build_search_text`` normalises the data."""
    return " ".join(text.split()).lower()


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
    except BaseException:
        real.rollback()
        raise
    finally:
        real.expire_on_commit = expire_on_commit
    return result


def _load_conversation(session: Session, conversation_id: int) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise ConversationNotFound(conversation_id)
    return conversation


def start_conversation(
    session: Session,
    settings: RecordingSettings,
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
    channel = _choice("channel", channel, values(Channel))
    origin = _choice("origin", origin, values(Origin))
    subject = _line("subject", subject, SUBJECT_MAX)
    customer_id = _identifier("customer_id", customer_id, RECORD_ID_MAX)
    customer_name = _line("customer_name", customer_name, NAME_MAX)
    customer_company = _line("customer_company", customer_company, NAME_MAX)
    external_identifier = _line("external_identifier", external_identifier, IDENTIFIER_MAX)
    started = _moment("started_at", started_at, settings.clock)
    tenant = _identifier("tenant", tenant, TENANT_MAX)

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
        search_text=build_search_text(
            subject, None, customer_name, customer_company, external_identifier
        ),
    )

    def work() -> Conversation:
        session.add(conversation)
        session.flush()
        counters.record_started(session, conversation)
        return conversation

    return _commit_or_rollback(session, work)


def add_message(
    session: Session,
    settings: RecordingSettings,
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
    conversation_id = _conversation_id(conversation_id)
    sender = _choice("sender", sender, values(Sender))
    content_format = _choice("content_format", content_format, values(ContentFormat))
    if via is not None:
        via = _choice("via", via, values(Via))
        if (sender, via) not in VIA_LABELS:
            allowed = sorted(v for s, v in VIA_LABELS if s == sender and v is not None)
            raise InvalidRecord(
                "via",
                f"{via!r} is not used by sender {sender!r}; allowed for {sender!r}: "
                + (", ".join(["None", *allowed])),
            )
    body = _body(body, settings.max_body_chars)
    moment = _moment("sent_at", sent_at, settings.clock)
    external_id = _identifier("external_id", external_id, EXTERNAL_ID_MAX)
    convert_to_markdown = _bool_or_none("convert_to_markdown", convert_to_markdown)

    conversation = _load_conversation(session, conversation_id)
    if external_id is not None:
        existing = _message_by_external_id(session, conversation_id, external_id)
        if existing is not None:
            return existing

    if convert_to_markdown is None:
        convert_to_markdown = conversation.channel in settings.markdownify_channels
    stored_body, stored_format = body, content_format
    original_body = original_format = None
    if convert_to_markdown and content_format == ContentFormat.HTML:
        markdown = rendering.html_to_markdown(body)
        if markdown is not None and markdown.strip():
            stored_body, stored_format = markdown, ContentFormat.MARKDOWN.value
            original_body, original_format = body, content_format

    message = Message(
        conversation_id=conversation_id,
        sender=sender,
        via=via,
        content_format=stored_format,
        body=stored_body,
        original_body=original_body,
        original_format=original_format,
        sent_at=moment,
        external_id=external_id,
        rendered_html=rendering.render_body(stored_body, stored_format, engine=settings.sanitizer),
        render_version=rendering.POLICY_VERSION,
    )
    preview = rendering.preview_text(stored_body, stored_format, limit=PREVIEW_MAX) or None

    def work() -> Message:
        session.add(message)
        session.flush()
        _touch_conversation(session, conversation, moment, preview)
        return message

    try:
        return _commit_or_rollback(session, work)
    except IntegrityError:
        if external_id is None:
            raise
        # Another writer stored the same external_id first: theirs is the message.
        existing = _message_by_external_id(session, conversation_id, external_id)
        if existing is None:
            raise
        return existing


def _message_by_external_id(
    session: Session, conversation_id: int, external_id: str
) -> Message | None:
    return session.scalars(
        select(Message).where(
            Message.conversation_id == conversation_id, Message.external_id == external_id
        )
    ).first()


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
            c.search_text,
            c.message_count,
            c.last_activity_at,
            c.first_message_at,
        )
    )


_TOUCH = _touch_statement()
_SET_SEARCH_TEXT = (
    update(Conversation.__table__)
    .where(Conversation.__table__.c.id == bindparam("conversation_id"))
    .values(search_text=bindparam("search_text"))
)


def _touch_conversation(
    session: Session, conversation: Conversation, moment: datetime, preview: str | None
) -> None:
    """Move activity forward and keep the first-message preview and search text current.

    The new values come back with ``RETURNING`` and are set on the loaded object, so a caller's
    ``Conversation`` stays current without another query. The statements are built once: this
    runs for every message.
    """
    row = session.execute(
        _TOUCH, {"conversation_id": conversation.id, "moment": moment, "preview": preview}
    ).one()
    search_text = build_search_text(*row[:5])
    if search_text != row.search_text:
        session.execute(
            _SET_SEARCH_TEXT, {"conversation_id": conversation.id, "search_text": search_text}
        )
    for name in ("first_message_preview", "message_count", "last_activity_at", "first_message_at"):
        set_committed_value(conversation, name, getattr(row, name))
    set_committed_value(conversation, "search_text", search_text)


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
        .execution_options(synchronize_session=False)
    ).scalar_one()
    set_committed_value(conversation, column, value)
    return int(value)


def record_conversion(
    session: Session,
    settings: RecordingSettings,
    conversation_id: int,
    *,
    kind: str,
    target_id: str | int,
    occurred_at: datetime | None = None,
) -> Conversion:
    """Record what a conversation achieved; the same kind and target twice is stored once."""
    conversation_id = _conversation_id(conversation_id)
    kind = _choice("kind", kind, values(ConversionKind))
    target = _identifier("target_id", target_id, RECORD_ID_MAX, required=True)
    assert target is not None
    moment = _moment("occurred_at", occurred_at, settings.clock)
    conversation = _load_conversation(session, conversation_id)

    def find() -> Conversion | None:
        return session.scalars(
            select(Conversion).where(
                Conversion.conversation_id == conversation_id,
                Conversion.kind == kind,
                Conversion.target_id == target,
            )
        ).first()

    existing = find()
    if existing is not None:
        return existing
    conversion = Conversion(
        conversation_id=conversation_id, kind=kind, target_id=target, occurred_at=moment
    )

    def work() -> Conversion:
        session.add(conversion)
        session.flush()
        if _increment(session, conversation, f"{kind}_count") == 1:
            counters.record_first_conversion(session, conversation, kind)
        return conversion

    try:
        return _commit_or_rollback(session, work)
    except IntegrityError:
        existing = find()
        if existing is None:
            raise
        return existing


def link_inbox_item(
    session: Session,
    settings: RecordingSettings,
    conversation_id: int,
    *,
    item_id: str | int,
    status: str,
    title: str | None = None,
) -> InboxItem:
    """Link an AI Inbox item; linking a known item again updates its status (and title)."""
    conversation_id = _conversation_id(conversation_id)
    item = _identifier("item_id", item_id, RECORD_ID_MAX, required=True)
    status = _choice("status", status, values(InboxStatus))
    title = _line("title", title, TITLE_MAX)
    conversation = _load_conversation(session, conversation_id)
    now = settings.clock()

    def find() -> InboxItem | None:
        return session.scalars(
            select(InboxItem).where(
                InboxItem.conversation_id == conversation_id, InboxItem.item_id == item
            )
        ).first()

    def update_existing(existing: InboxItem) -> InboxItem:
        def work() -> InboxItem:
            existing.status = status
            if title is not None:
                existing.title = title
            existing.updated_at = now
            return existing

        return _commit_or_rollback(session, work)

    existing = find()
    if existing is not None:
        return update_existing(existing)
    linked = InboxItem(
        conversation_id=conversation_id,
        item_id=item,
        status=status,
        title=title,
        linked_at=now,
        updated_at=now,
    )

    def work() -> InboxItem:
        session.add(linked)
        session.flush()
        _increment(session, conversation, "inbox_item_count")
        return linked

    try:
        return _commit_or_rollback(session, work)
    except IntegrityError:
        existing = find()
        if existing is None:
            raise
        return update_existing(existing)


def escalate(
    session: Session,
    settings: RecordingSettings,
    conversation_id: int,
    *,
    ticket_id: str | int,
    subject: str,
    escalated_at: datetime | None = None,
) -> EscalationTicket:
    """Record a help-desk escalation; the same ticket twice is stored once (subject updated)."""
    conversation_id = _conversation_id(conversation_id)
    ticket = _identifier("ticket_id", ticket_id, RECORD_ID_MAX, required=True)
    subject_line = _line("subject", subject, TITLE_MAX, required=True)
    assert ticket is not None and subject_line is not None
    moment = _moment("escalated_at", escalated_at, settings.clock)
    conversation = _load_conversation(session, conversation_id)

    def find() -> EscalationTicket | None:
        return session.scalars(
            select(EscalationTicket).where(
                EscalationTicket.conversation_id == conversation_id,
                EscalationTicket.ticket_id == ticket,
            )
        ).first()

    def update_existing(existing: EscalationTicket) -> EscalationTicket:
        if existing.subject == subject_line:
            return existing

        def work() -> EscalationTicket:
            existing.subject = subject_line
            return existing

        return _commit_or_rollback(session, work)

    existing = find()
    if existing is not None:
        return update_existing(existing)
    escalation = EscalationTicket(
        conversation_id=conversation_id, ticket_id=ticket, subject=subject_line, escalated_at=moment
    )

    def work() -> EscalationTicket:
        session.add(escalation)
        session.flush()
        _increment(session, conversation, "ticket_count")
        return escalation

    try:
        return _commit_or_rollback(session, work)
    except IntegrityError:
        existing = find()
        if existing is None:
            raise
        return update_existing(existing)


def channel_set(name: str, value: object) -> frozenset[str]:
    """Validate a collection of channel values from config."""
    if isinstance(value, str) or not isinstance(value, Collection):
        raise InvalidRecord(name, "must be a list of channel values")
    allowed = values(Channel)
    for item in value:
        _choice(name, item, allowed)
    return frozenset(value)
