"""The comparison: a plain Flask-Admin ``ModelView`` over the same tables.

This is what a host developer would write in an afternoon without the extension: their own
models over the tables (relationships loaded the default way), a ``ModelView`` with Flask-Admin's
default settings except newest-first sorting, the relationships shown with simple formatters,
``column_searchable_list`` on the fields our search covers, and ``column_filters`` for the channel
and the start date (the plain view's equivalent of our tabs and date range). For searching inside
messages, the same developer's second view: a ``ModelView`` over the messages with
``column_searchable_list`` on the body (``PlainMessageView``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_admin.contrib.sqla import ModelView
from markupsafe import Markup
from sqlalchemy import DateTime, ForeignKey, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class PlainBase(DeclarativeBase):
    metadata = MetaData()


class PlainConversation(PlainBase):
    __tablename__ = "aiconvos_conversation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str | None] = mapped_column(String(300))
    customer_name: Mapped[str | None] = mapped_column(String(200))
    customer_company: Mapped[str | None] = mapped_column(String(200))
    external_identifier: Mapped[str | None] = mapped_column(String(320))
    first_message_preview: Mapped[str | None] = mapped_column(String(300))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_activity_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    messages: Mapped[list[PlainMessage]] = relationship(order_by="PlainMessage.sent_at")
    conversions: Mapped[list[PlainConversion]] = relationship()
    tickets: Mapped[list[PlainTicket]] = relationship()

    def __str__(self) -> str:
        return self.subject or f"Conversation {self.id}"


class PlainMessage(PlainBase):
    __tablename__ = "aiconvos_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("aiconvos_conversation.id"))
    sender: Mapped[str] = mapped_column(String(16))
    content_format: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    rendered_html: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PlainConversion(PlainBase):
    __tablename__ = "aiconvos_conversion"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("aiconvos_conversation.id"))
    kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[str] = mapped_column(String(128))


class PlainTicket(PlainBase):
    __tablename__ = "aiconvos_ticket"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("aiconvos_conversation.id"))
    ticket_id: Mapped[str] = mapped_column(String(128))
    subject: Mapped[str] = mapped_column(String(300))


def _conversions(view: Any, context: Any, model: PlainConversation, name: str) -> str:
    return ", ".join(sorted({conversion.kind for conversion in model.conversions}))


def _escalated(view: Any, context: Any, model: PlainConversation, name: str) -> str:
    return "Escalated" if model.tickets else ""


def _messages(view: Any, context: Any, model: PlainConversation, name: str) -> Markup:
    return Markup("").join(
        Markup("<p><b>{}</b> {}<br>{}</p>").format(m.sender, m.sent_at, m.body)
        for m in model.messages
    )


class PlainConversationView(ModelView):
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    column_list = (
        "subject",
        "conversions",
        "customer_name",
        "customer_company",
        "external_identifier",
        "channel",
        "last_activity_at",
        "tickets",
    )
    column_default_sort = ("last_activity_at", True)
    column_searchable_list = (
        "subject",
        "first_message_preview",
        "customer_name",
        "customer_company",
        "external_identifier",
    )
    column_filters = ("channel", "started_at")
    column_formatters = {"conversions": _conversions, "tickets": _escalated}
    column_details_list = (
        "subject",
        "channel",
        "customer_name",
        "external_identifier",
        "started_at",
        "messages",
    )
    column_formatters_detail = {"messages": _messages}

    def filter_arg(self, column: str, operation: str) -> str:
        """The ``flt0_<arg>`` query-string name of this view's filter on ``column``."""
        for index, flt in enumerate(self._filters or ()):
            if flt.column.key == column and type(flt).__name__ == operation:
                return self.get_filter_arg(index, flt)
        raise LookupError(f"no {operation} filter on {column}")


class PlainMessageView(ModelView):
    """Every message, newest first, searchable by its body (Flask-Admin's ``ILIKE '%word%'``)."""

    can_create = False
    can_edit = False
    can_delete = False
    column_list = ("conversation_id", "sender", "body", "sent_at")
    column_default_sort = ("sent_at", True)
    column_searchable_list = ("body",)
