"""Fill a database with N realistic conversations, in bulk, in the state the recording API leaves.

The data is described first as plans (what a host application would pass to the recording API:
``start_conversation``, then messages, conversions, inbox items and escalations in order) and
then written with bulk inserts. Every column the API derives is derived here by the same code
the API runs: ``search_text.build_search_text`` for the search text (``message_search.message_text``
for a message's), ``rendering.render_body`` for the stored HTML and ``subjects.opening_preview``
for the first-message preview. A test replays the
same plans through the API into a second database and compares the screens.

    python -m bench.generate                                  # 1,000,000 into bench/data/
    python -m bench.generate --conversations 20000 --database-url sqlite:////tmp/b.sqlite
    python -m bench.generate --database-url postgresql://postgres@127.0.0.1:5432/bench_aiconvos
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from flask_aiconvos import (
    counters,
    message_search,
    migration,
    outcomes,
    rendering,
    search_index,
    subjects,
)
from flask_aiconvos.models import PREVIEW_MAX, metadata
from flask_aiconvos.record_format import format_time
from flask_aiconvos.search_text import build_search_text
from flask_aiconvos.vocab import ConversionKind, InboxStatus, values

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_CONVERSATIONS = 1_000_000
#: Conversations the plans are turned into rows and written in, at a time.
BATCH = 20_000
KINDS = values(ConversionKind)

# --- the plans ------------------------------------------------------------------------------


@dataclass(slots=True)
class MessagePlan:
    sender: str
    body: str
    content_format: str
    sent_at: datetime
    via: str | None = None
    external_id: str | None = None


@dataclass(slots=True)
class ConversationPlan:
    """One conversation as a host would record it: the arguments of each recording call."""

    channel: str
    origin: str
    started_at: datetime
    tenant: str | None = None
    subject: str | None = None
    customer_id: str | None = None
    customer_name: str | None = None
    customer_company: str | None = None
    external_identifier: str | None = None
    messages: list[MessagePlan] = field(default_factory=list)
    #: (kind, target_id, occurred_at)
    conversions: list[tuple[str, str, datetime]] = field(default_factory=list)
    #: (item_id, status, title, linked_at); ``linked_at`` is the recording clock at link time.
    inbox_items: list[tuple[str, str, str | None, datetime]] = field(default_factory=list)
    #: (ticket_id, subject, escalated_at)
    tickets: list[tuple[str, str, datetime]] = field(default_factory=list)


# --- vocabulary of the fake business ----------------------------------------------------------

FIRST_NAMES = (
    "Zoë", "José", "Łukasz", "Chloé", "Søren", "Ingrid", "Björn", "Małgorzata", "Дмитрий",
    "Ελένη", "陽翔", "美咲", "Ahmet", "Ayşe", "Çağrı", "François", "Renée", "Núria", "João",
    "Siobhán", "Seán", "Niamh", "Aoife", "Priya", "Raj", "Ananya", "Arjun", "Kwame", "Ama",
    "Chinedu", "Ngozi", "Fatima", "Omar", "Layla", "Yusuf", "Mateo", "Lucía", "Sofía",
    "Valentina", "Giulia", "Matteo", "Francesca", "Lukas", "Mia", "Emma", "Noah", "Olivia",
    "Liam", "Amelia", "Oliver", "Isla", "Jack", "Grace", "Harry", "Freya", "Thomas", "Emily",
    "Daniel", "Hannah", "Samuel", "Ethan", "Leo", "Ruby", "Ben", "Ellie", "Hugo", "Camille",
    "Élodie", "Théo", "Inès", "Zoltán", "Réka", "Ólafur", "Sigríður", "Jūratė", "Tomás",
    "Bartosz", "Agnieszka", "Jiří", "Tereza", "Marcus", "Sophie", "Kenji", "Yuki", "Mei",
    "Wei", "Aarav", "Saanvi", "Mohammed", "Aisha", "Ibrahim", "Nadia", "Pedro", "Ana",
    "Carlos", "Isabel", "Erik", "Astrid", "Nils", "Linnea", "Anders", "Maja", "Henrik",
)  # fmt: skip

LAST_NAMES = (
    "Müller", "Álvarez", "Natarajan", "Okafor", "Fischer", "O'Connor", "Rahman", "Carter",
    "Dubois", "Webb", "Rossi", "Kim", "Thompson", "Mensah", "Brown", "Patel", "Larsen",
    "Nowak", "Lee", "Williams", "Zahra", "Hughes", "Wiśniewski", "Clarke", "Adeyemi",
    "Schneider", "Walker", "Tanaka", "Campbell", "Martin", "García", "Fernández", "Ødegaard",
    "Şahin", "Yılmaz", "Kowalczyk", "Dvořák", "Novák", "Nakamura", "佐藤", "李", "Иванов",
    "Παπαδόπουλος", "Nguyễn", "Trần", "Silva", "Santos", "Costa", "Byrne", "Murphy", "Kelly",
    "Jansen", "de Vries", "van Dijk", "Bakker", "Johansson", "Lindqvist", "Virtanen",
    "Korhonen", "Horváth", "Nagy", "Kovačević", "Popescu", "Ionescu", "Smith", "Jones",
    "Taylor", "Davies", "Evans", "Wilson", "Johnson", "Roberts", "Robinson", "Wright", "Wood",
    "Hall", "Green", "Edwards", "Turner", "Khan", "Ali", "Hussain", "Singh", "Kaur", "Chen",
    "Wang", "Zhang", "Liu", "Osei", "Boateng", "Haddad", "Nasser", "Cohen", "Levi", "Moreau",
    "Lefèvre", "Bernard", "Ferrari", "Romano", "Gallo", "Weber", "Becker", "Hoffmann",
    "Schäfer", "Koch", "Richter", "Zimmermann", "Krüger", "Sørensen", "Þórsson", "Ó Briain",
)  # fmt: skip

COMPANY_HEADS = (
    "Lumen", "Northwind", "Brightside", "Kettle", "Atelier Verde", "Pixel Harbour", "Fjord",
    "Seedling", "Acme", "Vistula", "Thistle", "Koi", "Orbit", "Copper Fox", "Maple", "Quartz",
    "Nimbus", "Saffron", "Tidal", "Granite", "Juniper", "Cobalt", "Elm & Oak", "Ember",
    "Meridian", "Aurora", "Birch", "Lighthouse", "Foxglove", "Zürich Blue", "Øresund",
    "Café Noir", "Bluebell", "Kestrel", "Papaya", "Sakura", "Atlas", "Beacon", "Cedar",
)  # fmt: skip
COMPANY_TAILS = (
    "Studio", "Analytics", "Architects", "Digital", "Logistics", "Legal LLP", "Games",
    "Physio", "Ventures", "Accountants", "Design", "Health", "Robotics", "Media", "Software",
    "Consulting", "Coffee Roasters", "Translation", "Labs", "& Partners", "GmbH", "Ltd", "AB",
    "S.L.", "SAS",
)  # fmt: skip

SITES = (
    "Canal Works Shoreditch", "Harbour House Bristol", "The Print Rooms Manchester",
    "Tobacco Wharf Liverpool", "Old Mill Leeds", "Quayside Newcastle", "Merchant City Glasgow",
    "Leith Walk Edinburgh", "Jewellery Quarter Birmingham", "Castle Arcade Cardiff",
    "Smithfield Dublin", "Kreuzberg Berlin", "Schanze Hamburg", "Langstrasse Zürich",
    "Södermalm Stockholm", "Nørrebro Copenhagen", "Grünerløkka Oslo", "Kallio Helsinki",
    "Jordaan Amsterdam", "Marais Paris", "Poblenou Barcelona", "Malasaña Madrid",
    "Príncipe Real Lisbon", "Navigli Milan", "Kazimierz Kraków",
)  # fmt: skip
ROOMS = ("the Boardroom", "Studio 2", "the Snug", "the Orchard Room", "the Loft Workshop")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")
TENANTS = (
    ("northside", 30), ("harbourside", 20), ("riverside", 14), ("parkside", 10),
    ("eastgate", 8), ("westgate", 6), ("southbank", 4), ("old-town", 3), ("new-town", 2),
    ("airport", 1), ("campus", 1), ("docklands", 1),
)  # fmt: skip
NO_TENANT_SHARE = 0.04

CHANNELS = (
    ("chat", 34), ("email", 18), ("whatsapp", 22), ("voice", 8), ("email_message", 10),
    ("help_desk", 8),
)  # fmt: skip
ORIGINS = {
    "chat": (("portal_chat", 85), ("operator_takeover", 10), ("proactive_outbound", 5)),
    "email": (("proactive_outbound", 50), ("customer_reply", 45), ("operator_takeover", 5)),
    "whatsapp": (("customer_reply", 60), ("proactive_outbound", 35), ("operator_takeover", 5)),
    "voice": (("customer_reply", 80), ("proactive_outbound", 20)),
    "email_message": (("operator_takeover", 60), ("customer_reply", 40)),
    "help_desk": (("customer_reply", 70), ("operator_takeover", 30)),
}
MESSAGE_COUNTS = ((1, 12), (2, 28), (3, 27), (4, 15), (5, 9), (6, 5), (7, 4))
CONVERSION_KINDS = (("booking", 35), ("tour", 25), ("day_pass", 15), ("customer", 15),
                    ("contract", 10))  # fmt: skip
INBOX_STATUSES = (("approved", 30), ("auto_executed", 20), ("pending", 15), ("rejected", 10),
                  ("expired", 10), ("snoozed", 8), ("deferred", 7))  # fmt: skip
TARGET_PREFIX = {"booking": "B", "tour": "V", "day_pass": "DP", "customer": "C", "contract": "K"}

EMAIL_SUBJECTS = (
    "Your office quote for {company}", "Meeting room for {n} people on {day}",
    "Tour of {site}", "Day pass at {site}", "Question about invoice #{invoice}",
    "Payment inquiry for invoice #{invoice}", "Membership renewal for {month}",
    "Hot desk prices at {site}", "Parking at {site}", "Moving our team of {team} to {site}",
    "Welcome to {site}, {first}!", "Your booking: {room} on {day}",
    "Event space enquiry for {month}", "Virtual office address for {company}",
    "Quiet room for calls at {site}", "Follow-up after your visit to {site}",
)  # fmt: skip
HELP_DESK_SUBJECTS = (
    "Wi-Fi keeps dropping on floor {floor}", "Key fob not opening the side door",
    "Printer out of toner at {site}", "Invoice #{invoice} shows the wrong VAT",
    "Parcel missing from reception", "Heating not working in {room}",
    "Access card for a new starter", "Noise complaint on floor {floor}",
    "Locker {locker} will not open", "Refund for a cancelled booking #{invoice}",
)  # fmt: skip

CUSTOMER_OPENERS = (
    "Hi, do you have a meeting room for {n} people at {site} on {day}?",
    "Hello! How much is a hot desk at {site}?",
    "Can I book a tour of {site} this week?",
    "Is there parking at {site}?",
    "Hi there, my key fob stopped working this morning.",
    "Do you have private offices for a team of {team} at {site}?",
    "Can I buy a day pass for {day}?",
    "What are your opening hours at {site}?",
    "Is there bike storage and a shower at {site}?",
    "Hi, we need a quiet room for video calls on {day}.",
    "Can you send me the invoice for last month again please?",
    "How fast is the Wi-Fi at {site}?",
    "Are dogs allowed at {site}?",
    "I'd like to cancel my booking for {day}.",
    "Can guests visit us at {site} without a pass?",
    "Hello, the printer on floor {floor} is out of toner.",
    "Do you offer discounts for start-ups?",
    "We are looking for event space for {team} people in {month}.",
)  # fmt: skip
CUSTOMER_FOLLOW_UPS = (
    "Great, thanks!", "That works for us. Can you book it?", "Perfect, see you then.",
    "How much would that be per month?", "Could we do {day} instead?",
    "Thanks, I'll check with my team and come back to you.",
    "Is VAT included in that price?", "Yes please, send me the link.",
    "Sorry, one more question: is there a kitchen?", "OK, please go ahead.",
)  # fmt: skip
#: Rarer questions a customer asks later in a conversation (each in the messages of well under
#: 1 % of conversations): what a message search must find, since no subject or opening holds
#: them. They replace a follow-up drawn from a generator of their own, so every other draw,
#: and so every other figure of the data, stays as it was.
RARE_QUESTIONS = (
    "One more thing: do you have a meeting room with a big screen for presentations?",
    "Is there a projector we could use in {room}?",
    "Do you have standing desks on every floor?",
    "Is the building wheelchair accessible from the street?",
    "Is there a whiteboard in {room}?",
    "Could you recommend a good lunch place near {site}?",
    "Can we get a phone booth for private calls on {day}?",
    "Do you have lockable filing cabinets for our contracts?",
)
RARE_SHARE = 0.08
AI_REPLIES = (
    "Hi {first}! Yes, {room} is free on {day} and seats up to 12. Shall I book it for you?",
    "Thanks {first}. A hot desk is **£240 per month** and includes:\n\n"
    "- 24/7 access\n- meeting room credits\n- unlimited coffee",
    "Of course, {first}. Here are our prices:\n\n| Plan | Per month |\n|---|---|\n"
    "| Hot desk | £240 |\n| Dedicated desk | £395 |\n| Private office | from £520 per desk |",
    "Hi {first}, I've scheduled a tour for {day} at 10am. Our community team will meet you "
    "at reception.",
    "There are 6 paid parking spaces (£15 per day) which you can book through the portal, "
    "{first}.",
    "Sorry to hear that, {first}. I've reset your key fob; please try it again at the door.",
    "Yes, {first}: there is *secure bike storage* in the basement with showers next to it.",
    "I've sent the invoice to your email again, {first}. Let me know if anything is missing.",
    "A day pass is £28 and includes coffee and Wi-Fi. Would you like me to book one, {first}?",
    "Thanks {first}, I've passed this to our community team; someone will be in touch today.",
)  # fmt: skip
OPERATOR_REPLIES = (
    "Hi {first}, this is the community team. I've taken over from the assistant: "
    "let me sort this out for you.",
    "Hello {first}, I've booked {room} for you on {day}. You'll get a confirmation email.",
    "Thanks for waiting, {first}. The refund has been processed and should arrive in 3–5 days.",
    "Hi {first}, our facilities team is on it and will fix it before noon.",
)  # fmt: skip
AI_EMAILS = (
    "<p>Dear {first},</p><p>Thank you for your interest in <strong>{site}</strong>. "
    "As promised, here is our quote:</p><table><thead><tr><th>Plan</th><th>Price</th></tr>"
    "</thead><tbody><tr><td>Dedicated desk</td><td>£395 / month</td></tr><tr><td>Private office"
    "</td><td>from £520 per desk</td></tr></tbody></table><p>Best regards,<br>Ava, {site}</p>",
    "<p>Hi {first},</p><p>It was lovely to show you around <em>{site}</em>. Would you like "
    "to reserve a desk? <a href=\"https://example.com/book\">Book online</a>.</p>"
    "<p>Kind regards,<br>Ava</p>",
    "<p>Hello {first},</p><p>Your booking of the meeting room is confirmed.</p><ul><li>Where: "
    "{site}</li><li>Catering: coffee and water</li></ul><p>See you soon!</p>",
    "<div><p>Hi {first},</p><p>Your membership renews next month. Reply to this email if "
    "anything should change.</p><img src=\"https://example.com/logo.png\" alt=\"logo\"></div>",
)  # fmt: skip
CUSTOMER_EMAILS = (
    "<div>Thanks, that works for us.</div><div><br></div><div>{first}</div>",
    "<div dir=\"ltr\">Hi,<br>Could you also send the floor plan?<br><br>Best,<br>{first}</div>",
    "<p>Hello,</p><p>Please cancel the booking, our plans changed.</p><p>{first}</p>",
    "<div>Yes please go ahead.<br><br>Sent from my phone</div>",
)  # fmt: skip
VOICE_LINES = (
    "Caller asked about a meeting room for {n} people on {day} at {site}.",
    "Caller wants to know the price of a dedicated desk at {site}.",
    "Caller reported that the front door at {site} does not open with the fob.",
    "Caller asked for a call back from the community team about an office for {team}.",
)  # fmt: skip
VOICE_REPLIES = (
    "I can book that for you now. Which time suits you?",
    "A dedicated desk is £395 per month. Shall I email you the details?",
    "I've logged that with the facilities team and they'll call you back within the hour.",
    "Our team is back at 8am; I'll ask them to call you first thing.",
)  # fmt: skip


def _weighted(options: Iterable[tuple[Any, int]]) -> tuple[list[Any], list[float]]:
    """Values and cumulative weights for ``random.choices(..., cum_weights=...)``."""
    values_, cumulative, total = [], [], 0
    for value, weight in options:
        total += weight
        values_.append(value)
        cumulative.append(total)
    return values_, cumulative


_DRAWS: dict[str, Callable[[random.Random], Any]] = {
    "site": lambda rng: rng.choice(SITES),
    "room": lambda rng: rng.choice(ROOMS),
    "day": lambda rng: rng.choice(DAYS),
    "month": lambda rng: rng.choice(MONTHS),
    "n": lambda rng: rng.choice((2, 4, 6, 8, 10, 12)),
    "team": lambda rng: rng.choice((3, 5, 8, 12, 20, 35)),
    "floor": lambda rng: rng.randint(1, 6),
    "locker": lambda rng: rng.randint(1, 400),
    "invoice": lambda rng: rng.randint(1000, 99999),
}


@cache
def _fields(template: str) -> tuple[str, ...]:
    return tuple(name for _, name, _, _ in string.Formatter().parse(template) if name)


def _pick(rng: random.Random, table: tuple[list[Any], list[float]]) -> Any:
    return rng.choices(table[0], cum_weights=table[1])[0]


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


@dataclass(frozen=True, slots=True)
class _Customer:
    id: str
    name: str
    company: str | None
    email: str
    phone: str


def _phone(rng: random.Random) -> str:
    style = rng.random()
    if style < 0.55:
        return f"+44 7700 9{rng.randrange(100000):05d}"
    if style < 0.7:
        return (
            f"+34 6{rng.randrange(10):d}{rng.randrange(10)} {rng.randrange(1000):03d} "
            f"{rng.randrange(1000):03d}"
        )
    if style < 0.85:
        return f"+49 15{rng.randrange(10)} {rng.randrange(10**7, 10**8)}"
    return f"+353 8{rng.randrange(3, 10)} {rng.randrange(1000):03d} {rng.randrange(10000):04d}"


def _email(rng: random.Random, first: str, last: str) -> str:
    local = ".".join(part for part in (_ascii(first), _ascii(last)) if part) or "member"
    if rng.random() < 0.4:
        local += str(rng.randrange(1, 100))
    return f"{local}@{rng.choice(EMAIL_DOMAINS)}"


class Generator:
    """Deterministic conversation plans: the same arguments always give the same plans.

    Start times spread over ``years`` before ``now`` with more activity recently (the business
    grows), and conversation ids follow start times, as they do when recorded live. With
    ``long_conversation`` set, one conversation about a month old holds that many messages.
    """

    def __init__(
        self,
        conversations: int,
        *,
        seed: int = 1,
        now: datetime | None = None,
        years: float = 2.0,
        long_conversation: int = 0,
    ) -> None:
        if conversations < 1:
            raise ValueError("conversations must be at least 1")
        self.count = conversations
        self.seed = seed
        self.now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
        self.span = timedelta(days=365.25 * years)
        self.long_conversation = long_conversation
        rng = random.Random(seed)
        size = min(max(conversations // 5, 200), 200_000)
        self.customers = [self._customer(rng, i) for i in range(size)]
        self._channels = _weighted(CHANNELS)
        self._origins = {channel: _weighted(o) for channel, o in ORIGINS.items()}
        self._tenants = _weighted(TENANTS)
        self._message_counts = _weighted(MESSAGE_COUNTS)
        self._kinds = _weighted(CONVERSION_KINDS)
        self._statuses = _weighted(INBOX_STATUSES)
        self._counters: dict[str, int] = {}
        self._rare = random.Random(seed * 15485863 + 11)

    @staticmethod
    def _customer(rng: random.Random, index: int) -> _Customer:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        company = None
        if rng.random() < 0.6:
            company = f"{rng.choice(COMPANY_HEADS)} {rng.choice(COMPANY_TAILS)}"
        return _Customer(
            id=f"C-{index + 100001}",
            name=f"{first} {last}",
            company=company,
            email=_email(rng, first, last),
            phone=_phone(rng),
        )

    def _next_id(self, prefix: str) -> str:
        number = self._counters.get(prefix, 0) + 1
        self._counters[prefix] = number
        return f"{prefix}-{number:07d}"

    def start_times(self) -> list[datetime]:
        """``count`` increasing start times; density grows towards ``now``."""
        rng = random.Random(self.seed * 7919 + 1)
        draws = sorted(rng.random() for _ in range(self.count))
        end = self.now - timedelta(minutes=5)
        begin = end - self.span
        seconds = self.span.total_seconds()
        return [begin + timedelta(seconds=int(seconds * u ** (2 / 3))) for u in draws]

    def __iter__(self) -> Iterator[ConversationPlan]:
        rng = random.Random(self.seed * 104729 + 7)
        self._rare = random.Random(self.seed * 15485863 + 11)
        self._counters.clear()
        starts = self.start_times()
        long_index = -1
        if self.long_conversation:
            month_ago = self.now - timedelta(days=30)
            long_index = next((i for i, t in enumerate(starts) if t >= month_ago), 0)
        for index, started in enumerate(starts):
            if index == long_index:
                yield self._long_plan(rng, started, self.long_conversation)
            else:
                yield self._plan(rng, started)

    # --- one conversation -------------------------------------------------------------------

    def _fill(
        self, rng: random.Random, template: str, first: str, company: str | None = None
    ) -> str:
        fields = _fields(template)
        if not fields:
            return template
        draws = {"first": first, "company": company or "your team"}
        return template.format(**{name: draws.get(name) or _DRAWS[name](rng) for name in fields})

    def _plan(self, rng: random.Random, started: datetime) -> ConversationPlan:
        channel = _pick(rng, self._channels)
        origin = _pick(rng, self._origins[channel])
        tenant = None
        if rng.random() >= NO_TENANT_SHARE:
            tenant = _pick(rng, self._tenants)
        plan = ConversationPlan(channel=channel, origin=origin, started_at=started, tenant=tenant)

        linked = rng.random() < 0.55
        customer = self.customers[int(len(self.customers) * rng.random() ** 2)]
        first = customer.name.split(" ", 1)[0]
        by_email = channel in ("email", "email_message", "help_desk")
        by_phone = channel in ("whatsapp", "voice")
        if linked:
            plan.customer_id = customer.id
            plan.customer_name = customer.name
            plan.customer_company = customer.company
            if by_phone or (by_email and rng.random() < 0.5):
                plan.external_identifier = customer.phone if by_phone else customer.email
        else:
            if rng.random() < 0.3:
                plan.customer_name = customer.name
            if by_phone:
                plan.external_identifier = customer.phone
            elif by_email or rng.random() < 0.5:
                plan.external_identifier = customer.email

        if by_email:
            subjects = HELP_DESK_SUBJECTS if channel == "help_desk" else EMAIL_SUBJECTS
            plan.subject = self._fill(rng, rng.choice(subjects), first, customer.company)
        elif channel == "voice" and rng.random() < 0.3:
            plan.subject = f"Call from {customer.phone}"

        self._messages(rng, plan, first, _pick(rng, self._message_counts))
        self._outcomes(rng, plan)
        return plan

    def _long_plan(self, rng: random.Random, started: datetime, length: int) -> ConversationPlan:
        customer = self.customers[0]
        first = customer.name.split(" ", 1)[0]
        plan = ConversationPlan(
            channel="whatsapp",
            origin="customer_reply",
            started_at=started,
            tenant=TENANTS[0][0],
            subject=f"Moving our team of 35 to {SITES[0]}",
            customer_id=customer.id,
            customer_name=customer.name,
            customer_company=customer.company,
            external_identifier=customer.phone,
        )
        self._messages(rng, plan, first, length)
        plan.conversions.append(("tour", self._next_id("V"), plan.messages[10].sent_at))
        plan.conversions.append(("contract", self._next_id("K"), plan.messages[-1].sent_at))
        return plan

    def _messages(self, rng: random.Random, plan: ConversationPlan, first: str, count: int) -> None:
        channel, origin = plan.channel, plan.origin
        senders = ["customer", "ai"] if origin != "proactive_outbound" else ["ai", "customer"]
        moments = self._times(rng, plan, count)
        for position in range(count):
            sender = senders[position % 2]
            if origin == "operator_takeover" and sender == "ai" and position >= 1:
                sender = "operator"
            body, content_format, via = self._body(rng, channel, origin, sender, position, first)
            external_id = None
            if channel == "whatsapp":
                external_id = f"wamid.{rng.getrandbits(96):024x}"
            elif channel in ("email", "email_message"):
                external_id = f"<{rng.getrandbits(64):016x}@mail.example.com>"
            plan.messages.append(
                MessagePlan(sender, body, content_format, moments[position], via, external_id)
            )

    def _times(self, rng: random.Random, plan: ConversationPlan, count: int) -> list[datetime]:
        quick = plan.channel in ("chat", "whatsapp", "voice")
        gaps = [0.0]
        for _ in range(count - 1):
            if plan.channel == "voice":
                gaps.append(rng.uniform(5, 40))
            elif quick:
                gaps.append(rng.uniform(5, 900) if rng.random() < 0.8 else rng.uniform(900, 7200))
            else:
                gaps.append(rng.uniform(300, 172800))
        total = sum(gaps)
        room = (self.now - timedelta(seconds=60) - plan.started_at).total_seconds()
        scale = min(1.0, room / total) if total else 1.0
        elapsed, moments = 0.0, []
        for gap in gaps:
            elapsed += gap * scale
            moments.append(plan.started_at + timedelta(seconds=int(elapsed)))
        return moments

    def _body(
        self, rng: random.Random, channel: str, origin: str, sender: str, position: int, first: str
    ) -> tuple[str, str, str | None]:
        email = channel in ("email", "email_message")
        if channel == "voice":
            lines = VOICE_LINES if sender == "customer" else VOICE_REPLIES
            return self._fill(rng, rng.choice(lines), first), "text", None
        if sender == "customer":
            via = None
            if channel == "help_desk":
                via = "help_desk"
            elif email and position > 0:
                via = "email_reply"
            if email and rng.random() < 0.5:
                return self._fill(rng, rng.choice(CUSTOMER_EMAILS), first), "html", via
            if position == 0 or rng.random() < 0.3:
                return self._fill(rng, rng.choice(CUSTOMER_OPENERS), first), "text", via
            follow_up = self._fill(rng, rng.choice(CUSTOMER_FOLLOW_UPS), first)
            if self._rare.random() < RARE_SHARE:
                follow_up = self._fill(self._rare, self._rare.choice(RARE_QUESTIONS), first)
            return follow_up, "text", via
        if sender == "operator":
            via = "help_desk" if channel == "help_desk" else None
            if channel == "email_message":
                via = "coworker_message"
            return self._fill(rng, rng.choice(OPERATOR_REPLIES), first), "text", via
        if email and rng.random() < 0.7:
            return self._fill(rng, rng.choice(AI_EMAILS), first), "html", None
        reply = self._fill(rng, rng.choice(AI_REPLIES), first)
        if channel == "whatsapp" or rng.random() < 0.3:
            return reply, "text", None
        return reply, "markdown", None

    def _outcomes(self, rng: random.Random, plan: ConversationPlan) -> None:
        last = plan.messages[-1].sent_at if plan.messages else plan.started_at
        if rng.random() < 0.16:
            kind = _pick(rng, self._kinds)
            plan.conversions.append((kind, self._next_id(TARGET_PREFIX[kind]), last))
            if rng.random() < 0.15:
                other = kind if rng.random() < 0.5 else _pick(rng, self._kinds)
                plan.conversions.append((other, self._next_id(TARGET_PREFIX[other]), last))
        inbox_share = 0.7 if plan.origin == "proactive_outbound" else 0.02
        if plan.channel == "voice":
            inbox_share = 0.15
        if rng.random() < inbox_share:
            status = "deferred" if plan.channel == "voice" else _pick(rng, self._statuses)
            title = None
            if rng.random() < 0.8:
                title = f"Follow up with {plan.customer_name or 'a lead'} on {plan.channel}"
            plan.inbox_items.append((self._next_id("INB"), status, title, plan.started_at))
        if rng.random() < (0.4 if plan.channel == "help_desk" else 0.025):
            subject = self._fill(rng, rng.choice(HELP_DESK_SUBJECTS), "")
            plan.tickets.append((self._next_id("T"), subject, last))


# --- plans → rows ---------------------------------------------------------------------------


@lru_cache(maxsize=300_000)
def rendered(body: str, content_format: str) -> tuple[str, str | None, str]:
    """What ``add_message`` stores for a body: the sanitised HTML, the preview line and the
    search text."""
    html = rendering.render_body(body, content_format, engine="nh3")
    preview = subjects.opening_preview(body, content_format, limit=PREVIEW_MAX) or None
    return html, preview, message_search.message_text(body, content_format)


def import_record(plan: ConversationPlan, *, external_id: str | None = None) -> dict[str, Any]:
    """The import record (JSON Lines format) of a plan: what a host would export from its own
    system."""
    return {
        "external_id": external_id,
        "channel": plan.channel,
        "origin": plan.origin,
        "subject": plan.subject,
        "customer_id": plan.customer_id,
        "customer_name": plan.customer_name,
        "customer_company": plan.customer_company,
        "external_identifier": plan.external_identifier,
        "started_at": format_time(plan.started_at),
        "tenant": plan.tenant,
        "messages": [
            {
                "sender": m.sender,
                "body": m.body,
                "content_format": m.content_format,
                "via": m.via,
                "sent_at": format_time(m.sent_at),
                "external_id": m.external_id,
            }
            for m in plan.messages
        ],
        "conversions": [
            {"kind": kind, "target_id": target, "occurred_at": format_time(occurred)}
            for kind, target, occurred in plan.conversions
        ],
        "inbox_items": [
            {"item_id": item, "status": status, "title": title}
            for item, status, title, _ in plan.inbox_items
        ],
        "tickets": [
            {"ticket_id": ticket, "subject": subject, "escalated_at": format_time(at)}
            for ticket, subject, at in plan.tickets
        ],
    }


@dataclass
class Ids:
    """The next id of each table, as the database would hand them out."""

    conversation: int = 1
    message: int = 1
    conversion: int = 1
    inbox_item: int = 1
    ticket: int = 1


@dataclass
class Rows:
    conversation: list[dict[str, Any]] = field(default_factory=list)
    message: list[dict[str, Any]] = field(default_factory=list)
    conversion: list[dict[str, Any]] = field(default_factory=list)
    inbox_item: list[dict[str, Any]] = field(default_factory=list)
    ticket: list[dict[str, Any]] = field(default_factory=list)


def add_rows(plan: ConversationPlan, ids: Ids, rows: Rows) -> None:
    """The rows the recording API writes for ``plan``, with the columns it derives."""
    conversation_id = ids.conversation
    ids.conversation += 1
    first_index = None
    last_activity = plan.started_at
    for index, message in enumerate(plan.messages):
        html, _, searched = rendered(message.body, message.content_format)
        rows.message.append(
            {
                "id": ids.message,
                "conversation_id": conversation_id,
                "sender": message.sender,
                "via": message.via,
                "content_format": message.content_format,
                "body": message.body,
                "original_body": None,
                "original_format": None,
                "sent_at": message.sent_at,
                "external_id": message.external_id,
                "rendered_html": html,
                "render_version": rendering.POLICY_VERSION,
                "search_text": searched,
            }
        )
        ids.message += 1
        if index == 0 or message.sent_at > last_activity:
            last_activity = message.sent_at
        if first_index is None or message.sent_at < plan.messages[first_index].sent_at:
            first_index = index
    first_at = preview = None
    if first_index is not None:
        first = plan.messages[first_index]
        first_at = first.sent_at
        preview = rendered(first.body, first.content_format)[1]

    counts = dict.fromkeys(KINDS, 0)
    seen: set[tuple[str, str]] = set()
    for kind, target, occurred in plan.conversions:
        if (kind, target) in seen:
            continue
        seen.add((kind, target))
        counts[kind] += 1
        rows.conversion.append(
            {
                "id": ids.conversion,
                "conversation_id": conversation_id,
                "kind": kind,
                "target_id": target,
                "occurred_at": occurred,
            }
        )
        ids.conversion += 1
    for item_id, status, title, linked in plan.inbox_items:
        rows.inbox_item.append(
            {
                "id": ids.inbox_item,
                "conversation_id": conversation_id,
                "item_id": item_id,
                "status": status,
                "title": title,
                "linked_at": linked,
                "updated_at": linked,
            }
        )
        ids.inbox_item += 1
    for ticket_id, subject, escalated in plan.tickets:
        rows.ticket.append(
            {
                "id": ids.ticket,
                "conversation_id": conversation_id,
                "ticket_id": ticket_id,
                "subject": subject,
                "escalated_at": escalated,
            }
        )
        ids.ticket += 1

    rows.conversation.append(
        {
            "id": conversation_id,
            "tenant": plan.tenant,
            "channel": plan.channel,
            "origin": plan.origin,
            "subject": plan.subject,
            "customer_id": plan.customer_id,
            "customer_name": plan.customer_name,
            "customer_company": plan.customer_company,
            "external_identifier": plan.external_identifier,
            "started_at": plan.started_at,
            "last_activity_at": last_activity,
            "first_message_at": first_at,
            "first_message_preview": preview,
            "message_count": len(plan.messages),
            **{f"{kind}_count": counts[kind] for kind in KINDS},
            "inbox_item_count": len(plan.inbox_items),
            "ticket_count": len(plan.tickets),
            "outcome_mask": outcomes.mask_of(
                tickets=len(plan.tickets),
                kind_counts=counts,
                pending_items=sum(1 for item in plan.inbox_items if item[1] == InboxStatus.PENDING),
                customer_id=plan.customer_id,
            ),
            "search_text": build_search_text(
                plan.subject,
                preview,
                plan.customer_name,
                plan.customer_company,
                plan.external_identifier,
            ),
        }
    )


# --- writing --------------------------------------------------------------------------------

TABLES = (
    ("conversation", "aiconvos_conversation"),
    ("message", "aiconvos_message"),
    ("conversion", "aiconvos_conversion"),
    ("inbox_item", "aiconvos_inbox_item"),
    ("ticket", "aiconvos_ticket"),
)


class _Writer:
    """Bulk-writes rows through the raw DB-API connection: executemany on SQLite, COPY on
    PostgreSQL. Values go through each column type's own bind processor, so they are stored
    exactly as the ORM would store them."""

    def __init__(self, connection: Any, dialect: sa.Dialect) -> None:
        self.connection = connection
        self.dialect = dialect
        self.processors: dict[str, dict[str, Callable[[Any], Any] | None]] = {}
        for _, name in TABLES:
            table = metadata.tables[name]
            self.processors[name] = {
                column.name: column.type.dialect_impl(dialect).bind_processor(dialect)
                for column in table.columns
            }

    def write(self, table: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        columns = list(rows[0])
        processors = [self.processors[table][column] for column in columns]
        data = [
            tuple(
                value if processor is None or value is None else processor(value)
                for value, processor in zip(row.values(), processors, strict=True)
            )
            for row in rows
        ]
        cursor = self.connection.cursor()
        try:
            if self.dialect.name == "postgresql":
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for record in data:
                        copy.write_row(record)
            else:
                marks = ", ".join("?" for _ in columns)
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", data
                )
        finally:
            cursor.close()


def _secondary_objects(connection: Any, dialect: str) -> list[tuple[str, str, str]]:
    """(kind, name, create statement) of the indexes and triggers on the extension's tables that
    can be dropped during the load and created again after it (constraints stay)."""
    cursor = connection.cursor()
    try:
        if dialect == "sqlite":
            cursor.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') "
                "AND tbl_name LIKE 'aiconvos%' AND sql IS NOT NULL ORDER BY type, name"
            )
        else:
            cursor.execute(
                "SELECT 'index', i.indexname, i.indexdef FROM pg_indexes i "
                "WHERE i.schemaname = current_schema() AND i.tablename LIKE 'aiconvos%' "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                "WHERE c.conname = i.indexname) ORDER BY i.indexname"
            )
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        cursor.close()


def _execute(connection: Any, statement: str) -> None:
    cursor = connection.cursor()
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


def _rebuild_derived(engine: sa.Engine, phases: dict[str, float]) -> None:
    """Bring what the extension derives from the rows up to date, as the recording API keeps
    it: the write-time counters and (SQLite) the search indexes, whose triggers were dropped
    (the messages' index build is timed on its own)."""
    with engine.begin() as connection:
        counters.rebuild(connection)
        search_index.rebuild(connection)
    mark = time.perf_counter()
    with engine.begin() as connection:
        message_search.rebuild(connection)
    if engine.dialect.name == "sqlite":
        phases["message index"] = time.perf_counter() - mark


@dataclass
class LoadStats:
    conversations: int = 0
    messages: int = 0
    conversions: int = 0
    inbox_items: int = 0
    tickets: int = 0
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)


def load(
    engine: sa.Engine,
    plans: Iterable[ConversationPlan],
    *,
    bulk: bool = True,
    progress: Callable[[str], None] | None = None,
) -> LoadStats:
    """Write ``plans`` into the (existing, empty or not) extension tables of ``engine``.

    With ``bulk`` the secondary indexes and triggers are dropped first and created again at the
    end (much faster for large loads); without it every row goes through them.
    """
    stats = LoadStats()
    began = time.perf_counter()
    dialect = engine.dialect
    raw = engine.raw_connection()
    try:
        dbapi = raw.driver_connection
        if dialect.name == "sqlite":
            for pragma in ("synchronous = OFF", "cache_size = -262144", "temp_store = MEMORY"):
                _execute(dbapi, f"PRAGMA {pragma}")
        elif dialect.name == "postgresql":
            _execute(dbapi, "SET synchronous_commit = off")
        saved = _secondary_objects(dbapi, dialect.name) if bulk else []
        for kind, name, _ in saved:
            _execute(dbapi, f"DROP {kind.upper()} IF EXISTS {name}")
        dbapi.commit()

        ids = Ids()
        cursor = dbapi.cursor()
        for attr, table in TABLES:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
            setattr(ids, attr, int(cursor.fetchone()[0]))
        cursor.close()

        writer = _Writer(dbapi, dialect)
        rows = Rows()
        pending = 0

        def flush() -> None:
            nonlocal rows, pending
            for attr, table in TABLES:
                writer.write(table, getattr(rows, attr))
            dbapi.commit()
            stats.conversations += len(rows.conversation)
            stats.messages += len(rows.message)
            stats.conversions += len(rows.conversion)
            stats.inbox_items += len(rows.inbox_item)
            stats.tickets += len(rows.ticket)
            rows, pending = Rows(), 0
            if progress:
                rate = stats.conversations / (time.perf_counter() - began)
                progress(f"{stats.conversations:,} conversations ({rate:,.0f}/s)")

        for plan in plans:
            add_rows(plan, ids, rows)
            pending += 1
            if pending >= BATCH:
                flush()
        flush()
        stats.phases["rows"] = time.perf_counter() - began

        mark = time.perf_counter()
        for _kind, _name, create in saved:
            if progress:
                progress(f"creating {_kind} {_name}")
            began_index = time.perf_counter()
            _execute(dbapi, create)
            if _name == message_search.MESSAGE_TRIGRAM_INDEX:
                stats.phases["message index"] = time.perf_counter() - began_index
        dbapi.commit()
        stats.phases["indexes"] = time.perf_counter() - mark
    finally:
        raw.close()

    mark = time.perf_counter()
    _rebuild_derived(engine, stats.phases)
    stats.phases["derived"] = time.perf_counter() - mark
    if dialect.name == "postgresql":
        # What autovacuum would do shortly after a load this size; SQLite is left as a host's
        # database would be (no ANALYZE statistics).
        mark = time.perf_counter()
        with engine.begin() as connection:
            for _, table in TABLES:
                connection.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
                    )
                )
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
        stats.phases["vacuum"] = time.perf_counter() - mark
    stats.seconds = time.perf_counter() - began
    return stats


def replay(aiconvos: Any, plans: Iterable[ConversationPlan]) -> int:
    """Record ``plans`` one call at a time through the public recording API (needs an app
    context): the slow reference that ``load`` must match. Returns the conversations recorded."""
    from dataclasses import replace

    from flask_aiconvos import AIConversations

    state = AIConversations.state()
    settings = state.recording
    count = 0
    try:
        for plan in plans:
            conversation = aiconvos.start_conversation(
                channel=plan.channel,
                origin=plan.origin,
                subject=plan.subject,
                customer_id=plan.customer_id,
                customer_name=plan.customer_name,
                customer_company=plan.customer_company,
                external_identifier=plan.external_identifier,
                started_at=plan.started_at,
                tenant=plan.tenant,
            )
            for message in plan.messages:
                aiconvos.add_message(
                    conversation.id,
                    sender=message.sender,
                    body=message.body,
                    content_format=message.content_format,
                    via=message.via,
                    sent_at=message.sent_at,
                    external_id=message.external_id,
                )
            for kind, target, occurred in plan.conversions:
                aiconvos.record_conversion(
                    conversation.id, kind=kind, target_id=target, occurred_at=occurred
                )
            for item_id, status, title, linked in plan.inbox_items:
                state.recording = replace(settings, clock=lambda linked=linked: linked)
                aiconvos.link_inbox_item(
                    conversation.id, item_id=item_id, status=status, title=title
                )
                state.recording = settings
            for ticket_id, subject, escalated in plan.tickets:
                aiconvos.escalate(
                    conversation.id, ticket_id=ticket_id, subject=subject, escalated_at=escalated
                )
            count += 1
    finally:
        state.recording = settings
    return count


# --- command line ---------------------------------------------------------------------------


def engine_for(url: str) -> sa.Engine:
    """An engine for ``url`` (``postgresql://`` uses psycopg 3)."""
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return sa.create_engine(url)


def default_url(conversations: int) -> str:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DATA_DIR / f'bench-{conversations}.sqlite'}"


def prepare(engine: sa.Engine, *, replace: bool) -> int:
    """Create (or bring up to date) the extension's schema with its migrations, as production
    does; returns how many conversations the database already holds."""
    if replace:
        with engine.begin() as connection:
            metadata.drop_all(connection)
            connection.execute(sa.text(f"DROP TABLE IF EXISTS {migration.VERSION_TABLE}"))
    migration.upgrade("head", engine=engine)
    with engine.connect() as connection:
        existing = connection.execute(
            sa.text("SELECT COUNT(*) FROM aiconvos_conversation")
        ).scalar_one()
    return int(existing)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--conversations", "-n", type=int, default=DEFAULT_CONVERSATIONS)
    parser.add_argument("--database-url", help="default: sqlite file in bench/data/")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--now", help="ISO 8601 UTC end of the data (default: now)")
    parser.add_argument("--long-conversation", type=int, default=2000, metavar="MESSAGES")
    parser.add_argument("--replace", action="store_true", help="drop the tables first")
    parser.add_argument(
        "--reuse", action="store_true", help="keep a database that already holds conversations"
    )
    args = parser.parse_args(argv)

    url = args.database_url or default_url(args.conversations)
    now = datetime.fromisoformat(args.now).astimezone(UTC) if args.now else None
    engine = engine_for(url)
    existing = prepare(engine, replace=args.replace)
    if existing and args.reuse:
        print(f"keeping {engine.url!r}: it holds {existing:,} conversations", file=sys.stderr)
        return 0
    if existing:
        raise SystemExit(
            f"the database already holds {existing:,} conversations; pass --replace to start "
            "over or --reuse to keep it"
        )
    generator = Generator(
        args.conversations, seed=args.seed, now=now, long_conversation=args.long_conversation
    )

    def progress(message: str) -> None:
        print(f"  {message}", file=sys.stderr, flush=True)

    print(f"generating {args.conversations:,} conversations into {engine.url!r}", file=sys.stderr)
    stats = load(engine, generator, progress=progress)
    engine.dispose()
    phases = ", ".join(f"{name} {secs:.0f}s" for name, secs in stats.phases.items())
    print(
        f"wrote {stats.conversations:,} conversations, {stats.messages:,} messages, "
        f"{stats.conversions:,} conversions, {stats.inbox_items:,} inbox items, "
        f"{stats.tickets:,} tickets in {stats.seconds:.0f}s ({phases})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
