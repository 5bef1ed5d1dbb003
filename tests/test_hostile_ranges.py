"""Numbers and times from their whole range, on every page parameter and API argument.

Integers are drawn from the full range (past 2**63, past Python's 4,300-digit limit on turning
them into text) and aware datetimes from ``datetime.min`` to ``datetime.max`` with any offset.
Each answer is checked against what it must be: the row, message or log entry is shown or not, the
call stores the value or raises ``InvalidRecord``/``ConversationNotFound``; never a 500 or another
exception, and the host's session stays usable after every refused call.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from support.hosts import DATABASES, FIXED_NOW, tenant_of_current_user
from support.http import as_user, soup
from support.security import host_factory, module_database, snapshot

from flask_aiconvos import AIConversations, ConversationNotFound, InvalidRecord
from flask_aiconvos.errors import shown
from flask_aiconvos.list_request import MAX_PAGE
from flask_aiconvos.models import (
    EXTERNAL_ID_MAX,
    ID_MAX,
    RECORD_ID_MAX,
    TENANT_MAX,
    AccessLogEntry,
    Conversation,
)
from flask_aiconvos.views import AccessLogView, LoggedAfter, LoggedBefore
from flask_aiconvos.vocab import EARLIEST_YEAR, LATEST_YEAR

LIST = "/admin/ai-conversations/"
DETAILS = "/admin/ai-conversations/details/"
AUDIT = "/admin/ai-conversations-audit/"
#: One zone ahead of UTC and one behind it, at the ends of the calendar too (their LMT).
ZONES = ("Asia/Tokyo", "America/New_York")
PAGE_TENANT, PAGE_USER, PAGE_AUDITOR = "a", "tenant_a", "auditor_a"

EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


# --- values -----------------------------------------------------------------------------------


def _huge(digits: int, sign: int) -> int:
    """An integer of ``digits + 1`` digits, built without ever turning text into a number."""
    return sign * (10**digits + 7)


#: Integers from the whole range: small, around 2**31 and 2**63, and past 4,300 digits.
INTEGERS = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, 2, -1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 2**64, -(2**63) - 1]),
    st.integers(min_value=2**63 - 3, max_value=2**63 + 3),
    st.builds(_huge, st.integers(min_value=4_290, max_value=4_400), st.sampled_from([1, -1])),
)
#: An integer as a query string writes it; beyond 4,300 digits built as text directly.
NUMBER_TEXT = st.one_of(
    INTEGERS.filter(lambda n: n.bit_length() < 14_000).map(str),
    st.builds(
        lambda sign, head, zeros: sign + head + "0" * zeros,
        st.sampled_from(["", "-", "+"]),
        st.sampled_from("123456789"),
        st.integers(min_value=4_300, max_value=4_500),
    ),
    st.sampled_from(
        [
            "",
            "abc",
            "1.5",
            "1e9",
            " 1",
            "0x10",
            "\x00",
            "0" * 30 + "1",
            "0" * 5_000 + "1",
            "0" * 5_000,
        ]
    ),
)
OFFSETS = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
#: Naive datetimes from the whole calendar, its two ends drawn often.
NAIVE = st.one_of(
    st.datetimes(),
    st.datetimes(max_value=datetime(1, 1, 2)),
    st.datetimes(min_value=datetime(9999, 12, 30)),
    st.datetimes(min_value=datetime(1969, 12, 31), max_value=datetime(1970, 1, 2)),
    st.datetimes(min_value=datetime(9998, 12, 31), max_value=datetime(9999, 1, 2)),
)
MOMENTS = st.builds(lambda naive, zone: naive.replace(tzinfo=zone), NAIVE, OFFSETS)
DAYS = st.one_of(
    st.dates(),
    st.dates(max_value=date(1, 1, 3)),
    st.dates(min_value=date(9999, 12, 29)),
    st.dates(
        min_value=FIXED_NOW.date() - timedelta(days=2),
        max_value=FIXED_NOW.date() + timedelta(days=2),
    ),
)


def number_of(text: str) -> int | None:
    """The integer a plain run of ASCII digits stands for (``None`` for anything else); more
    than 30 digits stands for "larger than any id"."""
    if not (text.isascii() and text.isdigit()):
        return None
    digits = text.lstrip("0") or "0"
    return ID_MAX + 1 if len(digits) > 30 else int(digits)


def flask_admin_int(text: str) -> int | None:
    """What Flask-Admin reads from an integer parameter (``int()``; ``None`` when it fails)."""
    try:
        return int(text)
    except ValueError:
        return None


def fits(value: int, max_chars: int) -> bool:
    """Whether an integer's decimal text fits a column of ``max_chars`` characters."""
    return value.bit_length() <= 4 * max_chars and len(str(value)) <= max_chars


def in_calendar(moment: datetime) -> bool:
    """Whether an aware time, in UTC, falls in the years conversations may be recorded in."""
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        return False
    return EARLIEST_YEAR <= utc.year <= LATEST_YEAR


# --- the host -----------------------------------------------------------------------------------


class Host:
    """Apps in two zones on one database. The pages show one conversation, in tenant ``a``
    (requested as ``tenant_a``); the API and the importer write into other tenants, so the
    pages' answers never depend on what the API tests stored."""

    def __init__(self, apps: dict[str, tuple[Flask, AIConversations]]) -> None:
        self.apps = apps
        self.app, self.ext = apps[ZONES[0]]
        with self.app.app_context():
            shown_ = self.ext.start_conversation(
                channel="whatsapp", origin="customer_reply", subject="Desk", tenant=PAGE_TENANT
            )
            first, second = (
                self.ext.add_message(
                    shown_.id, sender=sender, body="Hi", sent_at=FIXED_NOW - timedelta(minutes=m)
                ).id
                for sender, m in (("customer", 2), ("ai", 1))
            )
            self.api_conversation_id = self.ext.start_conversation(
                channel="chat", origin="portal_chat", subject="API"
            ).id
        self.conversation_id = shown_.id
        self.message_ids = [first, second]
        # The access log holds at least one entry of the tenant (every entry is at FIXED_NOW).
        self.app.test_client().get(LIST, headers=as_user(PAGE_USER))

    def session(self) -> Any:
        return self.app.extensions["test_db"].session

    def good_call_succeeds(self) -> None:
        """The host's session is usable: a read and a (repeated, idempotent) write succeed."""
        session = self.session()
        assert session.execute(sa.select(sa.func.count()).select_from(Conversation)).scalar() >= 2
        item = self.ext.link_inbox_item(self.api_conversation_id, item_id="good", status="pending")
        assert item.conversation_id == self.api_conversation_id


@pytest.fixture(scope="module", params=DATABASES)
def host(request: pytest.FixtureRequest) -> Iterator[Host]:
    with module_database(request.param) as url, host_factory(url) as build:
        yield Host(
            {zone: build(AICONVOS_TIMEZONE=zone, scope=tenant_of_current_user) for zone in ZONES}
        )


def _rows(response) -> list[Any]:
    """The data rows of a Flask-Admin list (not its "no items" row)."""
    page = soup(response)
    return [
        tr for tr in page.select("table.model-list tr") if tr.td and not tr.select("td[colspan]")
    ]


def _audit_view(app: Flask) -> AccessLogView:
    admin = app.extensions["admin"][0]
    return next(view for view in admin._views if isinstance(view, AccessLogView))


def _filter_arg(app: Flask, kind: type) -> str:
    """The query-string key of the access log's filter of class ``kind``."""
    view = _audit_view(app)
    with app.test_request_context():
        for key, (_, flt) in view._filter_args.items():
            if type(flt) is kind:
                return f"flt0_{key}"
    raise AssertionError(f"no {kind.__name__} filter")


# --- the list -----------------------------------------------------------------------------------


@EXAMPLES
@given(name=st.sampled_from(["page", "sort", "desc", "page_size"]), text=NUMBER_TEXT)
def test_list_numbers(host, name, text):
    response = host.app.test_client().get(
        LIST, query_string={name: text}, headers=as_user(PAGE_USER)
    )
    assert response.status_code == 200, (name, shown(text))
    ids = [
        int(tr["data-conversation-id"]) for tr in soup(response).select("tr[data-conversation-id]")
    ]
    number = number_of(text)
    past_the_first_page = name == "page" and number is not None and number > 0
    assert ids == ([] if past_the_first_page else [host.conversation_id]), (name, shown(text))
    if past_the_first_page:
        assert soup(response).select_one('[data-empty="past-end"]') is not None


@EXAMPLES
@given(
    zone=st.sampled_from(ZONES), first=st.one_of(st.none(), DAYS), last=st.one_of(st.none(), DAYS)
)
def test_list_date_ranges(host, zone, first, last):
    app, _ = host.apps[zone]
    query = {}
    if first is not None:
        query["from"] = first.isoformat()
    if last is not None:
        query["to"] = last.isoformat()
    response = app.test_client().get(LIST, query_string=query, headers=as_user(PAGE_USER))
    assert response.status_code == 200, query
    started = FIXED_NOW.astimezone(ZoneInfo(zone)).date()
    low, high = first or date.min, last or date.max
    if first is not None and last is not None and first > last:
        low, high = last, first  # the list swaps them
    ids = [
        int(tr["data-conversation-id"]) for tr in soup(response).select("tr[data-conversation-id]")
    ]
    assert ids == ([host.conversation_id] if low <= started <= high else []), query


@EXAMPLES
@given(
    zone=st.sampled_from(ZONES), first=st.one_of(st.none(), DAYS), last=st.one_of(st.none(), DAYS)
)
def test_metrics_json_date_ranges(host, zone, first, last):
    """The dashboards' endpoint reads the list's range the same way, previous period and chart
    buckets included, up to the ends of the calendar."""
    app, _ = host.apps[zone]
    query = {}
    if first is not None:
        query["from"] = first.isoformat()
    if last is not None:
        query["to"] = last.isoformat()
    response = app.test_client().get(
        LIST + "metrics.json", query_string=query, headers=as_user(PAGE_USER)
    )
    assert response.status_code == 200, query
    started = FIXED_NOW.astimezone(ZoneInfo(zone)).date()
    low, high = first or date.min, last or date.max
    if first is not None and last is not None and first > last:
        low, high = last, first
    assert response.get_json()["total"] == (1 if low <= started <= high else 0), query


@EXAMPLES
@given(name=st.sampled_from(["page", "sort", "desc"]), text=NUMBER_TEXT)
def test_metrics_json_numbers(host, name, text):
    response = host.app.test_client().get(
        LIST + "metrics.json", query_string={name: text}, headers=as_user(PAGE_USER)
    )
    assert response.status_code in (200, 400), (name, shown(text))
    if response.status_code == 200:
        assert response.get_json()["total"] == 1


# --- the timeline -------------------------------------------------------------------------------


@EXAMPLES
@example(text="0" * 30 + str(ID_MAX))
@example(text=str(ID_MAX))  # the largest id a column holds: no such conversation
@example(text=str(ID_MAX + 1))
@given(text=NUMBER_TEXT)
def test_details_id(host, text):
    response = host.app.test_client().get(
        DETAILS, query_string={"id": text}, headers=as_user(PAGE_USER)
    )
    expected = 200 if number_of(text) == host.conversation_id else 404
    assert response.status_code == expected, shown(text)


@EXAMPLES
@example(name="before", text=str(ID_MAX))
@example(name="before", text=str(ID_MAX + 1))
@example(name="images", text=str(ID_MAX))
@given(name=st.sampled_from(["before", "images"]), text=NUMBER_TEXT)
def test_details_message_ids(host, name, text):
    query = {"id": host.conversation_id, name: text}
    response = host.app.test_client().get(DETAILS, query_string=query, headers=as_user(PAGE_USER))
    number = number_of(text)
    if number is None or not 0 < number <= ID_MAX:
        assert response.status_code == 400, (name, shown(text))
        return
    shown_ids = [int(m["data-message-id"]) for m in soup(response).select("[data-message-id]")]
    first, second = host.message_ids
    if name == "before":  # the messages before that one of the conversation's (none: no such)
        assert shown_ids == ([first] if number == second else []), shown(text)
    else:
        assert shown_ids == [first, second], shown(text)


# --- the access log -----------------------------------------------------------------------------


@EXAMPLES
@given(name=st.sampled_from(["page", "page_size", "sort", "desc"]), text=NUMBER_TEXT)
def test_access_log_numbers(host, name, text):
    response = host.app.test_client().get(
        AUDIT, query_string={name: text}, headers=as_user(PAGE_AUDITOR)
    )
    assert response.status_code == 200, (name, shown(text))
    with host.app.app_context():
        entries = host.session().scalar(
            sa.select(sa.func.count()).where(AccessLogEntry.tenant == PAGE_TENANT)
        )
    page = min(max(flask_admin_int(text) or 0, 0), MAX_PAGE) if name == "page" else 0
    page_size = _audit_view(host.app).page_size
    expected = max(min(entries - page * page_size, page_size), 0)
    assert len(_rows(response)) == expected, (name, shown(text))


@EXAMPLES
@example(zone="Asia/Tokyo", kind=LoggedAfter, naive=datetime.min)
@example(zone="America/New_York", kind=LoggedBefore, naive=datetime.max)
@given(zone=st.sampled_from(ZONES), kind=st.sampled_from([LoggedAfter, LoggedBefore]), naive=NAIVE)
def test_access_log_time_filters(host, zone, kind, naive):
    """Every entry is at FIXED_NOW: a filter shows all of them or none, as the time it names
    (in ``AICONVOS_TIMEZONE``, however far it is from UTC) is before or after it."""
    app, _ = host.apps[zone]
    typed = f"{naive.year:04d}-{naive:%m-%d %H:%M:%S}"
    response = app.test_client().get(
        AUDIT, query_string={_filter_arg(app, kind): typed}, headers=as_user(PAGE_AUDITOR)
    )
    assert response.status_code == 200, typed
    offset = naive.replace(tzinfo=ZoneInfo(zone)).utcoffset()
    local_now = FIXED_NOW.replace(tzinfo=None) + offset  # FIXED_NOW as that zone's wall time
    naive = naive.replace(microsecond=0)
    matches = local_now > naive if kind is LoggedAfter else local_now < naive
    assert bool(_rows(response)) == matches, typed


@EXAMPLES
@given(
    key=st.integers(min_value=0, max_value=30), text=st.text(max_size=20).map(lambda t: t + "\x00")
)
def test_access_log_filters_refuse_nul(host, key, text):
    """A text filter's value with a NUL character is flashed as invalid and left out."""
    client = host.app.test_client()
    unfiltered = len(_rows(client.get(AUDIT, headers=as_user(PAGE_AUDITOR))))
    response = client.get(AUDIT, query_string={f"flt0_{key}": text}, headers=as_user(PAGE_AUDITOR))
    assert response.status_code == 200, repr(text)
    assert len(_rows(response)) == unfiltered, repr(text)


# --- the recording API ----------------------------------------------------------------------------


def _refused(call, *errors: type[Exception]) -> Exception | None:
    try:
        call()
    except errors as error:
        str(error)  # its message can be shown
        return error
    return None


@EXAMPLES
@example(method="escalate", value=_huge(4_400, -1))
@example(method="add_message", value=2**63 - 1)
@example(method="record_conversion", value=2**63)
@given(
    method=st.sampled_from(["add_message", "record_conversion", "link_inbox_item", "escalate"]),
    value=INTEGERS,
)
def test_api_conversation_ids(host, method, value):
    assume(value != host.conversation_id)  # the pages' conversation stays as it is
    calls = {
        "add_message": lambda: host.ext.add_message(value, sender="customer", body="x"),
        "record_conversion": lambda: host.ext.record_conversion(value, kind="tour", target_id=1),
        "link_inbox_item": lambda: host.ext.link_inbox_item(value, item_id=1, status="pending"),
        "escalate": lambda: host.ext.escalate(value, ticket_id=1, subject="x"),
    }
    with host.app.app_context():
        error = _refused(calls[method], ConversationNotFound)
        assert (error is None) == (value == host.api_conversation_id), (method, shown(value))
        if error is not None:
            assert error.conversation_id == value
        host.good_call_succeeds()


IDENTIFIERS = {
    "customer_id": RECORD_ID_MAX,
    "tenant": TENANT_MAX,
    "external_id": EXTERNAL_ID_MAX,
    "target_id": RECORD_ID_MAX,
    "item_id": RECORD_ID_MAX,
    "ticket_id": RECORD_ID_MAX,
    "message external_id": EXTERNAL_ID_MAX,
}


def _record_identifier(ext: AIConversations, conversation_id: int, name: str, value: Any) -> Any:
    if name in ("customer_id", "tenant", "external_id"):
        stored = ext.start_conversation(channel="chat", origin="portal_chat", **{name: value})
        return getattr(stored, name)
    if name == "message external_id":
        return ext.add_message(
            conversation_id, sender="ai", body="x", external_id=value
        ).external_id
    if name == "target_id":
        return ext.record_conversion(conversation_id, kind="booking", target_id=value).target_id
    if name == "item_id":
        return ext.link_inbox_item(conversation_id, item_id=value, status="pending").item_id
    return ext.escalate(conversation_id, ticket_id=value, subject="x").ticket_id


@EXAMPLES
@example(name="ticket_id", value=_huge(4_400, 1))
@example(name="tenant", value=-(10**63))
@given(name=st.sampled_from(sorted(IDENTIFIERS)), value=INTEGERS)
def test_api_integer_identifiers(host, name, value):
    with host.app.app_context():
        try:
            stored = _record_identifier(host.ext, host.api_conversation_id, name, value)
        except InvalidRecord as error:
            assert not fits(value, IDENTIFIERS[name]), (name, shown(value))
            assert error.field == name.split()[-1] and len(str(error)) < 200
        else:
            assert fits(value, IDENTIFIERS[name]) and stored == str(value), (name, shown(value))
        host.good_call_succeeds()


TIMES = ("started_at", "sent_at", "occurred_at", "escalated_at")


def _key_of(moment: datetime) -> str:
    """A record id for a time (one per time: the same time again finds the same record), built
    without asking its zone for the offset."""
    return f"{moment.replace(tzinfo=None).isoformat()} {moment.tzinfo!r}"


def _record_time(ext: AIConversations, conversation_id: int, name: str, moment: datetime) -> Any:
    if name == "started_at":
        return ext.start_conversation(
            channel="chat", origin="portal_chat", started_at=moment
        ).started_at
    if name == "sent_at":
        return ext.add_message(conversation_id, sender="ai", body="x", sent_at=moment).sent_at
    if name == "occurred_at":
        target = f"t{_key_of(moment)}"
        return ext.record_conversion(
            conversation_id, kind="tour", target_id=target, occurred_at=moment
        ).occurred_at
    return ext.escalate(
        conversation_id, ticket_id=f"k{_key_of(moment)}", subject="x", escalated_at=moment
    ).escalated_at


@EXAMPLES
@example(name="started_at", moment=datetime.min.replace(tzinfo=timezone(timedelta(hours=1))))
@example(name="sent_at", moment=datetime.max.replace(tzinfo=timezone(timedelta(hours=-1))))
@given(name=st.sampled_from(TIMES), moment=MOMENTS)
def test_api_times(host, name, moment):
    with host.app.app_context():
        try:
            stored = _record_time(host.ext, host.api_conversation_id, name, moment)
        except InvalidRecord as error:
            assert not in_calendar(moment), (name, moment)
            assert error.field == name
        else:
            assert in_calendar(moment) and stored == moment, (name, moment, stored)
        host.good_call_succeeds()


@EXAMPLES
@example(selector="conversation_id", value=2**63)
@example(selector="customer_id", value=_huge(4_400, 1))
@given(selector=st.sampled_from(["conversation_id", "customer_id"]), value=INTEGERS)
def test_erase_integers(host, selector, value):
    """Any integer as an erasure selector: exactly the conversations it names (none of the
    pages' or the API's), or ``InvalidRecord`` for one too long to be a customer id. Customer
    ids are counted only: other tests' conversations carry them."""
    with host.app.app_context():
        ids = set(host.session().scalars(sa.select(Conversation.id)))
        assume(value not in ids)
        expected = 0
        if selector == "customer_id" and fits(value, RECORD_ID_MAX):
            expected = host.session().scalar(
                sa.select(sa.func.count()).where(Conversation.customer_id == str(value))
            )
        try:
            erased = host.ext.erase(**{selector: value}, dry_run=selector == "customer_id")
        except InvalidRecord as error:
            assert selector == "customer_id" and not fits(value, RECORD_ID_MAX), shown(value)
            assert error.field == selector
        else:
            assert erased == expected, (selector, shown(value))
        host.good_call_succeeds()


@EXAMPLES
@example(moment=datetime.min.replace(tzinfo=timezone(timedelta(hours=1))), audit=False)
@example(moment=datetime.max.replace(tzinfo=timezone(timedelta(hours=-1))), audit=True)
@given(moment=MOMENTS, audit=st.booleans())
def test_purge_times(host, moment, audit):
    """Any aware time as a purge bound (counted only, so nothing goes): a count, or
    ``InvalidRecord`` naming the argument for a time outside the calendar."""
    name = "audit_before" if audit else "before"
    purge = host.ext.purge_access_log if audit else host.ext.purge
    with host.app.app_context():
        try:
            count = purge(before=moment, dry_run=True)
        except InvalidRecord as error:
            assert not in_calendar(moment), moment
            assert error.field == name
        else:
            assert in_calendar(moment) and count >= 0, moment
        host.good_call_succeeds()


class _DayLongOffset(tzinfo):
    """A host's time zone whose offset Python refuses (a day or more)."""

    def utcoffset(self, dt: datetime | None) -> timedelta:
        return timedelta(hours=25)

    def dst(self, dt: datetime | None) -> None:
        return None


class _FailingOffset(_DayLongOffset):
    def utcoffset(self, dt: datetime | None) -> timedelta:
        raise RuntimeError("the host's time zone database is unreachable")


@pytest.mark.parametrize("zone", [_DayLongOffset(), _FailingOffset()], ids=["day_long", "failing"])
@pytest.mark.parametrize("name", TIMES)
def test_api_times_in_a_zone_without_a_readable_offset(host, name, zone):
    with host.app.app_context():
        with pytest.raises(InvalidRecord) as refused:
            _record_time(
                host.ext, host.api_conversation_id, name, datetime(2026, 1, 1, tzinfo=zone)
            )
        assert refused.value.field == name
        host.good_call_succeeds()


@pytest.mark.parametrize("zone", [_DayLongOffset(), _FailingOffset()], ids=["day_long", "failing"])
def test_import_times_in_a_zone_without_a_readable_offset(host, zone):
    record = {**_record(), "started_at": datetime(2026, 1, 1, tzinfo=zone)}
    with host.app.app_context():
        report = host.ext.import_conversations([record])
        assert [line for line, _ in report.errors] == [1]
        assert report.errors[0][1].startswith("started_at:")
        host.good_call_succeeds()


# --- importing ------------------------------------------------------------------------------------

#: Where an integer or a time goes in a record: (path as errors name it, how to place it).
RECORD_FIELDS = {
    "customer_id": lambda v: {"customer_id": v},
    "tenant": lambda v: {"tenant": v},
    "external_id": lambda v: {"external_id": v},
    "messages[0].external_id": lambda v: {
        "messages": [{"sender": "ai", "body": "x", "external_id": v}]
    },
    "conversions[0].target_id": lambda v: {"conversions": [{"kind": "tour", "target_id": v}]},
    "inbox_items[0].item_id": lambda v: {"inbox_items": [{"item_id": v, "status": "pending"}]},
    "tickets[0].ticket_id": lambda v: {"tickets": [{"ticket_id": v, "subject": "x"}]},
}
RECORD_TIMES = {
    "started_at": lambda v: {"started_at": v},
    "messages[0].sent_at": lambda v: {"messages": [{"sender": "ai", "body": "x", "sent_at": v}]},
    "conversions[0].occurred_at": lambda v: {
        "conversions": [{"kind": "tour", "target_id": 1, "occurred_at": v}]
    },
    "tickets[0].escalated_at": lambda v: {
        "tickets": [{"ticket_id": 1, "subject": "x", "escalated_at": v}]
    },
}


def _record(**fields: Any) -> dict[str, Any]:
    return {"channel": "email", "origin": "customer_reply", **fields}


def _limit(path: str) -> int:
    name = path.rsplit(".", 1)[-1]
    return {"tenant": TENANT_MAX, "external_id": EXTERNAL_ID_MAX}.get(name, RECORD_ID_MAX)


@EXAMPLES
@given(path=st.sampled_from(sorted(RECORD_FIELDS)), value=INTEGERS)
def test_import_integers(host, path, value):
    with host.app.app_context():
        report = host.ext.import_conversations([_record(**RECORD_FIELDS[path](value))])
        if fits(value, _limit(path)):
            assert report.errors == [], (path, shown(value))
        else:
            assert [line for line, _ in report.errors] == [1]
            assert report.errors[0][1].startswith(path + ":"), report.errors
        host.good_call_succeeds()


@EXAMPLES
@example(
    path="started_at",
    moment=datetime.min.replace(tzinfo=timezone(timedelta(hours=1))),
    as_text=True,
)
@example(
    path="messages[0].sent_at",
    moment=datetime.max.replace(tzinfo=timezone(timedelta(hours=-5))),
    as_text=False,
)
@given(path=st.sampled_from(sorted(RECORD_TIMES)), moment=MOMENTS, as_text=st.booleans())
def test_import_times(host, path, moment, as_text):
    with host.app.app_context():
        value = moment.isoformat() if as_text else moment
        report = host.ext.import_conversations([_record(**RECORD_TIMES[path](value))])
        if in_calendar(moment):
            assert report.errors == [], (path, value)
        else:
            assert [line for line, _ in report.errors] == [1]
            assert report.errors[0][1].startswith(path + ":"), report.errors
        host.good_call_succeeds()


@EXAMPLES
@given(
    path=st.sampled_from(sorted(RECORD_FIELDS)),
    digits=st.integers(min_value=4_290, max_value=4_400),
)
def test_import_json_lines_with_huge_numbers(host, path, digits):
    """JSON numbers past Python's limit: the line is reported, the next one stored."""
    marker = "\x01HUGE\x01"
    line = json.dumps(_record(**RECORD_FIELDS[path](marker))).replace(
        json.dumps(marker), "9" * digits
    )
    good = json.dumps(_record(subject="after a huge number"))
    with host.app.app_context():
        report = host.ext.import_json_lines(io.StringIO(line + "\n" + good + "\n"))
        assert [number for number, _ in report.errors] == [1], report.errors
        beyond_the_limit = digits > 4_300  # Python reads 4,300 digits, then refuses
        assert report.records == 2
        assert report.errors[0][1].startswith("record:" if beyond_the_limit else path + ":")
        host.good_call_succeeds()


@EXAMPLES
@example(limit=sys.maxsize)
@example(limit=_huge(4_400, 1))
@given(limit=INTEGERS)
def test_import_json_lines_line_limit(host, limit):
    line = json.dumps(_record(subject="a line of its own")) + "\n"
    with host.app.app_context():
        try:
            report = host.ext.import_json_lines(io.StringIO(line), max_line_bytes=limit)
        except InvalidRecord as error:
            assert not 0 < limit < sys.maxsize, shown(limit)
            assert error.field == "max_line_bytes"
        else:
            assert 0 < limit < sys.maxsize, shown(limit)
            assert (report.errors == []) == (len(line) <= limit + 1), (report.errors, limit)
        host.good_call_succeeds()


@EXAMPLES
@example(key=_huge(4_400, 1))
@given(key=INTEGERS)
def test_import_unknown_integer_keys(host, key):
    with host.app.app_context():
        report = host.ext.import_conversations([{**_record(), key: 1}])
        assert [line for line, _ in report.errors] == [1]
        assert "unknown field" in report.errors[0][1] and len(report.errors[0][1]) < 400
        host.good_call_succeeds()


@EXAMPLES
@example(value=_huge(4_400, 1), name="channel")
@given(value=INTEGERS, name=st.sampled_from(["channel", "origin", "sender", "kind", "status"]))
def test_error_messages_show_any_value(host, value, name):
    """A value refused by name (not an allowed choice) is shown in the message, cut short."""
    calls = {
        "channel": lambda: host.ext.start_conversation(channel=value, origin="portal_chat"),
        "origin": lambda: host.ext.start_conversation(channel="chat", origin=value),
        "sender": lambda: host.ext.add_message(host.api_conversation_id, sender=value, body="x"),
        "kind": lambda: host.ext.record_conversion(
            host.api_conversation_id, kind=value, target_id=1
        ),
        "status": lambda: host.ext.link_inbox_item(
            host.api_conversation_id, item_id=1, status=value
        ),
    }
    with host.app.app_context():
        error = _refused(calls[name], InvalidRecord)
        assert error is not None and error.field == name
        assert len(str(error)) < 300
        host.good_call_succeeds()


# --- a database error inside the API ----------------------------------------------------------

REFUSED = "refused by the database"


@contextlib.contextmanager
def refusing(session: Any, table: str, column: str) -> Iterator[None]:
    """Make the database refuse a row of ``table`` whose ``column`` is ``REFUSED`` (the host's
    session ends its transaction first, so the change of schema waits for no lock)."""
    engine = session.get_bind()
    if engine.dialect.name == "sqlite":
        create = (
            f"CREATE TRIGGER refuse_it BEFORE INSERT ON {table} WHEN new.{column} = '{REFUSED}' "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
        drop = "DROP TRIGGER refuse_it"
    else:
        create = (
            f"ALTER TABLE {table} ADD CONSTRAINT refuse_it "
            f"CHECK ({column} IS DISTINCT FROM '{REFUSED}') NOT VALID"
        )
        drop = f"ALTER TABLE {table} DROP CONSTRAINT refuse_it"
    session.rollback()
    with engine.begin() as connection:
        connection.execute(sa.text(create))
    try:
        yield
    finally:
        session.rollback()
        with engine.begin() as connection:
            connection.execute(sa.text(drop))


REFUSING_CALLS = {
    "start_conversation": (
        "aiconvos_conversation.subject",
        lambda ext, cid: ext.start_conversation(
            channel="chat", origin="portal_chat", subject=REFUSED
        ),
    ),
    "add_message": (
        "aiconvos_message.body",
        lambda ext, cid: ext.add_message(cid, sender="ai", body=REFUSED),
    ),
    "record_conversion": (
        "aiconvos_conversion.target_id",
        lambda ext, cid: ext.record_conversion(cid, kind="contract", target_id=REFUSED),
    ),
    "link_inbox_item": (
        "aiconvos_inbox_item.item_id",
        lambda ext, cid: ext.link_inbox_item(cid, item_id=REFUSED, status="pending"),
    ),
    "escalate": (
        "aiconvos_ticket.ticket_id",
        lambda ext, cid: ext.escalate(cid, ticket_id=REFUSED, subject="x"),
    ),
}


@pytest.mark.parametrize("method", sorted(REFUSING_CALLS))
def test_a_database_error_leaves_the_session_usable(host, method):
    target, call = REFUSING_CALLS[method]
    table, column = target.split(".")
    with host.app.app_context():
        host.good_call_succeeds()  # stored once: from here on it writes nothing
        before = snapshot(host.app)
        with refusing(host.session(), table, column):
            with pytest.raises(sa.exc.DBAPIError):
                call(host.ext, host.api_conversation_id)
            host.good_call_succeeds()
        assert snapshot(host.app) == before


@pytest.mark.parametrize("as_lines", [False, True], ids=["records", "json_lines"])
def test_a_record_the_database_refuses_is_reported(host, as_lines):
    record = _record(subject=REFUSED, customer_id="refused")
    with host.app.app_context():
        host.good_call_succeeds()  # stored once: from here on it writes nothing
        before = snapshot(host.app)
        with refusing(host.session(), "aiconvos_conversation", "subject"):
            if as_lines:
                report = host.ext.import_json_lines(io.StringIO(json.dumps(record) + "\n"))
            else:
                report = host.ext.import_conversations([record])
            assert [line for line, _ in report.errors] == [1]
            assert report.errors[0][1].startswith("record: refused by the database")
            host.good_call_succeeds()
        assert snapshot(host.app) == before


class _UnreprAble:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


@EXAMPLES
@example(value=[_huge(4_400, 1)])
@given(value=st.one_of(INTEGERS, st.text(), st.binary(), st.lists(INTEGERS, max_size=3)))
def test_shown_is_short_and_never_fails(value):
    text = shown(value)
    assert 0 < len(text) <= 60
    try:
        full = repr(value)
    except Exception:
        return
    if len(full) <= 60:
        assert text == full
    else:
        assert text.endswith("…") or text.startswith("<")


def test_shown_survives_a_failing_repr():
    assert shown(_UnreprAble()) == "<_UnreprAble>"
