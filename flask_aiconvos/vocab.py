"""The stored vocabulary with its labels, colours and icons, in one place.

Every other module (validation, queries, templates) reads these tables, so adding a channel or
a conversion kind is a change here only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache

from .i18n import lazy_gettext as _l


@cache
def values(enum: type[StrEnum]) -> tuple[str, ...]:
    """The stored values of an enumeration, in declaration order (for error messages); read
    per counted row, so built once per enumeration."""
    return tuple(member.value for member in enum)


class Channel(StrEnum):
    CHAT = "chat"
    EMAIL = "email"
    WHATSAPP = "whatsapp"
    VOICE = "voice"
    EMAIL_MESSAGE = "email_message"
    HELP_DESK = "help_desk"


class Origin(StrEnum):
    PROACTIVE_OUTBOUND = "proactive_outbound"
    PORTAL_CHAT = "portal_chat"
    CUSTOMER_REPLY = "customer_reply"
    OPERATOR_TAKEOVER = "operator_takeover"


class Sender(StrEnum):
    AI = "ai"
    OPERATOR = "operator"
    CUSTOMER = "customer"


class Via(StrEnum):
    COWORKER_MESSAGE = "coworker_message"
    HELP_DESK = "help_desk"
    EMAIL_REPLY = "email_reply"


class ContentFormat(StrEnum):
    TEXT = "text"
    HTML = "html"
    MARKDOWN = "markdown"


CONTENT_FORMATS: tuple[str, ...] = values(ContentFormat)


class ConversionKind(StrEnum):
    TOUR = "tour"
    CUSTOMER = "customer"
    CONTRACT = "contract"
    BOOKING = "booking"
    DAY_PASS = "day_pass"


class InboxStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    AUTO_EXECUTED = "auto_executed"
    SNOOZED = "snoozed"
    DEFERRED = "deferred"


class LinkKind(StrEnum):
    """Host records the screens may link to (keys of ``links`` and ``AICONVOS_LINK_ROLES``)."""

    TOUR = "tour"
    CUSTOMER = "customer"
    CONTRACT = "contract"
    BOOKING = "booking"
    DAY_PASS = "day_pass"
    INBOX_ITEM = "inbox_item"
    TICKET = "ticket"


CHANNEL_LABELS: dict[str, str] = {
    Channel.CHAT: _l("Chat"),
    Channel.EMAIL: _l("Email (AI)"),
    Channel.WHATSAPP: _l("WhatsApp"),
    Channel.VOICE: _l("Voice call"),
    Channel.EMAIL_MESSAGE: _l("Email Message"),
    Channel.HELP_DESK: _l("Help Desk"),
}

#: The label of every channel together (the All tab's metrics, the comparison's last row).
ALL_CHANNELS_LABEL = _l("All channels")

#: Short labels for the channel tabs, where "Email (AI)" would be noisy.
CHANNEL_TAB_LABELS: dict[str, str] = {**CHANNEL_LABELS, Channel.EMAIL: _l("Email")}

#: Tabs always shown, in this order; other channels get a tab once they have conversations.
FIXED_CHANNEL_TABS: tuple[str, ...] = (Channel.CHAT, Channel.EMAIL, Channel.WHATSAPP)

CHANNEL_ICONS: dict[str, str] = {
    Channel.CHAT: "fa-comments",
    Channel.EMAIL: "fa-envelope",
    Channel.WHATSAPP: "fa-whatsapp",
    Channel.VOICE: "fa-phone",
    Channel.EMAIL_MESSAGE: "fa-envelope-o",
    Channel.HELP_DESK: "fa-life-ring",
}

ORIGIN_LABELS: dict[str, str] = {
    Origin.PROACTIVE_OUTBOUND: _l("Proactive outbound (AI Inbox)"),
    Origin.PORTAL_CHAT: _l("Members Portal chat"),
    Origin.CUSTOMER_REPLY: _l("Customer reply"),
    Origin.OPERATOR_TAKEOVER: _l("Operator takeover"),
}

#: Font Awesome 4.7 icons of the senders on the timeline.
SENDER_ICONS: dict[str, str] = {
    Sender.AI: "fa-android",
    Sender.OPERATOR: "fa-headphones",
    Sender.CUSTOMER: "fa-user",
}

SENDER_LABELS: dict[str, str] = {
    Sender.AI: _l("AI assistant"),
    Sender.OPERATOR: _l("Operator"),
    Sender.CUSTOMER: _l("Customer"),
}

#: Which ``via`` values each sender may use, and the label the timeline shows for the pair. A
#: message that did not travel through another channel (no ``via``) shows no label at all.
VIA_LABELS: dict[tuple[str, str | None], str] = {
    (Sender.AI, None): "",
    (Sender.OPERATOR, None): "",
    (Sender.CUSTOMER, None): "",
    (Sender.OPERATOR, Via.COWORKER_MESSAGE): _l("Sent via Message"),
    (Sender.OPERATOR, Via.HELP_DESK): _l("Escalated to Help Desk"),
    (Sender.CUSTOMER, Via.HELP_DESK): _l("Replied via Help Desk"),
    (Sender.CUSTOMER, Via.EMAIL_REPLY): _l("Replied via email"),
}


#: The seed screen's icons, shown beside a label as decoration (``aria-hidden``): the text
#: stays the accessible name. The Help icon marks what went through the help desk.
HELP_ICON = "🎫"


@dataclass(frozen=True)
class ConversionStyle:
    label: str
    metric_label: str
    colour: str
    css_class: str
    #: The exact colour of the badge, and of the kind in the charts (white text passes AA on it).
    hex: str = "#495057"
    #: An emoji shown before the label (decoration only).
    icon: str = ""


CONVERSION_STYLES: dict[str, ConversionStyle] = {
    ConversionKind.TOUR: ConversionStyle(
        _l("Tour"), _l("Tours scheduled"), "purple", "aiconvos-badge-tour", "#6f42c1", icon="🎫"
    ),
    ConversionKind.CUSTOMER: ConversionStyle(
        _l("Customer"),
        _l("New customers"),
        "green",
        "aiconvos-badge-customer",
        "#1e7e34",
        icon="👥",
    ),
    ConversionKind.CONTRACT: ConversionStyle(
        _l("Contract"),
        _l("Contracts created"),
        "blue",
        "aiconvos-badge-contract",
        "#0056b3",
        icon="📝",
    ),
    ConversionKind.BOOKING: ConversionStyle(
        _l("Booking"),
        _l("Bookings created"),
        "orange",
        "aiconvos-badge-booking",
        "#b85c00",
        icon="📅",
    ),
    ConversionKind.DAY_PASS: ConversionStyle(
        _l("Day pass"), _l("Day passes"), "teal", "aiconvos-badge-day-pass", "#137a70", icon="🎟️"
    ),
}

#: The icon beside a message's via label, for the ways of travelling that have one.
VIA_ICONS: dict[str, str] = {Via.HELP_DESK: HELP_ICON}

#: The metric hook names (``data-metric``) for each conversion kind.
METRIC_KEYS: dict[str, str] = {
    ConversionKind.BOOKING: "bookings",
    ConversionKind.CUSTOMER: "customers",
    ConversionKind.TOUR: "tours",
    ConversionKind.CONTRACT: "contracts",
    ConversionKind.DAY_PASS: "day_passes",
}


class Outcome(StrEnum):
    """The list's ``outcome=`` filter values (repeatable, ANDed), in their canonical order."""

    ESCALATED = "escalated"
    TOUR = "tour"
    CUSTOMER = "customer"
    CONTRACT = "contract"
    BOOKING = "booking"
    DAY_PASS = "day_pass"
    CONVERTED = "converted"
    UNCONVERTED = "unconverted"
    INBOX_PENDING = "inbox_pending"
    ANONYMOUS = "anonymous"


#: The label of each outcome filter, as its chip and the filter menu show it.
OUTCOME_LABELS: dict[str, str] = {
    Outcome.ESCALATED: _l("Escalated"),
    Outcome.TOUR: _l("Tour"),
    Outcome.CUSTOMER: _l("New customer"),
    Outcome.CONTRACT: _l("Contract"),
    Outcome.BOOKING: _l("Booking"),
    Outcome.DAY_PASS: _l("Day pass"),
    Outcome.CONVERTED: _l("Converted"),
    Outcome.UNCONVERTED: _l("Not converted"),
    Outcome.INBOX_PENDING: _l("Inbox pending"),
    Outcome.ANONYMOUS: _l("Anonymous"),
}

#: The outcome filter each metric links to (``total``: none, it clears them).
METRIC_OUTCOMES: dict[str, str | None] = {
    "total": None,
    **{key: kind for kind, key in METRIC_KEYS.items()},
}


INBOX_STATUS_LABELS: dict[str, str] = {
    InboxStatus.PENDING: _l("Pending"),
    InboxStatus.APPROVED: _l("Approved"),
    InboxStatus.REJECTED: _l("Rejected"),
    InboxStatus.EXPIRED: _l("Expired"),
    InboxStatus.AUTO_EXECUTED: _l("Auto-executed"),
    InboxStatus.SNOOZED: _l("Snoozed"),
    InboxStatus.DEFERRED: _l("Deferred"),
}


@dataclass(frozen=True)
class StatusStyle:
    """How an AI Inbox status is shown: its colour (always with its text) and CSS class."""

    tone: str
    css_class: str


#: Pending waits for someone (amber); approved and auto-executed went ahead (green); rejected
#: did not (red); expired, snoozed and deferred are on hold or over (grey).
INBOX_STATUS_STYLES: dict[str, StatusStyle] = {
    InboxStatus.PENDING: StatusStyle("amber", "aiconvos-status-pending"),
    InboxStatus.APPROVED: StatusStyle("green", "aiconvos-status-done"),
    InboxStatus.AUTO_EXECUTED: StatusStyle("green", "aiconvos-status-done"),
    InboxStatus.REJECTED: StatusStyle("red", "aiconvos-status-rejected"),
    InboxStatus.EXPIRED: StatusStyle("grey", "aiconvos-status-idle"),
    InboxStatus.SNOOZED: StatusStyle("grey", "aiconvos-status-idle"),
    InboxStatus.DEFERRED: StatusStyle("grey", "aiconvos-status-idle"),
}


def via_label(sender: str, via: str | None) -> str:
    """The timeline label for how a message travelled ("" when it did not travel another way)."""
    return VIA_LABELS.get((sender, via), "")


def via_icon(via: str | None) -> str:
    """The icon beside a via label ("" when it has none)."""
    return VIA_ICONS.get(via, "") if via else ""


def status_class(status: str) -> str:
    """The CSS class of an AI Inbox status badge (grey for a value this version does not know)."""
    style = INBOX_STATUS_STYLES.get(status)
    return style.css_class if style else "aiconvos-status-idle"


def count_column(kind: str) -> str:
    """The conversation column that counts conversions of ``kind`` (``tour`` → ``tour_count``)."""
    return f"{kind}_count"


#: Conversations start, and everything in them happens, between these years (UTC, inclusive):
#: the recording API refuses other times, and date-range bounds outside them are moved onto them.
EARLIEST_YEAR = 1970
LATEST_YEAR = 9998
EARLIEST_MOMENT = datetime(EARLIEST_YEAR, 1, 1, tzinfo=UTC)
#: The first moment after the span (exclusive upper bound).
END_OF_TIME = datetime(LATEST_YEAR + 1, 1, 1, tzinfo=UTC)

#: English month and weekday abbreviations for dates shown the same in any locale.
MONTH_ABBREVIATIONS: tuple[str, ...] = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip
WEEKDAY_ABBREVIATIONS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
