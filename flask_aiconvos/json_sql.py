"""JSON text spelled by the database, and lists of ids sent as one parameter.

The JSON Lines export writes millions of small strings; made into Python objects and encoded
one by one they cost most of its time. ``JsonMembers`` has SQLite (``json_quote``) or
PostgreSQL (``to_json``) write an object's members as ``json.dumps(..., ensure_ascii=False,
separators=(",", ":"))`` writes them: both escape exactly ``"``, ``\\`` and the control
characters below U+0020 (``\\b \\f \\n \\r \\t``, the others as lower-case ``\\u00xx``) and
leave every other character as it is.

``owned_by`` tests a column against many ids with one bound parameter instead of one per id:
the statement's SQL stays the same (cached once), and PostgreSQL plans it with the ids' count.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    DateTime,
    String,
    any_,
    bindparam,
    cast,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import NullType

#: The dialects that can spell JSON text themselves.
JSON_DIALECTS = frozenset({"sqlite", "postgresql"})


class JsonMembers(ColumnElement[str]):
    """``opening`` + ``"key":value,…`` + ``closing``: an object's members in the given order,
    each value (text or null) spelled as JSON by the database."""

    __visit_name__ = "aiconvos_json_members"
    inherit_cache = True
    _traverse_internals = [
        ("keys", InternalTraversal.dp_string_list),
        ("values", InternalTraversal.dp_clauseelement_tuple),
        ("opening", InternalTraversal.dp_string),
        ("closing", InternalTraversal.dp_string),
    ]

    def __init__(
        self, members: Sequence[tuple[str, Any]], *, opening: str = "{", closing: str = "}"
    ) -> None:
        self.keys = [key for key, _ in members]
        self.values = tuple(value for _, value in members)
        self.opening = opening
        self.closing = closing
        self.type = String()


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _members_sql(element: JsonMembers, compiler: Any, quote: str, **kw: Any) -> str:
    pieces = []
    for index, (key, value) in enumerate(zip(element.keys, element.values, strict=True)):
        lead = element.opening if index == 0 else ","
        pieces.append(_sql_text(lead + json.dumps(key, ensure_ascii=False) + ":"))
        pieces.append(quote.format(compiler.process(value, **kw)))
    pieces.append(_sql_text(element.closing))
    return "(" + " || ".join(pieces) + ")"


@compiles(JsonMembers, "sqlite")
def _json_members_sqlite(element: JsonMembers, compiler: Any, **kw: Any) -> str:
    if element.opening != "{":
        return _members_sql(element, compiler, "json_quote({})", **kw)
    # json_object writes the same text as the concatenation, faster; a closing other than
    # "}" replaces the object's own (its last value ends in '"' or 'l', never in "}").
    members = ", ".join(
        f"{_sql_text(key)}, {compiler.process(value, **kw)}"
        for key, value in zip(element.keys, element.values, strict=True)
    )
    if element.closing == "}":
        return f"json_object({members})"
    return f"(rtrim(json_object({members}), '}}') || {_sql_text(element.closing)})"


@compiles(JsonMembers, "postgresql")
def _json_members_postgresql(element: JsonMembers, compiler: Any, **kw: Any) -> str:
    return _members_sql(element, compiler, "coalesce(to_json({})::text, 'null')", **kw)


@compiles(JsonMembers)
def _json_members(element: JsonMembers, compiler: Any, **kw: Any) -> str:
    raise CompileError(f"JSON text is not spelled by {compiler.dialect.name}")


class IdList(tuple[int, ...]):
    """Ids sent to the database as one parameter, each spelling (JSON for SQLite, array text
    for PostgreSQL) made once however many statements send them."""

    @cached_property
    def json_text(self) -> str:
        return json.dumps(self)

    @cached_property
    def array_text(self) -> str:
        return "{" + ",".join(str(int(id_)) for id_ in self) + "}"


def _listed(ids: Sequence[int]) -> IdList:
    return ids if isinstance(ids, IdList) else IdList(ids)


def id_array(ids: Sequence[int]) -> ColumnElement[Any]:
    """PostgreSQL: the ids as one ``bigint[]`` parameter (ids are 64-bit), sent as the array's
    text (the driver would check and convert each id of a list in Python).

    The text goes without a type of its own (``NullType``: no ``::VARCHAR``), so PostgreSQL
    reads it as the array when it parses the statement: a constant, whose size the planner
    knows and which it hashes. Cast from ``varchar`` it would be parsed again for every row
    it filters (1.4 s for a page of a 5,000-id search at 1M conversations)."""
    listed = bindparam("ids", _listed(ids).array_text, type_=NullType(), unique=True)
    return cast(listed, ARRAY(BigInteger))


def timestamp_array(name: str, moments: Sequence[datetime]) -> ColumnElement[Any]:
    """PostgreSQL: aware ``moments`` as one ``timestamptz[]`` parameter named ``name``, sent
    as the array's text without a type, like ``id_array``: a constant parsed once."""
    text = "{" + ",".join(f'"{moment.isoformat()}"' for moment in moments) + "}"
    listed = bindparam(name, text, type_=NullType(), unique=True)
    return cast(listed, ARRAY(DateTime(timezone=True)))


def owned_by(owner: Any, ids: Sequence[int], dialect: str) -> ColumnElement[bool]:
    """``owner IN ids`` with the ids as one parameter: a JSON array read by ``json_each`` on
    SQLite, an array on PostgreSQL (whose planner then knows how many ids there are, and walks
    an index in the list's order rather than sorting every one), an expanding ``IN``
    elsewhere."""
    if dialect == "sqlite":
        text = bindparam("ids", _listed(ids).json_text, unique=True)
        return owner.in_(select(func.json_each(text).table_valued("value").c.value))
    if dialect == "postgresql":
        return owner == any_(id_array(ids))
    return owner.in_(bindparam("ids", list(ids), expanding=True))
