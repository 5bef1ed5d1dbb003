"""The list page's query string, parsed once into a ``ListRequest`` that also builds its URLs.

``ListFilters`` says which conversations the operator asked for (tab, search, outcomes, date
range and the tenant scope), with times in UTC; ``ListRequest`` adds the page and the sort order
and is the one place the list page's links are built, so every link keeps exactly the list's own
parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import url_for
from werkzeug.datastructures import iter_multi_items

from .counters import next_month
from .i18n import lazy_gettext as _l
from .search_text import clean_search, search_words
from .vocab import EARLIEST_MOMENT, END_OF_TIME, Channel, Outcome, values

RANGE_PRESETS: dict[str, str] = {
    "all": _l("All time"),
    "today": _l("Today"),
    "7d": _l("Last 7 days"),
    "this_month": _l("This month"),
    "last_month": _l("Last month"),
}
#: The parameters that choose the conversations; every link of the list page keeps them.
FILTER_PARAMETERS = ("channel", "search", "outcome", "range", "from", "to")
#: Every ``outcome`` value, in the canonical order links repeat them in.
OUTCOME_VALUES = values(Outcome)
#: The order of the list (Flask-Admin's column index and direction), kept by its links too.
ORDER_PARAMETERS = ("sort", "desc")
#: The timeline's endpoint: its links carry the list's parameters (``details_url``).
DETAILS_ENDPOINT = ".details_view"
#: Any page past this one is past the end of every list (and its offset fits any database).
MAX_PAGE = 999_999_999
#: What a query value keeps unencoded, as Werkzeug's URL building does (the WHATWG URL spec).
QUERY_SAFE = "!$'()*,/:;?@"


class BadListArgument(ValueError):
    """A list-page query parameter that cannot be understood (answered with 400)."""


@dataclass(frozen=True)
class ListFilters:
    """What the operator asked the list for, validated; times are UTC, ``started_to`` exclusive."""

    channel: str | None = None
    search: str | None = None
    range: str = "all"
    date_from: date | None = None
    date_to: date | None = None
    started_from: datetime | None = None
    started_to: datetime | None = None
    tenant: str | None = None
    #: ``Outcome`` values the conversations must all have, in ``OUTCOME_VALUES`` order.
    outcomes: tuple[str, ...] = ()

    @property
    def search_words(self) -> list[str]:
        """The search as matched: lower-cased words, each a literal substring."""
        return search_words(self.search)

    @property
    def narrowed(self) -> bool:
        """Whether a search, an outcome filter or a date range hides some conversations (the
        tab aside)."""
        return bool(self.search) or bool(self.outcomes) or self.range != "all"


def _parse_day(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadListArgument(f"{name} must be a date as YYYY-MM-DD, got {value[:40]!r}") from None


def local_midnight(day: date | None, zone: ZoneInfo) -> datetime | None:
    """Midnight starting ``day`` in ``zone``, in UTC, moved onto the span conversations can
    start in (which selects the same ones); off the scale: no bound."""
    if day is None:
        return None
    try:
        moment = datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
    except OverflowError:
        return None
    return min(max(moment, EARLIEST_MOMENT), END_OF_TIME)


def parse_outcomes(given: list[str]) -> tuple[str, ...]:
    """The ``outcome`` values of a query string, each once, in canonical order; empty ones are
    ignored, anything else than a value as written is ``BadListArgument``."""
    wanted = set()
    for value in given:
        if not value:
            continue
        if value not in OUTCOME_VALUES:
            raise BadListArgument(
                f"unknown outcome {value[:40]!r}; allowed: {', '.join(OUTCOME_VALUES)}"
            )
        wanted.add(value)
    return tuple(value for value in OUTCOME_VALUES if value in wanted)


def _all_values(args: Mapping[str, str], name: str) -> list[str]:
    """Every value of a repeated parameter (a plain mapping holds one)."""
    getlist = getattr(args, "getlist", None)
    if getlist is not None:
        return list(getlist(name))
    value = args.get(name)
    return [value] if value is not None else []


def parse_list_args(
    args: Mapping[str, str], *, timezone: str, now: datetime, tenant: str | None
) -> ListFilters:
    """Validate the list page's filter parameters (channel, search, outcome, range, from, to)."""
    channel = args.get("channel") or None
    if channel is not None and channel != "all" and channel not in values(Channel):
        raise BadListArgument(
            f"unknown channel {channel[:40]!r}; allowed: all, {', '.join(values(Channel))}"
        )
    if channel == "all":
        channel = None

    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    raw_from, raw_to = args.get("from") or None, args.get("to") or None
    preset = args.get("range") or None
    date_from = date_to = None
    if raw_from or raw_to:
        date_from = _parse_day("from", raw_from) if raw_from else None
        date_to = _parse_day("to", raw_to) if raw_to else None
        if date_from and date_to and date_from > date_to:
            date_from, date_to = date_to, date_from
        preset = "custom"
    elif preset is None or preset == "all":
        preset = "all"
    elif preset == "today":
        date_from = date_to = today
    elif preset == "7d":
        date_from, date_to = today - timedelta(days=6), today
    elif preset == "this_month":
        date_from, date_to = today.replace(day=1), next_month(today) - timedelta(days=1)
    elif preset == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        date_from, date_to = last.replace(day=1), last
    else:
        raise BadListArgument(
            f"unknown range {preset[:40]!r}; allowed: {', '.join(RANGE_PRESETS)}, "
            "or from=YYYY-MM-DD&to=YYYY-MM-DD"
        )
    day_after = date_to + timedelta(days=1) if date_to is not None and date_to < date.max else None
    return ListFilters(
        channel=channel,
        search=clean_search(args.get("search")),
        range=preset,
        date_from=date_from,
        date_to=date_to,
        started_from=local_midnight(date_from, zone),
        started_to=local_midnight(day_after, zone),
        tenant=tenant,
        outcomes=parse_outcomes(_all_values(args, "outcome")),
    )


def _small_number(value: str | None, upper: int) -> int | None:
    """A non-negative whole number of at most ``upper`` from the query string, else ``None``;
    a longer run of digits is ``upper``."""
    if not value or not (value.isascii() and value.isdigit()):
        return None
    digits = value.lstrip("0") or "0"  # leading zeros never make a number larger
    return upper if len(digits) > len(str(upper)) else min(int(digits), upper)


def with_query(url: str, params: Mapping[str, Any]) -> str:
    """``url`` with ``params`` appended as ``url_for`` appends unknown arguments (a list value
    repeated, ``None`` left out)."""
    items = [(key, value) for key, value in iter_multi_items(params) if value is not None]
    if not items:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode(items, safe=QUERY_SAFE)}"


def _filter_params(filters: ListFilters) -> dict[str, Any]:
    """The filter parameters as the list's links carry them: normalised, defaults left out;
    ``outcome`` is a list (repeated in the URL)."""
    params: dict[str, Any] = {}
    if filters.channel:
        params["channel"] = filters.channel
    if filters.search:
        params["search"] = filters.search
    if filters.outcomes:
        params["outcome"] = list(filters.outcomes)
    if filters.range == "custom":
        if filters.date_from:
            params["from"] = filters.date_from.isoformat()
        if filters.date_to:
            params["to"] = filters.date_to.isoformat()
    elif filters.range != "all":
        params["range"] = filters.range
    return params


@dataclass(frozen=True)
class ListRequest:
    """One list request: its filters, page and order, and every URL the list page links to."""

    filters: ListFilters = field(default_factory=ListFilters)
    #: 0-based, Flask-Admin's numbering.
    page: int = 0
    #: The index of the sorted column in the view's ``column_list``; ``None``: the default order.
    sort: int | None = None
    desc: bool = False
    endpoint: str = ".index_view"

    @classmethod
    def parse(
        cls, args: Mapping[str, str], *, timezone: str, now: datetime, tenant: str | None
    ) -> ListRequest:
        """Validate the whole query string; ``BadListArgument`` for a filter it cannot read.

        A malformed or negative page is the first page, a huge one is past the end; a sort
        that is not a column number is the default order. ``page_size`` is never read.
        """
        return cls(
            filters=parse_list_args(args, timezone=timezone, now=now, tenant=tenant),
            page=_small_number(args.get("page"), MAX_PAGE) or 0,
            sort=_small_number(args.get("sort"), 999),
            desc=bool(_small_number(args.get("desc"), 1)),
        )

    @property
    def params(self) -> dict[str, Any]:
        """The parameters every link of the list keeps (the page aside); values are text but
        ``outcome``, a list of values."""
        params = _filter_params(self.filters)
        if self.sort is not None:
            params["sort"] = str(self.sort)
            if self.desc:
                params["desc"] = "1"
        return params

    def url(self, **changes: Any) -> str:
        """The list URL with this request's parameters, some changed (``None`` drops one).

        Without a ``page`` change the link opens the first page: a new tab, search, range or
        order starts again from the top. ``from_`` stands for ``from``; ``outcome`` takes a
        sequence of values (put in canonical order).
        """
        params: dict[str, Any] = self.params
        for key, value in changes.items():
            key = "from" if key == "from_" else key
            if key == "outcome" and value is not None and not isinstance(value, str):
                value = [o for o in OUTCOME_VALUES if o in set(value)] or None
            if value is None or value == "" or (key == "page" and value == 0):
                params.pop(key, None)
            else:
                params[key] = value
        return with_query(self._list_url, params)

    @cached_property
    def _list_url(self) -> str:
        """The list's URL without this request's parameters, built once per page: the page
        links to its own list some forty times, and routing each link cost a tenth of it."""
        return url_for(self.endpoint)

    def range_url(self, preset: str | None) -> str:
        """The list over a preset range (``None`` or ``"all"``: all time), replacing any other."""
        return self.url(range=None if preset in (None, "all") else preset, from_=None, to=None)

    def outcome_url(self, outcome: str | None) -> str:
        """The list filtered to ``outcome`` alone (``None``: to none), tab, search and date
        range kept: what a metric and the Escalated header link to."""
        return self.url(outcome=None if outcome is None else [outcome])

    def without_outcome_url(self, outcome: str) -> str:
        """The list with one outcome filter removed (a chip's remove link)."""
        return self.url(outcome=[o for o in self.filters.outcomes if o != outcome])

    def page_url(self, page: int) -> str:
        return self.url(page=page)

    def sort_url(self, column: int | None, desc: bool = False) -> str:
        """The first page in another order (``None``: the default order)."""
        return self.url(sort=column, desc=1 if desc and column is not None else None)

    def details_url(self, conversation_id: int, *, page: int | None = None, **extra: Any) -> str:
        """The timeline of a conversation of this list, carrying the list's parameters and
        ``page`` (default: this request's), so the timeline can lead on through the same list;
        ``extra`` are the timeline's own parameters (``before``, ``images``, ``message``)."""
        if page is None and not extra:  # every row's link: the id put before one built query
            path, _, query = self._row_details_url.partition("?")
            return f"{path}?id={int(conversation_id)}" + (f"&{query}" if query else "")
        return url_for(DETAILS_ENDPOINT, id=conversation_id, **self._timeline_params(page), **extra)

    def _timeline_params(self, page: int | None) -> dict[str, Any]:
        """The list's parameters and ``page`` (default: this request's), as a timeline keeps."""
        params: dict[str, Any] = self.params
        page = self.page if page is None else page
        if page:
            params["page"] = page
        return params

    @cached_property
    def _row_details_url(self) -> str:
        """The timeline URL of this list's rows without its ``id``, built once per page (a
        page links 25 rows; building each link took a tenth of the page's time)."""
        return url_for(DETAILS_ENDPOINT, **self._timeline_params(None))

    def export_url(self, extension: str) -> str:
        """The export of this list (``"csv"`` or ``"jsonl"``): its filters and order, every row."""
        return url_for(f".export_{extension}", **self.params)

    def hidden_inputs(self, *dropped: str) -> list[tuple[str, str]]:
        """The kept parameters but ``dropped``, for a form's hidden inputs (a repeated one
        once per value)."""
        return [
            (key, item)
            for key, value in self.params.items()
            if key not in dropped
            for item in (value if isinstance(value, list) else [value])
        ]
