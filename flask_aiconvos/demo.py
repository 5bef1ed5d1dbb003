"""Demo data for a coworking business, recorded only through the public recording API.

``seed_demo`` exists so that an operator trying the example app, and a developer checking a
screen, see every value of the vocabulary (``vocab``) in realistic conversations: HTML
quotes and newsletters, Markdown price tables, WhatsApp text, voice transcripts, escalations and
AI Inbox items. The first ``SHOWCASE_SIZE`` conversations cover everything on their own; the
rest are drawn at random. The same seed and ``now`` always record the same data.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .extension import AIConversations

__all__ = [
    "DEMO_CUSTOMERS",
    "MAX_DEMO_CONVERSATIONS",
    "SHOWCASE_SIZE",
    "DemoCustomer",
    "demo_customer",
    "seed_demo",
]

MAX_DEMO_CONVERSATIONS = 100_000


class DemoCustomer(NamedTuple):
    """A member of the demo business, as the host app's customer table would hold it."""

    id: str
    name: str
    company: str | None


DEMO_CUSTOMERS: tuple[DemoCustomer, ...] = (
    DemoCustomer("C-1001", "Zoë Müller", "Lumen Studio"),
    DemoCustomer("C-1002", "José Álvarez", None),
    DemoCustomer("C-1003", "Priya Natarajan", "Northwind Analytics"),
    DemoCustomer("C-1004", "Tom Okafor", "Okafor & Daughters Architects"),
    DemoCustomer("C-1005", "Hannah Fischer", None),
    DemoCustomer("C-1006", "Liam O'Connor", "Brightside Digital"),
    DemoCustomer("C-1007", "Aisha Rahman", "Kettle Logistics"),
    DemoCustomer("C-1008", "Ben Carter", None),
    DemoCustomer("C-1009", "Chloé Dubois", "Atelier Verde"),
    DemoCustomer("C-1010", "Marcus Webb", "Webb Legal LLP"),
    DemoCustomer("C-1011", "Sofia Rossi", None),
    DemoCustomer("C-1012", "Daniel Kim", "Pixel Harbour Games"),
    DemoCustomer("C-1013", "Emily Thompson", "Thompson Physio"),
    DemoCustomer("C-1014", "Kwame Mensah", "Mensah Ventures"),
    DemoCustomer("C-1015", "Olivia Brown", None),
    DemoCustomer("C-1016", "Raj Patel", "Patel & Co Accountants"),
    DemoCustomer("C-1017", "Ingrid Larsen", "Fjord Design"),
    DemoCustomer("C-1018", "Mateusz Nowak", None),
    DemoCustomer("C-1019", "Grace Lee", "Seedling Health"),
    DemoCustomer("C-1020", "Noah Williams", "Acme Robotics"),
    DemoCustomer("C-1021", "Fatima Zahra", None),
    DemoCustomer("C-1022", "Oliver Hughes", "Hughes Media"),
    DemoCustomer("C-1023", "Łukasz Wiśniewski", "Vistula Software"),
    DemoCustomer("C-1024", "Amelia Clarke", None),
    DemoCustomer("C-1025", "Samuel Adeyemi", "Lagos Bridge Consulting"),
    DemoCustomer("C-1026", "Mia Schneider", "Schneider & Partner"),
    DemoCustomer("C-1027", "Ethan Walker", None),
    DemoCustomer("C-1028", "Yuki Tanaka", "Koi Translation"),
    DemoCustomer("C-1029", "Isla Campbell", "Thistle Coffee Roasters"),
    DemoCustomer("C-1030", "Hugo Martin", None),
)

_CUSTOMERS_BY_ID = {customer.id: customer for customer in DEMO_CUSTOMERS}


def demo_customer(customer_id: str) -> DemoCustomer | None:
    """The demo customer with this id (customers the AI created later are not listed)."""
    return _CUSTOMERS_BY_ID.get(customer_id)


# --- the business ---------------------------------------------------------------------------

ASSISTANT = "Ava"


@dataclass(frozen=True)
class _Site:
    name: str
    area: str
    hot_desk: int
    dedicated_desk: int
    day_pass: int
    office_per_desk: int


SITES = (
    _Site("Canal Works", "Shoreditch", 240, 395, 28, 520),
    _Site("Harbour House", "Bristol", 185, 310, 22, 410),
    _Site("The Print Rooms", "Manchester", 170, 290, 20, 385),
)

ROOMS = (
    ("The Boardroom", 12, 65),
    ("Studio 2", 6, 35),
    ("The Snug", 4, 25),
    ("Orchard Room", 8, 45),
    ("Loft Workshop", 20, 90),
)

LEADS = (
    "Sam Taylor",
    "Alex Morgan",
    "Jordan Reid",
    "Charlie Evans",
    "Robin Shah",
    "Jamie Turner",
    "Morgan Ellis",
    "Casey Hall",
    "Riley Brooks",
    "Frankie Doyle",
    "Nadia Haddad",
    "Pedro Santos",
)

EMAIL_DOMAINS = ("example.com", "example.org", "example.net")

QUESTIONS = (
    (
        "Is there bike storage?",
        "Yes, there is **secure bike storage** in the basement with:\n\n"
        "- 40 Sheffield stands\n- showers and lockers on the same floor\n"
        "- a pump and basic tools by the door",
    ),
    (
        "What are the opening hours?",
        "Reception is staffed *8am–7pm, Monday to Friday*. Members with a dedicated desk or an "
        "office have **24/7 access** with their key fob.",
    ),
    (
        "Can we get post delivered there?",
        "Yes. Every membership includes a business address. We sign for parcels and send you a "
        "notification; collection is from reception.",
    ),
    (
        "How fast is the Wi-Fi?",
        "We have two 1 Gbps fibre lines with automatic failover. Offices can also have a "
        "**private VLAN** at no extra cost.",
    ),
    (
        "Are dogs allowed?",
        "Well-behaved dogs are welcome on the *second floor* on Fridays. Please keep them out of "
        "the kitchen and meeting rooms.",
    ),
    (
        "Is there parking?",
        "There are 6 paid spaces (£15 per day) which can be booked through the portal, plus a "
        "public car park two minutes away.",
    ),
    (
        "Can I print?",
        "Yes:\n\n- black & white: 5p per page\n- colour: 15p per page\n"
        "- the first 100 pages each month are free",
    ),
    (
        "Do you have phone booths?",
        "There are **8 phone booths** on each floor. They can't be booked; the limit is "
        "45 minutes when someone is waiting.",
    ),
    (
        "Is the building step-free?",
        "Yes, there is step-free access from the street, a lift to every floor and an "
        "accessible toilet on each floor.",
    ),
    (
        "Can we host an event in the evening?",
        "The **Loft Workshop** can be hired for evening events for up to 60 people. Catering "
        "can be arranged through our partner café.",
    ),
    (
        "What's included in the kitchen?",
        "Unlimited tea, barista coffee and oat milk. The kitchen also has a dishwasher, "
        "two microwaves and a fridge that is cleaned every Friday.",
    ),
    (
        "Can guests visit us?",
        "Members can invite guests free of charge: register them in the portal and they get a "
        "QR code for reception.",
    ),
    (
        "How much notice do we need to give?",
        "Hot and dedicated desks are **monthly rolling**. Private offices have a minimum term "
        "of 6 months, then one month's notice.",
    ),
    (
        "Is there a shower?",
        "Yes, there are four showers with towels provided, next to the bike store.",
    ),
    (
        "Can we put our logo on the door?",
        "Yes. Office members can have signage on their door and on the directory in reception; "
        "our team arranges it with the landlord.",
    ),
    (
        "Are there lockers?",
        "Lockers are £20 per month. Dedicated desks come with a *pedestal drawer* that locks.",
    ),
    (
        "What about furniture?",
        "Offices come furnished with sit-stand desks, ergonomic chairs and storage. You can "
        "bring your own furniture if you prefer.",
    ),
    (
        "Do you recycle?",
        "Yes: paper, glass, cans, food waste and coffee grounds are all collected separately.",
    ),
    (
        "Can we get an invoice in our company name?",
        "Of course. Invoices are issued monthly in advance, in your company's name, with VAT "
        "shown separately.",
    ),
    (
        "Is there air conditioning?",
        "All offices have individual air conditioning and opening windows.",
    ),
    (
        "Do you offer any discounts for start-ups?",
        "Members of partner accelerators get **10% off** the first six months. Ask us for the "
        "code.",
    ),
    (
        "Can we book the meeting rooms in advance?",
        "Yes, up to 90 days ahead through the portal. Offices include meeting room credits "
        "every month.",
    ),
)

TICKET_TOPICS = (
    "Wi-Fi keeps dropping on the second floor",
    "Key fob not opening the side door",
    "Change of invoice address",
    "Heating not working in Suite 2.07",
    "Lost property: black laptop bag",
    "Parcel marked as delivered but not at reception",
    "Request to cancel dedicated desk",
)


# --- plans ----------------------------------------------------------------------------------


@dataclass
class _Msg:
    sender: str
    body: str
    content_format: str = "text"
    via: str | None = None
    convert_to_markdown: bool | None = None
    external_id: str | None = None
    gap: int | None = None  # seconds since the previous message, instead of the channel's


@dataclass
class _Conversion:
    kind: str
    target_id: str


@dataclass
class _Inbox:
    item_id: str
    status: str
    title: str


@dataclass
class _Escalation:
    ticket_id: str
    subject: str


_Event = _Msg | _Conversion | _Inbox | _Escalation


@dataclass
class _Plan:
    channel: str
    origin: str
    subject: str | None
    customer: DemoCustomer | None
    identifier: str | None
    events: list[_Event] = field(default_factory=list)

    def add(self, *events: _Event) -> _Plan:
        self.events.extend(events)
        return self


#: Seconds before a person's next message on a channel (low, high).
GAPS = {
    "chat": (15, 240),
    "email": (1_800, 86_400),
    "whatsapp": (60, 7_200),
    "voice": (4, 35),
    "email_message": (3_600, 43_200),
    "help_desk": (900, 28_800),
}

_FIRST_IDS = {
    "booking": ("B", 1042),
    "tour": ("T", 4001),
    "contract": ("CT", 301),
    "day_pass": ("DP", 5001),
    "customer": ("C", 2001),
    "inbox": ("INB", 1),
    "ticket": ("T", 99),
    "invoice": ("", 1234),
}


class _Context:
    """Random choices and the running record ids of one seeding run."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._next = {kind: number for kind, (_, number) in _FIRST_IDS.items()}
        self.start: datetime = datetime(2000, 1, 1, tzinfo=UTC)

    def next_id(self, kind: str) -> str:
        prefix, _ = _FIRST_IDS[kind]
        number = self._next[kind]
        self._next[kind] = number + 1
        return f"{prefix}-{number}" if prefix else str(number)

    def site(self) -> _Site:
        return self.rng.choice(SITES)

    def customer(self, *, company: bool | None = None) -> DemoCustomer:
        pool = [c for c in DEMO_CUSTOMERS if company is None or (c.company is not None) == company]
        return self.rng.choice(pool)

    def lead(self) -> str:
        return self.rng.choice(LEADS)

    def email(self, name: str) -> str:
        local = name.lower().replace(" ", ".").replace("'", "")
        return f"{local}@{self.rng.choice(EMAIL_DOMAINS)}"

    def phone(self) -> str:
        return f"+44 7700 900{self.rng.randrange(1000):03d}"

    def day(self, days_ahead: int) -> str:
        moment = self.start + timedelta(days=days_ahead)
        return f"{moment:%A} {moment.day} {moment:%B}"

    def hour(self) -> str:
        return f"{self.rng.choice((9, 10, 11, 13, 14, 15, 16))}:{self.rng.choice(('00', '30'))}"

    def external_id(self, prefix: str) -> str:
        return f"{prefix}{self.rng.getrandbits(64):016x}"


def _first(name: str) -> str:
    return name.split()[0]


def _money(pounds: float) -> str:
    return f"£{pounds:,.2f}"


def _inbox(ctx: _Context, status: str, title: str) -> _Inbox:
    return _Inbox(ctx.next_id("inbox"), status, title)


# --- scenarios ------------------------------------------------------------------------------


def _chat_meeting_room(
    ctx: _Context, *, customer: DemoCustomer | None = None, bookings: int | None = None
) -> _Plan:
    """A member books a meeting room in the portal chat; the AI answers in Markdown."""
    rng = ctx.rng
    customer = customer or ctx.customer()
    bookings = bookings if bookings is not None else rng.choice((1, 1, 1, 2))
    site = ctx.site()
    people = rng.choice((4, 5, 6, 8))
    rooms = [room for room in ROOMS if room[1] >= people][:3]
    chosen = rng.choice(rooms)
    day_offset = rng.randint(1, 9)
    day, hour = ctx.day(day_offset), ctx.hour()
    subject = rng.choice((None, None, f"Meeting room for {people} on {day}"))
    plan = _Plan("chat", "portal_chat", subject, customer, None)
    plan.add(
        _Msg(
            "customer",
            rng.choice(
                (
                    f"Hi, do you have a meeting room for {people} people on {day}?",
                    f"Hello! I need a room for {people} on {day} around {hour}, anything free?",
                    f"Can I book a meeting room at {site.name} for {day}? We're {people}.",
                )
            ),
        ),
        _Msg(
            "ai",
            f"Hi {_first(customer.name)}! These rooms at **{site.name}** are free on {day} "
            f"from {hour}:\n\n"
            + "\n".join(
                f"- **{name}** – seats {seats}, {_money(price)}/hour"
                for name, seats, price in rooms
            )
            + "\n\nAll rooms have a screen, a whiteboard and *free* tea and coffee. "
            "Which one would you like?",
            "markdown",
        ),
        _Msg("customer", f"{chosen[0]} please, for two hours."),
    )
    total = chosen[2] * 2
    plan.add(
        _Msg(
            "ai",
            f"Done! **{chosen[0]}** is booked for {day}, {hour} for 2 hours.\n\n"
            f"- Price: {_money(total)} (*covered by your meeting room credits*)\n"
            "- Guests: register them in the portal to get a QR code\n",
            "markdown",
        ),
        _Conversion("booking", ctx.next_id("booking")),
    )
    if bookings > 1:
        plan.add(
            _Msg("customer", "Perfect. Could you book the same room at the same time next week?"),
            _Msg(
                "ai",
                f"Booked: **{chosen[0]}**, {ctx.day(day_offset + 7)}, {hour}. "
                "You'll find both bookings under *My bookings*.",
                "markdown",
            ),
            _Conversion("booking", ctx.next_id("booking")),
        )
    if rng.random() < 0.5:
        plan.add(_Msg("customer", rng.choice(("Thanks!", "Great, thank you 🙏", "Cheers"))))
    return plan


#: The tour times the assistant offers beside the one the visitor takes.
TOUR_SLOTS = ("10:00", "16:30", "11:30")


def _slots(chosen: str) -> str:
    """Three different tour times in order, ``chosen`` among them: "10:00, 14:30 and 16:30"."""
    offered = [chosen, *(slot for slot in TOUR_SLOTS if slot != chosen)][:3]
    offered.sort(key=lambda slot: tuple(int(part) for part in slot.split(":")))
    return f"{offered[0]}, {offered[1]} and {offered[2]}"


def _chat_desk_prices(ctx: _Context, *, inbox_status: str | None = None) -> _Plan:
    """A visitor asks for desk prices in the chat widget and books a tour."""
    rng = ctx.rng
    lead = ctx.lead()
    email = ctx.email(lead)
    site = ctx.site()
    day, hour = ctx.day(rng.randint(1, 6)), ctx.hour()
    plan = _Plan("chat", "portal_chat", None, None, email)
    plan.add(
        _Msg(
            "customer",
            rng.choice(
                (
                    "How much is a hot desk?",
                    "Hi, what are your prices for desks?",
                    f"Hello, I'm {lead}. I'm looking for a desk at {site.name}. Prices?",
                )
            ),
        ),
        _Msg(
            "ai",
            f"Here are our desk prices at **{site.name}** ({site.area}):\n\n"
            "| Plan | Access | Price |\n"
            "|:-----|:-------|------:|\n"
            f"| Hot desk | Mon–Fri, 8am–7pm | {_money(site.hot_desk)} / month |\n"
            f"| Dedicated desk | 24/7, your own desk | {_money(site.dedicated_desk)} / month |\n"
            f"| Day pass | One day | {_money(site.day_pass)} |\n\n"
            "Prices exclude VAT. Every plan includes *Wi-Fi, tea and coffee* and a "
            "**business address**. Would you like to come and see the space?",
            "markdown",
        ),
        _Msg("customer", f"Yes, could I visit on {day}?"),
        _Msg("ai", f"Of course. Which time suits you on {day}? We have tours at {_slots(hour)}."),
        _Msg("customer", f"{hour} works. My email is {email}"),
        _Msg(
            "ai",
            f"Your tour is booked for **{day} at {hour}** at {site.name}. A confirmation is on its "
            f"way to {email}. Ask for *{rng.choice(('Maya', 'Joe', 'Kasia'))}* at reception.",
            "markdown",
        ),
        _Conversion("tour", ctx.next_id("tour")),
    )
    status = inbox_status or rng.choice(("pending", "pending", "approved", "auto_executed"))
    plan.add(_inbox(ctx, status, f"Follow up with {lead} after the tour on {day}"))
    return plan


def _quote_html(ctx: _Context, customer: DemoCustomer, site: _Site, desks: int) -> str:
    rent = desks * site.office_per_desk
    extras = (("Meeting room credits (10 hours)", 0), ("Business address & mail handling", 45))
    rows = "".join(
        f"<tr><td>{label.replace('&', '&amp;')}</td><td>1</td>"
        f'<td align="right">{"included" if price == 0 else _money(price)}</td></tr>'
        for label, price in extras
    )
    total = rent + sum(price for _, price in extras)
    suite = f"Suite {ctx.rng.randint(1, 4)}.{ctx.rng.randint(1, 12):02d}"
    company = (customer.company or customer.name).replace("&", "&amp;")
    return (
        f"<p>Dear {_first(customer.name)},</p>"
        f"<p>Thank you for your interest in <strong>{site.name}</strong>. As promised, here is "
        f"the quote for a <strong>{desks}-desk private office</strong> for {company}.</p>"
        '<table border="1" cellpadding="6" cellspacing="0">'
        "<thead><tr><th>Item</th><th>Qty</th><th>Per month</th></tr></thead>"
        f"<tbody><tr><td>Private office, {suite} ({desks} desks)</td><td>1</td>"
        f'<td align="right">{_money(rent)}</td></tr>{rows}</tbody>'
        '<tfoot><tr><th colspan="2">Total per month (excl. VAT)</th>'
        f'<th align="right">{_money(total)}</th></tr></tfoot>'
        "</table>"
        "<p>Every private office includes:</p>"
        "<ul><li>24/7 access with key fobs for the whole team</li>"
        "<li>Sit-stand desks, ergonomic chairs and lockable storage</li>"
        "<li>Business-grade Wi-Fi with a private network</li>"
        "<li>Unlimited tea and barista coffee</li></ul>"
        "<p>Next steps:</p>"
        "<ol><li>Reply to confirm your start date</li><li>We send the licence agreement to sign "
        "online</li><li>Key fobs are ready on your first morning</li></ol>"
        f"<p>The quote is valid for <em>14 days</em>.</p><p>Kind regards,<br>{ASSISTANT}<br>"
        f"{site.name} · {site.area}</p>"
    )


def _email_office_quote(ctx: _Context, *, customer: DemoCustomer | None = None) -> _Plan:
    """A proactive quote for a private office in an HTML email, accepted by reply."""
    rng = ctx.rng
    customer = customer or ctx.customer(company=True)
    site = ctx.site()
    desks = rng.choice((4, 6, 8, 10))
    who = customer.company or customer.name
    plan = _Plan(
        "email",
        "proactive_outbound",
        f"Your private office quote for {who}",
        customer,
        None,
    )
    item = ctx.next_id("inbox")
    plan.add(
        _Inbox(item, "pending", f"Send private office quote to {who}"),
        _Inbox(item, "approved", f"Send private office quote to {who}"),
        _Msg("ai", _quote_html(ctx, customer, site, desks), "html"),
        _Msg(
            "customer",
            rng.choice(
                (
                    "Thanks for the quote.\nCould we start on the 1st of next month?\n\n"
                    "Best,\n" + _first(customer.name),
                    "Hi Ava,\n\nLooks good. Is the meeting room credit per month?\n\nThanks",
                )
            ),
            via="email_reply",
        ),
        _Msg(
            "ai",
            "<p>Hi " + _first(customer.name) + ",</p><p>Yes to both: the meeting room credits "
            "renew <strong>every month</strong>, and a start on the 1st is possible.</p>"
            "<p>Shall I send the licence agreement?</p>",
            "html",
        ),
        _Msg(
            "customer",
            '<div dir="ltr">Yes please, go ahead.</div><br><div class="gmail_quote">'
            '<div dir="ltr" class="gmail_attr">' + site.name + " wrote:<br></div>"
            '<blockquote class="gmail_quote" style="margin:0 0 0 .8ex;padding-left:1ex">'
            "<p>Yes to both: the meeting room credits renew <strong>every month</strong>, and a "
            "start on the 1st is possible.</p><p>Shall I send the licence agreement?</p>"
            "</blockquote></div>",
            "html",
            via="email_reply",
        ),
        _Msg(
            "ai",
            "<p>Great news! The licence agreement is on its way for e-signature. "
            "Welcome to " + site.name + "!</p>",
            "html",
        ),
        _Conversion("contract", ctx.next_id("contract")),
    )
    return plan


def _newsletter_html(site: _Site, name: str) -> str:
    events = (
        ("Tuesday", "Breakfast & intros", "8:30am, Kitchen"),
        ("Thursday", "Pitch practice with mentors", "5pm, Loft Workshop"),
        ("Friday", "Members' social", "5:30pm, Roof terrace"),
    )
    rows = "".join(
        f"<tr><td><strong>{day}</strong></td><td>{what.replace('&', '&amp;')}</td>"
        f"<td>{where}</td></tr>"
        for day, what, where in events
    )
    return (
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0">'
        '<tr><td align="center" style="background:#1f2a44;color:#ffffff;padding:16px">'
        f"<h1>{site.name} this month</h1></td></tr>"
        f"<tr><td><p>Hi {_first(name)},</p><p>Here is what's on at {site.name} — and a "
        "<strong>free day pass</strong> for a friend.</p></td></tr>"
        '<tr><td><table role="presentation" width="100%"><tr>'
        "<td><h2>Events</h2>"
        '<table border="1" cellpadding="4"><thead><tr><th>Day</th><th>Event</th>'
        f"<th>Where</th></tr></thead><tbody>{rows}</tbody></table></td>"
        "<td><h2>New this month</h2><ul><li>Phone booths on every floor</li>"
        "<li>Oat milk on tap</li><li>Bike repair stand</li></ul></td>"
        "</tr></table></td></tr>"
        '<tr><td><p><a href="https://example.com/members/events">See all events</a> · '
        '<a href="https://example.com/unsubscribe">Unsubscribe</a></p></td></tr>'
        "</table>"
    )


def _email_newsletter(ctx: _Context, *, customer: DemoCustomer | None = None) -> _Plan:
    """A newsletter-style email (layout tables) whose reply buys a day pass for a guest."""
    rng = ctx.rng
    customer = customer or ctx.customer()
    site = ctx.site()
    friend = rng.choice(("my colleague Sam", "a friend", "my sister"))
    plan = _Plan("email", "proactive_outbound", f"What's on at {site.name}", customer, None)
    plan.add(
        _inbox(ctx, "auto_executed", f"Monthly community newsletter: {site.name}"),
        _Msg("ai", _newsletter_html(site, customer.name), "html"),
        _Msg(
            "customer",
            f"Hi,\nCan I bring {friend} on Friday? Is the day pass really free?\n\nThanks!",
            via="email_reply",
            gap=rng.randint(3_600, 172_800),
        ),
        _Msg(
            "ai",
            "Yes! Your guest's **day pass** for Friday is free and includes the members' "
            "social. I've added it to your account; they just give your name at reception.",
            "markdown",
        ),
        _Conversion("day_pass", ctx.next_id("day_pass")),
    )
    if rng.random() < 0.4:
        plan.add(_Msg("customer", "Brilliant, see you there.", via="email_reply"))
    return plan


def _confirmation_html(ctx: _Context, site: _Site, room: tuple[str, int, int], day: str) -> str:
    hour = ctx.hour()
    return (
        "<h2>Your meeting room is booked</h2>"
        "<table>"
        f'<tr><th align="left">Room</th><td>{room[0]}</td></tr>'
        f'<tr><th align="left">Where</th><td>{site.name}, {site.area}</td></tr>'
        f'<tr><th align="left">When</th><td>{day}, {hour} – 2 hours</td></tr>'
        f'<tr><th align="left">Seats</th><td>{room[1]}</td></tr>'
        f'<tr><th align="left">Price</th><td>{_money(room[2] * 2)} + VAT</td></tr>'
        "</table>"
        "<p>Included:</p><ul><li>65-inch screen with HDMI and wireless casting</li>"
        "<li>Whiteboard and pens</li><li>Tea, coffee and water for your guests</li></ul>"
        "<p>Need to change it? Reply to this email or use <em>My bookings</em> in the portal. "
        "Free cancellation up to <strong>24 hours</strong> before.</p>"
    )


def _email_message_confirmation(ctx: _Context, *, customer: DemoCustomer | None = None) -> _Plan:
    """An operator takes over an email thread about a booking confirmation."""
    rng = ctx.rng
    customer = customer or ctx.customer()
    site = ctx.site()
    room = rng.choice(ROOMS)
    day = ctx.day(rng.randint(2, 12))
    operator = rng.choice(("Maya", "Joe", "Kasia", "Tariq"))
    plan = _Plan(
        "email_message",
        "operator_takeover",
        f"Booking confirmed: {room[0]}, {day}",
        customer,
        None,
    )
    plan.add(
        _Msg(
            "operator",
            f"Hi {_first(customer.name)},\n\nI've booked the room you asked about on the phone; "
            f"the confirmation follows.\n\n{operator}\nCommunity team, {site.name}",
            via="coworker_message",
        ),
        _Msg("ai", _confirmation_html(ctx, site, room, day), "html", gap=30),
        _Conversion("booking", ctx.next_id("booking")),
        _Msg(
            "customer",
            "Thanks! Could we have a vegetarian lunch for everyone as well?",
            via="email_reply",
        ),
        _Msg(
            "operator",
            f"Lunch is ordered from the café downstairs (£12.50 per person). See you on {day}!",
            via="coworker_message",
        ),
    )
    return plan


def _pass_html(site: _Site, day: str, price: int) -> str:
    return (
        f"<p><strong>Your day pass for {site.name}</strong></p>"
        f"<ul><li>Date: {day}</li><li>Address: {site.name}, {site.area}</li>"
        f"<li>Price: {_money(price)} (paid)</li></ul>"
        "<p>Show this message at reception. <em>Wi-Fi details are on the welcome card.</em></p>"
    )


def _whatsapp_reply(ctx: _Context, *, authenticated: bool | None = None) -> _Plan:
    """A customer answers an AI WhatsApp message; plain text, plus an HTML pass as Markdown."""
    rng = ctx.rng
    authenticated = rng.random() < 0.5 if authenticated is None else authenticated
    customer = ctx.customer() if authenticated else None
    phone = ctx.phone()
    site = ctx.site()
    day = ctx.day(rng.randint(1, 5))
    plan = _Plan("whatsapp", "customer_reply", None, customer, None if customer else phone)
    plan.add(
        _Msg(
            "customer",
            rng.choice(
                (
                    f"Hi 👋\nI got your message about the day pass.\nIs it still £{site.day_pass}?",
                    "Hello,\nYes I'm interested!\nCan I come in this week?",
                    "Hiya\nSaw the offer\nDo you have space " + day + "?",
                )
            ),
            external_id=ctx.external_id("wamid."),
        ),
        _Msg(
            "ai",
            f"Hi! Yes, a day pass at {site.name} is £{site.day_pass}.\n"
            f"We have space on {day}.\n\nShall I book it for you?",
            external_id=ctx.external_id("wamid."),
        ),
        _Msg(
            "customer",
            "Yes please\nI'll arrive around 9",
            external_id=ctx.external_id("wamid."),
        ),
        _Msg(
            "ai",
            _pass_html(site, day, site.day_pass),
            "html",
            convert_to_markdown=True,
            external_id=ctx.external_id("wamid."),
        ),
        _Conversion("day_pass", ctx.next_id("day_pass")),
    )
    if rng.random() < 0.6:
        plan.add(_Msg("customer", "Thanks 🙂\nSee you then", external_id=ctx.external_id("wamid.")))
    return plan


def _voice_call(ctx: _Context, *, inbox_status: str | None = None) -> _Plan:
    """A voice call transcript; the AI's follow-up call waits for business hours."""
    rng = ctx.rng
    authenticated = rng.random() < 0.6
    customer = ctx.customer() if authenticated else None
    caller = customer.name if customer else ctx.lead()
    phone = ctx.phone()
    site = ctx.site()
    outbound = rng.random() < 0.5
    origin = "proactive_outbound" if outbound else "customer_reply"
    plan = _Plan("voice", origin, None, customer, None if customer else phone)
    if outbound:
        plan.add(
            _Msg(
                "ai",
                f"Hello, this is {ASSISTANT}, the virtual assistant at {site.name}. "
                f"Am I speaking with {_first(caller)}?",
            ),
            _Msg("customer", "Yes, speaking."),
            _Msg(
                "ai",
                "You asked about a dedicated desk last week. Would you like to come in for a tour?",
            ),
        )
    else:
        plan.add(
            _Msg("customer", f"Hi, I had a missed call from this number. It's {_first(caller)}."),
            _Msg(
                "ai",
                f"Thanks for calling back, {_first(caller)}. This is {ASSISTANT} from {site.name}. "
                "We called about your enquiry for a dedicated desk. Would a tour help?",
            ),
        )
    day = ctx.day(rng.randint(1, 4))
    plan.add(
        _Msg("customer", "Maybe. Could someone call me back about parking first?"),
        _Msg(
            "ai",
            "Of course. Our community team starts at 9am, so I've scheduled a call back for "
            "the next business morning. Is this number the best one?",
        ),
        _Msg("customer", "Yes, that's fine. Thanks, bye."),
    )
    status = inbox_status or rng.choice(("deferred", "deferred", "pending", "approved"))
    title = (
        f"Call back {caller} about parking — held until business hours (09:00)"
        if status == "deferred"
        else f"Call back {caller} about parking"
    )
    plan.add(_inbox(ctx, status, title))
    if rng.random() < 0.4:
        plan.add(
            _Msg("customer", f"Actually, can I just book the tour for {day} too?", gap=4),
            _Msg("ai", f"Done: your tour is on {day} at 10:00. See you then!"),
            _Conversion("tour", ctx.next_id("tour")),
        )
    return plan


def _help_desk(ctx: _Context, *, payment: bool | None = None) -> _Plan:
    """A help-desk request the AI cannot solve; an operator escalates it to a ticket."""
    rng = ctx.rng
    customer = ctx.customer()
    payment = rng.random() < 0.5 if payment is None else payment
    if payment:
        invoice = ctx.next_id("invoice")
        subject = f"Question about invoice #{invoice}"
        ticket_subject = f"Payment inquiry for invoice #{invoice}"
        opening = (
            f"Hello,\nI was charged twice for invoice #{invoice} this month.\n"
            "Could you refund one of the payments?\n\nThanks,\n" + _first(customer.name)
        )
        answer = (
            f"Sorry about that, {_first(customer.name)}. I can see two card payments for "
            f"invoice #{invoice}. Refunds need our finance team, so I'm passing this on."
        )
    else:
        topic = rng.choice(TICKET_TOPICS)
        subject = topic
        ticket_subject = topic
        opening = f"Hi,\n{topic}.\nCan someone look at it today please?"
        answer = (
            "Thanks for reporting this. I've checked the usual fixes and it still needs a person "
            "on site, so I'm handing it to the community team."
        )
    plan = _Plan("help_desk", "customer_reply", subject, customer, None)
    ticket = ctx.next_id("ticket")
    plan.add(
        _Msg("customer", opening, via="help_desk"),
        _Msg("ai", answer),
        _Msg(
            "operator",
            f"I've opened ticket {ticket} for this and our team will reply within one working day.",
            via="help_desk",
        ),
        _Escalation(ticket, ticket_subject),
    )
    if rng.random() < 0.7:
        plan.add(_Msg("customer", "Thank you.", via="help_desk"))
    return plan


def _operator_takeover(ctx: _Context, *, channel: str | None = None) -> _Plan:
    """An operator steps in on a lead's conversation, and the lead signs up."""
    rng = ctx.rng
    channel = channel or rng.choice(("chat", "whatsapp"))
    lead = ctx.lead()
    identifier = ctx.email(lead) if channel == "chat" else ctx.phone()
    site = ctx.site()
    operator = rng.choice(("Maya", "Joe", "Kasia", "Tariq"))
    plan = _Plan(channel, "operator_takeover", None, None, identifier)
    plan.add(
        _Msg(
            "operator",
            f"Hi {_first(lead)}, it's {operator} from {site.name}. I saw you were asking about "
            "a team membership, happy to help directly.",
            via="coworker_message",
        ),
        _Msg("customer", "Oh great. We're 3 people, mostly remote, in 2 days a week."),
        _Msg(
            "operator",
            f"Then 3 hot desks would work well: {_money(site.hot_desk * 3)} a month in total.",
        ),
        _Msg("customer", "Sounds good. How do we sign up?"),
        _Msg(
            "ai",
            "I've created your account: you'll get an email to set your password and add your "
            "teammates. Your first month starts on Monday.",
        ),
        _Conversion("customer", ctx.next_id("customer")),
    )
    if rng.random() < 0.3:
        plan.add(_Conversion("contract", ctx.next_id("contract")))
    return plan


def _outbound_followup(ctx: _Context, *, inbox_status: str | None = None) -> _Plan:
    """An AI Inbox proposal that did not (yet) become a conversation worth much."""
    rng = ctx.rng
    status = inbox_status or rng.choice(("rejected", "expired", "snoozed", "approved"))
    customer = ctx.customer()
    channel = rng.choice(("email", "whatsapp"))
    site = ctx.site()
    offers = (
        ("Renewal reminder", "your membership renews at the end of the month"),
        ("Upgrade offer", "a dedicated desk is free next to your team"),
        ("Meeting room discount", "meeting rooms are 20% off on Fridays this month"),
    )
    name, detail = rng.choice(offers)
    subject = f"{name} – {site.name}" if channel == "email" else None
    plan = _Plan(channel, "proactive_outbound", subject, customer, None)
    plan.add(
        _inbox(ctx, status, f"{name} for {customer.name}"),
        _Msg("ai", f"Hi {_first(customer.name)}, a quick note from {site.name}: {detail}."),
    )
    if rng.random() < 0.5:
        plan.add(
            _Msg(
                "customer",
                rng.choice(("Thanks, not right now.", "OK, noted.", "Let me think about it.")),
                via="email_reply" if channel == "email" else None,
            )
        )
    return plan


def _long_team_move(ctx: _Context, *, length: int | None = None) -> _Plan:
    """A company planning a move: a long conversation with every kind of outcome."""
    rng = ctx.rng
    lead = ctx.lead()
    email = ctx.email(lead)
    site = ctx.site()
    team = rng.choice((10, 12, 15))
    pairs = length or rng.randint(20, 24)
    plan = _Plan("chat", "portal_chat", f"Office for a team of {team}", None, email)
    plan.add(
        _Msg(
            "customer",
            f"Hi, I'm {lead}. Our team of {team} needs a new office from next quarter. "
            "I have a lot of questions!",
        ),
        _Msg(
            "ai",
            f"Welcome, {_first(lead)}! Happy to help. A team of {team} fits our *private offices* "
            f"at **{site.name}** well. Ask away.",
            "markdown",
        ),
    )
    for question, answer in rng.sample(QUESTIONS, k=min(pairs, len(QUESTIONS))):
        plan.add(_Msg("customer", question), _Msg("ai", answer, "markdown"))
    tour_day = ctx.day(rng.randint(2, 6))
    plan.add(
        _Msg("customer", f"Could a few of us see the space on {tour_day}?"),
        _Msg("ai", f"Booked: a tour for your team on **{tour_day} at 11:00**.", "markdown"),
        _Conversion("tour", ctx.next_id("tour")),
        _Msg(
            "customer", "The tour was great. We'd like to go ahead.", gap=rng.randint(2, 4) * 86_400
        ),
        _Msg("ai", "Wonderful! I've set up your company account and sent the agreement."),
        _Conversion("customer", ctx.next_id("customer")),
        _Conversion("contract", ctx.next_id("contract")),
        _inbox(ctx, "approved", f"Send the office agreement to {lead}"),
        _Msg(
            "customer", "Can you also book the Boardroom for our kick-off, and a team lunch room?"
        ),
        _Msg(
            "ai",
            "Both booked:\n\n1. **The Boardroom**, first Monday, 9:30–11:30\n"
            "2. **Loft Workshop**, same day, 12:00–14:00",
            "markdown",
        ),
        _Conversion("booking", ctx.next_id("booking")),
        _Conversion("booking", ctx.next_id("booking")),
    )
    return plan


Scenario = Callable[[_Context], _Plan]

#: Drawn at random after the showcase, with these weights.
SCENARIOS: tuple[tuple[Scenario, int], ...] = (
    (_chat_meeting_room, 20),
    (_chat_desk_prices, 16),
    (_email_office_quote, 8),
    (_email_newsletter, 8),
    (_email_message_confirmation, 6),
    (_whatsapp_reply, 14),
    (_voice_call, 8),
    (_help_desk, 8),
    (_operator_takeover, 6),
    (_outbound_followup, 8),
    (_long_team_move, 1),
)

_SHOWCASE: tuple[tuple[Scenario, str], ...] = (
    (lambda c: _chat_meeting_room(c, customer=DEMO_CUSTOMERS[0], bookings=2), "today"),
    (lambda c: _chat_desk_prices(c, inbox_status="pending"), "month"),
    (lambda c: _email_office_quote(c, customer=DEMO_CUSTOMERS[2]), "month"),
    (lambda c: _email_newsletter(c, customer=DEMO_CUSTOMERS[1]), "older"),
    (lambda c: _email_message_confirmation(c, customer=DEMO_CUSTOMERS[4]), "month"),
    (lambda c: _whatsapp_reply(c, authenticated=False), "today"),
    (lambda c: _voice_call(c, inbox_status="deferred"), "today"),
    (lambda c: _help_desk(c, payment=True), "today"),
    (lambda c: _operator_takeover(c, channel="chat"), "month"),
    (lambda c: _long_team_move(c, length=21), "older"),
    (lambda c: _outbound_followup(c, inbox_status="rejected"), "older"),
    (lambda c: _outbound_followup(c, inbox_status="expired"), "older"),
    (lambda c: _outbound_followup(c, inbox_status="snoozed"), "month"),
)

#: Seeding at least this many conversations records every channel, origin, sender and ``via``,
#: content format, conversion kind and inbox status.
SHOWCASE_SIZE = len(_SHOWCASE)


# --- time -----------------------------------------------------------------------------------


def _bucket(rng: random.Random) -> str:
    draw = rng.random()
    if draw < 0.08:
        return "today"
    if draw < 0.32:
        return "month"
    return "older"


def _window(now: datetime, bucket: str) -> tuple[datetime, datetime]:
    """The earliest and latest start of a conversation: today, this month, or six months."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    month = today.replace(day=1)
    latest = now - timedelta(minutes=10)
    if bucket == "today":
        low, high = max(today, now - timedelta(hours=9)), latest
    elif bucket == "month":
        low, high = (month, today) if today > month else (now - timedelta(days=7), today)
    else:
        low, high = now - timedelta(days=182), month
    high = min(high, latest)
    return min(low, high), high


def _start_time(rng: random.Random, window: tuple[datetime, datetime]) -> datetime:
    low, high = window
    return (low + (high - low) * rng.random()).replace(microsecond=0)


def _gap(rng: random.Random, channel: str, message: _Msg) -> int:
    """Seconds before ``message``: the assistant answers at once, people take their time."""
    if message.gap is not None:
        return message.gap
    if message.sender == "ai" and channel != "voice":
        return rng.randint(60, 600) if channel in ("email", "email_message") else rng.randint(4, 60)
    low, high = GAPS[channel]
    return rng.randint(low, high)


def _message_times(
    rng: random.Random,
    plan: _Plan,
    start: datetime,
    window: tuple[datetime, datetime],
    now: datetime,
) -> list[datetime]:
    """Increasing times for the plan's messages, all before ``now``.

    A conversation that would run past ``now`` starts earlier (within its window) and, when
    that is not enough, its pauses shrink.
    """
    messages = [event for event in plan.events if isinstance(event, _Msg)]
    gaps = [0.0] + [float(_gap(rng, plan.channel, m)) for m in messages[1:]]
    total = sum(gaps)
    end = max(now - timedelta(seconds=rng.randint(30, 600)), start + timedelta(seconds=len(gaps)))
    overrun = start + timedelta(seconds=total) - end
    if overrun > timedelta(0):
        start = max(window[0], start - overrun)
    room = (end - start).total_seconds()
    if total > room:
        # Squeezed conversations end at different moments, not all just before ``now``.
        room *= rng.uniform(0.3, 1.0)
        gaps = [gap * room / total for gap in gaps]
    times, elapsed = [], 0.0
    for gap in gaps:
        elapsed += gap
        times.append(start + timedelta(seconds=elapsed))
    return times


# --- recording ------------------------------------------------------------------------------


def _record(
    aiconvos: AIConversations,
    plan: _Plan,
    times: list[datetime],
    tenant: str | None,
) -> None:
    customer = plan.customer
    conversation = aiconvos.start_conversation(
        channel=plan.channel,
        origin=plan.origin,
        subject=plan.subject,
        customer_id=customer.id if customer else None,
        customer_name=customer.name if customer else None,
        customer_company=customer.company if customer else None,
        external_identifier=plan.identifier,
        started_at=times[0],
        tenant=tenant,
    )
    moments = iter(times)
    last = times[0]
    for event in plan.events:
        if isinstance(event, _Msg):
            last = next(moments)
            aiconvos.add_message(
                conversation.id,
                sender=event.sender,
                body=event.body,
                content_format=event.content_format,
                via=event.via,
                sent_at=last,
                external_id=event.external_id,
                convert_to_markdown=event.convert_to_markdown,
            )
        elif isinstance(event, _Conversion):
            aiconvos.record_conversion(
                conversation.id, kind=event.kind, target_id=event.target_id, occurred_at=last
            )
        elif isinstance(event, _Inbox):
            aiconvos.link_inbox_item(
                conversation.id, item_id=event.item_id, status=event.status, title=event.title
            )
        else:
            aiconvos.escalate(
                conversation.id,
                ticket_id=event.ticket_id,
                subject=event.subject,
                escalated_at=last,
            )


def _check_arguments(
    conversations: object, seed: object, now: object, tenants: object
) -> tuple[datetime, tuple[str | None, ...]]:
    if (
        isinstance(conversations, bool)
        or not isinstance(conversations, int)
        or not 1 <= conversations <= MAX_DEMO_CONVERSATIONS
    ):
        raise ValueError(
            f"conversations must be a whole number from 1 to {MAX_DEMO_CONVERSATIONS}, "
            f"got {conversations!r}"
        )
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    if now is None:
        moment = datetime.now(UTC)
    elif isinstance(now, datetime) and now.utcoffset() is not None:
        moment = now.astimezone(UTC)
    else:
        raise ValueError(f"now must be a timezone-aware datetime, got {now!r}")
    if not datetime(1971, 1, 1, tzinfo=UTC) <= moment <= datetime(9998, 1, 1, tzinfo=UTC):
        raise ValueError(f"now must be between the years 1971 and 9997, got {now!r}")
    if isinstance(tenants, str) or not isinstance(tenants, Sequence) or not tenants:
        raise ValueError("tenants must be a non-empty sequence of tenant values (or None)")
    for tenant in tenants:
        if tenant is not None and not isinstance(tenant, str):
            raise ValueError(f"tenants must hold strings or None, got {tenant!r}")
    return moment, tuple(tenants)


def seed_demo(
    aiconvos: AIConversations,
    conversations: int = 120,
    *,
    seed: int = 7,
    now: datetime | None = None,
    tenants: Sequence[str | None] = (None,),
) -> int:
    """Record ``conversations`` demo conversations and return how many were created.

    Needs an app context. Activity spreads over the six months before ``now`` (default: the
    current UTC time) with a cluster this month and today; tenants are assigned in turn.
    """
    moment, tenant_cycle = _check_arguments(conversations, seed, now, tenants)
    rng = random.Random(seed)
    ctx = _Context(rng)
    population = [scenario for scenario, _ in SCENARIOS]
    weights = [weight for _, weight in SCENARIOS]
    for index in range(conversations):
        if index < SHOWCASE_SIZE:
            scenario, bucket = _SHOWCASE[index]
        else:
            scenario = rng.choices(population, weights)[0]
            bucket = _bucket(rng)
        window = _window(moment, bucket)
        ctx.start = _start_time(rng, window)
        plan = scenario(ctx)
        times = _message_times(rng, plan, ctx.start, window, moment)
        _record(aiconvos, plan, times, tenant_cycle[index % len(tenant_cycle)])
    return conversations
