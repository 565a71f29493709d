"""Pages of long sorted lists, fetched in two steps ("deferred join").

A registry list is sorted by town, village and name across three tables. Asking the
database for rows 45,001–45,020 of it with every column of the three makes it sort all
50,000 wide rows (on disk, past work_mem) to throw 45,000 away. Here the page's keys are
found first, sorting only what the order needs, and then just those rows are loaded in
full: the same page, in the same order, for a fraction of the work.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, Select, func, select

from matchmaker.extensions import db


class KeyedPagination(Pagination):
    """Flask-SQLAlchemy's Pagination (what the templates use: items, pages, iter_pages …)
    filled by :func:`paginate_by_key`."""

    def _query_items(self) -> list:
        args = self._query_args
        keys = list(db.session.scalars(
            args["keys"].limit(self.per_page).offset(self._query_offset)))
        if not keys:
            return []
        found = {args["key_of"](row): row for row in db.session.scalars(
            args["rows"].where(args["key"].in_(keys))).unique()}
        return [found[k] for k in keys if k in found]

    def _query_count(self) -> int:
        keys = self._query_args["keys"].order_by(None).subquery()
        return db.session.scalar(select(func.count()).select_from(keys))


def paginate_by_key(rows: Select, key: ColumnElement, key_of: Callable, *, page: int,
                    per_page: int) -> KeyedPagination:
    """``rows``: the full, sorted, filtered statement (with its loader options); ``key``:
    the column that identifies a row (``MentorProfile.id``), ``key_of`` reads it off a
    loaded row. The keys are selected by ``rows`` itself reduced to that column, so the
    page holds exactly what ``rows`` would give, scope and filters included."""
    keys = rows.with_only_columns(key)
    return KeyedPagination(page=page, per_page=per_page, max_per_page=None, error_out=False,
                           keys=keys, rows=rows, key=key, key_of=key_of)
