"""The extension's tables, on its own metadata so a host's models and migrations never see them.

The conversation row carries denormalised columns (activity time, counts per conversion kind,
a search text) that the recording API keeps current, so the list page and the metrics read one
table and never scan messages. ``aiconvos_counter`` holds the metrics' counts per half-hour,
hour, four hours, day and month (``counters``), ``aiconvos_outcome_counter`` the same per
outcome mask; ``search_index`` adds the trigram index over ``search_text`` to the conversation
table's creation.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from .vocab import count_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: The bind key Flask-SQLAlchemy reads from the extension's tables to pick their engine. It is
#: the same for every app; ``init_app`` maps it, in each app's engines, to the engine of that
#: app's ``AICONVOS_BIND_KEY`` (or its default engine).
ENGINE_KEY = "__aiconvos__"

metadata = MetaData(naming_convention=NAMING_CONVENTION, info={"bind_key": ENGINE_KEY})

# Column sizes, shared with the recording API's validation so an accepted value always fits.
TENANT_MAX = 64
SUBJECT_MAX = 300
PREVIEW_MAX = 300
NAME_MAX = 200
IDENTIFIER_MAX = 320
RECORD_ID_MAX = 128
EXTERNAL_ID_MAX = 255
TITLE_MAX = 300
#: Row ids and the columns referring to them: 64-bit ``BIGINT`` on PostgreSQL; SQLite's
#: ``INTEGER`` (64-bit already) stays, so an id remains an alias of the table's rowid.
ID = BigInteger().with_variant(Integer(), "sqlite")
#: The largest id an id column holds on every backend.
ID_MAX = 2**63 - 1


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend.

    PostgreSQL stores ``timestamptz``; SQLite has no zone support, so values are stored as naive
    UTC text (which also sorts correctly) and given back their zone on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def sqlite_text(moment: datetime) -> str:
    """``moment`` as ``UTCDateTime`` stores it on SQLite: naive UTC text,
    'YYYY-MM-DD HH:MM:SS.ffffff', for SQL that compares the column with text it is sent."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


class Base(DeclarativeBase):
    metadata = metadata


class Conversation(Base):
    __tablename__ = "aiconvos_conversation"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    tenant: Mapped[str | None] = mapped_column(String(TENANT_MAX))
    #: The host's key for the conversation (a chat session id, an email thread id): unique per
    #: tenant, conversations without a tenant included.
    external_id: Mapped[str | None] = mapped_column(String(EXTERNAL_ID_MAX))
    channel: Mapped[str] = mapped_column(String(20))
    origin: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str | None] = mapped_column(String(SUBJECT_MAX))
    customer_id: Mapped[str | None] = mapped_column(String(RECORD_ID_MAX), index=True)
    customer_name: Mapped[str | None] = mapped_column(String(NAME_MAX))
    customer_company: Mapped[str | None] = mapped_column(String(NAME_MAX))
    external_identifier: Mapped[str | None] = mapped_column(String(IDENTIFIER_MAX), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Time of the newest message, or ``started_at`` while there is none: the list's sort key.
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: First line of the chronologically first message, shown when there is no subject.
    first_message_preview: Mapped[str | None] = mapped_column(String(PREVIEW_MAX))
    message_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    tour_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    customer_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    contract_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    booking_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    day_pass_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    inbox_item_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    ticket_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Lower-cased subject, first message, customer name, company and identifier, for search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    #: The conversation's outcomes as bits (``outcomes``: escalated, each conversion kind, a
    #: pending inbox item, no customer), kept current by every write that changes one.
    outcome_mask: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation", order_by="(Message.sent_at, Message.id)", lazy="raise"
    )
    conversions: Mapped[list[Conversion]] = relationship(
        back_populates="conversation", order_by="Conversion.occurred_at", lazy="raise"
    )
    inbox_items: Mapped[list[InboxItem]] = relationship(
        back_populates="conversation", order_by="InboxItem.id", lazy="raise"
    )
    tickets: Mapped[list[EscalationTicket]] = relationship(
        back_populates="conversation", order_by="EscalationTicket.id", lazy="raise"
    )

    __table_args__ = (
        # The host's key, once per tenant. NULLs are distinct in a unique index, so the
        # conversations without a tenant get a partial index of their own.
        Index("ix_aiconvos_conversation_tenant_external_id", "tenant", "external_id", unique=True),
        Index(
            "ix_aiconvos_conversation_external_id_no_tenant",
            "external_id",
            unique=True,
            sqlite_where=text("tenant IS NULL"),
            postgresql_where=text("tenant IS NULL"),
        ),
        # The list's order (newest activity first) for each combination of tenant scope and
        # channel tab; ``started_at`` and ``outcome_mask`` ride along so a date range and the
        # outcome filters are checked in the index.
        Index(
            "ix_aiconvos_conversation_activity",
            "last_activity_at",
            "id",
            "started_at",
            "outcome_mask",
        ),
        Index(
            "ix_aiconvos_conversation_channel_activity",
            "channel",
            "last_activity_at",
            "id",
            "started_at",
            "outcome_mask",
        ),
        Index(
            "ix_aiconvos_conversation_tenant_activity",
            "tenant",
            "last_activity_at",
            "id",
            "started_at",
            "outcome_mask",
        ),
        Index(
            "ix_aiconvos_conversation_tenant_channel_activity",
            "tenant",
            "channel",
            "last_activity_at",
            "id",
            "started_at",
            "outcome_mask",
        ),
        # A short date range: read its rows from the index in start order, then sort them.
        Index(
            "ix_aiconvos_conversation_started",
            "started_at",
            "last_activity_at",
            "channel",
            "tenant",
            "outcome_mask",
        ),
        Index(
            "ix_aiconvos_conversation_channel_started",
            "channel",
            "started_at",
            "last_activity_at",
            "tenant",
            "outcome_mask",
        ),
    )

    @property
    def escalated(self) -> bool:
        return self.ticket_count > 0

    def conversion_count(self, kind: str) -> int:
        """How many conversions of ``kind`` (a ConversionKind value) the conversation has."""
        return int(getattr(self, count_column(kind)))

    def __repr__(self) -> str:
        return f"<Conversation {self.id} {self.channel}>"


class Message(Base):
    __tablename__ = "aiconvos_message"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ID, ForeignKey("aiconvos_conversation.id", ondelete="CASCADE")
    )
    sender: Mapped[str] = mapped_column(String(16))
    via: Mapped[str | None] = mapped_column(String(32))
    content_format: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    #: The body as received when it was converted (HTML → Markdown) before storing.
    original_body: Mapped[str | None] = mapped_column(Text)
    original_format: Mapped[str | None] = mapped_column(String(16))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    external_id: Mapped[str | None] = mapped_column(String(EXTERNAL_ID_MAX))
    #: Sanitised HTML of ``body``, rendered once at recording time under ``render_version``.
    rendered_html: Mapped[str] = mapped_column(Text, default="")
    render_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The visible text, folded for search (``message_search.message_text``); ``NULL`` for a
    #: row written without it, which search reads by its lower-cased body (``message_search``).
    search_text: Mapped[str | None] = mapped_column(Text)

    conversation: Mapped[Conversation] = relationship(back_populates="messages", lazy="raise")

    __table_args__ = (
        Index("ix_aiconvos_message_timeline", "conversation_id", "sent_at", "id"),
        UniqueConstraint("conversation_id", "external_id"),
    )

    def __repr__(self) -> str:
        return f"<Message {self.id} {self.sender}>"


class Conversion(Base):
    __tablename__ = "aiconvos_conversion"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ID, ForeignKey("aiconvos_conversation.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[str] = mapped_column(String(RECORD_ID_MAX))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())

    conversation: Mapped[Conversation] = relationship(back_populates="conversions", lazy="raise")

    __table_args__ = (
        UniqueConstraint("conversation_id", "kind", "target_id"),
        # A host record's page finds the conversations that led to it (``conversations_for``).
        Index("ix_aiconvos_conversion_kind_target", "kind", "target_id"),
    )

    def __repr__(self) -> str:
        return f"<Conversion {self.kind} {self.target_id}>"


class InboxItem(Base):
    __tablename__ = "aiconvos_inbox_item"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ID, ForeignKey("aiconvos_conversation.id", ondelete="CASCADE")
    )
    item_id: Mapped[str] = mapped_column(String(RECORD_ID_MAX))
    status: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(String(TITLE_MAX))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    conversation: Mapped[Conversation] = relationship(back_populates="inbox_items", lazy="raise")

    __table_args__ = (UniqueConstraint("conversation_id", "item_id"),)

    def __repr__(self) -> str:
        return f"<InboxItem {self.item_id} {self.status}>"


class EscalationTicket(Base):
    __tablename__ = "aiconvos_ticket"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ID, ForeignKey("aiconvos_conversation.id", ondelete="CASCADE")
    )
    ticket_id: Mapped[str] = mapped_column(String(RECORD_ID_MAX))
    subject: Mapped[str] = mapped_column(String(TITLE_MAX))
    escalated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    conversation: Mapped[Conversation] = relationship(back_populates="tickets", lazy="raise")

    __table_args__ = (UniqueConstraint("conversation_id", "ticket_id"),)

    def __repr__(self) -> str:
        return f"<EscalationTicket {self.ticket_id}>"


class CounterCounts:
    """The counts both counter tables keep: the conversations, and how many of them have at
    least one conversion of each kind (a column per metric, ``vocab.METRIC_KEYS``)."""

    conversations: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    bookings: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    customers: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    tours: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    contracts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    day_passes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ConversationCounter(Base, CounterCounts):
    """How many conversations started per half UTC hour, hour, four hours, day and month,
    channel and tenant, and how many of them have at least one conversion of each kind (see
    ``counters``).

    The recording API keeps it current; the list's metrics and tabs read it when no search
    narrows the list. ``tenant`` is ``""`` for conversations without one.
    """

    __tablename__ = "aiconvos_counter"

    #: ``"t"`` (the thirty minutes starting at ``period_start``, a UTC hour or half-hour),
    #: ``"h"`` (the UTC hour), ``"4"`` (the four UTC hours starting at 0, 4, … 20 h), ``"d"``
    #: (the UTC day) or ``"m"`` (the UTC month).
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(TENANT_MAX), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)

    # On SQLite the rows are stored in key order (migration 0011): a range's rows are read from
    # the key's B-tree in one pass, not looked up in the table one by one.
    __table_args__ = {"sqlite_with_rowid": False}

    def __repr__(self) -> str:
        period = f"{self.period_start:%Y-%m-%d %H:%M}"
        return f"<ConversationCounter {self.grain} {period} {self.channel}>"


class OutcomeCounter(Base, CounterCounts):
    """``ConversationCounter``'s day and month counts (no hours) split by the counted
    conversations' ``outcome_mask``: an ``outcome=`` filter sums the rows of the masks it
    accepts, read through the key's leading ``outcomes`` (see ``counters``). The list without
    outcome filters reads the smaller ``ConversationCounter``."""

    __tablename__ = "aiconvos_outcome_counter"

    grain: Mapped[str] = mapped_column(String(1))
    outcomes: Mapped[int] = mapped_column(Integer)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    tenant: Mapped[str] = mapped_column(String(TENANT_MAX))
    channel: Mapped[str] = mapped_column(String(20))

    __table_args__ = (
        PrimaryKeyConstraint("grain", "outcomes", "period_start", "tenant", "channel"),
        # On SQLite the rows are stored in key order: a filter's sum reads them in one pass
        # instead of one index lookup and one table lookup per row.
        {"sqlite_with_rowid": False},
    )

    def __repr__(self) -> str:
        return f"<OutcomeCounter {self.grain} {self.outcomes} {self.period_start:%Y-%m-%d %H:%M}>"


#: The longest request parameters an access-log entry keeps (the rest is cut).
ACCESS_PARAMS_MAX = 1000


class AccessLogEntry(Base):
    """Who looked at what: one row per list view, search, timeline view or shown images.

    ``conversation_id`` is no foreign key: the entry outlives an erased conversation.
    """

    __tablename__ = "aiconvos_access_log"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    user_id: Mapped[str | None] = mapped_column(String(RECORD_ID_MAX))
    user_display: Mapped[str | None] = mapped_column(String(NAME_MAX))
    tenant: Mapped[str | None] = mapped_column(String(TENANT_MAX))
    action: Mapped[str] = mapped_column(String(32))
    conversation_id: Mapped[int | None] = mapped_column(ID)
    params: Mapped[str] = mapped_column(String(ACCESS_PARAMS_MAX), default="")

    __table_args__ = (
        Index("ix_aiconvos_access_log_at", "at", "id"),
        Index("ix_aiconvos_access_log_tenant_at", "tenant", "at"),
    )

    def __repr__(self) -> str:
        return f"<AccessLogEntry {self.action} {self.user_id}>"


#: ``bind_arguments`` for ``session.execute`` of a statement that names no mapped class (Core
#: columns, SQL functions): without it, Flask-SQLAlchemy would send it to the default engine.
BIND_ARGUMENTS: dict[str, Any] = {"mapper": Conversation}


def tables_connection(session: Session) -> Connection:
    """The session's connection to the database that holds the extension's tables (a
    statement without a table, or a bare ``session.connection()``, would get the default one)."""
    return session.connection(bind_arguments=BIND_ARGUMENTS)


def tables_engine(session: Session) -> Engine:
    """The engine of the database that holds the extension's tables, for this session."""
    bind = session.get_bind(mapper=Conversation)
    return bind if isinstance(bind, Engine) else bind.engine
