"""Steering SQLite's planner for the list's page of rows, where its lack of statistics misleads it.

SQLite has no statistics on the conversations' distribution, so for a date range or a search it
cannot tell whether walking the activity index (stopping when the page is full) or collecting
and sorting the matches is cheaper; the exact totals the list already has can. ``+column``
(``no_index.NoIndex``) tells SQLite not to use an index for a term. PostgreSQL's planner weighs
both from its own statistics and is left alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from .list_request import ListFilters
from .models import tables_engine

#: A search with at least this many matches reads its first pages along the activity index.
SEARCH_WALK_MIN_MATCHES = 2_000


def walk_for_search(rows_needed: int, total: int, sort: str) -> bool:
    """Whether to find a search page by walking the activity index (SQLite, indexed search).

    Sorting all matches costs one row read per match; walking costs an index step per
    conversation passed over, about ``rows_needed × conversations / matches``. With many
    matches and an early page, walking wins by far; with few, it would pass over the table.
    """
    return (
        sort == "last_activity_at" and total >= SEARCH_WALK_MIN_MATCHES and rows_needed * 8 <= total
    )


#: A date range holding at most this many conversations of the view is read from a
#: start-ordered index and sorted; a larger one is read along the activity index.
RANGE_SORT_LIMIT = 50_000


def range_plan(
    session: Session, filters: ListFilters, total: int, sort: str, *, now: datetime
) -> str | None:
    """How SQLite must read a date-ranged page: ``"sort"`` the range's rows, read from a
    start-ordered index, or ``"walk"`` the activity index until the page is full.

    Without statistics its planner cannot tell a short old range (walking would pass over
    every newer conversation) from a long one (sorting would sort most of the table) or from
    one that reaches the present (its conversations are the first ones walked); the counters
    can: ``total`` is exact. PostgreSQL's planner weighs both from its statistics.
    """
    if (
        sort != "last_activity_at"
        or filters.search_words
        or (filters.started_from is None and filters.started_to is None)
        or tables_engine(session).dialect.name != "sqlite"
    ):
        return None
    recent = filters.started_to is None or filters.started_to > now - timedelta(days=1)
    return "walk" if recent or total > RANGE_SORT_LIMIT else "sort"
