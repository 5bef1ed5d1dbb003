"""``+column``: how a statement tells SQLite's planner not to use an index for a term.

SQLite keeps no statistics on the conversations, so where the exact totals (``plans``) or the
shape of a statement say which index is right, the other candidates are ruled out this way.
PostgreSQL gets the column as it is.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal


class NoIndex(ColumnElement[Any]):
    """A column SQLite's planner may not use an index for (``+column``); the column elsewhere."""

    __visit_name__ = "aiconvos_no_index"
    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: Any) -> None:
        self.column = column
        self.type = column.type


@compiles(NoIndex)
def _compile_no_index(element: NoIndex, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.column, **kw)


@compiles(NoIndex, "sqlite")
def _compile_no_index_sqlite(element: NoIndex, compiler: Any, **kw: Any) -> str:
    return "+" + compiler.process(element.column, **kw)
